"""`kerascope verify STORE`: exit 0 when clean, 1 and one line per damaged part when not."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import pytest
from cli_harness import assert_one_error_line, run_cli, stderr_lines

import kerascope

SAMPLES = 24  # 3 chunks of 8 samples per array


@pytest.fixture
def store(models, tmp_path, rng):
    path = tmp_path / "acts.zarr"
    model = keras.saving.load_model(models["cnn.keras"])
    x = rng.uniform(size=(SAMPLES, 8, 8, 1)).astype("float32")
    kerascope.record(model, x, path, ["conv", "hidden"], batch_size=8, progress=False)
    return path


def flip_bit(file):
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x04
    file.write_bytes(bytes(data))


def test_a_clean_store(store, tmp_path):
    result = run_cli("verify", store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{str(store)!r}: no damage; 6 chunks checked, {SAMPLES} samples committed"
    ]
    assert stderr_lines(result.stderr) == []


def test_one_line_per_damaged_part(store, tmp_path):
    flip_bit(store / "conv" / "c" / "1" / "0" / "0" / "0")
    (store / "hidden" / "c" / "2" / "0").unlink()
    result = run_cli("verify", store, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3, lines
    assert lines[0].startswith("damaged chunk 1 of 'conv' (array 'conv'), samples 8 to 15: ")
    assert lines[1] == "missing chunk 2 of 'hidden' (array 'hidden'), samples 16 to 23: " + (
        "its file is missing"
    )
    assert "2 problems" in lines[2]
    assert stderr_lines(result.stderr) == []

    quiet = run_cli("verify", store, "-q", cwd=tmp_path)
    assert quiet.returncode == 1
    assert quiet.stdout.splitlines() == lines[:2]


def test_a_garbled_commit_file(store, tmp_path):
    (store / "kerascope.json").write_bytes(b"\xff not json")
    result = run_cli("verify", store, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0].startswith("commit: Expected JSON in the commit file")


def test_not_a_store(tmp_path):
    result = run_cli("verify", tmp_path / "missing", cwd=tmp_path)
    assert_one_error_line(result, "Expected a kerascope store directory", "does not exist")


def test_verify_imports_no_keras(store, tmp_path):
    probe = "import sys, kerascope.cli; print('keras' in sys.modules)"
    imported = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=os.environ
    )
    if imported.stdout.strip().endswith("True"):
        pytest.skip("the CLI package itself imports Keras (made lazy by another change)")
    code = textwrap.dedent(
        """
        import sys
        from kerascope.cli import main
        assert main(["verify", "-q", sys.argv[1]]) == 0
        assert "keras" not in sys.modules, "verify imported keras"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(store)],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    assert result.returncode == 0, result.stderr[-2000:]
