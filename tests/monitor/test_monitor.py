"""The activation monitor in a real `fit`, on every backend."""

from __future__ import annotations

import os
import threading

import keras
import numpy as np
import pytest

import kerascope
from kerascope.monitor import MonitorHistory

layers = keras.layers

STEPS = 5  # training batches per epoch below


class CountsInferenceCalls(layers.Layer):
    """Identity that counts its Python calls in inference mode (traces, or eager runs)."""

    calls = 0

    def call(self, x, training=None):
        if not training:
            CountsInferenceCalls.calls += 1
        return x


def small_model():
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = CountsInferenceCalls(name="count")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="probs")(x))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def train(rng):
    x = rng.random((STEPS * 16, 8, 8, 1), dtype=np.float32)
    y = rng.integers(0, 3, STEPS * 16)
    return x, y


@pytest.fixture
def probe_data(rng):
    return rng.random((40, 8, 8, 1), dtype=np.float32)


def test_one_snapshot_per_epoch_equal_to_statistics_of_the_trained_model(train, probe_data):
    model = small_model()
    monitor = kerascope.ActivationMonitor(probe_data, layers=["conv", "gap", "probs"])
    calls_after_epoch = []
    count = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: calls_after_epoch.append(CountsInferenceCalls.calls)
    )
    model.fit(*train, batch_size=16, epochs=3, verbose=0, callbacks=[monitor, count])

    history = monitor.history
    assert len(history) == 3
    assert [s.epoch for s in history] == [0, 1, 2]
    assert [s.step for s in history] == [STEPS, 2 * STEPS, 3 * STEPS]
    assert history.keys == ["conv", "gap", "probs"]
    # The last snapshot saw the weights training ended with (on JAX: synced
    # from the trainer's state); checked against numpy on a fresh capture.
    acts = kerascope.capture(model, probe_data)
    last = history[-1].statistics
    for key in history.keys:
        np.testing.assert_allclose(last[key].mean, acts[key].mean(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(last[key].std, acts[key].std(), rtol=1e-4, atol=1e-7)
    # Earlier snapshots saw earlier weights.
    assert history[0].statistics["gap"].mean != last["gap"].mean
    steps, means = history.series("gap", "mean")
    assert steps.tolist() == [STEPS, 2 * STEPS, 3 * STEPS]
    assert means[-1] == last["gap"].mean
    if keras.backend.backend() != "torch":  # compiled once: no new trace after the first epoch
        assert calls_after_epoch[0] == calls_after_epoch[-1]
    assert "call" not in vars(model.get_layer("conv"))
    assert "3 snapshots" in repr(history)


def test_a_second_fit_continues_the_history(train, probe_data):
    model = small_model()
    monitor = kerascope.ActivationMonitor(probe_data, layers="gap")
    model.fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])
    model.fit(*train, batch_size=16, epochs=1, verbose=0, callbacks=[monitor])
    assert [s.step for s in monitor.history] == [STEPS, 2 * STEPS, 3 * STEPS]
    gap = kerascope.capture(model, probe_data, layers="gap")["gap"]
    np.testing.assert_allclose(monitor.history[-1].statistics["gap"].mean, gap.mean(), rtol=1e-5)


def test_batch_intervals_see_the_weights_of_that_moment(train, probe_data):
    model = small_model()
    weights_at: dict[int, list[np.ndarray]] = {}

    class KeepWeights(keras.callbacks.Callback):
        step = 0

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step % 3 == 0:
                weights_at[self.step] = [w.copy() for w in self.model.get_weights()]

    monitor = kerascope.ActivationMonitor(
        probe_data, layers="gap", every_n_batches=3, every_n_epochs=None
    )
    model.fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor, KeepWeights()])

    assert [s.step for s in monitor.history] == [3, 6, 9]
    assert [s.epoch for s in monitor.history] == [0, 1, 1]
    twin = small_model()
    for snapshot in monitor.history:
        twin.set_weights(weights_at[snapshot.step])
        gap = kerascope.capture(twin, probe_data, layers="gap")["gap"]
        np.testing.assert_allclose(snapshot.statistics["gap"].mean, gap.mean(), rtol=1e-5)


def test_batch_intervals_keep_keras_batch_end_hooks_asynchronous(train, probe_data):
    # A batch-end hook would make Keras run every batch-end hook in the training
    # thread, waiting for each step's logs; the monitor's runs as a batch begins.
    monitor = kerascope.ActivationMonitor(
        probe_data, layers="gap", every_n_batches=STEPS, every_n_epochs=None
    )
    assert "on_train_batch_end" not in vars(monitor)
    assert type(monitor).on_train_batch_end is keras.callbacks.Callback.on_train_batch_end

    # Intervals ending with an epoch (the last one with training) are still taken.
    model = small_model()
    model.fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])
    assert [(s.epoch, s.step) for s in monitor.history] == [(0, STEPS), (1, 2 * STEPS)]
    gap = kerascope.capture(model, probe_data, layers="gap")["gap"]
    np.testing.assert_allclose(monitor.history[-1].statistics["gap"].mean, gap.mean(), rtol=1e-5)


def test_tensorboard_histograms_on_every_backend(train, probe_data, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = small_model()
    monitor = kerascope.ActivationMonitor(probe_data, log_dir=tmp_path / "logs")
    model.fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])

    events = EventAccumulator(
        str(tmp_path / "logs" / "activations"), size_guidance={"histograms": 0}
    )
    events.Reload()
    keys = monitor.history.keys
    assert set(events.Tags()["histograms"]) == {f"activations/{key}" for key in keys}
    for key in keys:
        histograms = events.Histograms(f"activations/{key}")
        assert [h.step for h in histograms] == [STEPS, 2 * STEPS]
        last = histograms[-1].histogram_value
        stats = monitor.history[-1].statistics[key]
        assert last.num == stats.count
        assert sum(last.bucket) == stats.count
        assert last.min == pytest.approx(stats.min)
        assert last.max == pytest.approx(stats.max)
        means = events.Scalars(f"activations/{key}/mean")
        assert [m.value for m in means] == pytest.approx(
            monitor.history.series(key, "mean")[1].tolist(), rel=1e-6
        )
    assert "activations/conv/dead_fraction" in events.Tags()["scalars"]


def test_a_fit_that_raised_has_its_events_written_by_the_next(train, probe_data, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise KeyboardInterrupt  # after the monitor's snapshot: Keras skips on_train_end

    model = small_model()
    monitor = kerascope.ActivationMonitor(probe_data, layers="gap", log_dir=tmp_path)
    with pytest.raises(KeyboardInterrupt):
        model.fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor, Interrupt()])
    model.fit(*train, batch_size=16, epochs=1, verbose=0, callbacks=[monitor])

    events = EventAccumulator(str(tmp_path / "activations"), size_guidance={"histograms": 0})
    events.Reload()
    assert [h.step for h in events.Histograms("activations/gap")] == [STEPS, 2 * STEPS]


class Root(layers.Layer):
    """sqrt(w * x): NaN once training drives the weight w below zero."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(), initializer="ones", name="w")

    def call(self, x):
        return keras.ops.sqrt(self.w * x)


def nan_model():
    inputs = keras.Input((4,))
    x = Root(name="root")(inputs)
    model = keras.Model(inputs, layers.Dense(1, name="out")(x))
    # Minimising the output mean pushes w down; this step size overshoots zero.
    model.compile(optimizer=keras.optimizers.SGD(50.0), loss=lambda y, p: keras.ops.mean(p))
    return model


@pytest.mark.parametrize("stop_on", [("nan",), ()])
def test_stop_on_nan(rng, stop_on):
    x = rng.random((32, 4), dtype=np.float32) + 0.5
    y = np.zeros((32, 1), np.float32)
    keras.utils.set_random_seed(0)
    model = nan_model()
    model.get_layer("out").set_weights([np.ones((4, 1), np.float32), np.zeros(1, np.float32)])
    monitor = kerascope.ActivationMonitor(x[:8], stop_on=stop_on)
    fit = model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[monitor])
    if stop_on:
        assert len(fit.epoch) == 1
        assert monitor.stopped_by is not None
        assert (monitor.stopped_by.kind, monitor.stopped_by.key) == ("nan", "root")
    else:
        assert len(fit.epoch) == 4
        assert monitor.stopped_by is None
        assert monitor.history[0].findings.of_kind("nan")[0].key == "root"


def test_history_file_on_disk_reads_back(train, probe_data, tmp_path):
    model = small_model()
    path = tmp_path / "history.jsonl"
    monitor = kerascope.ActivationMonitor(probe_data, history_file=path)
    model.fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])
    loaded = MonitorHistory.load(path)
    assert len(loaded) == 2
    for a, b in zip(loaded, monitor.history):
        assert (a.epoch, a.step) == (b.epoch, b.step)
        assert a.statistics.to_dict() == b.statistics.to_dict()
        assert a.findings == b.findings
    # A crash mid-line leaves the complete snapshots readable.
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"format": "kerascope.monitor/1", "epo')
    assert len(MonitorHistory.load(path)) == 2
    monitor.history.save(tmp_path / "saved.jsonl")
    assert len(MonitorHistory.load(tmp_path / "saved.jsonl")) == 2


def test_bad_arguments_raise(probe_data):
    with pytest.raises(kerascope.InputError, match="every_n_epochs=0"):
        kerascope.ActivationMonitor(probe_data, every_n_epochs=0)
    with pytest.raises(kerascope.InputError, match="both None"):
        kerascope.ActivationMonitor(probe_data, every_n_epochs=None)
    with pytest.raises(kerascope.InputError, match="bogus"):
        kerascope.ActivationMonitor(probe_data, stop_on=("nan", "bogus"))
    with pytest.raises(kerascope.InputError, match="outside training"):
        kerascope.ActivationMonitor(probe_data).snapshot()


def test_the_probe_compiles_during_the_first_epoch_and_never_in_a_snapshot(train, probe_data):
    model = small_model()
    monitor = kerascope.ActivationMonitor(probe_data, layers="gap", batch_size=16)
    counts = {}

    def after_first_batch(batch, logs):
        if batch == 0 and "ahead" not in counts:
            # On JAX, fit has moved the variables' values out of the model by now:
            # compiling ahead must not need them.
            if monitor._run.compiling is not None:  # None on torch: nothing compiles
                monitor._run.compiling.join()
            counts["ahead"] = CountsInferenceCalls.calls

    count = keras.callbacks.LambdaCallback(on_train_batch_end=after_first_batch)
    before = CountsInferenceCalls.calls
    model.fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor, count])
    assert len(monitor.history) == 2
    if keras.backend.backend() != "torch":
        # Traced ahead (40 samples: a batch of 16 and one of 8, padded on JAX),
        # and not once more by the snapshots.
        assert counts["ahead"] > before
        assert CountsInferenceCalls.calls == counts["ahead"]
        # A second fit with the same monitor finds its probe compiled.
        model.fit(*train, batch_size=16, epochs=1, verbose=0, callbacks=[monitor])
        assert len(monitor.history) == 3
        assert CountsInferenceCalls.calls == counts["ahead"]
    acts = kerascope.capture(model, probe_data, layers="gap")["gap"]
    np.testing.assert_allclose(monitor.history[-1].statistics["gap"].mean, acts.mean(), rtol=1e-5)


def test_stop_on_nan_stops_at_the_snapshot_that_found_it(rng):
    # w falls 1 -> 0.8 -> 0.58 -> 0.31 -> below zero: NaN from the fourth batch's
    # weights on. The snapshots before it are made in the background; the one
    # that holds NaN is made at once and stops training after the next batch.
    x = rng.random((80, 4), dtype=np.float32) * 0.2 + 0.9
    y = np.zeros((80, 1), np.float32)
    model = nan_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=lambda y, p: keras.ops.mean(p))
    model.get_layer("out").set_weights([np.ones((4, 1), np.float32), np.zeros(1, np.float32)])
    weights: list[float] = []

    class Track(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            weights.append(float(self.model.get_layer("root").get_weights()[0]))

    monitor = kerascope.ActivationMonitor(
        x[:8], every_n_batches=1, every_n_epochs=None, stop_on=("nan",)
    )
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[monitor, Track()])

    first_negative = next(step for step, w in enumerate(weights, 1) if w < 0)
    assert first_negative < 8  # NaN appeared within the epoch
    found = [bool(s.findings.of_kind("nan")) for s in monitor.history]
    # One snapshot per batch, in order, and the epoch's end snapshots the last batch.
    assert [s.step for s in monitor.history] == list(range(1, first_negative + 2))
    assert found.index(True) == first_negative - 1  # the snapshot of the first bad weights
    assert monitor.stopped_by == monitor.history[first_negative - 1].findings.of_kind("nan")[0]
    assert monitor.stopped_by.key == "root"
    assert len(weights) == first_negative + 1  # stopped after the batch it began
    # (the epoch's end then snapshots that batch's weights too)


def test_snapshots_are_made_off_the_step_unless_a_finding_could_stop_training(train, probe_data):
    threads: dict[tuple[str, ...], bool] = {}
    for stop_on in [(), ("nan",), ("dead",)]:
        seen: list[bool] = []
        before = set(threading.enumerate())  # none of this fit's

        def look_for_it(epoch, logs, seen=seen, before=before):
            names = [thread.name for thread in set(threading.enumerate()) - before]
            seen.append(any(name.startswith("kerascope-monitor-output") for name in names))

        look = keras.callbacks.LambdaCallback(on_epoch_end=look_for_it)
        monitor = kerascope.ActivationMonitor(probe_data, layers="gap", stop_on=stop_on)
        small_model().fit(*train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor, look])
        threads[stop_on] = any(seen)
        assert [s.step for s in monitor.history] == [STEPS, 2 * STEPS]  # all, when fit returns
    assert threads == {(): True, ("nan",): True, ("dead",): False}


def test_an_error_on_the_background_thread_raises_from_fit(train, probe_data, tmp_path):
    path = tmp_path / "history.jsonl"

    class TakeTheFile(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            os.remove(path)  # the monitor has just created it: a directory takes its place
            os.mkdir(path)

    monitor = kerascope.ActivationMonitor(probe_data, layers="gap", history_file=path)
    with pytest.raises(OSError, match=r"history\.jsonl"):
        small_model().fit(
            *train, batch_size=16, epochs=2, verbose=0, callbacks=[monitor, TakeTheFile()]
        )
