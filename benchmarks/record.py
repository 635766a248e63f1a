"""Benchmark: memory and throughput of `kerascope.record` and `kerascope.stats`.

A small CNN on `(16, 16, 3)` images (Conv2D 8 -> Conv2D 16 -> MaxPool ->
Flatten -> Dense 10, about 20 KB of float32 activations per sample) is run
over 1,024 and 8,192 samples, streamed as a generator of 32-sample batches
(so the input never sits in memory and memory reflects the sink alone).
Every measurement runs in a fresh subprocess, so each peak resident set size
(`ru_maxrss`) is that run's own:

- `predict`: `model.predict` over the same batches, the baseline.
- `record`: `kerascope.record(model, data, path, stats=True)` to local disk
  (the forward pass, the statistics and the Zarr writes: the disk-bound
  figure), with the bytes it wrote.
- `stats`: `kerascope.stats(model, data)`. On a CPU it runs the 32-sample
  batches together, 256 samples a forward pass here (`batch_size=None`).

Rounds are interleaved (every mode and size once per round) and the table
gives medians; throughput ratios compare with `predict` from the same rounds.

Run it once per backend, from the repository root:

    KERAS_BACKEND=jax .venv/bin/python benchmarks/record.py
    KERAS_BACKEND=torch .venv/bin/python benchmarks/record.py --samples 1024 8192

The targets: peak memory grows by less than 10% for 8x the samples, and
`stats` runs at 0.8x the throughput of `predict` or better.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BATCH = 32
SHAPE = (16, 16, 3)
WARM_UP = 512


def build_model() -> Any:
    import keras

    keras.utils.set_random_seed(0)
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(SHAPE),
            layers.Conv2D(8, 3, activation="relu", name="conv1"),
            layers.Conv2D(16, 3, activation="relu", name="conv2"),
            layers.MaxPooling2D(name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(10, name="logits"),
        ],
        name="small_cnn",
    )


def batches(samples: int) -> Iterator[Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    for start in range(0, samples, BATCH):
        yield rng.normal(size=(min(BATCH, samples - start), *SHAPE)).astype("float32")


def child(mode: str, samples: int, directory: str) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import kerascope

    model = build_model()
    path = Path(directory) / "acts.zarr"
    # Warm up (compile) outside the timed region: `predict` on one batch;
    # `stats` on WARM_UP samples, as it runs the batches together in passes
    # of 256 samples here (each pass size compiles once on JAX).
    if mode == "predict":
        model.predict(next(batches(BATCH)), verbose=0)
    elif mode == "record":
        kerascope.record(model, batches(BATCH), path, progress=False, overwrite=True)
    else:
        kerascope.stats(model, batches(WARM_UP), progress=False)
    start = time.perf_counter()
    if mode == "predict":
        # Keras wants generators to yield tuples: `(x,)`.
        model.predict(((batch,) for batch in batches(samples)), verbose=0)
    elif mode == "record":
        kerascope.record(model, batches(samples), path, progress=False, overwrite=True)
    else:
        kerascope.stats(model, batches(samples), progress=False)
    seconds = time.perf_counter() - start
    written = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0
    return {
        "mode": mode,
        "samples": samples,
        "seconds": seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "written_mib": written / 2**20 if mode == "record" else 0.0,
    }


def measure(mode: str, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(samples), directory],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs=2, default=[1024, 8192])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, samples, directory = args.child
        print(json.dumps(child(mode, int(samples), directory)))
        return
    import keras

    small, large = args.samples
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for _ in range(args.rounds):
        for m in ("predict", "record", "stats"):
            for n in (small, large):
                runs.setdefault((m, n), []).append(measure(m, n))
    rows = {key: _median_run(value) for key, value in runs.items()}
    print(
        f"backend: {keras.backend.backend()}, batch {BATCH}, input {SHAPE}, CPU, "
        f"median of {args.rounds} interleaved rounds"
    )
    print()
    print(
        f"| run | peak RSS {small} (MiB) | peak RSS {large} (MiB) | growth | "
        f"samples/s ({large}) | vs predict | written ({large}) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    base = large / rows[("predict", large)]["seconds"]
    for mode in ("predict", "record", "stats"):
        a, b = rows[(mode, small)], rows[(mode, large)]
        speed = large / b["seconds"]
        written = f"{b['written_mib']:.0f} MiB" if mode == "record" else "-"
        print(
            f"| {mode} | {a['peak_rss_mib']:.0f} | {b['peak_rss_mib']:.0f} | "
            f"{100 * (b['peak_rss_mib'] / a['peak_rss_mib'] - 1):+.1f}% | {speed:,.0f} | "
            f"{speed / base:.2f}x | {written} |"
        )


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median time, with the median peak RSS of all runs."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    median = dict(ordered[len(ordered) // 2])
    median["peak_rss_mib"] = sorted(r["peak_rss_mib"] for r in runs)[len(runs) // 2]
    return median


if __name__ == "__main__":
    main()
