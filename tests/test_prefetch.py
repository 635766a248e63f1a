"""`run_ahead`: forward passes one batch ahead, errors where they happened."""

from __future__ import annotations

import threading

import keras
import numpy as np
import pytest

import kerascope
from kerascope import data
from kerascope.prefetch import run_ahead


@pytest.fixture
def probe():
    inp = keras.Input((3,))
    return kerascope.Probe(keras.Model(inp, keras.layers.Dense(2, name="out")(inp)))


def _forward(probe):
    return lambda item: (probe.run_batch(*item), item[1])


def _batches(x, bad_at=None):
    for i in range(0, len(x), 4):
        if i == bad_at:
            yield np.zeros((4, 5), "float32")  # wrong shape
        else:
            yield x[i : i + 4]


def test_yields_every_batch_in_order(probe, rng):
    x = rng.normal(size=(18, 3)).astype("float32")
    batches = data.as_batches(_batches(x), 32, probe.input_spec)
    got = np.concatenate([out["out"] for out, _ in run_ahead(_forward(probe), batches)])
    np.testing.assert_allclose(got, probe(x)["out"], rtol=1e-5, atol=1e-6)


def test_errors_reach_the_caller_at_their_batch(probe, rng):
    x = rng.normal(size=(16, 3)).astype("float32")
    stream = run_ahead(
        _forward(probe), data.as_batches(_batches(x, bad_at=8), 32, probe.input_spec)
    )
    assert [n for _, n in (next(stream), next(stream))] == [4, 4]
    with pytest.raises(kerascope.InputError, match=r"Received: inputs\.shape=\(4, 5\)"):
        next(stream)


def test_closing_early_stops_the_thread(probe, rng):
    x = rng.normal(size=(400, 3)).astype("float32")
    stream = run_ahead(_forward(probe), data.as_batches(x, 4, probe.input_spec))
    next(stream)
    stream.close()
    assert not any(t.name == "kerascope-prefetch" for t in threading.enumerate())
