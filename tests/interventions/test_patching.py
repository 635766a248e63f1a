"""`patching`: each cell equals the layers run by hand with the clean activation
patched in with numpy."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from edit_oracle import run_by_hand

import kerascope
from kerascope.errors import InputError, SelectionError
from kerascope.interventions import Patching

layers = keras.layers


@pytest.fixture
def sequence_model(rng):
    inp = keras.Input((6, 3))
    h = layers.Dense(4, activation="tanh", name="embed")(inp)
    h = layers.Conv1D(4, 3, padding="same", activation="relu", name="mix")(h)
    h = layers.Flatten(name="flat")(h)
    model = keras.Model(inp, layers.Dense(3, activation="softmax", name="out")(h))
    clean = rng.normal(size=(16, 6, 3)).astype("float32")
    corrupted = clean.copy()
    corrupted[:, 2] += 3.0  # position 2 corrupted
    y = keras.ops.convert_to_numpy(model(clean)).argmax(-1)
    return model, clean, corrupted, y


def _loss(y, probs):
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1)).mean())


def _patched_by_hand(model, clean, corrupted, key, position):
    names = ["embed", "mix", "flat", "out"]
    clean_value = run_by_hand(
        clean, [(model.get_layer(n), None) for n in names[: names.index(key) + 1]]
    )

    def replace(value):
        if position is None:
            return clean_value
        value[:, position] = clean_value[:, position]
        return value

    return run_by_hand(
        corrupted, [(model.get_layer(n), replace if n == key else None) for n in names]
    )


def test_each_cell_equals_patching_by_hand(sequence_model):
    model, clean, corrupted, y = sequence_model
    result = kerascope.patching(
        model, clean, corrupted, layers=["embed", "mix"], y=y, positions=[1, 2, 3], progress=False
    )
    assert result.keys == ("embed", "mix")
    assert result.positions == (1, 2, 3)
    for row, key in enumerate(result.keys):
        for col, position in enumerate(result.positions):
            expected = _loss(y, _patched_by_hand(model, clean, corrupted, key, position))
            assert result.values[row, col] == pytest.approx(expected, abs=1e-5)
    assert result.clean == pytest.approx(
        _loss(y, keras.ops.convert_to_numpy(model(clean))), abs=1e-5
    )
    assert result.corrupted == pytest.approx(
        _loss(y, keras.ops.convert_to_numpy(model(corrupted))), abs=1e-5
    )
    # Only the corrupted position carries the corruption at the first layer.
    restored = result.restored()
    assert restored[0, 1] == pytest.approx(1.0, abs=1e-4)
    assert abs(restored[0, 0]) < 1e-4
    assert abs(restored[0, 2]) < 1e-4


def test_whole_layers_and_a_callable_metric(sequence_model):
    model, clean, corrupted, _ = sequence_model

    def top_prob(y_true, y_pred):
        return y_pred.max(-1).mean()

    result = kerascope.patching(model, clean, corrupted, metric=top_prob, progress=False)
    assert result.positions is None
    assert result.values.shape == (len(result.keys), 1)
    # Patching a whole layer gives the clean run from there on.
    np.testing.assert_allclose(result.values[:, 0], result.clean, atol=1e-5)
    assert result.clean != pytest.approx(result.corrupted, abs=1e-4)


def test_all_positions_json_and_errors(sequence_model, tmp_path):
    model, clean, corrupted, y = sequence_model
    result = kerascope.patching(
        model,
        clean,
        corrupted,
        layers=["mix", "out"],
        y=y,
        metric="accuracy",
        positions="all",
        progress=False,
    )
    assert result.positions == tuple(range(6))
    assert np.isnan(result.values[1]).all()  # "out" has no position axis
    assert "Patching(2 layers x 6 positions" in repr(result)
    path = tmp_path / "patching.json"
    result.save(path)
    again = Patching.load(path)
    np.testing.assert_array_equal(again.values, result.values)
    assert again.keys == result.keys
    np.testing.assert_array_equal(again["mix"], result.values[0])
    assert "mix" in again
    assert "x" not in again
    with pytest.raises(SelectionError, match="Received: 'mixx'"):
        again["mixx"]
    with pytest.raises(InputError, match="field 'values'"):
        Patching.from_json('{"format": "kerascope.patching/1", "keys": ["a"]}')
    with pytest.raises(InputError, match="invalid JSON"):
        Patching.from_json("{not json")
    with pytest.raises(InputError, match="Received: 'some'"):
        kerascope.patching(model, clean, corrupted, y=y, positions="some", progress=False)
