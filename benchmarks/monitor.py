"""Benchmark: the cost of `kerascope.ActivationMonitor`, against the targets of issue 12.

Two measurements on the demo CNN (`kerascope._demo.build_cnn()`) and
scikit-learn's bundled digits, on the backend chosen by `KERAS_BACKEND`:

1. **A steady snapshot against the forward pass of the probe batch.** One
   process, a trained model and a monitor with `on_train_begin` done (probe
   compiled, TensorBoard writer open). Each round makes `--calls` calls of
   each part below, one call of each in turn in a rotating order: the
   forward pass of the probe batch, two ways (a compiled `kerascope.Probe` of
   the model's last layer: the whole pass, one small output to numpy; and
   `model.predict_on_batch`), the monitor's probe pass (every layer's output
   to numpy), and a snapshot (every layer: statistics, findings, TensorBoard
   scalars and histograms) three ways: as in `fit`, the training thread's
   share (the probe pass; the rest is made on the background thread, waited
   for after it, untimed); the same with that background work waited for,
   timed (all the work a snapshot makes); and made at once, as with a
   `stop_on` kind beyond `"nan"`. Per round, each part's median over the
   faster forward pass's median; the median of the rounds and their
   quartiles. Target: <= 2x (the floor is 1x: a snapshot runs the probe).
   Each part of a snapshot is timed the same way.
2. **`fit` with one snapshot per epoch, for epochs of >= `--epoch-seconds`.**
   The digits are repeated until a baseline epoch lasts that long (the same
   model, more data per epoch). Each round builds and compiles a fresh model
   with the same seed for each candidate, back to back in a rotating order,
   and times `model.fit`: the fit's time over the baseline fit of the same
   round, minus one (median and quartiles over rounds), and the same for the
   median later epoch (the first compiles the training step). Target: <= 5%.
   Two monitors: the default (snapshots made in the background) and one
   making them at once (`stop_on=("dead",)`, which needs the statistics).

    KERAS_BACKEND=jax .venv/bin/python benchmarks/monitor.py

Timings are only comparable within one run: ratios are paired by round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import kerascope
from kerascope._demo import build_cnn, load_digits_images


def median_seconds(function: Callable[[], Any], calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def summary(ratios: list[float], percent: bool = False) -> str:
    low, middle, high = statistics.quantiles(ratios, n=4)
    middle = statistics.median(ratios)
    if percent:
        return f"{middle - 1:+.1%} ({low - 1:+.1%} .. {high - 1:+.1%})"
    return f"{middle:.2f}x ({low:.2f} .. {high:.2f})"


# -- 1. a snapshot against the forward pass ----------------------------------------


def snapshot_parts(
    monitor: Any, model: Any, probe_x: np.ndarray, logs: str
) -> dict[str, Callable[[], Any]]:
    """What a snapshot does, each callable alone (for the breakdown)."""
    from kerascope.diagnostics import run_rules
    from kerascope.monitor._tensorboard import EventWriter

    run = monitor._run
    snapshot = monitor.snapshot()
    probed = run["runner"].forward(run["batches"], prefetch=False)
    # The forward pass alone: the same compiled-probe machinery, returning the
    # model's last layer only (the whole forward pass, one small output).
    forward = kerascope.Probe(model, layers=list(run["runner"].probe.keys)[-1])
    writer = EventWriter(os.path.join(logs, "parts"))  # not the monitor's: its thread writes there
    return {
        "forward pass (the probe batch, last layer only)": lambda: [
            forward.run_batch(b, n) for b, n in run["batches"]
        ],
        "`model.predict_on_batch` (for reference)": lambda: model.predict_on_batch(probe_x),
        "probe pass, every layer to numpy": lambda: [
            run["runner"].probe.run_batch(b, n) for b, n in run["batches"]
        ],
        "snapshot in `fit` (the training thread)": lambda: monitor._take(background=True),
        "snapshot in `fit` and its background work, waited for": lambda: (
            monitor._take(background=True),
            run["output"].wait(),
        ),
        "snapshot made at once (`stop_on` beyond nan)": monitor.snapshot,
        "  statistics (summaries, `Statistics`)": lambda: run["runner"].summarize(probed),
        "  findings (in the snapshot)": lambda: run_rules(snapshot.statistics),
        "  TensorBoard event (background thread)": lambda: writer.write(snapshot.statistics, 0),
        "  history file line (background thread)": lambda: json.dumps(snapshot.to_dict()),
    }


def bench_snapshot(args: argparse.Namespace, images: np.ndarray, labels: np.ndarray) -> None:
    keras.utils.set_random_seed(0)
    model = build_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(images[:512], labels[:512], epochs=1, batch_size=32, verbose=0)
    probe_x = images[-args.probe :]
    with tempfile.TemporaryDirectory() as logs:
        monitor = kerascope.ActivationMonitor(probe_x, log_dir=logs)
        monitor.set_model(model)
        monitor.on_train_begin()
        parts = snapshot_parts(monitor, model, probe_x, logs)
        for function in parts.values():  # warm-up: compilation, caches
            median_seconds(function, 5)
        times: dict[str, list[float]] = {name: [] for name in parts}
        names = list(parts)
        for r in range(args.rounds):
            calls: dict[str, list[float]] = {name: [] for name in names}
            for c in range(args.calls):  # one call of each part in turn: pairs close in time
                for i in range(len(names)):
                    name = names[(i + r + c) % len(names)]
                    start = time.perf_counter()
                    parts[name]()
                    calls[name].append(time.perf_counter() - start)
                    if name.startswith("snapshot"):  # its background work must not
                        monitor._run["output"].wait()  # slow the next part: waited, untimed
            for name in names:
                times[name].append(statistics.median(calls[name]))
            monitor.history._snapshots.clear()  # keep memory flat
        monitor.on_train_end()
    # The forward pass: the faster of the two ways of running it, per round.
    forward = [min(pair) for pair in zip(times[names[0]], times[names[1]])]
    print(
        f"\n{keras.backend.backend()}: a steady snapshot of the demo CNN, probe of "
        f"{len(probe_x)} digits, every layer; {args.rounds} rounds of "
        f"{args.calls} calls each, interleaved\n"
    )
    print("| part | median ms | vs the faster forward pass: median (quartiles) |")
    print("|---|---:|---:|")
    for name in names:
        ratios = [t / f for t, f in zip(times[name], forward)]
        print(f"| {name} | {statistics.median(times[name]) * 1e3:.2f} | {summary(ratios)} |")


# -- 2. fit with one snapshot per epoch ----------------------------------------------


class EpochClock(keras.callbacks.Callback):
    """Notes when each epoch ends (after the monitor's snapshot: it comes last)."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[float] = []

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.ends.append(time.perf_counter())


def run_fit(
    x: np.ndarray, y: np.ndarray, epochs: int, monitor: Callable[[], Any] | None
) -> tuple[float, float]:
    """`(fit seconds, median later epoch seconds)` of a fresh model."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    clock = EpochClock()
    callbacks = [monitor()] if monitor is not None else []
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[*callbacks, clock])
    total = time.perf_counter() - start
    if len(clock.ends) != epochs:  # a `stop_on` finding stopped it: not comparable
        raise RuntimeError(f"Expected {epochs} epochs. Received: {len(clock.ends)}")
    return total, float(statistics.median(np.diff(clock.ends)))


def bench_fit(args: argparse.Namespace, images: np.ndarray, labels: np.ndarray) -> None:
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    split = len(images) - args.probe
    x, y, probe_x = images[:split], labels[:split], images[split:]
    _, epoch = run_fit(x, y, 3, None)  # warm-up, and the length of an epoch
    repeat = max(1, int(np.ceil(1.2 * args.epoch_seconds / epoch)))  # with a margin
    x, y = np.concatenate([x] * repeat), np.concatenate([y] * repeat)
    with tempfile.TemporaryDirectory() as logs:
        candidates: dict[str, Callable[[], Any] | None] = {
            "fit": None,
            "monitor / epoch": lambda: kerascope.ActivationMonitor(probe_x, log_dir=logs),
            "monitor / epoch, made at once": lambda: kerascope.ActivationMonitor(
                probe_x, log_dir=logs, stop_on=("dead",)
            ),
        }
        names = list(candidates)
        for name in names[1:]:
            run_fit(x, y, 2, candidates[name])  # warm-up
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        for r in range(args.fit_rounds):
            for i in range(len(names)):
                name = names[(i + r) % len(names)]
                runs[name].append(run_fit(x, y, args.epochs, candidates[name]))
    base = runs["fit"]
    steps = -(-len(x) // 32)
    print(
        f"\n{keras.backend.backend()}: fit of the demo CNN on {split} digits x {repeat} "
        f"({len(x)} samples, {steps} steps an epoch), {args.epochs} epochs, probe "
        f"{len(probe_x)} digits, {args.fit_rounds} rounds\n"
    )
    print("| run | fit (s) | later epoch (ms) | vs fit (quartiles) | later epoch vs fit's |")
    print("|---|---:|---:|---:|---:|")
    for name in names:
        mine = runs[name]
        whole = [m[0] / b[0] for m, b in zip(mine, base)]
        later = [m[1] / b[1] for m, b in zip(mine, base)]
        print(
            f"| {name} | {statistics.median(m[0] for m in mine):.2f} "
            f"| {statistics.median(m[1] for m in mine) * 1e3:.0f} "
            f"| {summary(whole, True)} | {summary(later, True)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", type=int, default=256, help="probe samples")
    parser.add_argument("--rounds", type=int, default=15, help="snapshot rounds")
    parser.add_argument("--calls", type=int, default=20, help="calls per snapshot round")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--epoch-seconds", type=float, default=0.5)
    parser.add_argument("--fit-rounds", type=int, default=7)
    parser.add_argument("--only", choices=("snapshot", "fit"), default=None)
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch.set_num_threads (on a shared, busy machine torch's spinning threads "
        "slow it by 10-20x; 1 keeps its figures meaningful)",
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs at the start")
    if args.torch_threads and keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(args.torch_threads)
    images, labels = load_digits_images()
    if args.only != "fit":
        bench_snapshot(args, images, labels)
    if args.only != "snapshot":
        bench_fit(args, images, labels)


if __name__ == "__main__":
    main()
