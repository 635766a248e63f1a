"""Models and recipes others wrote: unknown dimensions, `inputs=[x]`, outputs without a
batch axis, models changed after a capture, and the model's inputs themselves.

Cases ported from keract's test suite and the keras-io examples (transformer text
classification, Grad-CAM, feature extraction); every value is checked against Keras
itself (`model.predict`, a sub-model of the graph) or the layers called by hand.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from harness import assert_tree_close, to_numpy

layers = keras.layers


class CheckedPositions(layers.Layer):
    """A learned position embedding that, like KerasHub's, checks the sequence
    length against its maximum in Python: it needs the length while tracing."""

    def __init__(self, max_length, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.traces = 0

    def build(self, input_shape):
        self.table = self.add_weight(shape=(self.max_length, input_shape[-1]), name="table")

    def call(self, x):
        self.traces += 1
        length = x.shape[1]
        if length is None:  # a graph of any length (TensorFlow's `predict`)
            dims = (keras.ops.shape(x)[1], self.table.shape[1])
            return x + keras.ops.slice(self.table, (0, 0), dims)
        if length > self.max_length:  # raises on a symbolic length on JAX and torch
            raise ValueError(f"sequence length {length} is more than {self.max_length}")
        return x + self.table[:length]

    def compute_output_shape(self, input_shape):
        return input_shape


def token_model():
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    h = layers.Embedding(50, 8, name="embed")(tokens)
    h = CheckedPositions(12, name="positions")(h)
    h = layers.Dense(8, activation="relu", name="hidden")(h)
    return keras.Model(tokens, layers.GlobalAveragePooling1D(name="pool")(h))


def test_sequences_of_unknown_length_are_discovered_on_the_first_batch(rng):
    model = token_model()
    probe = kerascope.Probe(model)
    assert not probe.discovered
    unknown = r"unknown dimensions.*Received: .*\(None, None\)"
    with pytest.raises(kerascope.InputError, match=unknown):
        _ = probe.keys
    for length in (7, 10, 7):  # two lengths in a row, then the first again
        x = rng.integers(0, 50, size=(3, length)).astype("int32")
        acts = probe(x)
        sub = keras.Model(model.inputs, [model.get_layer(k).output for k in probe.keys])
        expected = dict(zip(probe.keys, sub.predict(x, verbose=0)))
        for key in probe.keys:
            assert_tree_close(acts[key], expected[key], key)
    assert probe.keys == ("embed", "positions", "hidden", "pool")
    # One trace per input shape on the compiled backends, never a second one.
    traces = model.get_layer("positions").traces
    probe(rng.integers(0, 50, size=(2, 10)).astype("int32"))
    assert model.get_layer("positions").traces == traces + (
        1 if keras.backend.backend() == "torch" else 0
    )


@pytest.mark.parametrize("first", ["stats", "record", "diagnose", "capture"])
def test_every_streaming_verb_runs_on_sequences_of_several_lengths(first, rng, tmp_path):
    # Each verb first, on a fresh model: none may rely on a capture discovering it.
    model = token_model()
    batches = [rng.integers(0, 50, size=(4, n)).astype("int32") for n in (6, 9)]
    predicted = [model.predict(b, verbose=0) for b in batches]
    both = np.concatenate(predicted)
    if first == "stats":
        s = kerascope.stats(model, iter(batches), layers="pool", progress=False)
        assert s["pool"].count == both.size
        np.testing.assert_allclose(s["pool"].mean, both.mean(), rtol=1e-5)
    elif first == "record":
        # Activations of one length per store: the sequence axis is part of the array.
        store = kerascope.record(model, batches[:1], tmp_path / "acts.zarr", progress=False)
        np.testing.assert_allclose(np.asarray(store["pool"][:]), predicted[0], rtol=1e-5)
        with pytest.raises(kerascope.StoreError, match=r"shape"):
            kerascope.record(model, iter(batches), tmp_path / "two.zarr", progress=False)
    elif first == "diagnose":
        assert not kerascope.diagnose(model, iter(batches), progress=False).errors
    else:
        for batch, want in zip(batches, predicted):
            got = kerascope.capture(model, batch, layers="pool")["pool"]
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_time_distributed_model_on_unknown_time_and_feature_axes(rng):
    # keract's TimeDistributed case: a per-step model over Input((None, None)).
    inner = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            layers.Embedding(20, 4, name="inner_embed"),
            layers.GlobalAveragePooling1D(name="inner_pool"),
        ],
        name="inner",
    )
    steps = keras.Input((None, None), dtype="int32")
    model = keras.Model(steps, layers.TimeDistributed(inner, name="per_step")(steps))
    for shape in ((2, 3, 5), (2, 4, 6)):
        x = rng.integers(0, 20, size=shape).astype("int32")
        acts = kerascope.capture(model, x)
        # The inner model called by hand on each step (TensorFlow's `predict` gets the
        # second shape's time axis wrong).
        steps_by_hand = np.stack([to_numpy(inner(x[:, t])) for t in range(shape[1])], axis=1)
        np.testing.assert_allclose(acts["per_step"], steps_by_hand, rtol=1e-5, atol=1e-6)


def test_images_of_any_size(rng):
    images = keras.Input((None, None, 3))
    h = layers.Conv2D(4, 3, activation="relu", name="conv")(images)
    model = keras.Model(images, layers.GlobalMaxPooling2D(name="pool")(h))
    for size in (9, 14):
        x = rng.normal(size=(2, size, size, 3)).astype("float32")
        acts = kerascope.capture(model, x)
        assert acts["conv"].shape == (2, size - 2, size - 2, 4)
        np.testing.assert_allclose(acts["pool"], model.predict(x, verbose=0), rtol=1e-5)


def test_a_single_input_declared_as_a_list_takes_a_bare_array(rng):
    inputs = keras.Input((4,))
    model = keras.Model(inputs=[inputs], outputs=layers.Dense(3, name="dense")(inputs))
    x = rng.normal(size=(5, 4)).astype("float32")
    for given in (x, [x]):
        acts = kerascope.capture(model, given)
        np.testing.assert_allclose(acts["dense"], model.predict(x, verbose=0), rtol=1e-5)
    extractor = keras.Model(inputs=model.inputs, outputs=model.get_layer("dense").output)
    np.testing.assert_allclose(
        kerascope.capture(extractor, x)["dense"], extractor.predict(x, verbose=0), rtol=1e-5
    )


class TokenAndPosition(layers.Layer):
    """keras-io's transformer example: positions embedded from `arange(maxlen)`."""

    def __init__(self, maxlen, vocab, dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen = maxlen
        self.token_emb = layers.Embedding(vocab, dim, name="token_emb")
        self.pos_emb = layers.Embedding(maxlen, dim, name="pos_emb")

    def call(self, x):
        positions = self.pos_emb(keras.ops.arange(0, self.maxlen, 1))
        return self.token_emb(x) + positions


def test_outputs_without_a_batch_axis_come_back_whole(rng):
    tokens = keras.Input((12,), dtype="int32")
    h = TokenAndPosition(12, 30, 8, name="embedding")(tokens)
    model = keras.Model(tokens, layers.Dense(2, name="head")(h))
    x = rng.integers(0, 30, size=(5, 12)).astype("int32")
    table = to_numpy(model.get_layer("embedding").pos_emb.embeddings)
    for batch_size in (5, 2):  # one batch; three batches, the last one partial
        acts = kerascope.capture(model, x, batch_size=batch_size)
        assert acts["embedding/pos_emb"].shape == (12, 8)
        np.testing.assert_allclose(acts["embedding/pos_emb"], table, rtol=1e-6)
        assert acts["embedding/token_emb"].shape == (5, 12, 8)
        np.testing.assert_allclose(acts["head"], model.predict(x, verbose=0), rtol=1e-5)
    assert kerascope.Probe(model).batched("embedding/pos_emb") == [False]
    # Statistics and stores hold per-sample data: the constant is left out of them.
    s = kerascope.stats(model, x, progress=False)
    assert "embedding/pos_emb" not in s
    np.testing.assert_allclose(s["head"].mean, acts["head"].mean(), rtol=1e-5)


def test_a_model_changed_after_a_capture_is_captured_as_it_is_now(rng):
    # keras-io's Grad-CAM recipe removes the softmax of a model it already ran.
    inputs = keras.Input((6,))
    h = layers.Dense(5, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="out")(h))
    x = rng.normal(size=(4, 6)).astype("float32")
    probabilities = kerascope.capture(model, x)["out"]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)

    model.layers[-1].activation = None
    logits = kerascope.capture(model, x)["out"]
    w, b = model.get_layer("out").get_weights()
    hidden = kerascope.capture(model, x, layers="hidden")["hidden"]
    np.testing.assert_allclose(logits, hidden @ w + b, rtol=1e-5, atol=1e-6)
    # Gradients see the same model: d(sum of logits)/d(out) is one everywhere.
    grads = kerascope.gradients(model, x, loss=lambda out: keras.ops.sum(out), layers="hidden")
    np.testing.assert_allclose(grads["hidden"], np.tile(w.sum(axis=1), (4, 1)), rtol=1e-5)


def test_inputs_are_captured_under_their_names(rng):
    pixels = keras.Input((4,), name="pixels")
    extra = keras.Input((2,))
    joined = layers.Concatenate(name="joined")([pixels, extra])
    model = keras.Model([pixels, extra], layers.Dense(1, name="out")(joined))
    x = [rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 2)).astype("float32")]
    acts = kerascope.capture(model, x, layers="out", inputs=True)
    assert list(acts) == ["pixels", "input_layer", "out"]
    np.testing.assert_array_equal(acts["pixels"], x[0])
    np.testing.assert_array_equal(acts["input_layer"], x[1])
    assert acts.info["pixels"].class_name == "InputLayer"

    sequential = keras.Sequential([keras.Input((3,), name="features"), layers.Dense(2, name="d")])
    xs = rng.normal(size=(2, 3)).astype("float32")
    assert list(kerascope.capture(sequential, xs, inputs=True)) == ["features", "d"]
    with pytest.raises(kerascope.SelectionError, match=r"'features' is an input.*inputs=True"):
        kerascope.capture(sequential, xs, layers="features")


def test_gradients_with_respect_to_the_inputs(rng):
    inputs = keras.Input((4,), name="features")
    model = keras.Model(inputs, layers.Dense(3, name="out")(inputs))
    x = rng.normal(size=(5, 4)).astype("float32")
    grads = kerascope.gradients(model, x, loss=lambda out: out[:, 2], inputs=True)
    assert list(grads) == ["features", "out"]
    kernel = model.get_layer("out").get_weights()[0]
    np.testing.assert_allclose(grads["features"], np.tile(kernel[:, 2], (5, 1)), rtol=1e-6)

    tokens = keras.Input((5,), dtype="int32")
    text = keras.Model(tokens, layers.Embedding(10, 2, name="embed")(tokens))
    ids = rng.integers(0, 10, size=(2, 5)).astype("int32")
    with pytest.raises(kerascope.InputError, match="integer inputs such as token ids"):
        kerascope.gradients(text, ids, loss=lambda out: keras.ops.sum(out), inputs=True)


def classifier():
    inputs = keras.Input((5,))
    h = layers.Dense(4, activation="tanh", name="hidden")(inputs)
    return keras.Model(inputs, layers.Dense(3, activation="softmax", name="probs")(h))


@pytest.mark.parametrize(
    "loss",
    [
        "categorical_crossentropy",
        keras.losses.categorical_crossentropy,
        keras.losses.CategoricalCrossentropy(),
    ],
    ids=["name", "function", "instance"],
)
def test_a_compiled_loss_is_averaged_however_it_was_given(loss, rng):
    model = classifier()
    model.compile(loss=loss)
    x = rng.normal(size=(6, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, size=6)]
    grads = kerascope.gradients(model, x, y)
    # Keras' crossentropy of probabilities renormalises them, -sum_k y_k log(p_k / sum p):
    # d/dp = (1 - y / p) / N at the softmax's output (sum p = sum y = 1). Not zero on
    # TensorFlow, where Keras' crossentropy would read the logits Keras attaches.
    p = to_numpy(model(x)).astype(np.float64)
    expected = (1.0 - y / p) / len(x)
    np.testing.assert_allclose(grads["probs"], expected, rtol=2e-3, atol=1e-6)
    assert np.abs(grads["hidden"]).max() > 0


class BatchMean(layers.Layer):
    """An output without a batch axis that depends on the batch."""

    def call(self, x):
        return keras.ops.mean(x, axis=0)


def test_an_output_reduced_over_the_batch_sees_no_padding(rng):
    inputs = keras.Input((3,))
    h = layers.Dense(3, name="dense")(inputs)
    model = keras.Model(inputs, [h, BatchMean(name="batch_mean")(h)])
    x = rng.normal(size=(6, 3)).astype("float32")
    dense = kerascope.capture(model, x, layers="dense")["dense"]
    # One batch of 3 (JAX would pad it to 4): the mean of those 3 rows exactly.
    whole = kerascope.capture(model, x[:3], layers="batch_mean")["batch_mean"]
    np.testing.assert_allclose(whole, dense[:3].mean(axis=0), rtol=1e-5, atol=1e-6)
    # Batches of 4 and 2 computed different means: stacked, one per batch.
    per_batch = kerascope.capture(model, x, layers="batch_mean", batch_size=4)["batch_mean"]
    expected = np.stack([dense[:4].mean(axis=0), dense[4:].mean(axis=0)])
    np.testing.assert_allclose(per_batch, expected, rtol=1e-5, atol=1e-6)


def test_batches_of_several_lengths_cannot_be_joined(rng):
    model = token_model()
    batches = [rng.integers(0, 50, size=(2, n)).astype("int32") for n in (5, 7)]
    with pytest.raises(kerascope.CaptureError, match=r"'embed'.*one shape past the batch axis"):
        kerascope.capture(model, iter(batches), layers="embed")


def test_the_monitor_watches_a_model_of_unknown_sequence_length(rng):
    tokens = keras.Input((None,), dtype="int32")
    h = layers.Embedding(50, 8, name="embed")(tokens)
    h = layers.GlobalAveragePooling1D(name="pool")(h)
    model = keras.Model(tokens, layers.Dense(2, activation="softmax", name="probs")(h))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = rng.integers(0, 50, size=(16, 7)).astype("int32")
    y = rng.integers(0, 2, size=16)
    monitor = kerascope.ActivationMonitor(x[:8], every_n_epochs=1)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[monitor])
    assert len(monitor.history) == 2
    final = kerascope.capture(model, x[:8], layers="pool")["pool"]
    np.testing.assert_allclose(
        monitor.history[-1].statistics["pool"].mean, final.mean(), rtol=1e-5, atol=1e-7
    )
