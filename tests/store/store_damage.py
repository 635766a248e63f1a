"""Real damage done to a real store's files, and a snapshot to prove nothing else changed.

The paths are written out by hand from the Zarr v3 layout (an array per
percent-encoded key, chunk `i` of a 4-d array in `c/i/0/0/0`), not taken from
kerascope, so a test fails if the store's layout moves under it.
"""

from __future__ import annotations

from pathlib import Path


def chunk_file(store: Path, array: str, chunk: int, ndim: int) -> Path:
    """The file of chunk `chunk` (along samples) of the array directory `array`."""
    return store / array / "c" / str(chunk) / Path(*["0"] * (ndim - 1))


def flip_bit(file: Path, bit: int = 3) -> None:
    """Flips one bit in the middle of `file`."""
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 1 << bit
    file.write_bytes(bytes(data))


def truncate(file: Path) -> None:
    """Cuts `file` to half its length, as a crash or a full disk might."""
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def garble(file: Path) -> None:
    """Overwrites the start of a JSON file with bytes that are neither UTF-8 nor JSON."""
    data = file.read_bytes()
    file.write_bytes(b"\xff\xfe\x00{" + data[4:])


def snapshot(store: Path) -> dict[str, bytes]:
    """Every file under `store` and its bytes."""
    return {
        str(path.relative_to(store)): path.read_bytes()
        for path in sorted(store.rglob("*"))
        if path.is_file()
    }
