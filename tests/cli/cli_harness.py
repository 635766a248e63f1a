"""Helpers of the `kerascope` command tests: the subprocess runner, its output, digits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np

HERE = Path(__file__).parent
#: The side of the digit images written to disk: the models take 8 x 8, so
#: every image is resized on loading.
IMAGE_SIDE = 24
# TensorFlow's C++ logging before absl is initialised ignores TF_CPP_MIN_LOG_LEVEL.
_BACKEND_NOISE = ("WARNING: All log messages", "I0000 ", "W0000 ", "E0000 ", "To enable the")


def run_cli(
    *args: str | os.PathLike[str], cwd: Path, console_script: bool = False
) -> subprocess.CompletedProcess[str]:
    """Runs `python -m kerascope ARGS` (or the `kerascope` script) in a subprocess,
    on this session's backend."""
    env = {
        **os.environ,
        "KERAS_BACKEND": keras.backend.backend(),
        # Absolute: the command runs in `cwd`, where `PYTHONPATH=src` would name nothing
        # (and the installed kerascope, not this checkout's, would run).
        "PYTHONPATH": os.pathsep.join(
            [str(HERE), *(str(Path(p).resolve()) for p in _python_path() if p)]
        ),
    }
    command = [_script()] if console_script else [sys.executable, "-m", "kerascope"]
    return subprocess.run(
        [*command, *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _python_path() -> list[str]:
    return os.environ.get("PYTHONPATH", "").split(os.pathsep)


def _script() -> str:
    """The `kerascope` console script of the environment running the tests."""
    script = Path(sys.executable).with_name("kerascope")
    return str(script) if script.exists() else shutil.which("kerascope") or "kerascope"


def stderr_lines(text: str) -> list[str]:
    """Standard error without the backend's own start-up logging and progress bars."""
    return [
        line
        for line in text.splitlines()
        if line.strip() and not line.startswith(_BACKEND_NOISE) and "━" not in line
    ]


def assert_one_error_line(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    """The command failed with status 2 and one `kerascope: error:` line naming `parts`."""
    lines = stderr_lines(result.stderr)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith("kerascope: error: ")
    for part in parts:
        assert part in lines[0]
    return lines[0]


def digit_images() -> np.ndarray:
    """scikit-learn's bundled digits as uint8 images (n, 8, 8), values 0..255."""
    from sklearn.datasets import load_digits

    return np.round(load_digits().images * (255 / 16)).astype(np.uint8)
