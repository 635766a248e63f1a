"""Benchmark: kerascope capture against `model.predict` on MobileNetV2.

Measures, on the Keras backend chosen by `KERAS_BACKEND`, the time to run one
batch of random float32 images `(batch, 96, 96, 3)` through
`keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))` and
get the results on the host as numpy arrays, for six candidates:

- `predict`: `model.predict(x, batch_size=batch, verbose=0)`, the baseline.
- `probe all layers`: `kerascope.Probe(model)(x)`.
- `probe out_relu`: `kerascope.Probe(model, layers="out_relu")(x)` (deep layer).
- `probe block_1_expand_relu`: one early layer.
- `naive multi-output`: `keras.Model(model.inputs, [l.output for l in
  model.layers[1:]]).predict(x, verbose=0)`, the usual recipe.
- `capture() all layers`: `kerascope.capture(model, x)`, meant to reuse a cached probe.
- `capture() block_1_expand_relu`: the same for one early layer, where the cache's
  check that the model did not change weighs most.

Every probe and the naive model are built outside the timed region; the time
of building plus the first call is reported separately ("first call").
Each candidate is then warmed up with one untimed call, and timed over
`--rounds` interleaved rounds: each round runs every candidate once, in an
order rotated by one per round. Each result is materialised (every output
array converted to numpy and read) inside the timed region. The table shows
the median per candidate and its ratio to the median of `predict` in the same
run, plus the peak resident memory of the process and the load average (the
timings are only meaningful on an otherwise idle machine).

Run it once per backend, from the repository root:

    KERAS_BACKEND=tensorflow .venv/bin/python benchmarks/capture.py
    KERAS_BACKEND=jax .venv/bin/python benchmarks/capture.py --markdown
    KERAS_BACKEND=torch .venv/bin/python benchmarks/capture.py --rounds 15 --batch 64
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import keras
import numpy as np

import kerascope

INPUT_SHAPE = (96, 96, 3)
DEEP_LAYER = "out_relu"
EARLY_LAYER = "block_1_expand_relu"

Clock = Callable[[], float]


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One thing to time: a name and a call of one batch returning host arrays."""

    name: str
    run: Callable[[], Any]
    first_call_s: float


@dataclasses.dataclass(frozen=True)
class Result:
    """The timings of one candidate, in seconds."""

    name: str
    times_s: list[float]
    first_call_s: float
    output_bytes: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)


def materialise(outputs: Any) -> int:
    """Converts every array in `outputs` to numpy and reads it; returns total bytes.

    Reading one element of each array after `np.asarray` forces any lazy or
    asynchronous result (JAX dispatch, for one) to be computed on the host.
    """
    if isinstance(outputs, dict) or hasattr(outputs, "items"):
        leaves = list(outputs.values())
    elif isinstance(outputs, (list, tuple)):
        leaves = list(outputs)
    else:
        leaves = [outputs]
    total = 0
    for leaf in leaves:
        if isinstance(leaf, (dict, list, tuple)) or hasattr(leaf, "items"):
            total += materialise(leaf)
            continue
        array = np.asarray(leaf)
        if array.size:
            array.flat[-1].item()
        total += array.nbytes
    return total


def make_candidates(model: Any, x: np.ndarray, batch: int, clock: Clock) -> list[Candidate]:
    """Builds every candidate, timing construction plus the first (compiling) call."""

    def setup(name: str, build: Callable[[], Callable[[], Any]]) -> Candidate:
        start = clock()
        run = build()
        materialise(run())
        return Candidate(name, run, clock() - start)

    def predict() -> Callable[[], Any]:
        return lambda: model.predict(x, batch_size=batch, verbose=0)

    def probe(layers: str | None) -> Callable[[], Callable[[], Any]]:
        def build() -> Callable[[], Any]:
            instance = kerascope.Probe(model, layers=layers)
            return lambda: instance(x)

        return build

    def naive() -> Callable[[], Any]:
        multi = keras.Model(model.inputs, [layer.output for layer in model.layers[1:]])
        return lambda: multi.predict(x, batch_size=batch, verbose=0)

    def capture(layers: str | None = None) -> Callable[[], Callable[[], Any]]:
        def build() -> Callable[[], Any]:
            return lambda: kerascope.capture(model, x, layers, batch_size=batch)

        return build

    return [
        setup("predict", predict),
        setup("probe all layers", probe(None)),
        setup(f"probe {DEEP_LAYER}", probe(DEEP_LAYER)),
        setup(f"probe {EARLY_LAYER}", probe(EARLY_LAYER)),
        setup("naive multi-output", naive),
        setup("capture() all layers", capture()),
        setup(f"capture() {EARLY_LAYER}", capture(EARLY_LAYER)),
    ]


def run_rounds(candidates: Sequence[Candidate], rounds: int, clock: Clock) -> list[Result]:
    """Warms up each candidate once, then times `rounds` interleaved rounds.

    Round `r` runs the candidates in their order rotated by `r`, so no
    candidate always runs first or right after the same neighbour.
    """
    sizes = [materialise(c.run()) for c in candidates]
    times: list[list[float]] = [[] for _ in candidates]
    n = len(candidates)
    for r in range(rounds):
        for i in (*range(r % n, n), *range(r % n)):
            start = clock()
            materialise(candidates[i].run())
            times[i].append(clock() - start)
    return [
        Result(c.name, t, c.first_call_s, size)
        for c, t, size in zip(candidates, times, sizes, strict=True)
    ]


def check_agreement(model: Any, x: np.ndarray) -> float:
    """Max absolute difference between `predict` and kerascope's last layer."""
    expected = model.predict(x, verbose=0)
    captured = kerascope.capture(model, x)[model.layers[-1].name]
    return float(np.max(np.abs(expected - captured)))


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def print_text(results: Sequence[Result], backend: str, file: TextIO) -> None:
    """Prints a plain-text table."""
    base = results[0].median_s
    header = (
        "candidate",
        "median ms",
        "min ms",
        "max ms",
        "x predict",
        "first call ms",
        "output MiB",
    )
    rows = [
        (
            r.name,
            f"{r.median_s * 1e3:.1f}",
            f"{min(r.times_s) * 1e3:.1f}",
            f"{max(r.times_s) * 1e3:.1f}",
            f"{r.median_s / base:.2f}",
            f"{r.first_call_s * 1e3:.0f}",
            f"{r.output_bytes / 2**20:.1f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    print(f"backend: {backend}", file=file)
    for row in (header, *rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells), file=file)


def print_markdown(results: Sequence[Result], backend: str, file: TextIO) -> None:
    """Prints markdown table rows (with a header) for the README."""
    base = results[0].median_s
    print("| backend | candidate | median ms | ratio vs predict | first call ms |", file=file)
    print("|---|---|---:|---:|---:|", file=file)
    for r in results:
        print(
            f"| {backend} | {r.name} | {r.median_s * 1e3:.1f} | {r.median_s / base:.2f} "
            f"| {r.first_call_s * 1e3:.0f} |",
            file=file,
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (default 9)")
    parser.add_argument("--batch", type=int, default=32, help="images per batch (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--markdown", action="store_true", help="print markdown table rows")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.batch < 1:
        parser.error(f"--rounds and --batch must be positive. Received: {args}")
    return args


def main(argv: Sequence[str] | None = None, clock: Clock = time.perf_counter) -> None:
    args = parse_args(argv)
    backend = keras.backend.backend()
    load_before = os.getloadavg()[0]
    keras.utils.set_random_seed(args.seed)
    x = np.random.default_rng(args.seed).random((args.batch, *INPUT_SHAPE), dtype=np.float32)
    model = keras.applications.MobileNetV2(weights=None, input_shape=INPUT_SHAPE)

    candidates = make_candidates(model, x, args.batch, clock)
    results = run_rounds(candidates, args.rounds, clock)
    diff = check_agreement(model, x)

    out = sys.stdout
    if args.markdown:
        print_markdown(results, backend, out)
    else:
        print_text(results, backend, out)
    print(
        f"\n{args.rounds} rounds, batch {args.batch}, keras {keras.__version__}; "
        f"max |predict - capture| on the last layer: {diff:.2e}; "
        f"peak RSS: {peak_rss_mib():.0f} MiB; 1-min load average {load_before:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end on {os.cpu_count()} CPUs (other processes skew timings)",
        file=out,
    )


if __name__ == "__main__":
    main()
