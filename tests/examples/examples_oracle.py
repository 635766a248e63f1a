"""The examples tests' oracle: top-k per channel by brute force over materialised activations.

The activations come from `kerascope.capture` (itself checked against Keras
sub-models by the capture tests); the ranking is a plain Python sort, sharing
nothing with the streaming top-k.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import kerascope
from kerascope import backends
from kerascope.examples import Examples, UnitExamples
from kerascope.keys import output_leaves

# The examples and the oracle's activations come from two compiled programs (the
# reduction fused into the forward pass, or not; other batch sizes), whose
# float32 rounding can differ in the last bits: values match to that, and on a
# CPU the rankings (random data: gaps far above rounding) match exactly.
EXACT = not backends.current().accelerated
VALUES = {"rtol": 1e-6, "atol": 1e-6}


def brute_force(values: Any, k: int, *, offset: int = 0, bottom: bool = False) -> dict[str, Any]:
    """`indices`, `values`, `positions` of the top (or bottom) k per channel of `values`."""
    a = np.asarray(values).astype(np.float64)
    if a.ndim == 1:
        a = a[:, None]
    n, spatial, channels = a.shape[0], a.shape[1:-1], a.shape[-1]
    flat = a.reshape(n, -1, channels)
    if bottom:
        flat = -flat
    flat = np.where(np.isnan(flat), -np.inf, flat)
    out = {
        "indices": np.full((channels, k), -1),
        "values": np.full((channels, k), np.nan),
        "positions": np.full((channels, k, len(spatial)), -1),
    }
    for c in range(channels):
        best = []
        for i in range(n):
            where = int(np.argmax(flat[i, :, c]))  # the first position holding the maximum
            value = flat[i, where, c]
            if value > -np.inf:
                best.append((-value, i, where))
        for j, (neg, i, where) in enumerate(sorted(best)[:k]):
            out["indices"][c, j] = i + offset
            out["values"][c, j] = neg if bottom else -neg
            out["positions"][c, j] = np.unravel_index(where, spatial) if spatial else ()
    return out


def check_unit(unit: UnitExamples, values: Any, k: int, *, offset: int = 0) -> None:
    """Checks one `UnitExamples` (top, and bottom if kept) against `brute_force`."""
    rankings = [("top", unit.top, False)]
    if unit.bottom is not None:
        rankings.append(("bottom", unit.bottom, True))
    for name, ranking, bottom in rankings:
        expected = brute_force(values, k, offset=offset, bottom=bottom)
        where = f"{unit.key} {name}"
        if EXACT:
            np.testing.assert_array_equal(ranking.indices, expected["indices"], err_msg=where)
            np.testing.assert_array_equal(ranking.positions, expected["positions"], err_msg=where)
        np.testing.assert_allclose(ranking.values, expected["values"], err_msg=where, **VALUES)


def check_examples(model: Any, x: Any, examples: Examples, k: int, **capture_kwargs: Any) -> None:
    """Checks every leaf of `examples` against the brute force over `capture(model, x)`."""
    acts = kerascope.capture(model, x, list(_layer_keys(examples, model)), **capture_kwargs)
    leaves = {leaf: v for key in acts for leaf, v in output_leaves(key, acts[key])}
    assert list(examples) == [leaf for leaf in leaves if leaf in examples]
    assert set(examples) == set(leaves)
    for leaf, unit in examples.items():
        assert unit.k == k
        check_unit(unit, leaves[leaf], k)


def _layer_keys(examples: Examples, model: Any) -> list[str]:
    keys = kerascope.layers(model)
    return [
        key for key in keys if any(leaf == key or leaf.startswith(key + "[") for leaf in examples)
    ]


def assert_same(a: Examples, b: Examples) -> None:
    """The same examples: rankings exactly, values to float32 rounding."""
    assert list(a) == list(b)
    assert (a.k, a.bottom, a.samples) == (b.k, b.bottom, b.samples)
    for key in a:
        for name in ("top", "bottom"):
            x, y = getattr(a[key], name), getattr(b[key], name)
            assert (x is None) == (y is None), key
            if x is None:
                continue
            np.testing.assert_array_equal(x.indices, y.indices, err_msg=key)
            np.testing.assert_array_equal(x.positions, y.positions, err_msg=key)
            np.testing.assert_allclose(x.values, y.values, rtol=1e-6, atol=1e-6, err_msg=key)
        assert a[key].region == b[key].region
