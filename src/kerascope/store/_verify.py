"""`verify_store`: check a store's commit, metadata and every committed chunk."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from kerascope._progress import ProgressBar
from kerascope.errors import StoreError
from kerascope.store import _chunks, _layout

__all__ = ["Problem", "VerifyReport", "verify_store"]

#: What Zarr raises for an array whose `zarr.json` is damaged (bad UTF-8 or
#: JSON is a ValueError).
_METADATA_ERRORS = (OSError, ValueError, TypeError)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing `verify_store` found wrong with a store.

    Attributes:
        kind: `"damaged chunk"`, `"missing chunk"`, `"array metadata"`,
            `"store metadata"` or `"commit"`.
        reason: What is wrong, in words.
        key: The output the array holds (`"conv1"`, `"split[0]"`), or None.
        array: The Zarr array's name in the store's directory, or None.
        chunk: The chunk's index along the sample axis, or None.
        samples: The samples `(start, stop)` the chunk holds, or None.
    """

    kind: str
    reason: str
    key: str | None = None
    array: str | None = None
    chunk: int | None = None
    samples: tuple[int, int] | None = None

    def __str__(self) -> str:
        where = ""
        if self.chunk is not None:
            where += f" {self.chunk}"
        if self.key is not None:
            where += f" of {self.key!r} (array {self.array!r})"
        if self.samples is not None:
            where += f", samples {self.samples[0]} to {self.samples[1] - 1}"
        return f"{self.kind}{where}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """What `verify_store` (or `Store.verify`) found.

    Attributes:
        path: The store's directory.
        samples: The committed samples, or None when the commit is unreadable.
        chunks: How many chunk files were checked.
        checksummed: Whether every array's chunks carry a CRC-32C. Stores
            recorded before checksums (kerascope 0.1) do not: their chunks
            are checked by decompressing them, which misses flipped bits
            that still decompress.
        problems: Each damaged or missing chunk and damaged metadata, in
            the store's key order.
    """

    path: Path
    samples: int | None
    chunks: int
    checksummed: bool
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing is damaged."""
        return not self.problems

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        found = f"{len(self.problems)} problems" if self.problems else "no damage"
        summary = f"{str(self.path)!r}: {found}; {self.chunks} chunks checked"
        if self.samples is not None:
            summary += f", {self.samples} samples committed"
        if not self.checksummed:
            summary += " (without checksums: recorded by an older kerascope)"
        return "\n".join([*lines, summary])


def verify_store(path: str | os.PathLike[str], *, progress: bool = False) -> VerifyReport:
    """Checks a store: its commit file, its metadata and every committed chunk.

    Each chunk holding committed samples must exist and match its CRC-32C
    (read as raw bytes, not decompressed). Chunks written after the last
    commit are not checked: a resumed recording writes them again. Works on
    a store too damaged to open.

    Args:
        path: The store's directory.
        progress: Show a progress bar on standard error. Defaults to `False`.

    Returns:
        A `VerifyReport`; `report.ok` is True when nothing is damaged.

    Raises:
        StoreError: if `path` is not a directory, or zarr is not installed.

    Example:

    >>> report = kerascope.store.verify_store("acts.zarr")   # doctest: +SKIP
    >>> print(report)                                        # doctest: +SKIP
    'acts.zarr': no damage; 55 chunks checked, 40 samples committed
    """
    zarr = _layout.import_zarr()
    path = _layout.store_dir(path, " to verify")
    problems: list[Problem] = []
    samples: int | None = None
    try:
        commit = _layout.read_commit(path)
        if commit is None:
            problems.append(Problem("commit", f"{_layout.COMMIT_FILE} is missing"))
        else:
            samples = int(commit["samples"])
    except StoreError as error:
        problems.append(Problem("commit", str(error)))
    try:
        group = zarr.open_group(path, mode="r", zarr_format=3)
        meta = _layout.read_metadata(group, path)
    except (StoreError, KeyError, *_METADATA_ERRORS) as error:
        problems.append(Problem("store metadata", _why(error)))
        return VerifyReport(path, samples, 0, False, tuple(problems))
    leaves: list[dict[str, Any]] = []
    for layer in meta["layers"]:
        _layout.map_leaves(layer["output"], leaves.append)
    checker = _Checker(path, samples, problems)
    total = None if samples is None else samples * len(leaves)
    with ProgressBar(progress, "verifying", total=total) as bar:
        for leaf in leaves:
            checker.check(group, leaf, bar)
    return VerifyReport(path, samples, checker.chunks, checker.checksummed, tuple(problems))


class _Checker:
    """Checks the arrays of one store, collecting problems and counts."""

    def __init__(self, path: Path, samples: int | None, problems: list[Problem]) -> None:
        self.path = path
        self.samples = samples
        self.problems = problems
        self.chunks = 0
        self.checksummed = True

    def check(self, group: Any, leaf: dict[str, Any], bar: ProgressBar) -> None:
        key, name = leaf["display"], leaf["array"]

        def problem(kind: str, reason: str, chunk: Any = None) -> None:
            self.problems.append(
                Problem(
                    kind,
                    reason,
                    key,
                    name,
                    None if chunk is None else chunk.number,
                    None if chunk is None else (chunk.start, chunk.stop),
                )
            )

        try:
            array = group[name]
        except KeyError:
            problem("array metadata", "no such array")
            return
        except _METADATA_ERRORS as error:
            problem("array metadata", f"{name}/zarr.json is damaged ({_why(error)})")
            return
        expected = tuple(leaf["shape"][1:])
        if tuple(array.shape[1:]) != expected:
            problem(
                "array metadata",
                f"expected samples of shape {expected}, found {tuple(array.shape[1:])}",
            )
            return
        samples = array.shape[0] if self.samples is None else self.samples
        if array.shape[0] < samples:
            problem("array metadata", f"{array.shape[0]} samples, fewer than {samples} committed")
            samples = array.shape[0]
        checksummed = _chunks.checksummed(array)
        self.checksummed &= checksummed
        if 0 in array.shape[1:]:
            return  # arrays of no elements have no chunks
        for chunk in _chunks.chunk_ranges(array, samples):
            files = list(_chunks.chunk_files(self.path / name, array, chunk.number))
            if not all(file.is_file() for file in files):
                # Stores without checksums skipped chunks of zeros; a store of
                # unknown commit has chunks never written.
                if checksummed and self.samples is not None:
                    problem("missing chunk", "its file is missing", chunk)
            else:
                self.chunks += len(files)
                reason = _chunk_problem(array, files, chunk, checksummed)
                if reason is not None:
                    problem("damaged chunk", reason, chunk)
            bar.advance(chunk.stop - chunk.start)


def _chunk_problem(
    array: Any, files: list[Path], chunk: _chunks.ChunkRange, checksummed: bool
) -> str | None:
    if checksummed:
        for file in files:
            reason = _chunks.checksum_problem(file)
            if reason is not None:
                return reason
        return None
    try:
        array[chunk.start : chunk.stop]
    except _chunks.READ_ERRORS as error:
        return f"it does not decompress ({_why(error)})"
    return None


def _why(error: BaseException) -> str:
    text = " ".join(str(error).split())[:300]
    return text if isinstance(error, StoreError) else f"{type(error).__name__}: {text}"
