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
a rotating order. Two overheads are given, both medians:

- `in hooks`: the time spent inside the monitor's own hooks (set-up,
  snapshots, TensorBoard) over the time of the rest of that same `fit`: what
  the monitor adds, measured within one run. The probe compiles on a
  background thread while the trainer compiles its own step, so only the
  time a snapshot waits for it counts here; what it takes from training
  shows in the next figure;
- `vs fit`: the difference to the `fit` baseline's median. Fits of about two
  seconds vary by +-10% from run to run on a shared 2-core machine, so this
  one is noisy; it also includes indirect costs (caches, memory).

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

    def _on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._timed(super()._on_train_batch_end, batch, logs)

    def on_train_end(self, logs: Any = None) -> None:
        self._timed(super().on_train_end, logs)


def run_fit(
    x: np.ndarray, y: np.ndarray, epochs: int, monitor: Callable[[], Any] | None
) -> tuple[float, float]:
    """`(fit seconds, seconds inside the monitor's hooks)`."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = build_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    callbacks = [monitor()] if monitor is not None else []
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start, sum(c.seconds for c in callbacks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
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
            run_fit(x, y, 1, candidates[name])
        times: dict[str, list[float]] = {name: [] for name in names}
        inside: dict[str, list[float]] = {name: [] for name in names}
        for r in range(args.rounds):
            for i in range(len(names)):
                name = names[(i + r) % len(names)]
                total, hooks = run_fit(x, y, args.epochs, candidates[name])
                times[name].append(total)
                inside[name].append(hooks / (total - hooks))
    base = statistics.median(times["fit"])
    steps = -(-split // 32) * args.epochs
    print(
        f"{keras.backend.backend()}: demo CNN, {split} digits, {args.epochs} epochs "
        f"({steps} steps), probe {len(probe)} samples, median of {args.rounds} rounds"
    )
    print("| run | fit time (s) | overhead in hooks | overhead vs fit |")
    print("|---|---:|---:|---:|")
    for name in names:
        median = statistics.median(times[name])
        hooks = statistics.median(inside[name])
        print(f"| {name} | {median:.2f} | {hooks:+.1%} | {median / base - 1:+.1%} |")


if __name__ == "__main__":
    main()
