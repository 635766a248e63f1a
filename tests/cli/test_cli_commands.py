"""`kerascope inspect|capture|stats|diagnose|report`, run as the real command and in-process.

Every output is checked against an independent computation: the images read
with pillow here, the model's layers through a Keras sub-model of its graph.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest
from cli_harness import IMAGE_SIDE, digit_images, run_cli
from PIL import Image

import kerascope
from harness import TOLERANCE, graph_outputs, read_all
from kerascope.cli import main
from kerascope.diagnostics import Findings
from kerascope.stats import Statistics

ROW = re.compile(r"^\s+(\S+)\s+(\S+)\s+(\(.*?\))\s+(\S+)\s+([\d,]+)$")


def load(path: Path) -> keras.Model:
    return keras.saving.load_model(path, compile=False)


def read_images(folder: Path) -> np.ndarray:
    """The PNGs of `folder` as the docs say: grey, bilinear to 8 x 8, in [0, 1]."""
    images = []
    for file in sorted(folder.glob("*.png")):
        with Image.open(file) as image:
            small = image.convert("L").resize((8, 8), Image.Resampling.BILINEAR)
        images.append(np.asarray(small, np.float32) / 255)
    return np.stack(images)[..., None]


def test_read_images_oracle_is_the_digits(image_dir):
    x = read_images(image_dir)
    digits = digit_images()[:6] / 255
    with Image.open(next(image_dir.glob("*.png"))) as image:
        assert image.size == (IMAGE_SIDE, IMAGE_SIDE) != (8, 8)
    assert x.shape == (6, 8, 8, 1)
    # Written at 24 x 24, read back at 8 x 8: the same digits, a little blurred.
    assert np.abs(x[..., 0] - digits).mean() < 0.1
    assert np.abs(x[..., 0] - digits).max() < 0.3


def test_inspect_lists_every_key_shape_and_parameter_count(models, tmp_path):
    result = run_cli("inspect", models["cnn.keras"], cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    rows = {m[1]: m.groups() for line in result.stdout.splitlines() if (m := ROW.match(line))}
    model = load(models["cnn.keras"])
    layers = model.layers[1:]
    assert list(rows) == [layer.name for layer in layers]
    for layer in layers:
        _, class_name, shape, _, params = rows[layer.name]
        assert class_name == type(layer).__name__
        assert shape == str((None, *layer.output.shape[1:]))
        assert int(params.replace(",", "")) == layer.count_params()
    assert rows["hidden"][3] == "relu"
    assert rows["pool"][3] == "-"
    assert f"Total params: {model.count_params():,}" in result.stdout
    assert "image (None, 8, 8, 1) float32" in result.stdout


def test_capture_images_to_npz_equals_the_layers_on_resized_images(models, image_dir, tmp_path):
    out = tmp_path / "acts.npz"
    result = run_cli(
        "capture",
        models["cnn.keras"],
        image_dir,
        "--layers",
        "conv,hid*",
        "--layers",
        "probs",
        "--out",
        out,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    with np.load(out) as saved:
        arrays = dict(saved)
    assert list(arrays) == ["conv", "hidden", "probs"]
    expected = graph_outputs(load(models["cnn.keras"]), read_images(image_dir), list(arrays))
    for key, array in arrays.items():
        np.testing.assert_allclose(array, expected[key], err_msg=key, **TOLERANCE)
        assert re.search(
            rf"^\s+{key}\s+\({', '.join(map(str, array.shape))}\)", result.stdout, re.M
        )
    assert f"Wrote 3 arrays to {out}" in result.stdout
    assert re.search(r"\(\d+\.\d KiB\)", result.stdout)


def test_stats_saves_json_equal_to_numpy_on_the_layers(models, image_dir, tmp_path):
    result = run_cli("stats", models["cnn.keras"], image_dir, "--json", "stats.json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    statistics = Statistics.load(tmp_path / "stats.json")
    expected = graph_outputs(load(models["cnn.keras"]), read_images(image_dir))
    assert list(statistics) == list(expected)
    for key, values in expected.items():
        layer = statistics[key]
        assert layer.samples == 6
        assert layer.mean == pytest.approx(values.mean(), rel=1e-4, abs=1e-6)
        assert layer.max == pytest.approx(values.max(), rel=1e-5)
        assert re.search(rf"^\s+{key}\s+", result.stdout, re.M)
    assert "Wrote the statistics to stats.json" in result.stdout


def test_diagnose_exits_1_on_dead_relu_units(models, image_dir, tmp_path):
    result = run_cli("diagnose", models["dead.keras"], image_dir, "--json", "f.json", cwd=tmp_path)

    assert result.returncode == 1, result.stderr
    assert re.search(r"error\s+hidden\s+dead\s+5 of 8 units never active", result.stdout)
    findings = Findings.from_json((tmp_path / "f.json").read_text())
    assert [(f.key, f.kind, f.severity) for f in findings.errors] == [("hidden", "dead", "error")]
    assert findings.errors[0].evidence["units"] == [0, 1, 2, 3, 4]


# -- in-process: the same commands through `main`, for the variations ------------


def test_capture_to_a_store_directory(models, tmp_path, capsys):
    x = np.random.default_rng(0).random((5, 8, 8, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "acts"

    status = main(
        ["capture", str(models["cnn.h5"]), str(tmp_path / "x.npy"), "-o", str(out), "--quiet"]
    )

    assert status == 0
    assert capsys.readouterr().out == ""
    store = kerascope.open(out)
    expected = graph_outputs(load(models["cnn.h5"]), x)
    assert list(store) == list(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(read_all(store[key]), value, err_msg=key, **TOLERANCE)


def test_capture_npz_of_a_multi_output_layer_and_float16(tmp_path, capsys):
    inputs = keras.Input((6,), name="x")
    x = keras.layers.Reshape((3, 2), name="seq")(inputs)
    lstm = keras.layers.LSTM(4, return_state=True, name="lstm")
    outputs = lstm(x)
    model = keras.Model(inputs, outputs[0])
    model.save(tmp_path / "rnn.keras")
    data = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    np.savez(tmp_path / "data.npz", x=data)

    status = main(
        [
            *("capture", str(tmp_path / "rnn.keras"), str(tmp_path / "data.npz")),
            *("--layers", "lstm", "-o", str(tmp_path / "out.npz"), "--dtype", "float16"),
        ]
    )

    assert status == 0
    with np.load(tmp_path / "out.npz") as saved:
        arrays = dict(saved)
    expected = keras.Model(inputs, list(outputs)).predict(data, verbose=0)
    assert list(arrays) == ["lstm[0]", "lstm[1]", "lstm[2]"]
    for i, value in enumerate(expected):
        assert arrays[f"lstm[{i}]"].dtype == np.float16
        np.testing.assert_allclose(arrays[f"lstm[{i}]"], value, rtol=1e-2, atol=1e-3)
    assert "lstm[2]  (4, 4)  float16" in capsys.readouterr().out


def test_capture_refuses_to_overwrite_without_overwrite(models, image_dir, tmp_path, capsys):
    out = tmp_path / "acts.npz"
    out.write_bytes(b"old")
    argv = ["capture", str(models["cnn.keras"]), str(image_dir), "-o", str(out), "-q"]

    assert main(argv) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"old"
    assert main([*argv, "--overwrite"]) == 0
    with np.load(out) as saved:
        assert saved["probs"].shape == (6, 3)


def test_inspect_nested_model_and_shared_layer_keys(tmp_path, capsys):
    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="proj")(inner_in), name="encoder")
    inputs = keras.Input((4,), name="x")
    shared = keras.layers.Dense(4, name="shared")
    h = shared(shared(inputs))
    model = keras.Model(inputs, inner(h), name="outer")
    model.save(tmp_path / "nested.keras")

    assert main(["inspect", str(tmp_path / "nested.keras")]) == 0
    rows = {
        m[1]: m.groups() for line in capsys.readouterr().out.splitlines() if (m := ROW.match(line))
    }
    # In execution order: a nested model finishes after its layers.
    assert list(rows) == ["shared:0", "shared:1", "encoder/proj", "encoder"]
    assert rows["shared:1"][4] == str(shared.count_params())
    assert rows["encoder"][4] == str(inner.count_params())
    assert rows["encoder/proj"][2] == "(None, 3)"

    assert main(["inspect", str(tmp_path / "nested.keras"), "--layers", "encoder/*"]) == 0
    out = capsys.readouterr().out
    assert "1 of 4 layer keys shown" in out
    assert f"Total params: {model.count_params():,}" in out


def test_stats_json_to_stdout(models, image_dir, capsys):
    argv = ["stats", str(models["cnn.keras"]), str(image_dir), "--layers", "conv", "--json", "-"]

    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert [layer["key"] for layer in data["layers"]] == ["conv"]


def test_diagnose_exits_0_on_a_healthy_model(models, image_dir, capsys):
    assert main(["diagnose", str(models["cnn.keras"]), str(image_dir), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Findings(none")
    assert captured.err == ""  # --quiet: no progress bar


def test_diagnose_fail_on_warning(models, image_dir, tmp_path, capsys):
    model = load(models["cnn.keras"])
    hidden = model.get_layer("hidden")
    kernel, bias = hidden.get_weights()
    bias[:2] = -100.0  # 2 of 8 dead: a warning
    hidden.set_weights([kernel, bias])
    model.save(tmp_path / "warn.keras")
    argv = ["diagnose", str(tmp_path / "warn.keras"), str(image_dir), "-q"]

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"warning\s+hidden\s+dead\s+2 of 8", out)
    assert "Hints:" in out
    assert main([*argv, "--fail-on", "warning"]) == 1


def test_lambda_model_loads_with_unsafe(models, image_dir, tmp_path, capsys):
    out = tmp_path / "acts.npz"
    argv = ["capture", str(models["lambda.keras"]), str(image_dir), "-o", str(out), "--unsafe"]

    assert main(argv) == 0
    with np.load(out) as saved:
        np.testing.assert_allclose(saved["double"], 2 * saved["conv"], **TOLERANCE)


def test_report_writes_html(models, image_dir, tmp_path, capsys):
    pytest.importorskip("kerascope.report")
    out = tmp_path / "report.html"

    assert main(["report", str(models["cnn.keras"]), str(image_dir), "-o", str(out), "-q"]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "hidden" in html
    assert capsys.readouterr().out == ""


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"kerascope {kerascope.__version__}"
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for command in ("inspect", "capture", "stats", "diagnose", "report", "demo"):
        assert command in help_text
    assert "Exit status" in help_text
