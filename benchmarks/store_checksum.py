"""What a per-chunk checksum costs a store: zstd alone, zstd's own checksum, zstd + crc32c.

Writes and reads the same activation-like arrays (ReLU outputs, float32,
`(samples, 32, 32, 16)`, one chunk per 64 samples) with each codec chain, in
interleaved rounds, and reports the median time and its ratio to the chain
without a checksum. For the crc32c chain it also times what
`kerascope.store.verify_store` does per chunk: the CRC-32C of the raw chunk
file, without decompressing.

    python benchmarks/store_checksum.py [--rounds 7] [--samples 1024] [--markdown]

Imports no Keras: only zarr and numpy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def chains(zarr):
    codecs = zarr.codecs
    return {
        "zstd (no checksum)": [codecs.ZstdCodec(level=0, checksum=False)],
        "zstd checksum=True": [codecs.ZstdCodec(level=0, checksum=True)],
        "zstd + crc32c": [codecs.ZstdCodec(level=0, checksum=False), codecs.Crc32cCodec()],
    }


def verify_time(array_dir: Path) -> float:
    """Seconds to check the CRC-32C at the end of every chunk file, as verify does."""
    import google_crc32c

    start = time.perf_counter()
    for file in sorted((array_dir / "c").rglob("*")):
        if file.is_file():
            data = file.read_bytes()
            assert np.uint32(google_crc32c.value(data[:-4])).tobytes() == data[-4:]
    return time.perf_counter() - start


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads) of `fn()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def quartiles(values: list[float]) -> str:
    q1, q2, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
    return f"{q2:.2f} ({q1:.2f}-{q3:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    import zarr

    rng = np.random.default_rng(0)
    data = np.maximum(rng.normal(size=(args.samples, 32, 32, 16)), 0).astype("float32")
    chunk = 64
    root = Path(tempfile.mkdtemp(prefix="kerascope-bench-"))
    names = list(chains(zarr))
    # per chain, per measure ("write wall", "write cpu", "read wall", "read cpu"): one per round
    times: dict[str, dict[str, list[float]]] = {n: {} for n in names}
    checks: list[float] = []
    try:
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                path = root / f"{r}-{names.index(name)}"
                group = zarr.open_group(path, mode="w", zarr_format=3)
                array = group.create_array(
                    "a",
                    shape=data.shape,
                    chunks=(chunk, *data.shape[1:]),
                    dtype="float32",
                    fill_value=0,
                    compressors=chains(zarr)[name],
                )

                def write(array=array):
                    for lo in range(0, len(data), chunk):
                        array[lo : lo + chunk] = data[lo : lo + chunk]

                def read(path=path):
                    assert np.array_equal(zarr.open_group(path, mode="r")["a"][:], data)

                for what, fn in (("write", write), ("read", read)):
                    wall, cpu = timed(fn)
                    times[name].setdefault(f"{what} wall", []).append(wall)
                    times[name].setdefault(f"{what} cpu", []).append(cpu)
                if "crc32c" in name:
                    checks.append(verify_time(path / "a"))
                shutil.rmtree(path)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    mb = data.nbytes / 2**20
    measures = ["write wall", "write cpu", "read wall", "read cpu"]
    base = times[names[0]]
    print(f"{mb:.0f} MiB of float32 ReLU outputs, chunks of {chunk} samples, {args.rounds} rounds")
    print(f"load average: {os.getloadavg()}")
    check = statistics.median(checks)
    print(f"verify (CRC-32C of the raw chunk files): {check * 1e3:.1f} ms, {mb / check:.0f} MiB/s")
    print("Median ms; ratio: median (quartiles) of per-round ratios to zstd alone")
    header = ["codecs", *(f"{m} ms" for m in measures), *(f"{m} ratio" for m in measures)]
    print("| " + " | ".join(header) + " |" if args.markdown else "  ".join(header))
    if args.markdown:
        print("|---|" + "---:|" * (len(header) - 1))
    for name in names:
        cells = [name]
        cells += [f"{statistics.median(times[name][m]) * 1e3:.0f}" for m in measures]
        cells += [quartiles([t / b for t, b in zip(times[name][m], base[m])]) for m in measures]
        print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells))


if __name__ == "__main__":
    main()
