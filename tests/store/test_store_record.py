"""Recording activations to a Zarr store and reading them back, on every backend."""

from __future__ import annotations

import datetime

import keras
import numpy as np
import pytest
import store_models as models

import kerascope
from harness import assert_tree_close, read_all


@pytest.fixture
def model():
    return models.build_model()


@pytest.fixture
def x():
    return models.inputs(40)


def test_record_reads_back_equal_to_capture(model, x, tmp_path):
    store = kerascope.record(model, x, tmp_path / "acts.zarr", batch_size=8, progress=False)
    acts = kerascope.capture(model, x, batch_size=8)
    reopened = kerascope.open(tmp_path / "acts.zarr")
    for s in (store, reopened):
        assert list(s) == list(acts)
        assert (s.samples, s.complete, len(s)) == (40, True, len(acts))
        for key in acts:
            assert_tree_close(read_all(s[key]), acts[key], key)
    assert "encoder/conv" in store
    assert "shared:1" in store
    assert isinstance(store["split"], tuple)
    assert set(store["pair"]) == {"double", "square"}
    assert store["encoder/conv"].chunks[0] == 8

    expected = kerascope.stats(model, x, batch_size=8, progress=False)
    got = reopened.statistics
    assert list(got) == list(expected)
    for key in expected:
        # `stats` sums several batches at once, `record` one at a time: float32
        # rounding differs at a few 1e-7 of the scale.
        scale = 1e-6 * (expected[key].std + abs(expected[key].mean)) + 1e-12
        np.testing.assert_allclose(got[key].mean, expected[key].mean, rtol=0, atol=scale)
        np.testing.assert_allclose(got[key].std, expected[key].std, rtol=0, atol=scale)
        assert got[key].count == expected[key].count


def test_stream_nested_outputs_and_a_selection(tmp_path):
    model = models.build_model(nested=True)
    x = models.inputs(20)
    layers = ["encoder/conv", "shared:1", "split"]
    store = kerascope.record(model, models.batches(x, 6), tmp_path / "s", layers, progress=False)
    acts = kerascope.capture(model, x, layers)
    assert list(store) == layers
    assert (store.samples, store.complete) == (20, True)
    for key in layers:
        assert_tree_close(read_all(store[key]), acts[key], key)
    # Nested outputs get one statistics entry per array.
    first, rest = acts["split"]
    np.testing.assert_allclose(
        store.statistics["split[1][double]"].mean, rest["double"].mean(), rtol=1e-5
    )
    assert store.statistics["split[0]"].count == first.size
    first, rest = store["split"]
    assert first.shape == (20, 2)
    assert set(rest) == {"double", "tail"}


INDICES = [
    np.s_[10:20],
    np.s_[-5:],
    np.s_[::-3],
    np.s_[3],
    np.s_[-1, 2],
    np.s_[..., 1],
    np.s_[5:30:4, 1:3, :, 0],
    np.s_[[7, 2, 2, 39]],
    np.s_[[0, -1], 0],
    np.s_[38:100],
    np.s_[12:12],
    np.arange(40) % 3 == 0,
]


def test_slicing_matches_numpy(model, x, tmp_path):
    store = kerascope.record(
        model, x, tmp_path / "s", "encoder/conv", batch_size=8, stats=False, progress=False
    )
    stored = store["encoder/conv"]
    expected = kerascope.capture(model, x, "encoder/conv")["encoder/conv"]
    assert (stored.shape, stored.ndim, len(stored), stored.dtype) == (
        expected.shape,
        4,
        40,
        np.float32,
    )
    for index in INDICES:
        np.testing.assert_allclose(
            stored[index], expected[index], rtol=1e-5, atol=1e-5, err_msg=repr(index)
        )
    for bad in (40, -41, np.s_[[0, 40]], np.ones(39, bool), np.s_[None]):
        with pytest.raises(IndexError):
            stored[bad]


def test_slicing_reads_only_the_chunks_needed(model, x, tmp_path, monkeypatch):
    import zarr

    store = kerascope.record(
        model, x, tmp_path / "s", "encoder/conv", batch_size=8, stats=False, progress=False
    )
    read = []
    get = zarr.storage.LocalStore.get

    async def counting_get(self, key, *args, **kwargs):
        read.append(key)
        return await get(self, key, *args, **kwargs)

    monkeypatch.setattr(zarr.storage.LocalStore, "get", counting_get)
    store["encoder/conv"][10:20]
    chunks = sorted(key.split("/c/")[1] for key in read if "/c/" in key)
    assert chunks == ["1/0/0/0", "2/0/0/0"]


def test_float16_halves_floats(model, x, tmp_path):
    full = kerascope.record(model, x, tmp_path / "f32", stats=False, progress=False)
    half = kerascope.record(model, x, tmp_path / "f16", dtype="float16", progress=False)
    acts = kerascope.capture(model, x)
    for key in acts:
        for stored, original in zip(
            keras.tree.flatten(read_all(half[key])), keras.tree.flatten(acts[key])
        ):
            assert stored.dtype == np.float16
            np.testing.assert_allclose(stored, original, rtol=2e-3, atol=2e-3)
    assert half["encoder/conv"].nbytes * 2 == full["encoder/conv"].nbytes
    layer = half.metadata["layers"][0]["output"]
    assert (layer["dtype"], layer["source_dtype"]) == ("float16", "float32")
    # Statistics see the outputs as computed, not the float16 copies.
    assert half.statistics["encoder/conv"].mean == pytest.approx(
        float(acts["encoder/conv"].mean()), rel=1e-5, abs=1e-6
    )


def test_metadata(model, x, tmp_path, backend):
    before = datetime.datetime.now(datetime.timezone.utc)
    store = kerascope.record(model, x[:10], tmp_path / "s", progress=False)
    after = datetime.datetime.now(datetime.timezone.utc)
    meta = store.metadata
    assert meta["model"] == "small_cnn"
    assert meta["keras_version"] == keras.__version__
    assert meta["kerascope_version"] == kerascope.__version__
    assert meta["backend"] == backend
    assert (meta["samples"], meta["complete"], meta["batch_size"], meta["dtype"]) == (
        10,
        True,
        32,
        None,
    )
    # The creation time is when this recording started, not some other time.
    assert before <= datetime.datetime.fromisoformat(meta["created"]) <= after
    by_key = {layer["key"]: layer for layer in meta["layers"]}
    assert [layer["key"] for layer in meta["layers"]] == list(store)
    assert by_key["encoder/conv"]["class_name"] == "Conv2D"
    assert by_key["encoder/conv"]["output"]["shape"] == [None, 6, 6, 4]
    assert by_key["shared:1"]["call_index"] == 1
    assert [o["display"] for o in by_key["split"]["output"]["tuple"]] == ["split[0]", "split[1]"]
    meta["model"] = "changed"
    assert store.metadata["model"] == "small_cnn"
    assert "10 samples, complete" in repr(store)


def test_to_xarray(model, x, tmp_path):
    pytest.importorskip("xarray")
    store = kerascope.record(model, x, tmp_path / "s", stats=False, progress=False)
    dataset = store.to_xarray()
    assert "split[1]" in dataset
    assert "pair[square]" in dataset
    assert dataset.sizes["sample"] == 40
    np.testing.assert_array_equal(dataset["shared:0"].values, np.asarray(store["shared:0"]))
    assert dataset.attrs["kerascope"]["model"] == "small_cnn"


def test_progress_bar_is_optional(model, x, tmp_path, capsys):
    kerascope.record(model, x, tmp_path / "quiet", stats=False, progress=False)
    assert capsys.readouterr().err == ""
    kerascope.record(model, x, tmp_path / "loud", stats=False, progress=True)
    assert "recording" in capsys.readouterr().err


def test_commits_are_batched_in_time_and_the_end_commits_all(model, x, tmp_path, monkeypatch):
    from kerascope.store import _writer

    commits = []
    commit = _writer.StoreWriter.commit
    monkeypatch.setattr(
        _writer.StoreWriter,
        "commit",
        lambda self, s: (commits.append(self.written), commit(self, s)),
    )
    store = kerascope.record(
        model, x, tmp_path / "s", batch_size=8, progress=False, commit_seconds=3600
    )
    assert commits == []  # no batch waited an hour; `finish` committed everything
    assert (store.samples, store.complete) == (len(x), True)
    np.testing.assert_allclose(
        store.statistics["pool"].mean, kerascope.capture(model, x, "pool")["pool"].mean(), rtol=1e-5
    )

    # A clock that advances 0.4 s each time it is read. `record` reads it when
    # called (0.0), as the first batch starts (0.4), after each batch (0.8,
    # 1.2, 1.6: due, 1.2 s after the start) and after each commit (2.0). So
    # one commit, after the 3rd batch; the next would be due after the 6th
    # batch, beyond the data, and `finish` commits the 40 samples.
    ticks = iter(np.arange(0.0, 100.0, 0.4))
    kerascope.record(
        model,
        x,
        tmp_path / "clocked",
        "pool",
        batch_size=8,
        progress=False,
        commit_seconds=1.0,
        clock=lambda: float(next(ticks)),
    )
    assert commits == [24]
    with pytest.raises(kerascope.InputError, match="commit_seconds=-1"):
        kerascope.record(model, x, tmp_path / "bad", commit_seconds=-1, progress=False)
    assert not (tmp_path / "bad").exists()
