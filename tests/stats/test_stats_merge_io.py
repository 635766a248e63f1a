"""Merging shards, JSON round trips, the table, the accumulator interface, errors."""

from __future__ import annotations

import importlib

import keras
import numpy as np
import pytest
from stats_oracle import assert_same_stats, check_stats

import kerascope
from kerascope import backends
from kerascope.stats import Statistics, StatsAccumulator, merge

layers = keras.layers


@pytest.fixture
def model():
    inp = keras.Input((5, 3))
    x = layers.Dense(4, activation="relu", name="hidden")(inp)
    return keras.Model(inp, layers.Dense(2, name="out")(x))


@pytest.fixture
def x(rng):
    return rng.normal(size=(90, 5, 3)).astype("float32")


def test_merged_shards_equal_whole_data(model, x):
    whole = kerascope.stats(model, x, batch_size=16, progress=False)
    shards = [kerascope.stats(model, part, progress=False) for part in (x[:13], x[13:60], x[60:])]
    assert_same_stats(merge(*shards), whole)
    assert_same_stats(shards[0] | shards[1] | shards[2], whole)
    assert_same_stats(shards[0].merge(shards[1]).merge(shards[2]), whole)
    # Merging in another order gives the same statistics.
    assert_same_stats(merge(shards[2], shards[0], shards[1]), whole)


def test_json_round_trip_and_files(model, x, tmp_path):
    stats = kerascope.stats(model, x, progress=False)
    text = stats.to_json()
    assert "NaN" not in text
    assert "Infinity" not in text
    assert_same_stats(Statistics.from_json(text), stats, rtol=0)
    stats.save(tmp_path / "stats.json")
    assert_same_stats(Statistics.load(tmp_path / "stats.json"), stats, rtol=0)


def test_json_keeps_non_finite_values():
    inp = keras.Input((2,))
    model = keras.Model(inp, layers.Lambda(lambda t: t / 0.0, name="div")(inp))
    stats = kerascope.stats(model, np.array([[1.0, 0.0], [-1.0, 0.0]], "float32"), progress=False)
    loaded = Statistics.from_json(stats.to_json())["div"]
    assert loaded.count == 0
    assert loaded.inf_fraction == 0.5
    assert loaded.nan_fraction == 0.5
    assert loaded.min == np.inf
    assert np.isnan(loaded.mean)


def test_accumulator_with_a_probe(model, x):
    """The interface the store uses: a Probe reducing with `summarize`."""
    probe = kerascope.Probe(model, layers="hidden", reduce=lambda k, o: acc.summarize(k, o))
    acc = StatsAccumulator(probe.specs, bins=10)
    for batch, n in kerascope.data.as_batches(x, 32, probe.input_spec):
        for key, summary in probe.run_batch(batch, n).items():
            acc.update(key, summary)
    result = acc.result()
    assert acc.keys == ("hidden",)
    check_stats(result["hidden"], kerascope.capture(model, x)["hidden"])
    assert result["hidden"].histogram()[0].shape == (10,)
    assert result["hidden"].histogram(bins=3)[0].shape == (3,)


def test_buffered_host_accumulator_equals_per_batch(model, x):
    """`add` with a buffer summarises several batches at once: the same statistics."""
    probe = kerascope.Probe(model)
    per_batch = StatsAccumulator(probe.specs)
    buffered = StatsAccumulator(probe.specs, buffer_bytes=1000)
    for batch, n in kerascope.data.as_batches(x, 7, probe.input_spec):
        for key, value in probe.run_batch(batch, n).items():
            per_batch.add(key, value)
            buffered.add(key, value)
    assert_same_stats(buffered.result(), per_batch.result())
    check_stats(buffered.result()["hidden"], kerascope.capture(model, x)["hidden"])
    with pytest.raises(kerascope.InputError, match="buffer_bytes=-1"):
        StatsAccumulator(probe.specs, buffer_bytes=-1)


def test_repr_is_a_table(model, x):
    text = repr(kerascope.stats(model, x, progress=False))
    assert text.startswith("Statistics(2 layers, per_channel=True)")
    lines = text.splitlines()
    assert lines[1].split() == [
        "key", "class", "count", "mean", "std", "min", "max", "zeros", "nan", "p50"
    ]  # fmt: skip
    assert lines[2].split()[:3] == ["hidden", "Dense", "1,800"]


def test_merging_different_layers_raises(model, x):
    a = kerascope.stats(model, x, layers="hidden", progress=False)
    b = kerascope.stats(model, x, layers="out", progress=False)
    with pytest.raises(kerascope.StatsError, match=r"same layers.*Received"):
        a.merge(b)
    c = kerascope.stats(model, x, layers="hidden", per_channel=False, progress=False)
    with pytest.raises(kerascope.StatsError, match="per_channel"):
        _ = a | c
    with pytest.raises(kerascope.StatsError, match="at least one"):
        merge()
    assert issubclass(kerascope.StatsError, kerascope.KerascopeError)


def test_bad_arguments_and_text_raise(model, x):
    stats = kerascope.stats(model, x, progress=False)
    with pytest.raises(kerascope.StatsError, match=r"q=1\.5"):
        stats["hidden"].quantile(1.5)
    with pytest.raises(kerascope.SelectionError, match="hiden"):
        stats["hiden"]
    with pytest.raises(kerascope.InputError, match="bins=0"):
        kerascope.stats(model, x, bins=0, progress=False)
    with pytest.raises(kerascope.StatsError, match="format"):
        Statistics.from_json('{"layers": []}')
    with pytest.raises(kerascope.StatsError, match="JSON"):
        Statistics.from_json("not json")


def test_progress_bar_on_and_off(model, x, capsys):
    kerascope.stats(model, x, progress=False)
    assert capsys.readouterr().err == ""
    assert len(kerascope.stats(model, x, progress=True)) == 2


def test_streams_batches_from_a_generator(model, x):
    batches = (x[i : i + 20] for i in range(0, len(x), 20))
    streamed = kerascope.stats(model, batches, progress=False)
    assert_same_stats(streamed, kerascope.stats(model, x, progress=False))


def _pass_sizes(monkeypatch):
    """The sample counts of the forward passes `stats` runs (spied, not changed)."""
    sizes = []
    run_batch = kerascope.Probe.run_batch

    def spy(self, batch, n):
        sizes.append(n)
        return run_batch(self, batch, n)

    monkeypatch.setattr(kerascope.Probe, "run_batch", spy)
    return sizes


def test_small_batches_run_together_on_the_host(model, x, monkeypatch):
    if backends.current().accelerated:
        pytest.skip("on an accelerator, a dataset's batches run as given (device memory)")
    sizes = _pass_sizes(monkeypatch)
    grouped = kerascope.stats(model, (x[i : i + 8] for i in range(0, 90, 8)), progress=False)
    assert sizes == [90]  # this model's outputs are small: every batch in one pass
    sizes.clear()
    capped = kerascope.stats(
        model, (x[i : i + 8] for i in range(0, 90, 8)), batch_size=20, progress=False
    )
    assert sizes == [16, 16, 16, 16, 16, 10]  # never above 20, never a batch split
    sizes.clear()
    kerascope.stats(model, x, batch_size=32, progress=False)
    assert sizes == [32, 32, 26]
    assert_same_stats(grouped, capped)
    for key, acts in kerascope.capture(model, x).items():
        check_stats(grouped[key], acts)


def test_pass_size_follows_the_size_of_the_outputs(rng):
    stats_api = importlib.import_module("kerascope.stats._passes")
    small = kerascope.Probe(keras.Sequential([keras.Input((4,)), layers.Dense(2)]))
    assert stats_api.pass_samples(small) == stats_api._MAX_PASS
    wide = keras.Sequential([keras.Input((64, 64, 3)), layers.Conv2D(64, 3, padding="same")])
    # 64*64*(3 + 64) float32 values: 1.05 MiB a sample, so 4 samples make 4.2 MiB.
    assert stats_api.pass_samples(kerascope.Probe(wide)) == 4
    ragged = keras.Sequential([keras.Input((None, 3)), layers.Dense(2)])
    assert stats_api.pass_samples(kerascope.Probe(ragged)) == 32
