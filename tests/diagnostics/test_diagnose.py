"""Diagnostics on planted pathologies, checked against numpy on the captured activations."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import kerascope
from kerascope._demo import build_cnn, load_digits_images
from kerascope.diagnostics import Findings, Thresholds
from kerascope.stats import Statistics

layers = keras.layers


def mlp(hidden: keras.layers.Layer) -> keras.Model:
    inputs = keras.Input((6,))
    x = layers.Dense(8, name="pre")(inputs)
    x = hidden(x)
    return keras.Model(inputs, layers.Dense(3, name="out")(x))


@pytest.fixture
def x(rng):
    return rng.normal(size=(300, 6)).astype("float32")


@pytest.mark.parametrize("form", ["fused", "layer", "activation"])
def test_dead_units_are_found_with_their_indices(x, form):
    if form == "fused":
        model = mlp(layers.Dense(8, activation="relu", name="hidden"))
        dense = model.get_layer("hidden")
    else:
        inputs = keras.Input((6,))
        h = layers.Dense(8, name="dense")(inputs)
        relu = (
            layers.ReLU(name="hidden")
            if form == "layer"
            else layers.Activation("relu", name="hidden")
        )
        model = keras.Model(inputs, layers.Dense(3, name="out")(relu(h)))
        dense = model.get_layer("dense")
    kernel, bias = dense.get_weights()
    bias[[2, 5]] = -100.0  # never above zero for these inputs
    dense.set_weights([kernel, bias])

    findings = kerascope.diagnose(model, x, progress=False)

    hidden = kerascope.capture(model, x)["hidden"]
    expected = np.flatnonzero(~(hidden > 0).any(axis=0))
    assert expected.tolist() == [2, 5]
    dead = findings.of_kind("dead")
    assert [f.key for f in dead] == ["hidden"]
    assert dead[0].evidence["units"] == [2, 5]
    assert dead[0].evidence["fraction"] == pytest.approx(0.25)
    assert dead[0].severity == "warning"
    assert "2 of 8 units never active" in dead[0].message
    # Half the units dead is an error.
    bias[:4] = -100.0
    dense.set_weights([kernel, bias])
    assert kerascope.diagnose(model, x, progress=False).of_kind("dead")[0].severity == "error"


def test_saturated_sigmoid_is_found(x):
    model = mlp(
        layers.Dense(
            8,
            activation="sigmoid",
            kernel_initializer=keras.initializers.RandomNormal(stddev=40.0),
            name="gate",
        )
    )
    findings = kerascope.diagnose(model, x, progress=False)
    gate = kerascope.capture(model, x)["gate"]
    expected = np.mean((gate <= 0.02) | (gate >= 0.98))
    assert expected > 0.5
    saturated = findings.of_kind("saturated")
    assert [f.key for f in saturated] == ["gate"]
    assert saturated[0].evidence["fraction"] == pytest.approx(expected, abs=0.02)
    assert "sigmoid" in saturated[0].message


class Root(layers.Layer):
    """sqrt(x - 1): NaN wherever x < 1, from finite inputs."""

    def call(self, x):
        return keras.ops.sqrt(x - 1.0)


def test_the_first_non_finite_layer_is_named(x):
    inputs = keras.Input((6,))
    h = layers.Dense(8, name="pre")(inputs)
    r = Root(name="root")(h)
    h = layers.Dense(4, name="after")(r)
    model = keras.Model(inputs, layers.Dense(2, name="out")(h))

    findings = kerascope.diagnose(model, x, progress=False)

    acts = kerascope.capture(model, x)
    assert np.isfinite(acts["pre"]).all()
    nan = findings.of_kind("nan")
    assert len(nan) == 1
    assert nan[0].key == "root"
    assert nan[0].severity == "error"
    assert nan[0].evidence["nan"] == int(np.isnan(acts["root"]).sum())
    assert nan[0].evidence["later_layers"] == ["after", "out"]
    assert findings.errors[0].key == "root"


def test_a_healthy_cnn_comes_back_clean():
    images, _ = load_digits_images()
    model = build_cnn()
    findings = kerascope.diagnose(model, images[:512], progress=False)
    assert list(findings) == [], findings
    assert not findings
    assert repr(findings).startswith("Findings(none")


def stack(scale: float) -> keras.Model:
    init = keras.initializers.RandomNormal(stddev=scale)
    inputs = keras.Input((16,))
    x = inputs
    for i in range(5):
        x = layers.Dense(16, kernel_initializer=init, name=f"d{i}")(x)
    return keras.Model(inputs, x)


@pytest.mark.parametrize(("scale", "kind"), [(0.01, "vanishing"), (5.0, "exploding")])
def test_vanishing_and_exploding_scale(rng, scale, kind):
    model = stack(scale)
    x = rng.normal(size=(128, 16)).astype("float32")
    acts = kerascope.capture(model, x)
    rms = {key: float(np.sqrt(np.mean(np.square(a, dtype=np.float64)))) for key, a in acts.items()}
    ratios = {key: rms[key] / rms["d0"] for key in rms}
    crossed = [key for key, r in ratios.items() if (r < 1e-3 if kind == "vanishing" else r > 1e3)]
    assert crossed, ratios

    findings = kerascope.diagnose(model, x, progress=False).of_kind(kind)

    assert [f.key for f in findings] == crossed[:1]
    assert findings[0].evidence["ratio"] == pytest.approx(ratios[crossed[0]], rel=1e-3)
    assert findings[0].evidence["reference"] == "d0"


def test_constant_units(x):
    model = mlp(layers.Dense(4, kernel_initializer="zeros", name="flat"))
    kernel = np.zeros((8, 4))
    kernel[:, 0] = 1.0  # unit 0 varies; unit 2 is stuck at zero, which is not reported
    model.get_layer("flat").set_weights([kernel, np.array([0.0, 1.5, 0.0, -2.0])])
    findings = kerascope.diagnose(model, x, progress=False).of_kind("constant")
    assert [f.key for f in findings] == ["flat"]
    assert findings[0].evidence["units"] == [1, 3]
    assert findings[0].evidence["values"] == pytest.approx([1.5, -2.0])


def test_saved_statistics_diagnose_the_same_and_findings_round_trip(x, tmp_path):
    model = mlp(layers.Dense(8, activation="relu", name="hidden"))
    dense = model.get_layer("hidden")
    kernel, bias = dense.get_weights()
    bias[[1]] = -100.0
    dense.set_weights([kernel, bias])
    stats = kerascope.stats(model, x, progress=False)
    stats.save(tmp_path / "stats.json")

    loaded = Statistics.load(tmp_path / "stats.json")
    assert loaded["hidden"].activation == "relu"
    from_file = kerascope.diagnose(loaded)
    assert from_file == kerascope.diagnose(model, x, progress=False)
    assert kerascope.diagnose(loaded, layers="out") == Findings()

    text = from_file.to_json()
    assert json.loads(text)["findings"][0]["evidence"]["units"] == [1]
    assert Findings.from_json(text) == from_file
    table = repr(from_file)
    assert table.splitlines()[0] == "Findings(1 finding: 1 warning)"
    assert table.splitlines()[1].split() == ["severity", "key", "kind", "message"]
    assert "hidden" in table.splitlines()[2]


def test_thresholds_change_what_is_reported(x):
    model = mlp(layers.Dense(8, activation="relu", name="hidden"))
    dense = model.get_layer("hidden")
    kernel, bias = dense.get_weights()
    bias[[0]] = -100.0
    dense.set_weights([kernel, bias])
    strict = kerascope.diagnose(model, x, thresholds=Thresholds(dead_error=0.1), progress=False)
    assert strict.of_kind("dead")[0].severity == "error"


def test_bad_input_raises(x):
    model = mlp(layers.Dense(8, activation="relu", name="hidden"))
    with pytest.raises(kerascope.InputError, match="Received: data=None"):
        kerascope.diagnose(model)
    stats = kerascope.stats(model, x, progress=False)
    with pytest.raises(kerascope.InputError, match="Statistics and data"):
        kerascope.diagnose(stats, x)
    with pytest.raises(kerascope.InputError, match="bogus"):
        Findings().of_kind("bogus")
    with pytest.raises(kerascope.InputError, match="not JSON"):
        Findings.from_json("{")
    with pytest.raises(kerascope.InputError, match="format"):
        Findings.from_json('{"findings": []}')
