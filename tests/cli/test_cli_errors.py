"""Errors: one `kerascope: error:` line on stderr and status 2; `--debug` adds the traceback."""

from __future__ import annotations

import re

import numpy as np
import pytest
from cli_harness import assert_one_error_line, run_cli, stderr_lines

from kerascope.cli import main


def error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("kerascope: error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_missing_model_file_through_the_console_script(image_dir, tmp_path):
    result = run_cli(
        "capture", "missing.keras", image_dir, "-o", "a.npz", cwd=tmp_path, console_script=True
    )

    assert_one_error_line(result, "'missing.keras'", "does not exist")
    assert not (tmp_path / "a.npz").exists()


def test_wrong_input_size(models, tmp_path):
    np.save(tmp_path / "small.npy", np.zeros((3, 4, 4, 1), np.float32))

    result = run_cli("stats", models["cnn.keras"], "small.npy", cwd=tmp_path)

    assert_one_error_line(
        result, "Expected inputs of shape (None, 8, 8, 1)", "(3, 4, 4, 1)", "'small.npy'"
    )


def test_lambda_layer_without_unsafe(models, image_dir, tmp_path):
    result = run_cli("inspect", models["lambda.keras"], cwd=tmp_path)

    line = assert_one_error_line(result, "Lambda", "--unsafe")
    assert "safe_mode" not in line


def test_debug_shows_the_traceback(models, tmp_path):
    result = run_cli("inspect", models["notes.keras"], "--debug", cwd=tmp_path)

    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "kerascope.errors.InputError" in result.stderr
    assert stderr_lines(result.stderr)[-1].startswith("kerascope: error: ")


def test_custom_objects_from_a_module(models, image_dir, tmp_path):
    out = tmp_path / "acts.npz"
    result = run_cli(
        *("capture", models["custom.keras"], image_dir, "-o", out, "-q"),
        *("--custom-objects", "cli_custom_layers:Scale"),
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    with np.load(out) as saved:
        np.testing.assert_allclose(saved["scale"], 3.0 * saved["dense"], rtol=1e-6)


# -- in-process ----------------------------------------------------------------


def test_text_file_as_model(models, image_dir, tmp_path, capsys):
    assert main(["inspect", str(models["notes.keras"])]) == 2
    assert "not a zip archive" in error_line(capsys)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert main(["stats", str(notes), str(image_dir)]) == 2
    assert "Expected MODEL to be a Keras model file (.keras, .h5, .hdf5)" in error_line(capsys)
    fake = tmp_path / "fake.h5"
    fake.write_text("hello")
    assert main(["inspect", str(fake)]) == 2
    assert "a file Keras cannot load" in error_line(capsys)


def test_unknown_layer_names_the_closest_keys(models, image_dir, capsys):
    argv = ["capture", str(models["cnn.keras"]), str(image_dir), "-o", "x.npz"]

    assert main([*argv, "--layers", "hiden"]) == 2
    line = error_line(capsys)
    assert "No layer with key 'hiden'" in line
    assert "Closest valid keys: hidden" in line


def test_unknown_custom_class_asks_for_custom_objects(models, capsys):
    for name in ("custom.keras", "custom.h5"):
        assert main(["inspect", str(models[name])]) == 2
        line = error_line(capsys)
        assert "--custom-objects" in line
        assert "'Scale'" in line


def test_custom_objects_in_an_h5_model(models, capsys):
    argv = ["inspect", str(models["custom.h5"]), "--custom-objects", "cli_custom_layers:Scale"]

    assert main(argv) == 0
    assert re.search(r"^\s+scale\s+Scale\s+\(None, 4\)", capsys.readouterr().out, re.M)


def test_bad_custom_objects(models, capsys):
    cases = {
        "cli_custom_layers": "Expected --custom-objects as module:Name",
        "no_such_module_xyz:Scale": "importable module 'no_such_module_xyz'",
        "cli_custom_layers:Missing": "to define 'Missing'",
    }
    for spec, message in cases.items():
        assert main(["inspect", str(models["custom.h5"]), "--custom-objects", spec]) == 2
        assert message in error_line(capsys)


def test_input_errors(models, image_dir, tmp_path, capsys):
    model = str(models["cnn.keras"])
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("x")
    cases = {
        str(empty): "which holds none",
        str(tmp_path / "gone.png"): "does not exist",
        str(empty / "notes.txt"): "Expected INPUTS to be image files",
    }
    for inputs, message in cases.items():
        assert main(["stats", model, inputs]) == 2
        assert message in error_line(capsys)


def test_unexpected_errors_exit_3(models, image_dir, monkeypatch, capsys):
    import kerascope

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(kerascope, "stats", broken)

    assert main(["stats", str(models["cnn.keras"]), str(image_dir)]) == 3
    line = error_line(capsys)
    assert "unexpected ZeroDivisionError: boom" in line
    assert "--debug" in line


def test_broken_import_is_a_bug_missing_extra_is_not(models, image_dir, monkeypatch, capsys):
    import kerascope

    def missing(*args, **kwargs):
        raise ImportError("Statistics need foo. Install it with `pip install kerascope[foo]`.")

    monkeypatch.setattr(kerascope, "stats", missing)
    assert main(["stats", str(models["cnn.keras"]), str(image_dir)]) == 2
    assert "pip install kerascope[foo]" in error_line(capsys)

    def broken(*args, **kwargs):
        raise ImportError("cannot import name 'helper' from 'kerascope.stats'")

    monkeypatch.setattr(kerascope, "stats", broken)
    assert main(["stats", str(models["cnn.keras"]), str(image_dir)]) == 3
    assert "unexpected ImportError" in error_line(capsys)


def test_usage_errors_keep_argparse_status_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["capture", "model.keras"])
    assert exit_info.value.code == 2
    assert "usage: kerascope capture" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["stats", "m.keras", "x.npy", "--batch-size", "0"])
    assert exit_info.value.code == 2
