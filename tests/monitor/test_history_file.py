"""`history_file=` (and its deprecated name `store=`), and reading a history without Keras."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import keras
import numpy as np
import pytest

import kerascope
from kerascope.monitor import MonitorHistory


def tiny_model():
    inputs = keras.Input((6,))
    x = keras.layers.Dense(5, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(x))
    model.compile(optimizer="sgd", loss="mse")
    return model


def fit_with(monitor, rng):
    x = rng.random((24, 6), dtype=np.float32)
    y = rng.random((24, 2), dtype=np.float32)
    tiny_model().fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[monitor])


def test_store_is_the_deprecated_name_of_history_file(rng, tmp_path):
    probe = rng.random((10, 6), dtype=np.float32)
    with pytest.warns(DeprecationWarning, match="history_file="):
        old = kerascope.ActivationMonitor(probe, store=tmp_path / "old.jsonl")
    fit_with(old, rng)
    keras.utils.set_random_seed(0)
    new = kerascope.ActivationMonitor(probe, history_file=tmp_path / "new.jsonl")
    fit_with(new, np.random.default_rng(0))
    for name, monitor in (("old.jsonl", old), ("new.jsonl", new)):
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["step"] for line in lines] == [3, 6]
        assert [s.step for s in MonitorHistory.load(tmp_path / name)] == [3, 6]
        assert len(monitor.history) == 2


def test_history_file_and_store_together_raise_and_write_nothing(rng, tmp_path):
    probe = rng.random((10, 6), dtype=np.float32)
    with pytest.raises(kerascope.InputError, match=r"not both\. Received: history_file="):
        kerascope.ActivationMonitor(
            probe, history_file=tmp_path / "a.jsonl", store=tmp_path / "b.jsonl"
        )
    assert not list(tmp_path.iterdir())


def run_fresh(code: str) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter, with this checkout's `src` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(os.path.dirname(__file__), "..", "..", "src"), env.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_loading_a_history_imports_neither_keras_nor_a_backend(rng, tmp_path):
    path = tmp_path / "history.jsonl"
    monitor = kerascope.ActivationMonitor(rng.random((10, 6), dtype=np.float32), history_file=path)
    fit_with(monitor, rng)
    expected = monitor.history.series("hidden", "std")[1].tolist()
    # Statistics and Findings must themselves load without Keras first (the
    # lazy top-level, stats and diagnostics packages of issue 12).
    seam = run_fresh(
        """
        import sys
        import kerascope.diagnostics, kerascope.stats
        print(sorted({"keras", "tensorflow", "jax", "torch"} & set(sys.modules)))
        """
    )
    if seam.returncode != 0 or seam.stdout.strip() != "[]":
        pytest.skip(
            "kerascope, kerascope.stats or kerascope.diagnostics still import Keras: "
            f"{seam.stdout.strip() or seam.stderr[-300:]}"
        )
    # The monitor package itself loads its Keras callback only when asked for it.
    lazy = run_fresh(
        """
        import sys
        from kerascope.monitor import MonitorHistory, Snapshot
        print("kerascope.monitor._callback" in sys.modules)
        import kerascope.monitor
        print(kerascope.monitor.ActivationMonitor.__name__)
        """
    )
    assert lazy.returncode == 0, lazy.stderr
    assert lazy.stdout.split() == ["False", "ActivationMonitor"]
    loaded = run_fresh(
        f"""
        import sys
        from kerascope.monitor import MonitorHistory
        history = MonitorHistory.load({os.fspath(path)!r})
        print(history.series("hidden", "std")[1].tolist())
        print(sorted({{"keras", "tensorflow", "jax", "torch"}} & set(sys.modules)))
        """
    )
    assert loaded.returncode == 0, loaded.stderr
    values, imported = loaded.stdout.strip().splitlines()
    assert json.loads(values) == expected
    assert imported == "[]"


def test_snapshots_are_written_in_order_and_a_failed_write_raises(rng, tmp_path):
    from kerascope.monitor._output import SnapshotOutput

    monitor = kerascope.ActivationMonitor(rng.random((10, 6), dtype=np.float32))
    fit_with(monitor, rng)
    output = SnapshotOutput(None, tmp_path / "copy.jsonl")
    for snapshot in [*monitor.history, *monitor.history]:
        output.submit(snapshot)
    output.wait()  # all written; more may follow
    assert [s.step for s in MonitorHistory.load(tmp_path / "copy.jsonl")] == [3, 6, 3, 6]
    output.submit(monitor.history[0])
    output.close()
    output.close()  # again: nothing
    with pytest.raises(ValueError, match="closed"):
        output.submit(monitor.history[0])
    assert [s.step for s in MonitorHistory.load(tmp_path / "copy.jsonl")] == [3, 6, 3, 6, 3]

    broken = SnapshotOutput(None, tmp_path)  # a directory: the thread's open fails
    broken.submit(monitor.history[0])
    with pytest.raises(OSError, match=os.path.basename(tmp_path)):
        broken.close()


def test_at_most_two_snapshots_are_made_at_a_time_in_order_and_errors_raise(rng):
    from kerascope.monitor._output import IN_FLIGHT, SnapshotOutput

    monitor = kerascope.ActivationMonitor(rng.random((10, 6), dtype=np.float32))
    fit_with(monitor, rng)
    first, second = monitor.history
    gate = threading.Event()

    def held(snapshot):
        def make():
            gate.wait(30)
            return snapshot

        return make

    output = SnapshotOutput(None, None)
    made: list = []
    output.defer(held(first), made.append)
    output.defer(held(second), made.append)
    assert IN_FLIGHT == 2
    third = threading.Thread(target=output.defer, args=(held(first), made.append))
    third.start()
    third.join(0.3)
    assert third.is_alive()  # waits while two are in flight: their outputs stay held
    gate.set()
    third.join(30)
    output.wait()
    assert made == [first, second, first]

    output.defer(lambda: 1 / 0, made.append)  # an error making a snapshot ...
    with pytest.raises(ZeroDivisionError):
        output.close()  # ... raises on the training thread, at the latest at the end
    assert made == [first, second, first]
