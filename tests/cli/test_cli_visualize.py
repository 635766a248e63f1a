"""`kerascope visualize MODEL LAYER`: a PNG grid or arrays, checked against `capture`."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from cli_harness import assert_one_error_line, run_cli

import kerascope
import kerascope.cli
from kerascope.cli import main, parser
from kerascope.cli._examples import channels as parse_channels


def test_npz_holds_images_whose_channel_means_are_the_values(models, tmp_path, capsys):
    out = tmp_path / "vis.npz"
    status = main(
        ["visualize", str(models["cnn.keras"]), "conv", "--channels", "0-1,3", "-o", str(out),
         "--steps", "12", "--seed", "1"]
    )  # fmt: skip
    assert status == 0
    assert capsys.readouterr().out.strip() == f"Wrote 3 visualizations of 'conv' to {out}"
    saved = np.load(out)
    assert saved["images"].shape == (3, 8, 8, 1)
    assert saved["history"].shape == (12, 3)
    assert saved["channels"].tolist() == [0, 1, 3]
    model = keras.saving.load_model(models["cnn.keras"])
    acts = kerascope.capture(model, saved["images"], layers="conv")["conv"].mean(axis=(1, 2))
    np.testing.assert_allclose(saved["values"], acts[[0, 1, 2], [0, 1, 3]], rtol=1e-4)


def test_png_grid_in_process(models, tmp_path, capsys):
    out = tmp_path / "grid.png"
    status = main(
        ["visualize", str(models["cnn.h5"]), "conv", "--channels", "0-3", "--steps", "4", "-q",
         "-o", str(out)]
    )  # fmt: skip
    assert status == 0
    assert capsys.readouterr().out == ""
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_channels_and_layers_are_one_error_line(models, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["visualize", str(models["cnn.keras"]), "conv", "--channels", "3-1"])
    assert exit_info.value.code == 2
    assert "expected channels such as 0-15" in capsys.readouterr().err
    out = tmp_path / "x.png"
    status = main(["visualize", str(models["cnn.keras"]), "nope", "-q", "-o", str(out)])
    assert status == 2
    assert "nope" in capsys.readouterr().err
    assert not out.exists()
    assert parse_channels("0-2,7") == [0, 1, 2, 7]


def test_one_channel_parser_the_shared_model_options_and_the_usage_lists_every_command():
    assert parse_channels(" 0 - 2 ,7") == [0, 1, 2, 7]
    commands = parser()._subparsers._group_actions[0].choices
    types = {name: [a.type for a in commands[name]._actions if a.dest == "channels"]
             for name in ("examples", "visualize")}  # fmt: skip
    assert types == {"examples": [parse_channels], "visualize": [parse_channels]}
    shared = {a.dest: a.help for a in commands["inspect"]._actions}
    for name in ("examples", "visualize"):
        own = {a.dest: a.help for a in commands[name]._actions}
        assert own["custom_objects"] == shared["custom_objects"]
        assert own["unsafe"] == shared["unsafe"]
    assert "layers" not in {a.dest for a in commands["visualize"]._actions}
    usage = kerascope.cli.__doc__
    for name in commands:
        assert f"kerascope {name} " in usage or f"kerascope {name}\n" in usage, name


def test_an_unknown_output_suffix_is_refused(models, tmp_path):
    result = run_cli("visualize", models["cnn.keras"], "conv", "-o", "vis.txt", cwd=tmp_path)
    assert_one_error_line(result, "Expected --out to end in one of", "vis.txt")
