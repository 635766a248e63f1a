"""Every kind of Keras model, each captured layer checked against an independent oracle."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from harness import check_capture, graph_outputs, to_numpy

layers = keras.layers


def _mlp_layers():
    return [
        layers.Dense(8, activation="relu", name="hidden"),
        layers.Dropout(0.5, name="drop"),
        layers.Dense(3, activation="softmax", name="probs"),
    ]


def _by_hand(stack, x):
    """Each layer's output, calling the layers one by one, eagerly."""
    outputs = {}
    for layer in stack:
        x = layer(x)
        outputs[layer.name] = x
    return outputs


@pytest.mark.parametrize("how", ["input", "build", "first_call"])
def test_sequential(how, rng):
    x = rng.normal(size=(10, 5)).astype("float32")
    stack = _mlp_layers()
    if how == "input":
        model = keras.Sequential([keras.Input((5,)), *stack])
    else:
        model = keras.Sequential(stack)
        if how == "build":
            model.build((None, 5))
        else:
            model(x[:2])
    check_capture(model, x, _by_hand(stack, x), keys=["hidden", "drop", "probs"])


def test_functional_multi_input_list_and_dict_and_multi_output(rng):
    a_in = keras.Input((4,), name="a")
    b_in = keras.Input((6,), name="b")
    a = layers.Dense(5, name="a_dense")(a_in)
    b = layers.Dense(5, name="b_dense")(b_in)
    merged = layers.Add(name="add")([a, b])
    out1 = layers.Dense(2, name="head1")(merged)
    out2 = layers.Dense(3, name="head2")(merged)
    model = keras.Model([a_in, b_in], [out1, out2])
    xa = rng.normal(size=(9, 4)).astype("float32")
    xb = rng.normal(size=(9, 6)).astype("float32")
    expected = graph_outputs(model, [xa, xb])
    check_capture(model, [xa, xb], expected)
    check_capture(model, {"a": xa, "b": xb}, expected)

    dict_model = keras.Model({"a": a_in, "b": b_in}, {"head1": out1, "head2": out2})
    check_capture(dict_model, {"b": xb, "a": xa}, expected)


def test_shared_layer_every_call_captured(rng):
    inp = keras.Input((4,))
    shared = layers.Dense(4, activation="tanh", name="shared")
    first = shared(inp)
    second = shared(first)
    out = layers.Dense(1, name="out")(second)
    model = keras.Model(inp, out)
    x = rng.normal(size=(6, 4)).astype("float32")
    one = shared(x)
    two = shared(one)
    acts = check_capture(
        model,
        x,
        {"shared:0": one, "shared:1": two, "out": model.get_layer("out")(two)},
        keys=["shared:0", "shared:1", "out"],
    )
    assert acts.info["shared:1"].call_index == 1
    assert acts.info["out"].call_index is None
    # The bare name selects every call of a shared layer.
    assert list(check_capture(model, x, {}, layers="shared")) == ["shared:0", "shared:1"]


def _transfer_base():
    return keras.applications.MobileNetV2(
        weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35
    )


@pytest.mark.parametrize("head", ["sequential", "functional"])
def test_nested_transfer_learning_model_reaches_inner_layers(head, rng):
    base = _transfer_base()
    if head == "sequential":
        model = keras.Sequential(
            [
                keras.Input((32, 32, 3)),
                base,
                layers.GlobalAveragePooling2D(name="pool"),
                layers.Dense(2, name="logits"),
            ]
        )
    else:
        inp = keras.Input((32, 32, 3))
        features = base(inp, training=False)
        pooled = layers.GlobalAveragePooling2D(name="pool")(features)
        model = keras.Model(inp, layers.Dense(2, name="logits")(pooled))
    x = rng.uniform(-1, 1, size=(3, 32, 32, 3)).astype("float32")
    inner = ["block_3_expand_relu", "block_16_project_BN", "out_relu"]
    expected = {
        f"{base.name}/{name}": value for name, value in graph_outputs(base, x, inner).items()
    }
    expected[base.name] = expected[f"{base.name}/out_relu"]
    acts = check_capture(model, x, expected)
    assert list(acts)[-1] == "logits"
    # Selecting inner layers by glob and reaching them in a two-level nest.
    outer = keras.Sequential([keras.Input((32, 32, 3)), model])
    nested_key = f"{model.name}/{base.name}/block_3_expand_relu"
    check_capture(
        outer,
        x,
        {nested_key: expected[f"{base.name}/block_3_expand_relu"]},
        layers=f"*/{base.name}/block_3_exp*_relu",
        keys=[nested_key],
    )


def test_siamese_submodel_called_twice(rng):
    enc_in = keras.Input((5,))
    hidden = layers.Dense(4, activation="relu", name="hidden")(enc_in)
    encoder = keras.Model(enc_in, layers.Dense(3, name="embed")(hidden), name="encoder")
    left_in, right_in = keras.Input((5,), name="left"), keras.Input((5,), name="right")
    distance = layers.Subtract(name="diff")([encoder(left_in), encoder(right_in)])
    model = keras.Model([left_in, right_in], distance)
    left = rng.normal(size=(7, 5)).astype("float32")
    right = rng.normal(size=(7, 5)).astype("float32")
    sub = keras.Model(enc_in, hidden)
    check_capture(
        model,
        [left, right],
        {
            "encoder:0/hidden": sub(left),
            "encoder:0/embed": encoder(left),
            "encoder:0": encoder(left),
            "encoder:1/hidden": sub(right),
            "encoder:1": encoder(right),
            "diff": encoder(left) - encoder(right),
        },
        keys=[
            "encoder:0/hidden",
            "encoder:0/embed",
            "encoder:0",
            "encoder:1/hidden",
            "encoder:1/embed",
            "encoder:1",
            "diff",
        ],
    )


class DictLayer(layers.Layer):
    """A custom layer returning a dict of two outputs."""

    def call(self, x):
        return {"double": x * 2.0, "square": x * x}


def test_multi_output_layers_lstm_state_attention_and_dict(rng):
    tokens = keras.Input((6,), dtype="int32")
    embedded = layers.Embedding(20, 8, name="embed")(tokens)
    seq, state_h, _ = layers.LSTM(4, return_sequences=True, return_state=True, name="lstm")(
        embedded
    )
    attended, _ = layers.MultiHeadAttention(2, 4, name="mha")(
        seq, seq, return_attention_scores=True
    )
    parts = DictLayer(name="parts")(attended)
    time_dense = layers.TimeDistributed(layers.Dense(3), name="td")(parts["double"])
    bidir = layers.Bidirectional(layers.GRU(2), name="bidir")(time_dense)
    model = keras.Model(tokens, [bidir, state_h, parts["square"]])
    x = rng.integers(0, 20, size=(5, 6)).astype("int32")

    lstm, mha, td, bi = (model.get_layer(n) for n in ("lstm", "mha", "td", "bidir"))
    emb = model.get_layer("embed")(x)
    lstm_out = lstm(emb)
    mha_out = mha(lstm_out[0], lstm_out[0], return_attention_scores=True)
    double = mha_out[0] * 2.0
    td_out = td(double)
    acts = check_capture(
        model,
        x,
        {
            "embed": emb,
            "lstm": lstm_out,
            "mha": mha_out,
            "parts": {"double": double, "square": mha_out[0] * mha_out[0]},
            "td": td_out,
            "bidir": bi(td_out),
        },
    )
    assert acts.info["lstm"].multi_output
    assert acts.info["lstm"].shape == ((5, 6, 4), (5, 4), (5, 4))
    assert acts.info["parts"].dtype == {"double": "float32", "square": "float32"}


class Block(layers.Layer):
    """A custom residual block: its sublayers have no symbolic graph."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, 3, padding="same", name="conv")
        self.norm = layers.BatchNormalization(name="norm")
        self.act = layers.ReLU(name="act")

    def call(self, x, training=None):
        return x + self.act(self.norm(self.conv(x), training=training))


class Net(keras.Model):
    """A subclassed model: a stem, the same block applied twice, a head."""

    def __init__(self):
        super().__init__(name="net")
        self.stem = layers.Conv2D(4, 3, padding="same", name="stem")
        self.block = Block(4, name="block")
        self.pool = layers.GlobalAveragePooling2D(name="pool")
        self.head = layers.Dense(2, name="head")

    def call(self, x, training=None):
        x = self.stem(x)
        x = self.block(x, training=training)
        x = self.block(x, training=training)
        return self.head(self.pool(x))


def _block_by_hand(block, x):
    x = keras.ops.convert_to_tensor(x)
    conv = block.conv(x)
    norm = block.norm(conv, training=False)
    act = block.act(norm)
    return conv, norm, act, x + act


def test_subclassed_model_and_sublayers_of_custom_layers(rng):
    model = Net()
    x = rng.normal(size=(4, 8, 8, 3)).astype("float32")
    model(x[:1])
    stem = model.stem(x)
    conv0, norm0, act0, block0 = _block_by_hand(model.block, stem)
    conv1, _, act1, block1 = _block_by_hand(model.block, block0)
    acts = check_capture(
        model,
        x,
        {
            "stem": stem,
            "block:0/conv": conv0,
            "block:0/norm": norm0,
            "block:0/act": act0,
            "block:0": block0,
            "block:1/conv": conv1,
            "block:1/act": act1,
            "block:1": block1,
            "head": model.head(model.pool(block1)),
        },
    )
    assert list(acts)[:5] == ["stem", "block:0/conv", "block:0/norm", "block:0/act", "block:0"]
    # A Functional model around a custom layer: its sublayers are reached too.
    inp = keras.Input((8, 8, 4))
    block = Block(4, name="res")
    functional = keras.Model(inp, block(inp))
    y = rng.normal(size=(2, 8, 8, 4)).astype("float32")
    conv, norm, act, out = _block_by_hand(block, y)
    check_capture(
        functional,
        y,
        {"res/conv": conv, "res/norm": norm, "res/act": act, "res": out},
        keys=["res/conv", "res/norm", "res/act", "res"],
    )


@pytest.mark.parametrize("extension", [".keras", ".h5"])
def test_models_loaded_from_disk(extension, tmp_path, rng):
    inp = keras.Input((6, 6, 2))
    h = layers.Conv2D(3, 3, activation="relu", name="conv")(inp)
    h = layers.Flatten(name="flat")(h)
    model = keras.Model(inp, layers.Dense(2, name="out")(h))
    path = tmp_path / f"model{extension}"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = rng.normal(size=(5, 6, 6, 2)).astype("float32")
    check_capture(loaded, x, graph_outputs(model, x), keys=["conv", "flat", "out"])


def test_dropout_and_batchnorm_follow_training_flag(rng):
    inp = keras.Input((16,))
    normed = layers.BatchNormalization(name="bn")(inp)
    model = keras.Model(inp, layers.Dropout(0.5, name="drop")(normed))
    x = rng.normal(loc=3.0, scale=2.0, size=(64, 16)).astype("float32")
    bn = model.get_layer("bn")
    moving_mean = to_numpy(bn.moving_mean).copy()

    inference = check_capture(model, x, {"bn": bn(x, training=False)})
    np.testing.assert_array_equal(inference["drop"], inference["bn"])

    batch_norm = (x - x.mean(0)) / np.sqrt(x.var(0) + bn.epsilon)
    training = check_capture(model, x, {"bn": batch_norm}, training=True, batch_size=64)
    dropped = training["drop"] == 0
    assert 0.3 < dropped.mean() < 0.7
    np.testing.assert_allclose(
        training["drop"][~dropped], 2 * batch_norm[~dropped], rtol=1e-4, atol=1e-4
    )
    # Observing never trains: BatchNorm's statistics are unchanged...
    np.testing.assert_array_equal(to_numpy(bn.moving_mean), moving_mean)
    # ...while dropout draws a fresh mask on every training-mode capture.
    again = check_capture(model, x, {}, layers="drop", training=True, batch_size=64)
    assert not np.array_equal(again["drop"] == 0, dropped)
