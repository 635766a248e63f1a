"""Benchmark: interventions against `model.predict` and against sequential edited runs.

On the Keras backend chosen by `KERAS_BACKEND`, with a small CNN on random
`(samples, 32, 32, 3)` images whose layers `conv2` and `conv3`
have 64 channels:

1. **Intervened forward pass**: `kerascope.intervene(model, {"conv2":
   zero(channels=[7])}).predict(x)` against `model.predict(x, verbose=0)`,
   same batch size. Target: at most 1.1x.
2. **Batched ablation**: `kerascope.ablation(model, x, y, layers=key)`
   (every one of the 64 channels, the baseline in the same passes) against
   64 sequential edited runs, one `intervene(...).predict(x)` per channel
   plus the same loss on the host. Target: at least 5x faster. Measured for
   `conv3` (the last convolution, before the head: the usual target) and
   `conv2` (mid-network: the layers after it run once per ablated channel
   in both candidates, so the batched pass saves less).

Everything is compiled before timing (one untimed call each). Candidates are
timed over `--rounds` interleaved rounds, each pair's order alternating per
round; the table shows medians and the ratio of the two medians measured in
the same run. Timings are only meaningful on an otherwise idle machine: the
load average is printed with them.

Run it once per backend, from the repository root:

    KERAS_BACKEND=jax .venv/bin/python benchmarks/intervene.py --markdown
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

import kerascope
from kerascope.interventions import zero


def build_model() -> keras.Model:
    layers = keras.layers
    inputs = keras.Input((32, 32, 3))
    x = layers.Conv2D(32, 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(name="pool2")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv3")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(10, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs)


def crossentropy(y: np.ndarray, probs: np.ndarray) -> float:
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1)).mean())


def timed(run: Callable[[], Any]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def compare(
    name: str, baseline: tuple[str, Callable[[], Any]], candidate: Callable[[], Any], rounds: int
) -> dict[str, Any]:
    """Median seconds of both, interleaved, and the ratio candidate / baseline."""
    baseline[1]()
    candidate()
    base_times, times = [], []
    for round_ in range(rounds):
        if round_ % 2:
            base_times.append(timed(baseline[1]))
            times.append(timed(candidate))
        else:
            times.append(timed(candidate))
            base_times.append(timed(baseline[1]))
    base, mine = statistics.median(base_times), statistics.median(times)
    return {"name": name, "baseline": baseline[0], "base_s": base, "s": mine, "ratio": mine / base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    model = build_model()
    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)

    edited = kerascope.intervene(model, {"conv2": zero(channels=[7])})
    forward = compare(
        "intervened forward (one channel zeroed)",
        ("model.predict", lambda: model.predict(x, batch_size=args.batch, verbose=0)),
        lambda: edited.predict(x, batch_size=args.batch),
        args.rounds,
    )

    rows = [forward]
    for key in ("conv3", "conv2"):

        def sequential(key: str = key) -> np.ndarray:
            base = crossentropy(y, model.predict(x, batch_size=args.batch, verbose=0))
            effects = []
            for channel in range(64):
                run = kerascope.intervene(model, {key: zero(channels=[channel])})
                effects.append(crossentropy(y, run.predict(x, batch_size=args.batch)) - base)
            return np.asarray(effects)

        def batched(key: str = key) -> Any:
            return kerascope.ablation(
                model, x, y, layers=key, batch_size=args.batch, progress=False
            )

        rows.append(
            compare(
                f"ablation of {key}'s 64 channels, batched",
                ("64 sequential edited runs", sequential),
                batched,
                max(3, args.rounds // 2),
            )
        )
        # The batched result is the sequential one.
        np.testing.assert_allclose(batched()[key], sequential(), atol=1e-4)

    backend = keras.backend.backend()
    load = os.getloadavg()[0]
    if args.markdown:
        print("| backend | candidate | baseline | candidate s | baseline s | ratio |")
        print("|---|---|---|---:|---:|---:|")
        for r in rows:
            print(
                f"| {backend} | {r['name']} | {r['baseline']} | {r['s']:.4f} | "
                f"{r['base_s']:.4f} | **{r['ratio']:.3f}** |"
            )
    else:
        for r in rows:
            print(
                f"{backend:10s} {r['name']:42s} {r['s']:.4f}s vs {r['baseline']} "
                f"{r['base_s']:.4f}s: {r['ratio']:.3f}x"
            )
    speedups = ", ".join(f"{r['name'].split()[2]} {1 / r['ratio']:.1f}x" for r in rows[1:])
    print(
        f"load average {load:.2f}; intervened/predict {forward['ratio']:.3f} (target <= 1.1); "
        f"ablation speed-up {speedups} (target >= 5)"
    )


if __name__ == "__main__":
    main()
