"""Key naming: leaf keys of multi-output layers, and the one inverse back to the layer key."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from kerascope import keys, prefetch
from kerascope.keys import layer_key, leaf_keys, output_leaves

LSTM_STATE = ((None, 8), ((None, 8), (None, 8)))


@pytest.mark.parametrize(
    ("key", "structure", "expected"),
    [
        ("conv1", (None, 8, 8, 16), ["conv1"]),
        ("enc/block:1/conv", np.zeros((2, 3)), ["enc/block:1/conv"]),
        ("lstm", LSTM_STATE, ["lstm[0]", "lstm[1][0]", "lstm[1][1]"]),
        ("attn", {"scores": "float32", "out": "float32"}, ["attn[out]", "attn[scores]"]),
        ("pair", [np.zeros(2), {"b": 1, "a": 2}], ["pair[0]", "pair[1][a]", "pair[1][b]"]),
        ("scalar", (), ["scalar"]),
    ],
)
def test_leaf_keys_and_their_inverse(key, structure, expected):
    assert leaf_keys(key, structure) == expected
    assert [layer_key(leaf) for leaf in expected] == [key] * len(expected)


def test_leaves_keep_their_values_in_output_order():
    first, second = np.zeros(1), np.ones(1)
    assert list(output_leaves("k", (first, {"z": second}))) == [
        ("k[0]", first),
        ("k[1][z]", second),
    ]


@pytest.mark.parametrize("module", [keys, prefetch])
def test_the_examples_in_the_docstrings_run(module):
    failed, tried = doctest.testmod(module, verbose=False)
    assert tried > 0
    assert failed == 0
