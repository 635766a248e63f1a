"""`kerascope examples`: the table, JSON equal to the live `top_examples`, PNG figures, errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from cli_harness import assert_one_error_line, run_cli

import kerascope
from kerascope.cli import main
from kerascope.examples import Examples


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    path = tmp_path_factory.mktemp("arrays") / "x.npy"
    np.save(path, np.random.default_rng(6).random((14, 8, 8, 1)).astype("float32"))
    return path


def test_json_equals_the_live_examples(models, inputs, tmp_path):
    result = run_cli(
        "examples", models["cnn.keras"], inputs, "--layers", "conv,hidden", "-k", "4",
        "-o", "ex.json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    saved = Examples.load(tmp_path / "ex.json")
    model = keras.saving.load_model(models["cnn.keras"], compile=False)
    x = np.load(inputs)
    live = kerascope.top_examples(model, x, ["conv", "hidden"], k=4, progress=False)
    assert list(saved) == ["conv", "hidden"]
    for key in saved:
        np.testing.assert_array_equal(saved[key].indices, live[key].indices)
        np.testing.assert_array_equal(saved[key].positions, live[key].positions)
        np.testing.assert_allclose(saved[key].values, live[key].values, rtol=1e-6)
    # and the first column against numpy: each channel's best sample and value
    conv = kerascope.capture(model, x, "conv")["conv"]
    best = conv.reshape(len(x), -1, conv.shape[-1]).max(axis=1)
    np.testing.assert_array_equal(saved["conv"].indices[:, 0], best.argmax(axis=0))
    np.testing.assert_allclose(saved["conv"].values[:, 0], best.max(axis=0), rtol=1e-6)
    assert "Examples(2 layers, k=4" in result.stdout
    assert "Wrote ex.json" in result.stdout


def test_png_one_figure_per_layer(models, inputs, tmp_path, capsys):
    out = tmp_path / "ex.png"
    argv = ["examples", str(models["cnn.keras"]), str(inputs), "--layers", "conv,pool", "-q"]
    assert main([*argv, "-k", "3", "--channels", "0-1,3", "-o", str(out)]) == 0
    assert (tmp_path / "ex-conv.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "ex-pool.png").stat().st_size > 1000
    assert capsys.readouterr().err == ""  # --quiet: no progress bar
    assert main([*argv[:3], "--layers", "conv", "-q", "-o", str(out)]) == 0
    assert out.exists()


def test_errors_are_one_line(models, inputs, tmp_path):
    result = run_cli("examples", models["cnn.keras"], inputs, "-o", "ex.txt", cwd=tmp_path)
    assert_one_error_line(result, "Expected -o to name a .png or .json file", "ex.txt")
    result = run_cli("examples", models["cnn.keras"], inputs, "-k", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "expected a positive integer" in result.stderr
    result = run_cli("examples", models["cnn.keras"], inputs, "--channels", "a-b", cwd=tmp_path)
    assert result.returncode == 2
    assert "expected channels such as 0-15" in result.stderr
