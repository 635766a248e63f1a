"""Benchmark: `kerascope.top_examples` throughput against `model.predict` over the same data.

A small CNN on `(32, 32, 3)` images (Conv2D 16 -> Conv2D 32 -> MaxPool ->
Conv2D 32 -> GlobalAveragePooling -> Dense 10) runs over the same in-memory
array of samples, in one process, with every mode once per round (interleaved,
after one warm-up run each) and medians over the rounds:

- `predict`: `model.predict(x, verbose=0)` (its batches of 32), the baseline.
- `top_examples all`: `top_examples(model, x, k=9)`, every layer, the strongest
  response per sample and channel reduced inside the compiled forward pass.
- `top_examples one`: the same for one layer (`conv2`).
- `host reduction all`: the same ranking, with the layer outputs brought to
  the host and reduced with numpy (`StatisticsRunner(on_device=False)` +
  `ExamplesAccumulator.add`): what `top_examples` itself does with torch on
  a CPU, where it measured faster; on JAX and TensorFlow the in-graph
  reduction measured faster.

Ratios compare each mode's median seconds with `predict`'s. Run it once per
backend, from the repository root:

    KERAS_BACKEND=jax .venv/bin/python benchmarks/examples.py
    KERAS_BACKEND=torch .venv/bin/python benchmarks/examples.py --samples 8192 --rounds 7

The target: `top_examples` at 0.8x the throughput of `predict` or better.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

SHAPE = (32, 32, 3)


def build_model() -> Any:
    import keras

    keras.utils.set_random_seed(0)
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(SHAPE),
            layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(name="pool"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv3"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(10, name="logits"),
        ],
        name="cnn",
    )


def host_reduction(model: Any, x: Any) -> Any:
    """Top examples with host outputs reduced by numpy (what `top_examples` measured against)."""
    from kerascope.examples import examples_accumulator
    from kerascope.stats import StatisticsRunner

    runner = StatisticsRunner(model, on_device=False)
    batches = runner.batches(x)
    accumulator = examples_accumulator(model, runner.specs, k=9, bottom=False)
    for outputs, n in runner.stream(batches):
        for key, value in outputs.items():
            accumulator.add(key, value, n)
        accumulator.advance(n)
    return accumulator.result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import keras
    import numpy as np

    import kerascope

    model = build_model()
    x = np.random.default_rng(0).normal(size=(args.samples, *SHAPE)).astype("float32")
    modes: dict[str, Callable[[], Any]] = {
        "predict": lambda: model.predict(x, verbose=0),
        "top_examples all": lambda: kerascope.top_examples(model, x, k=9, progress=False),
        "top_examples one": lambda: kerascope.top_examples(model, x, "conv2", k=9, progress=False),
        "host reduction all": lambda: host_reduction(model, x),
    }
    for run in modes.values():  # warm-up: compile every program once
        run()
    seconds: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode, run in modes.items():
            start = time.perf_counter()
            run()
            seconds[mode].append(time.perf_counter() - start)
    base = statistics.median(seconds["predict"])
    print(
        f"backend: {keras.backend.backend()}, {args.samples} samples {SHAPE}, CPU, "
        f"median of {args.rounds} interleaved rounds"
    )
    print()
    print("| run | samples/s | vs predict | per-round ratios |")
    print("|---|---:|---:|---|")
    for mode, times in seconds.items():
        median = statistics.median(times)
        ratios = ", ".join(f"{p / t:.2f}" for p, t in zip(seconds["predict"], times, strict=True))
        print(f"| {mode} | {args.samples / median:,.0f} | {base / median:.2f}x | {ratios} |")


if __name__ == "__main__":
    main()
