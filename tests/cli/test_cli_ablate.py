"""`kerascope ablate`: the saved importance equals ablating each channel by hand."""

from __future__ import annotations

import json

import keras
import numpy as np
from cli_harness import digit_images, run_cli

from kerascope.cli import main
from kerascope.interventions import Importance


def _loss(y, probs):
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1)).mean())


def _by_hand(model, x, channel):
    """The model's layers called one by one, conv channel `channel` zeroed (or none)."""
    value = keras.ops.convert_to_numpy(model.get_layer("conv")(x))
    if channel is not None:
        value[..., channel] = 0
    for name in ("pool", "flat", "hidden", "probs"):
        value = keras.ops.convert_to_numpy(model.get_layer(name)(value))
    return value


def test_ablate_saves_importance_equal_to_zeroing_each_channel_by_hand(models, tmp_path):
    x = (digit_images()[:24, :, :, None] / 255).astype("float32")
    model = keras.saving.load_model(models["cnn.keras"], compile=False)
    y = np.arange(24) % 3
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)

    result = run_cli(
        "ablate",
        models["cnn.keras"],
        "x.npy",
        "--labels",
        "y.npy",
        "--layers",
        "conv*",
        "-o",
        "importance.json",
        "-q",
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Importance(1 layers, metric='loss'")
    saved = Importance.from_json((tmp_path / "importance.json").read_text())
    base = _loss(y, _by_hand(model, x, None))
    expected = [_loss(y, _by_hand(model, x, c)) - base for c in range(4)]
    np.testing.assert_allclose(saved["conv"], expected, atol=1e-5)
    assert abs(saved.baseline - base) < 1e-5
    assert json.loads((tmp_path / "importance.json").read_text())["samples"] == 24


def test_ablate_errors_in_one_line(models, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((4, 8, 8, 1), "float32"))
    status = main(["ablate", str(models["cnn.keras"]), str(tmp_path / "x.npy"), "-q"])
    assert status == 2
    captured = capsys.readouterr()
    assert "Expected targets y for metric='loss'. Received: y=None" in captured.err
    status = main(
        ["ablate", str(models["cnn.keras"]), str(tmp_path / "x.npy"), "--labels", "y.txt", "-q"]
    )
    assert status == 2
    assert "Expected --labels to be an existing .npy file" in capsys.readouterr().err
