"""Crash safety: a recording killed mid-way opens, and resumes to the exact full result."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import store_models as models

import kerascope
from harness import assert_tree_close, read_all

LAYERS = ["encoder/conv", "shared:1", "split", "pair"]

# The child records a stream of 8-sample batches. Its commit of the 4th batch
# (after writing that batch's arrays) signals the parent and hangs, so the
# SIGKILL lands on a store holding a written but uncommitted batch.
CHILD = textwrap.dedent(
    """
    import pathlib, sys, time
    sys.path.insert(0, {here!r})
    import numpy as np
    import kerascope
    import store_models as models
    from kerascope.store import _writer

    commit = _writer.StoreWriter.commit

    def commit_then_hang(self, statistics):
        if self.samples == 24:
            pathlib.Path({ready!r}).write_text("written, not committed")
            time.sleep(600)
        commit(self, statistics)

    _writer.StoreWriter.commit = commit_then_hang
    model = models.build_model()
    model.load_weights({weights!r})
    x = np.load({inputs!r})
    kerascope.record(
        model, models.batches(x, 8), {path!r}, {layers!r}, progress=False, commit_seconds=0
    )
    """
)


def assert_same_recording(actual, expected):
    assert list(actual) == list(expected)
    assert (actual.samples, actual.complete) == (expected.samples, True)
    for key in expected:
        got, want = read_all(actual[key]), read_all(expected[key])
        assert_tree_close(got, want, key)
        np.testing.assert_array_equal(
            np.concatenate([np.ravel(a) for a in _leaves(got)]),
            np.concatenate([np.ravel(a) for a in _leaves(want)]),
            err_msg=key,
        )
    if expected.statistics is not None:
        assert actual.statistics.to_dict() == expected.statistics.to_dict()


def _leaves(value):
    if isinstance(value, tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    return [value]


def test_sigkill_mid_recording_then_resume(tmp_path):
    model = models.build_model()
    x = models.inputs(40)
    model.save_weights(tmp_path / "m.weights.h5")
    np.save(tmp_path / "x.npy", x)
    path, ready = tmp_path / "killed.zarr", tmp_path / "ready"
    script = CHILD.format(
        here=str(Path(__file__).parent),
        ready=str(ready),
        weights=str(tmp_path / "m.weights.h5"),
        inputs=str(tmp_path / "x.npy"),
        path=str(path),
        layers=LAYERS,
    )
    with open(tmp_path / "child.log", "wb") as log:
        child = subprocess.Popen([sys.executable, "-c", script], stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            while not ready.exists():
                if child.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the recording child stopped early:\n" + _log(tmp_path))
                time.sleep(0.1)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL

    killed = kerascope.open(path)
    assert (killed.samples, killed.complete) == (24, False)
    acts = kerascope.capture(model, x, LAYERS, batch_size=8)
    assert list(killed) == LAYERS
    for key in acts:
        expected = _leaves(acts[key])
        for got, want in zip(_leaves(read_all(killed[key])), expected):
            np.testing.assert_allclose(got, want[:24], rtol=1e-5, atol=1e-6, err_msg=key)
    partial_stats = kerascope.stats(model, x[:24], LAYERS, batch_size=8, progress=False)
    got = killed.statistics["shared:1"]
    assert got.count == partial_stats["shared:1"].count
    assert got.mean == pytest.approx(partial_stats["shared:1"].mean, rel=1e-6)

    resumed = kerascope.record(
        model, models.batches(x, 8), path, LAYERS, resume=True, progress=False
    )
    whole = kerascope.record(
        model, models.batches(x, 8), tmp_path / "whole", LAYERS, progress=False
    )
    assert_same_recording(resumed, whole)
    assert_same_recording(kerascope.open(path), whole)


def _log(tmp_path):
    return (tmp_path / "child.log").read_text(errors="replace")[-3000:]


def test_resume_after_a_full_disk_equals_an_uninterrupted_recording(tmp_path, monkeypatch):
    import zarr

    model = models.build_model()
    x = models.inputs(30)  # a last batch of 6
    set_ = zarr.storage.LocalStore.set

    async def full_at_third_chunk(self, key, value):
        if "/c/2/" in key:
            raise OSError(errno.ENOSPC, "No space left on device")
        await set_(self, key, value)

    monkeypatch.setattr(zarr.storage.LocalStore, "set", full_at_third_chunk)
    with pytest.raises(kerascope.StoreError):
        kerascope.record(
            model,
            x,
            tmp_path / "s",
            LAYERS,
            batch_size=8,
            dtype="float16",
            progress=False,
            commit_seconds=0,
        )
    monkeypatch.undo()
    assert kerascope.open(tmp_path / "s").samples == 16
    resumed = kerascope.record(
        model, x, tmp_path / "s", LAYERS, batch_size=8, dtype="float16", resume=True, progress=False
    )
    whole = kerascope.record(
        model, x, tmp_path / "whole", LAYERS, batch_size=8, dtype="float16", progress=False
    )
    assert_same_recording(resumed, whole)


def test_resume_needs_the_data_already_recorded(tmp_path):
    model = models.build_model()
    x = models.inputs(24)
    store = kerascope.record(
        model, models.batches(x, 8), tmp_path / "s", "pool", stats=False, progress=False
    )
    assert store.samples == 24
    # Pretend the recording stopped after 24 of more samples; resume with fewer.
    from kerascope.store import _layout

    _layout.write_commit(tmp_path / "s", {"samples": 24, "complete": False, "statistics": None})
    with pytest.raises(kerascope.InputError, match=r"at least 24 samples.*Received: data of 16"):
        kerascope.record(
            model, models.batches(x[:16], 8), tmp_path / "s", "pool", stats=False, resume=True
        )
    with pytest.raises(kerascope.InputError, match="Received: data of 16 samples"):
        kerascope.record(model, x[:16], tmp_path / "s", "pool", stats=False, resume=True)
    resumed = kerascope.record(
        model, x, tmp_path / "s", "pool", stats=False, resume=True, progress=False
    )
    assert (resumed.samples, resumed.complete) == (24, True)
    # resume=True where there is no store yet simply records.
    fresh = kerascope.record(model, x, tmp_path / "new", "pool", resume=True, progress=False)
    assert fresh.samples == 24
