"""The command line starts without Keras, and starts quietly.

Each check runs in a fresh interpreter: this test session has imported Keras
and a backend long ago.
"""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import pytest
from cli_harness import HERE, run_cli

ROOT = HERE.parent.parent
# TensorFlow logs these two lines from C++ before anything reads
# TF_CPP_MIN_LOG_LEVEL; only TF_ENABLE_ONEDNN_OPTS=0, which changes the
# numerics, removes them. The README's "Start-up" notes name them.
DOCUMENTED_NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "oneDNN custom operations are on.",
)
FRAMEWORKS = ("keras", "tensorflow", "jax", "torch", "numpy")


def fresh_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def modules_after_main(*argv: str) -> tuple[str, list[str]]:
    """Runs the CLI's `main(argv)` in a fresh interpreter; its stdout and the
    frameworks it imported."""
    code = (
        "import sys\n"
        "from kerascope.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 0, stop.code\n"
        f"print('IMPORTED', sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))\n"
    )
    result = fresh_python(code)
    assert result.returncode == 0, result.stderr
    out, _, imported = result.stdout.rpartition("IMPORTED ")
    return out, eval(imported)


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        *[[command, "--help"] for command in ("inspect", "capture", "stats", "diagnose")],
        *[[command, "--help"] for command in ("report", "demo")],
    ],
    ids=" ".join,
)
def test_version_and_help_import_no_keras_nor_numpy(argv):
    out, imported = modules_after_main(*argv)

    assert imported == []
    assert "kerascope" in out
    if argv != ["--version"]:
        assert "usage: kerascope" in out


def test_a_command_imports_keras_when_it_loads_a_model(models):
    _, imported = modules_after_main("inspect", str(models["cnn.keras"]))

    assert "keras" in imported
    assert keras.backend.backend() in imported


def noise(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(text in line for text in DOCUMENTED_NOISE)
    ]


def test_inspect_prints_no_backend_start_up_noise(models, tmp_path, monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)  # the CLI sets it

    result = run_cli("inspect", models["cnn.keras"], cwd=tmp_path, console_script=True)

    assert result.returncode == 0, result.stderr
    assert "conv" in result.stdout
    assert noise(result.stderr) == []


def test_the_logging_environment_keeps_the_users_values():
    code = "import os, kerascope.cli; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])"

    assert fresh_python(code, TF_CPP_MIN_LOG_LEVEL="1").stdout.strip() == "1"
    environ = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "2"


def test_the_readme_names_the_lines_that_cannot_be_silenced():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md"))
    for line in DOCUMENTED_NOISE:
        assert line in text + docs
