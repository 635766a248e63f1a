"""Which keys are model outputs travels in the data: saved and live diagnosis agree.

The oracle for "is a model output" is Keras' own graph (`model.output_names`)
or the model as written by hand, never kerascope's discovery.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from kerascope.diagnostics import Findings, saturated_fraction
from kerascope.stats import Statistics

layers = keras.layers


def two_heads() -> keras.Model:
    """A confident sigmoid head that runs before the last key (Keras' order), and logits."""
    inputs = keras.Input((6,), name="features")
    hidden = layers.Dense(8, activation="tanh", name="hidden")(inputs)
    head = layers.Dense(
        1,
        activation="sigmoid",
        kernel_initializer=keras.initializers.RandomNormal(stddev=30.0),
        name="head",
    )(hidden)
    logits = layers.Dense(3, name="logits")(hidden)
    return keras.Model(inputs, [logits, head])


@pytest.fixture
def x(rng):
    return rng.normal(size=(256, 6)).astype("float32")


def test_outputs_are_the_models_own_and_the_sigmoid_head_is_not_blamed(x, tmp_path):
    model = two_heads()
    stats = kerascope.stats(model, x, progress=False)
    # The head is saturated (so the rule would fire on a hidden layer) and is
    # not the last key (so no "last key is the output" guess can find it).
    head = kerascope.capture(model, x, layers="head")["head"]
    assert np.mean((head <= 0.02) | (head >= 0.98)) > 0.9
    assert sum(saturated_fraction(stats["head"])) > 0.9
    assert list(stats)[-1] != "head"
    assert {key for key, layer in stats.items() if layer.is_output} == set(model.output_names)

    live = kerascope.diagnose(model, x, progress=False)
    assert live.of_kind("saturated") == Findings()

    saved = Statistics.from_json(stats.to_json())
    assert [saved[key].is_output for key in saved] == [stats[key].is_output for key in stats]
    assert kerascope.diagnose(saved) == kerascope.diagnose(stats) == live
    stats.save(tmp_path / "stats.json")
    assert kerascope.diagnose(Statistics.load(tmp_path / "stats.json")) == live


def test_a_stores_statistics_and_metadata_carry_the_outputs(x, tmp_path):
    model = two_heads()
    store = kerascope.record(model, x, tmp_path / "acts.zarr", progress=False)
    expected = set(model.output_names)
    assert {layer["key"] for layer in store.metadata["layers"] if layer["is_output"]} == expected
    reopened = kerascope.open(tmp_path / "acts.zarr")
    saved = reopened.statistics
    assert {key for key, layer in saved.items() if layer.is_output} == expected
    from_store = kerascope.diagnose(saved)
    live = kerascope.diagnose(model, x, progress=False)
    assert [(f.key, f.kind) for f in from_store] == [(f.key, f.kind) for f in live]
    assert from_store.of_kind("saturated") == Findings()


def test_the_same_head_inside_the_model_is_reported(x):
    """The control: the head's saturation is reported once the model does not return it."""
    model = two_heads()
    inner = keras.Model(model.inputs[0], model.get_layer("logits").output)
    stats = kerascope.stats(inner, x, progress=False)
    assert "head" not in stats  # not on the path to the output
    after = layers.Dense(2, name="after")(model.get_layer("head").output)
    hidden = keras.Model(model.inputs[0], after)
    findings = kerascope.diagnose(hidden, x, progress=False)
    assert [f.key for f in findings.of_kind("saturated")] == ["head"]


class Subclassed(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.body = layers.Dense(4, name="body")
        self.head = layers.Dense(3, activation="softmax", name="head")

    def call(self, x):
        return self.head(self.body(x))


def nested() -> keras.Model:
    encoder = keras.Sequential(
        [keras.Input((6,)), layers.Dense(4, name="e1"), layers.Dense(2, name="e2")], name="enc"
    )
    inputs = keras.Input((6,))
    code = encoder(inputs)
    return keras.Model(inputs, [code, layers.Dense(3, name="top")(code)])


def lstm_states() -> keras.Model:
    inputs = keras.Input((5, 3))
    sequence, state_h, _ = layers.LSTM(4, return_sequences=True, return_state=True, name="lstm")(
        inputs
    )
    return keras.Model(inputs, [state_h, layers.Dense(2, name="d")(sequence)])


@pytest.mark.parametrize(
    ("build", "outputs"),
    [
        (
            lambda: keras.Sequential([keras.Input((6,)), layers.Dense(4), layers.Dense(2)]),
            {"dense_1"},
        ),
        # The outer model returns the encoder's output: the inner layer that made it too.
        (nested, {"enc", "enc/e2", "top"}),
        # One of the LSTM's outputs is returned: every statistics key of the layer says so.
        (lstm_states, {"lstm[0]", "lstm[1]", "lstm[2]", "d"}),
    ],
    ids=["sequential", "nested", "multi-output-layer"],
)
def test_is_output_in_every_kind_of_model(rng, build, outputs):
    model = build()
    x = rng.normal(size=(16, *model.inputs[0].shape[1:])).astype("float32")
    stats = kerascope.stats(model, x, progress=False)
    assert {key for key, layer in stats.items() if layer.is_output} == outputs
    saved = Statistics.from_json(stats.to_json())
    assert {key for key, layer in saved.items() if layer.is_output} == outputs


def test_is_output_of_a_subclassed_model(rng):
    model = Subclassed()
    x = rng.normal(size=(16, 6)).astype("float32")
    model(x)
    probe = kerascope.Probe(model)
    assert {key: info.is_output for key, info in probe.specs.items()} == {
        "body": False,
        "head": True,
    }


def test_statistics_saved_without_is_output_still_load(x):
    model = two_heads()
    data = kerascope.stats(model, x, progress=False).to_dict()
    for layer in data["layers"]:
        del layer["is_output"]
    del data["inputs"]
    old = Statistics.from_dict(data)
    # As the version that wrote them did: the last key is the output.
    assert [key for key, layer in old.items() if layer.is_output] == [list(old)[-1]]
    assert old.inputs == {}
    kerascope.diagnose(old)
    del data["per_channel"]
    with pytest.raises(kerascope.StatsError, match="Received: KeyError"):
        Statistics.from_dict(data)
