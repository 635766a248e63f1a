"""The README's first example prints what the README says it prints, on every backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import keras

README = Path(__file__).parent.parent / "README.md"


def test_the_first_example_prints_its_documented_output():
    text = README.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)[1]
    shown = re.search(r"```python\n.*?```\s*```\n(.*?)```", text, re.S)[1]
    seeded = "import keras\nkeras.utils.set_random_seed(0)\n" + code
    result = subprocess.run(
        [sys.executable, "-c", seeded],
        env={**os.environ, "KERAS_BACKEND": keras.backend.backend()},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == shown
