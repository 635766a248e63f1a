"""Benchmark: how long the `kerascope` command takes to start, against `import keras`.

For each Keras backend (the `KERAS_BACKEND` of each child process), times four
commands, each in a fresh Python process:

- `import keras`: `python -c "import keras"`, the baseline (Keras imports the
  backend's framework when it is imported);
- `kerascope --version` and `kerascope --help`: `python -m kerascope ...`,
  which import neither Keras nor numpy;
- `kerascope inspect model.keras`: loads a small saved CNN (the demo's) and
  lists its layers, so it pays for Keras, the backend and one traced pass.

Rounds are interleaved: each round runs every (backend, command) pair once,
in an order rotated by one per round, so a busy machine slows them alike.
The table gives the median wall time and quartiles of each command, and the
ratio of medians to `import keras` on the same backend. The target is
`--version` and `--help` at or under 0.1x of `import keras`.

Run it from the repository root:

    .venv/bin/python benchmarks/startup.py
    .venv/bin/python benchmarks/startup.py --rounds 9 --backends jax,torch --markdown
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

BACKENDS = ("tensorflow", "jax", "torch")
TARGET = 0.1


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    argv: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Result:
    backend: str
    name: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.seconds) < 2:
            return self.median, self.median
        q1, _, q3 = statistics.quantiles(self.seconds, n=4)
        return q1, q3


def commands(model: Path) -> list[Command]:
    python = sys.executable
    inspect = (python, "-m", "kerascope", "inspect", str(model))
    return [
        Command("import keras", (python, "-c", "import keras")),
        Command("kerascope --version", (python, "-m", "kerascope", "--version")),
        Command("kerascope --help", (python, "-m", "kerascope", "--help")),
        Command("kerascope inspect model.keras", inspect),
    ]


def save_model(folder: Path) -> Path:
    """The demo's CNN, saved once (a `.keras` file loads on every backend)."""
    path = folder / "model.keras"
    code = f"from kerascope._demo import build_cnn\nbuild_cnn().save({str(path)!r})\n"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return path


def time_once(command: Command, backend: str) -> float:
    env = {**os.environ, "KERAS_BACKEND": backend}
    start = time.perf_counter()
    subprocess.run(command.argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def run(backends: Sequence[str], rounds: int, model: Path) -> list[Result]:
    pairs = [(backend, command) for backend in backends for command in commands(model)]
    for backend, command in pairs:  # warm the file cache, untimed
        time_once(command, backend)
    times: dict[tuple[str, str], list[float]] = {(b, c.name): [] for b, c in pairs}
    for round_index in range(rounds):
        shift = round_index % len(pairs)
        for backend, command in pairs[shift:] + pairs[:shift]:
            times[(backend, command.name)].append(time_once(command, backend))
    return [Result(backend, name, seconds) for (backend, name), seconds in times.items()]


def ratio(result: Result, results: Sequence[Result]) -> float:
    (baseline,) = [r for r in results if r.backend == result.backend and r.name == "import keras"]
    return result.median / baseline.median


def print_table(results: Sequence[Result], rounds: int, file: TextIO) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{rounds} interleaved rounds; load average {load}; target <= {TARGET}x", file=file)
    print(
        f"{'backend':<11} {'command':<31} {'median s':>9} {'q1-q3 s':>13} {'vs import keras':>16}",
        file=file,
    )
    for r in results:
        q1, q3 = r.quartiles
        print(
            f"{r.backend:<11} {r.name:<31} {r.median:>9.3f} {f'{q1:.2f}-{q3:.2f}':>13} "
            f"{ratio(r, results):>15.3f}x",
            file=file,
        )


def print_markdown(results: Sequence[Result], file: TextIO) -> None:
    print("| backend | command | median s | q1-q3 s | vs `import keras` |", file=file)
    print("|---|---|---:|---:|---:|", file=file)
    for r in results:
        q1, q3 = r.quartiles
        print(
            f"| {r.backend} | `{r.name}` | {r.median:.3f} | {q1:.2f}-{q3:.2f} "
            f"| {ratio(r, results):.3f}x |",
            file=file,
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help="comma-separated (default: all three)"
    )
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    with tempfile.TemporaryDirectory() as folder:
        model = save_model(Path(folder))
        results = run(backends, args.rounds, model)
    print_table(results, args.rounds, sys.stdout)
    if args.markdown:
        print(file=sys.stdout)
        print_markdown(results, sys.stdout)


if __name__ == "__main__":
    main()
