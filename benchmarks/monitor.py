"""Benchmark: the cost of `kerascope.ActivationMonitor` on `model.fit`.

The demo CNN (`kerascope._demo.build_cnn()`) is trained on scikit-learn's
bundled digits (1,437 training images, batch 32: 45 steps an epoch) for
`--epochs` epochs, on the backend chosen by `KERAS_BACKEND`:

- `fit`: no callback, the baseline;
- `monitor / epoch`: `ActivationMonitor(probe, log_dir=...)`, every layer,
  statistics, findings, TensorBoard scalars and histograms once per epoch;
- `monitor / 10 batches`: the same, every 10 training batches.

The probe batch is `--probe` held-out digits. Each run builds and compiles a
fresh model with the same seed and times `model.fit` alone (so the baseline
and the monitor both pay the training step's compilation; the monitor also
pays its probe's, once per run). Runs are interleaved over `--rounds` rounds in
a rotating order. The overheads are medians:

- `in hooks`: the time spent inside the monitor's own hooks (set-up,
  snapshots, TensorBoard) over the time of the rest of that same `fit`: what
  the monitor adds, measured within one run. The probe compiles on a
  background thread while the trainer compiles its own step, so only the
  time a snapshot waits for it counts here; what it takes from training
  shows in the next figure;
- `vs fit`: the end-to-end cost: the fit's time over the baseline `fit` of
  the same round, minus one. Each round runs every candidate once, back to
  back, so the ratio within a round cancels the machine's slow drift; the
  median over rounds is given with its interquartile range. It includes
  indirect costs (caches, threads, memory) that `in hooks` cannot see;
- `later epoch vs fit's`: the steady cost. A fit's first epoch compiles the
  training step (on JAX, most of a short fit's time); every later epoch is
  training plus, here, its snapshots. The median later epoch of each run,
  over the baseline's of the same round, minus one.

    KERAS_BACKEND=jax .venv/bin/python benchmarks/monitor.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

import kerascope
from kerascope._demo import build_cnn, load_digits_images


class TimedMonitor(kerascope.ActivationMonitor):
    """The monitor, with the time spent in each of its hooks added up."""

    seconds = 0.0

    def _timed(self, hook: Callable[..., Any], *args: Any) -> None:
        start = time.perf_counter()
        hook(*args)
        self.seconds += time.perf_counter() - start

    def on_train_begin(self, logs: Any = None) -> None:
        self._timed(super().on_train_begin, logs)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._timed(super().on_epoch_end, epoch, logs)

    def _on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._timed(super()._on_train_batch_begin, batch, logs)

    def on_train_end(self, logs: Any = None) -> None:
        self._timed(super().on_train_end, logs)


class EpochClock(keras.callbacks.Callback):
    """Notes when each epoch ends (after the monitor's snapshot: it comes last)."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[float] = []

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.ends.append(time.perf_counter())


def run_fit(
    x: np.ndarray, y: np.ndarray, epochs: int, monitor: Callable[[], Any] | None
) -> tuple[float, float, float]:
    """`(fit seconds, seconds inside the monitor's hooks, median later epoch)`.

    The later epochs (all but the first, which compiles the training step)
    show the steady cost of training, and of a snapshot every epoch.
    """
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    callbacks = [monitor()] if monitor is not None else []
    clock = EpochClock()
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[*callbacks, clock])
    total = time.perf_counter() - start
    epoch = statistics.median(np.diff(clock.ends)) if epochs > 1 else total
    return total, sum(c.seconds for c in callbacks), float(epoch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--probe", type=int, default=256)
    args = parser.parse_args()
    images, labels = load_digits_images()
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    split = int(0.8 * len(images))
    x, y, probe = images[:split], labels[:split], images[split : split + args.probe]

    with tempfile.TemporaryDirectory() as logs:
        candidates: dict[str, Callable[[], Any] | None] = {
            "fit": None,
            "monitor / epoch": lambda: TimedMonitor(probe, log_dir=logs),
            "monitor / 10 batches": lambda: TimedMonitor(
                probe, log_dir=logs, every_n_batches=10, every_n_epochs=None
            ),
        }
        names = list(candidates)
        for name in names:  # warm-up: imports, first compilations
            run_fit(x, y, 2, candidates[name])
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
        for r in range(args.rounds):
            for i in range(len(names)):
                name = names[(i + r) % len(names)]
                runs[name].append(run_fit(x, y, args.epochs, candidates[name]))
    steps = -(-split // 32) * args.epochs
    print(
        f"{keras.backend.backend()}: demo CNN, {split} digits, {args.epochs} epochs "
        f"({steps} steps), probe {len(probe)} samples, median of {args.rounds} rounds"
    )
    print(
        "| run | fit (s) | later epoch (ms) | in hooks | vs fit | vs fit, quartiles "
        "| later epoch vs fit's |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = runs["fit"]
    for name in names:
        mine = runs[name]
        hooks = statistics.median(inside / (total - inside) for total, inside, _ in mine)
        paired = [m[0] / b[0] - 1 for m, b in zip(mine, base)]
        low, _, high = statistics.quantiles(paired, n=4)
        epoch = statistics.median(m[2] / b[2] - 1 for m, b in zip(mine, base))
        print(
            f"| {name} | {statistics.median(m[0] for m in mine):.2f} "
            f"| {statistics.median(m[2] for m in mine) * 1e3:.0f} | {hooks:+.1%} "
            f"| {statistics.median(paired):+.1%} | {low:+.1%} .. {high:+.1%} | {epoch:+.1%} |"
        )


if __name__ == "__main__":
    main()
