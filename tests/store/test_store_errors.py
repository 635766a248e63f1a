"""Refusals and errors of `record` and `open`: clear `StoreError`s, never a half store."""

from __future__ import annotations

import errno
import sys

import numpy as np
import pytest
import store_models as models

import kerascope
from kerascope.store import _layout


@pytest.fixture
def model():
    return models.build_model()


@pytest.fixture
def x():
    return models.inputs(24)


def record(model, x, path, **kwargs):
    # Every batch committed, so the crash points are exact.
    kwargs = {"batch_size": 8, "stats": False, "progress": False, "commit_seconds": 0, **kwargs}
    return kerascope.record(model, x, path, "shared:0", **kwargs)


def test_existing_store_is_refused_then_overwritten(model, x, tmp_path):
    path = tmp_path / "s"
    record(model, x, path)
    with pytest.raises(kerascope.StoreError, match=r"already exists.*overwrite=True"):
        record(model, x[:8], path)
    assert kerascope.open(path).samples == 24
    store = record(model, x[:8], path, overwrite=True)
    assert (store.samples, kerascope.open(path).samples) == (8, 8)
    with pytest.raises(kerascope.InputError, match="at most one of overwrite and resume"):
        record(model, x, path, overwrite=True, resume=True)


def test_a_directory_of_other_files_is_never_overwritten(model, x, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(
        kerascope.StoreError, match=r"Received: a directory holding \['notes.txt'\]"
    ):
        record(model, x, tmp_path, overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("")
    with pytest.raises(kerascope.StoreError, match="is a file"):
        record(model, x, tmp_path / "file")


def test_unwritable_path(model, x, tmp_path):
    # Tests may run as root, where chmod does not stop writes: a parent that
    # is a regular file always does.
    (tmp_path / "file").write_text("")
    with pytest.raises(kerascope.StoreError, match="Could not write the activation store") as info:
        record(model, x, tmp_path / "file" / "s")
    assert str(tmp_path / "file" / "s") in str(info.value)
    assert isinstance(info.value, OSError)


def test_full_disk_keeps_the_committed_batches(model, x, tmp_path, monkeypatch):
    import zarr

    set_ = zarr.storage.LocalStore.set

    async def full_from_third_chunk(self, key, value):
        if "/c/2/" in key:
            raise OSError(errno.ENOSPC, "No space left on device")
        await set_(self, key, value)

    monkeypatch.setattr(zarr.storage.LocalStore, "set", full_from_third_chunk)
    with pytest.raises(kerascope.StoreError, match=r"No space left.*keeps the 16 samples"):
        record(model, x, tmp_path / "s")
    monkeypatch.undo()
    store = kerascope.open(tmp_path / "s")
    assert (store.samples, store.complete) == (16, False)
    expected = kerascope.capture(model, x, "shared:0")["shared:0"]
    np.testing.assert_allclose(np.asarray(store["shared:0"]), expected[:16], rtol=1e-5, atol=1e-6)


def test_a_failed_commit_leaves_the_last_commit(model, x, tmp_path, monkeypatch):
    write_commit = _layout.write_commit

    def failing(path, state):
        if state["samples"] == 16:
            raise OSError(errno.EACCES, "Permission denied")
        write_commit(path, state)

    monkeypatch.setattr(_layout, "write_commit", failing)
    with pytest.raises(kerascope.StoreError, match="Permission denied"):
        record(model, x, tmp_path / "s")
    assert kerascope.open(tmp_path / "s").samples == 8
    assert not list((tmp_path / "s").glob(".kerascope-*"))


def test_resume_refusals(model, x, tmp_path):
    path = tmp_path / "s"
    record(model, x, path)
    with pytest.raises(kerascope.StoreError, match=r"recorded with batch_size=8.*batch_size=4"):
        record(model, x, path, resume=True, batch_size=4)
    with pytest.raises(kerascope.StoreError, match=r"layers=\['shared:0'\]"):
        kerascope.record(model, x, path, "pool", batch_size=8, stats=False, resume=True)
    with pytest.raises(kerascope.StoreError, match="already complete, with 24 samples"):
        record(model, x[:16], path, resume=True)
    assert record(model, x, path, resume=True).samples == 24  # nothing left to do


def test_bad_arguments(model, x, tmp_path):
    with pytest.raises(kerascope.InputError, match="dtype='int8'"):
        record(model, x, tmp_path / "s", dtype="int8")
    with pytest.raises(kerascope.InputError, match="Expected path to be a str"):
        record(model, x, 3)
    assert not (tmp_path / "s").exists()


def test_open_errors(model, x, tmp_path):
    with pytest.raises(kerascope.StoreError, match="which does not exist"):
        kerascope.open(tmp_path / "missing")
    with pytest.raises(kerascope.StoreError, match=r"kerascope\.json"):
        kerascope.open(tmp_path)
    store = record(model, x, tmp_path / "s")
    with pytest.raises(KeyError, match=r"recorded activations.*Closest keys: shared:0"):
        store["shared:O"]


def test_missing_zarr_names_the_extra(model, x, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zarr", None)
    with pytest.raises(kerascope.StoreError, match=r"pip install kerascope\[store\]"):
        record(model, x, tmp_path / "s")
