"""The chunks of a store's arrays: their checksums, their files, and naming damage.

Every array of a store is chunked along the sample axis only: chunk `i`
holds samples `[i * c, (i + 1) * c)`. Chunks are zstd-compressed and end in
a CRC-32C of the compressed bytes (Zarr v3's `crc32c` codec), so a flipped
bit or a truncated file fails its checksum instead of reading back as other
numbers. Stores recorded before checksums (kerascope 0.1) still open; their
damage shows only where decompression fails.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from kerascope.errors import StoreError

__all__ = [
    "WRITE_CONFIG",
    "ChunkRange",
    "checksum_problem",
    "checksummed",
    "chunk_files",
    "chunk_ranges",
    "compressors",
    "damaged_read",
    "missing_chunk",
    "touched",
]

#: Write every chunk, even one equal to the fill value, so a missing chunk
#: file is damage rather than a chunk of zeros.
WRITE_CONFIG = {"write_empty_chunks": True}

#: What `Store` read errors of a damaged chunk look like (zstd raises
#: RuntimeError, the checksum ValueError, a short file OSError or ValueError).
READ_ERRORS = (OSError, RuntimeError, ValueError)


def compressors(zarr: Any) -> list[Any]:
    """The codecs after serialisation: zstd (level 0, Zarr's default), then CRC-32C."""
    return [zarr.codecs.ZstdCodec(level=0, checksum=False), zarr.codecs.Crc32cCodec()]


def checksummed(array: Any) -> bool:
    """Whether the chunks of a Zarr array end in a CRC-32C."""
    return any(codec.to_dict().get("name") == "crc32c" for codec in array.metadata.codecs)


class ChunkRange(NamedTuple):
    """One chunk's committed samples: `[start, stop)`."""

    number: int
    start: int
    stop: int


def chunk_ranges(array: Any, samples: int) -> list[ChunkRange]:
    """The chunks holding samples `[0, samples)`, in order."""
    per_chunk = int(array.chunks[0])
    return [
        ChunkRange(i, i * per_chunk, min((i + 1) * per_chunk, samples))
        for i in range(math.ceil(samples / per_chunk))
    ]


def chunk_files(directory: Path, array: Any, index: int) -> Iterator[Path]:
    """The files of chunk `index` (one per chunk of the other axes, usually one)."""
    grid = [range(math.ceil(int(n) / int(c))) for n, c in zip(array.shape[1:], array.chunks[1:])]
    for rest in itertools.product(*grid):
        yield directory / array.metadata.encode_chunk_key((index, *rest))


def checksum_problem(file: Path) -> str | None:
    """Why the chunk file `file` fails its CRC-32C, or None when it passes."""
    import google_crc32c  # a dependency of zarr, which wrote the checksum with it

    data = file.read_bytes()
    if len(data) < 4:
        return f"the file holds {len(data)} bytes, fewer than its checksum"
    # The codec appends the CRC as a native uint32; compare the same way.
    computed = np.uint32(google_crc32c.value(data[:-4])).tobytes()
    if computed != data[-4:]:
        return "its checksum does not match (bits changed, or the file was cut short)"
    return None


def touched(first: Any, per_chunk: int) -> list[int]:
    """The chunks that a sample selection reads, in order.

    `first` is what `StoredArray` hands Zarr: an int, a slice of
    non-negative `start`, `stop` and positive `step`, or sorted positions.
    """
    if isinstance(first, slice):
        start, stop, step = first.start or 0, first.stop or 0, first.step or 1
        if stop <= start:
            return []
        if step <= per_chunk:
            return list(range(start // per_chunk, (stop - 1) // per_chunk + 1))
        first = np.arange(start, stop, step)
    return sorted({int(p) // per_chunk for p in np.atleast_1d(first)})


def missing_chunk(
    array: Any, name: str, chunk: ChunkRange, directory: Path, path: Path
) -> StoreError | None:
    """The `StoreError` for chunk `chunk` when one of its files is missing, else None."""
    for file in chunk_files(directory, array, chunk.number):
        if not file.is_file():
            return StoreError(
                f"Could not read samples {chunk.start} to {chunk.stop - 1} of {name!r} from "
                f"the store at {str(path)!r}: chunk {chunk.number} of its array "
                f"{array.basename!r} is missing (expected the file {str(file)!r}). "
                f"{_advice(chunk, path)}"
            )
    return None


def damaged_read(
    array: Any, name: str, samples: int, first: Any, path: Path, error: Exception
) -> StoreError:
    """The `StoreError` for a read of `array` that failed with `error`.

    Reads the chunks that the sample selection `first` touched one at a time
    to name the first damaged one, with its samples and what to do.
    """
    wanted = set(touched(first, int(array.chunks[0])))
    for chunk in chunk_ranges(array, samples):
        if chunk.number not in wanted:
            continue
        try:
            array[chunk.start : chunk.stop]
        except READ_ERRORS as inner:
            return StoreError(
                f"Could not read samples {chunk.start} to {chunk.stop - 1} of {name!r} from "
                f"the store at {str(path)!r}: chunk {chunk.number} of its array "
                f"{array.basename!r} is damaged ({_reason(inner)}). "
                f"{_advice(chunk, path)}"
            )
    return StoreError(
        f"Could not read {name!r} from the store at {str(path)!r}: {_reason(error)}. "
        f"`kerascope verify {path!s}` checks every chunk."
    )


def _advice(chunk: ChunkRange, path: Path) -> str:
    return (
        f"Recompute those samples with `kerascope.capture` on `x[{chunk.start}:{chunk.stop}]`, "
        "or record the store again with `overwrite=True`; "
        f"`kerascope verify {path!s}` lists every damaged chunk."
    )


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text[:200]}"
