"""Input regions: analytic geometry against a conv stack checked by hand, and
against the support of gradients (the general derivation), each tested by the other."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

from kerascope.errors import InputError
from kerascope.examples import Region, gradient_box, top_examples


def hand_stack() -> keras.Model:
    inputs = keras.Input((16, 16, 1), name="image")
    h = keras.layers.Conv2D(3, 3, activation="relu", name="c1")(inputs)  # valid: 14
    h = keras.layers.Conv2D(3, 3, strides=2, padding="same", name="c2")(h)  # 7
    h = keras.layers.MaxPooling2D(2, name="pool")(h)  # 3
    h = keras.layers.Conv2D(2, 3, dilation_rate=2, padding="same", name="c3")(h)  # 3
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(h))


# Worked by hand, per axis, as (stride, start, size) in input pixels:
#   c1   3x3 valid:               1,  0,  3
#   c2   3x3 stride 2 "same" on 14 (pad 1 in all, 0 before): 2, 0, 3 + 2*1 = 5
#   pool 2x2 stride 2:            4,  0,  5 + 1*2 = 7
#   c3   3x3 dilation 2 "same" on 3 (span 5, pad 4, 2 before): 4, 0 - 2*4 = -8, 7 + 4*4 = 23
HAND = {
    "c1": ((1, 1), (0, 0), (3, 3)),
    "c2": ((2, 2), (0, 0), (5, 5)),
    "pool": ((4, 4), (0, 0), (7, 7)),
    "c3": ((4, 4), (-8, -8), (23, 23)),
}


def residual_model() -> keras.Model:
    inputs = keras.Input((12, 3), name="signal")
    h = keras.layers.ZeroPadding1D((2, 1), name="pad")(inputs)  # 15
    h = keras.layers.Conv1D(4, 3, activation="relu", name="a")(h)  # 13
    branch = keras.layers.Conv1D(4, 5, padding="same", name="b")(h)
    h = keras.layers.Add(name="add")([h, branch])
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.AveragePooling1D(3, strides=2, name="avg")(h)  # 6
    h = keras.layers.Cropping1D((1, 0), name="crop")(h)  # 5
    h = keras.layers.Conv1D(2, 2, padding="causal", name="causal")(h)
    return keras.Model(inputs, keras.layers.Flatten(name="flat")(h))


@pytest.fixture(scope="module")
def stack_and_examples():
    keras.utils.set_random_seed(0)
    model = hand_stack()
    x = np.random.default_rng(3).standard_normal((24, 16, 16, 1)).astype("float32")
    return model, x, top_examples(model, x, k=3, progress=False)


def test_the_analytic_regions_of_a_conv_stack_checked_by_hand(stack_and_examples):
    _, _, examples = stack_and_examples
    for key, (stride, start, size) in HAND.items():
        assert examples[key].region == Region("image", (16, 16), stride, start, size), key
    assert examples["gap"].region is None
    assert examples["out"].region is None
    assert examples["pool"].region.box((1, 2)).tolist() == [[4, 11], [8, 15]]
    assert examples["c3"].region.box((2, 0)).tolist() == [[0, 16], [0, 15]]


def test_regions_are_the_boxes_of_the_positions(stack_and_examples):
    _, _, examples = stack_and_examples
    unit = examples["c2"]
    regions = unit.regions
    assert regions.shape == (3, 3, 2, 2)
    for c, j in itertools.product(range(3), range(3)):
        (py, px) = unit.positions[c, j]
        expected = [[max(2 * py, 0), min(2 * py + 5, 16)], [max(2 * px, 0), min(2 * px + 5, 16)]]
        assert regions[c, j].tolist() == expected


@pytest.mark.parametrize("key", ["c1", "c2", "pool", "c3"])
def test_analytic_regions_equal_or_contain_the_gradient_support(stack_and_examples, key):
    model, _, examples = stack_and_examples
    layer = model.get_layer(key)
    shape = examples[key].spatial_shape
    positions = {(0, 0), (shape[0] - 1, shape[1] - 1), (shape[0] // 2, shape[1] // 3)}
    for position in sorted(positions):
        box = examples[key].region.box(position)
        support = gradient_box(model, layer, position)
        if key == "c3":
            # A dilated kernel on a 3x3 map: its outer taps read padding only, so
            # the support is smaller than the field; the field contains it.
            assert (support[:, 0] >= box[:, 0]).all()
            assert (support[:, 1] <= box[:, 1]).all()
            if position == (1, 1):  # only the centre tap reads the map: pool (1, 1)
                assert support.tolist() == [[4, 11], [4, 11]]
        else:
            assert support.tolist() == box.tolist(), position


def test_each_examples_region_contains_its_positions_receptive_field(stack_and_examples):
    model, _x, examples = stack_and_examples
    unit = examples["pool"]
    for c in range(unit.channels):
        box = unit.regions[c, 0]
        support = gradient_box(model, model.get_layer("pool"), unit.positions[c, 0])
        assert (support[:, 0] >= box[:, 0]).all()
        assert (support[:, 1] <= box[:, 1]).all()


def test_sequences_padding_residuals_and_pooling_equal_the_gradient_support(rng):
    model = residual_model()
    x = rng.standard_normal((10, 12, 3)).astype("float32")
    examples = top_examples(model, x, k=2, progress=False)
    assert examples["a"].region == Region("signal", (12,), (1,), (-2,), (3,))
    assert examples["add"].region == Region("signal", (12,), (1,), (-4,), (7,))
    assert examples["flat"].region is None
    for key in ("a", "add", "bn", "avg", "crop", "causal"):
        region = examples[key].region
        assert region is not None, key
        length = examples[key].spatial_shape[0]
        for p in sorted({0, 1, length // 2, length - 1}):  # the edges and the middle
            got = gradient_box(model, model.get_layer(key), (p,))
            assert got.tolist() == region.box((p,)).tolist(), (key, p)


def test_no_region_after_a_recurrent_layer_or_for_token_inputs(rng):
    inputs = keras.Input((6, 2))
    h = keras.layers.LSTM(3, return_sequences=True, name="lstm")(inputs)
    h = keras.layers.Conv1D(2, 2, name="conv")(h)
    model = keras.Model(inputs, h)
    examples = top_examples(
        model, rng.standard_normal((4, 6, 2)).astype("float32"), k=2, progress=False
    )
    assert examples["lstm"].region is None
    assert examples["conv"].region is None
    assert examples["conv"].regions is None
    tokens = keras.Input((5,), dtype="int32")
    h = keras.layers.Embedding(10, 4, name="embed")(tokens)
    model = keras.Model(tokens, keras.layers.Conv1D(2, 3, name="conv")(h))
    ids = rng.integers(0, 10, (4, 5)).astype("int32")
    examples = top_examples(model, ids, k=2, progress=False)
    assert examples["conv"].region is None
    with pytest.raises(InputError, match="one floating-point input"):
        gradient_box(model, model.get_layer("conv"), (0,))


def test_a_position_outside_the_output_is_refused(stack_and_examples):
    model = stack_and_examples[0]
    with pytest.raises(InputError, match=r"inside the output shape \(3, 3\). Received: \(3, 0\)"):
        gradient_box(model, model.get_layer("pool"), (3, 0))


def test_einsum_dense_keeps_the_region_only_when_it_leaves_positions_alone():
    """EinsumDense "abc,cd->abd" mixes channels only: the conv's 3-step field; "abc,bd->adc"
    mixes the steps themselves: every output sees every input step."""
    inputs = keras.Input((8, 2), name="seq")
    h = keras.layers.Conv1D(3, 3, name="conv")(inputs)  # 6 steps, 3-step fields
    channels = keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 4), name="per_step")
    steps = keras.layers.EinsumDense("abc,bd->adc", output_shape=(5, 3), name="mix")
    model = keras.Model(inputs, [channels(h), steps(h)])
    x = np.random.default_rng(4).standard_normal((10, 8, 2)).astype("float32")
    examples = top_examples(model, x, k=2, progress=False)
    assert examples["per_step"].region == Region("seq", (8,), (1,), (0,), (3,))
    mixed = examples["mix"].region
    for position in range(5):  # by hand: the whole sequence, or no region at all
        assert mixed is None or mixed.box((position,)).tolist() == [[0, 8]]
