"""Benchmark: `kerascope.stats` against `model.predict`, and on-device against host reduction.

For two models on the backend chosen by `KERAS_BACKEND`:

- `demo cnn`: `kerascope._demo.build_cnn()`, 8x8x1 inputs, 2048 samples;
- `mobilenetv2`: `keras.applications.MobileNetV2(alpha=0.35, weights=None)`
  at 64x64x3, 512 samples;

it times, on the same random float32 data with batch size 32:

- `predict`: `model.predict(x, batch_size=32, verbose=0)`, the baseline;
- `stats`: `kerascope.stats(model, x, progress=False)`, every layer, as a
  user runs it (on a CPU: host numpy summaries, overlapped with the forward
  pass);
- `device summaries`: the same statistics with the summary computed inside
  the compiled forward pass with `keras.ops` (`Probe(reduce=...)`), the path
  `stats` takes on an accelerator. This pair is the measurement behind the
  choice of path.

Each candidate is warmed up once (compilation), then timed over `--rounds`
interleaved rounds (rotated order); the median and its ratio to `predict`'s
median are printed. Throughput ratio = predict time / stats time.

    KERAS_BACKEND=tensorflow .venv/bin/python benchmarks/stats.py
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

import kerascope
from kerascope._demo import build_cnn
from kerascope.stats import StatsAccumulator


def device_stats(model: Any, x: np.ndarray, batch: int) -> Callable[[], None]:
    """`stats` with every batch summarised on the device, in the compiled pass."""
    probe = kerascope.Probe(model)
    accumulator = StatsAccumulator(probe.specs)
    device_probe = kerascope.Probe(model, reduce=accumulator.summarize)

    def run() -> None:
        accumulator = StatsAccumulator(probe.specs)
        for start in range(0, len(x), batch):
            part = x[start : start + batch]
            for key, summary in device_probe.run_batch(part, len(part)).items():
                accumulator.update(key, summary)
        accumulator.result()

    return run


def time_model(name: str, model: Any, x: np.ndarray, batch: int, rounds: int) -> None:
    candidates: dict[str, Callable[[], Any]] = {
        "predict": lambda: model.predict(x, batch_size=batch, verbose=0),
        "stats": lambda: kerascope.stats(model, x, batch_size=batch, progress=False),
        "device summaries": device_stats(model, x, batch),
    }
    for run in candidates.values():  # warm-up: compile
        run()
    names = list(candidates)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for i in range(len(names)):
            n = names[(i + r) % len(names)]
            start = time.perf_counter()
            candidates[n]()
            times[n].append(time.perf_counter() - start)
    base = statistics.median(times["predict"])
    print(f"{keras.backend.backend()}  {name}  ({len(x)} samples, batch {batch})")
    for n in names:
        median = statistics.median(times[n])
        print(
            f"  {n:24s} {median * 1e3:9.1f} ms   time x predict {median / base:5.2f}"
            f"   throughput x predict {base / median:5.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--models", default="cnn,mobilenet")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    if "cnn" in args.models:
        x = rng.random((2048, 8, 8, 1), dtype=np.float32)
        time_model("demo cnn", build_cnn(), x, args.batch, args.rounds)
    if "mobilenet" in args.models:
        model = keras.applications.MobileNetV2(input_shape=(64, 64, 3), alpha=0.35, weights=None)
        x = rng.random((512, 64, 64, 3), dtype=np.float32)
        time_model("mobilenetv2 a=0.35 64x64", model, x, args.batch, args.rounds)


if __name__ == "__main__":
    main()
