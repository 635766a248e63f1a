"""Objectives and regularisers against the same quantities computed by hand in numpy."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascope import InputError
from kerascope.visualize import objectives as obj

RNG = np.random.default_rng(0)
ACTS = RNG.standard_normal((3, 4, 5, 6)).astype("float32")  # (n, h, w, channels)
IMAGES = RNG.random((3, 6, 7, 2)).astype("float32")


@pytest.fixture(autouse=True)
def _fresh_keras_state() -> None:
    """No model is built here: skip the suite's per-test reset."""


def evaluate(objective: obj.Objective) -> np.ndarray:
    outputs = {"a": keras.ops.convert_to_tensor(ACTS)}
    return keras.ops.convert_to_numpy(objective(outputs, keras.ops.convert_to_tensor(IMAGES)))


def test_unit_objectives_match_numpy():
    np.testing.assert_allclose(evaluate(obj.channel("a", 2)), ACTS[..., 2].mean(axis=(1, 2)), 1e-5)
    per_image = evaluate(obj.channel("a", [5, 0, 3]))
    expected = [ACTS[i, :, :, c].mean() for i, c in enumerate([5, 0, 3])]
    np.testing.assert_allclose(per_image, expected, rtol=1e-5)
    np.testing.assert_allclose(
        evaluate(obj.neuron("a", [1, 2, 3])), ACTS[[0, 1, 2], 2, 2, [1, 2, 3]]
    )
    np.testing.assert_allclose(
        evaluate(obj.neuron("a", 4, position=(0, 3))), ACTS[:, 0, 3, 4], rtol=1e-6
    )
    np.testing.assert_allclose(evaluate(obj.layer("a")), (ACTS**2).mean(axis=(1, 2, 3)), 1e-5)
    vector = RNG.standard_normal(6)
    np.testing.assert_allclose(
        evaluate(obj.direction("a", vector)), ACTS.mean(axis=(1, 2)) @ vector, rtol=1e-4
    )


def test_diversity_is_minus_the_mean_cosine_similarity_of_gram_matrices():
    flat = ACTS.reshape(3, -1, 6)
    grams = np.einsum("npc,npd->ncd", flat, flat).reshape(3, -1)
    grams /= np.linalg.norm(grams, axis=1, keepdims=True)
    similar = grams @ grams.T
    expected = [-(similar[i].sum() - similar[i, i]) / 2 for i in range(3)]
    np.testing.assert_allclose(evaluate(obj.diversity("a")), expected, rtol=1e-4)


def test_the_module_example_rewards_diversity_as_diversity_says_to():
    """The module docstring's example, run on layer "a": its diversity term
    has diversity's sign (diversity is to be added, not subtracted)."""
    line = next(line for line in obj.__doc__.splitlines() if "goal =" in line)
    code = line.split(">>>", 1)[1].split("#")[0].replace('"conv2"', '"a"')
    scope: dict = {"obj": obj}
    exec(code.strip(), scope)
    extra = evaluate(scope["goal"]) - evaluate(obj.channel("a", [0, 1, 2]))
    diversity = evaluate(obj.diversity("a"))
    assert np.all(diversity != 0)
    np.testing.assert_array_equal(np.sign(extra), np.sign(diversity))


def test_algebra_adds_subtracts_and_scales_per_image():
    goal = 2.0 * obj.channel("a", 1) - obj.layer("a") / 4 + 0.5 + (-obj.neuron("a", [0, 1, 2]))
    expected = (
        2.0 * ACTS[..., 1].mean(axis=(1, 2))
        - (ACTS**2).mean(axis=(1, 2, 3)) / 4
        + 0.5
        - ACTS[[0, 1, 2], 2, 2, [0, 1, 2]]
    )
    np.testing.assert_allclose(evaluate(goal), expected, rtol=1e-5, atol=1e-6)
    assert goal.keys == ("a",)
    assert goal.batch == 3
    assert "channel('a', 1)" in goal.description
    assert "layer('a')" in goal.description
    np.testing.assert_allclose(
        evaluate(1 - obj.l1()), 1 - np.abs(IMAGES).mean(axis=(1, 2, 3)), rtol=1e-5
    )


def test_regularisers_match_numpy():
    tv = sum(np.abs(np.diff(IMAGES, axis=a)).mean(axis=(1, 2, 3)) for a in (1, 2))
    np.testing.assert_allclose(evaluate(obj.total_variation()), tv, rtol=1e-5)
    np.testing.assert_allclose(
        evaluate(obj.l1(0.5)), np.abs(IMAGES - 0.5).mean(axis=(1, 2, 3)), rtol=1e-5
    )
    np.testing.assert_allclose(
        evaluate(obj.l2(0.5)), ((IMAGES - 0.5) ** 2).mean(axis=(1, 2, 3)), rtol=1e-5
    )
    # blur: half the squared distance to the 3x3 mean ("same", counting only real pixels).
    padded = np.pad(IMAGES, ((0, 0), (1, 1), (1, 1), (0, 0)))
    ones = np.pad(np.ones_like(IMAGES), ((0, 0), (1, 1), (1, 1), (0, 0)))

    def window(a):
        return sum(a[:, i : i + 6, j : j + 7] for i in range(3) for j in range(3))

    blurred = window(padded) / window(ones)
    expected = 0.5 * ((IMAGES - blurred) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(evaluate(obj.blur()), expected, rtol=1e-4)


def test_bad_compositions_are_refused():
    with pytest.raises(InputError, match="Received: 2 and 3"):
        obj.channel("a", [0, 1]) + obj.channel("a", [0, 1, 2])
    with pytest.raises(InputError, match="only by scalars"):
        obj.channel("a", 0) * obj.channel("a", 1)
    with pytest.raises(InputError, match="unit index"):
        obj.channel("a", 1.5)
