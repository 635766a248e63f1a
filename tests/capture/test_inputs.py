"""Every accepted kind of input, batching, and the errors for bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from harness import to_numpy
from kerascope import InputError
from kerascope import data as data_module

layers = keras.layers


@pytest.fixture
def model():
    inp = keras.Input((5,), name="features")
    hidden = layers.Dense(4, activation="relu", name="hidden")(inp)
    return keras.Model(inp, layers.Dense(2, name="out")(hidden))


@pytest.fixture
def x(rng):
    return rng.normal(size=(50, 5)).astype("float32")


def _expected(model, x):
    return to_numpy(model.get_layer("hidden")(x))


def _check(acts, model, x):
    assert acts["hidden"].shape == (len(x), 4)
    np.testing.assert_allclose(acts["hidden"], _expected(model, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 7, 32, 50, 64])
def test_arrays_are_batched(model, x, batch_size):
    _check(kerascope.capture(model, x, batch_size=batch_size), model, x)


def test_float64_and_int_arrays_are_cast_without_touching_the_input(model, x):
    x64 = x.astype("float64")
    x64.flags.writeable = False  # any write would raise
    _check(kerascope.capture(model, x64), model, x)
    ints = np.arange(10, dtype="int64").reshape(2, 5)
    _check(kerascope.capture(model, ints), model, ints.astype("float32"))


def test_generators_with_and_without_targets(model, x):
    def features():
        for i in range(0, 50, 16):
            yield x[i : i + 16]

    def pairs():
        for i in range(0, 50, 16):
            yield x[i : i + 16], np.zeros(len(x[i : i + 16]))

    _check(kerascope.capture(model, features()), model, x)
    _check(kerascope.capture(model, pairs()), model, x)
    _check(kerascope.capture(model, [x[:20], x[20:]]), model, x)  # a list of batches


def test_pydataset(model, x):
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            part = x[index * 13 : (index + 1) * 13]
            return part, np.ones(len(part))

    _check(kerascope.capture(model, Batches()), model, x)


def test_tf_data_dataset(model, x):
    tf = pytest.importorskip("tensorflow")
    dataset = tf.data.Dataset.from_tensor_slices((x, np.zeros(50))).batch(16)
    _check(kerascope.capture(model, dataset), model, x)


def test_torch_dataloader(model, x):
    torch = pytest.importorskip("torch")
    data = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.zeros(50))
    loader = torch.utils.data.DataLoader(data, batch_size=16)
    _check(kerascope.capture(model, loader), model, x)


def test_framework_tensors(model, x):
    _check(kerascope.capture(model, keras.ops.convert_to_tensor(x)), model, x)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            np.zeros((4, 6), "float32"),
            r"Expected inputs of shape \(None, 5\)\. Received: inputs\.shape=\(4, 6\)",
        ),
        (
            np.zeros((4, 5, 1), "float32"),
            r"Expected inputs of shape \(None, 5\)\. Received: inputs\.shape=\(4, 5, 1\)",
        ),
        (np.array([["a"] * 5]), r"array of numbers.*Received: inputs\.dtype=<U1"),
        (np.zeros((0, 5), "float32"), r"at least one sample. Received: empty"),
        (iter([]), r"at least one batch. Received: an empty iterable"),
        ("data.npy", r"Received: 'data.npy' of type str"),
        (np.float32(1.0), r"batch dimension"),
    ],
)
def test_bad_inputs(model, inputs, message):
    with pytest.raises(InputError, match=message):
        kerascope.capture(model, inputs)


def test_multi_input_errors(rng):
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    model = keras.Model({"a": a, "b": b}, layers.Concatenate(name="cat")([a, b]))
    xa, xb = np.zeros((4, 2), "float32"), np.zeros((4, 3), "float32")
    with pytest.raises(InputError, match=r"keys \['a', 'b'\].*missing \['b'\]"):
        kerascope.capture(model, {"a": xa})
    with pytest.raises(InputError, match=r"unexpected \['c'\]"):
        kerascope.capture(model, {"a": xa, "b": xb, "c": xb})
    with pytest.raises(InputError, match=r"Expected inputs\['b'\] of shape \(None, 3\)"):
        kerascope.capture(model, {"a": xa, "b": xa})
    with pytest.raises(InputError, match=r"same number of samples. Received: sizes \[3, 4\]"):
        kerascope.capture(model, {"a": xa, "b": xb[:3]})
    list_model = keras.Model([a, b], layers.Concatenate(name="cat")([a, b]))
    with pytest.raises(InputError, match=r"a list of 2 arrays.*Received: a list of 3 items"):
        kerascope.capture(list_model, [xa, xb, xb])


def test_integer_inputs_refuse_floats(rng):
    tokens = keras.Input((4,), dtype="int32")
    model = keras.Model(tokens, layers.Embedding(10, 2, name="embed")(tokens))
    with pytest.raises(
        InputError, match=r"integer dtype \(int32\).*Received: inputs\.dtype=float32"
    ):
        kerascope.capture(model, np.zeros((2, 4), "float32"))
    ids = rng.integers(0, 10, size=(2, 4))
    np.testing.assert_allclose(
        kerascope.capture(model, ids)["embed"], to_numpy(model.get_layer("embed")(ids))
    )


@pytest.mark.parametrize("bad_batch", [0, -1, 2.5, True])
def test_bad_batch_size(model, x, bad_batch):
    with pytest.raises(InputError, match="positive integer"):
        kerascope.capture(model, x, batch_size=bad_batch)


def test_non_keras_and_unbuilt_models(x):
    with pytest.raises(InputError, match=r"Expected a Keras 3 model.*Received: builtins\.dict"):
        kerascope.capture({}, x)
    with pytest.raises(InputError, match=r"Expected a built model.*model\.built=False"):
        kerascope.capture(keras.Sequential([layers.Dense(2)]), x)


def test_progress_bar_draws_only_when_asked(model, x, capsys):
    kerascope.capture(model, x, batch_size=8)
    assert capsys.readouterr().err == ""
    _check(kerascope.capture(model, x, batch_size=8, progress=True), model, x)
    assert "capturing" in capsys.readouterr().err


def _batches(*arrays):
    return data_module.Batches(((a, len(keras.tree.flatten(a)[0])) for a in arrays), None)


def test_coalesce_runs_small_batches_together_and_never_splits(rng):
    parts = [rng.normal(size=(n, 3)).astype("float32") for n in (4, 4, 4, 9, 2, 2)]
    grouped = list(data_module.coalesce(_batches(*parts), 8))
    # 4+4 fit; the next 4 would not, nor 9 (passed whole); 2+2 fit.
    assert [n for _, n in grouped] == [8, 4, 9, 4]
    np.testing.assert_array_equal(np.concatenate([b for b, _ in grouped]), np.concatenate(parts))


def test_coalesce_keeps_structures_and_starts_anew_on_a_new_layout(rng):
    def batch(n, length):
        return {"a": rng.normal(size=(n, length)), "b": rng.normal(size=(n, 2))}

    parts = [batch(2, 5), batch(2, 5), batch(2, 7), batch(1, 7)]
    grouped = list(data_module.coalesce(_batches(*parts), 16))
    assert [n for _, n in grouped] == [4, 3]  # sequences of length 5, then of 7
    for key in ("a", "b"):
        np.testing.assert_array_equal(
            grouped[0][0][key], np.concatenate([parts[0][key], parts[1][key]])
        )
        np.testing.assert_array_equal(
            grouped[1][0][key], np.concatenate([parts[2][key], parts[3][key]])
        )
