"""`Snapshot` and `MonitorHistory`: activation statistics over the course of training."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np

from kerascope.diagnostics import Findings
from kerascope.errors import InputError
from kerascope.stats import Statistics

__all__ = ["MonitorHistory", "Snapshot"]

_FORMAT = "kerascope.monitor/1"


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The probe batch's activation statistics at one point of training.

    Attributes:
        epoch: The epoch (0-based) the snapshot was taken in.
        step: Training batches completed since the start of `fit`.
        statistics: Per-layer statistics of the probe data.
        findings: What the diagnostic rules found in them.
    """

    epoch: int
    step: int
    statistics: Statistics
    findings: Findings

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "format": _FORMAT,
            "epoch": self.epoch,
            "step": self.step,
            "statistics": self.statistics.to_dict(),
            "findings": self.findings.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """The inverse of `to_dict`."""
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            raise InputError(
                f"Expected a monitor snapshot in the format {_FORMAT!r}. "
                f"Received: {str(data)[:80]!r}"
            )
        return cls(
            epoch=int(data["epoch"]),
            step=int(data["step"]),
            statistics=Statistics.from_dict(data["statistics"]),
            findings=Findings.from_dict(data["findings"]),
        )


class MonitorHistory(Sequence[Snapshot]):
    """The snapshots an `ActivationMonitor` took, in order.

    Example:

    >>> history = monitor.history                          # doctest: +SKIP
    >>> steps, means = history.series("conv1", "mean")     # doctest: +SKIP
    >>> history.save("history.jsonl")                      # doctest: +SKIP
    >>> MonitorHistory.load("history.jsonl")               # doctest: +SKIP
    """

    __slots__ = ("_snapshots",)

    def __init__(self, snapshots: Iterable[Snapshot] = ()) -> None:
        self._snapshots = list(snapshots)

    @overload
    def __getitem__(self, index: int) -> Snapshot: ...
    @overload
    def __getitem__(self, index: slice) -> MonitorHistory: ...
    def __getitem__(self, index: int | slice) -> Snapshot | MonitorHistory:
        if isinstance(index, slice):
            return MonitorHistory(self._snapshots[index])
        return self._snapshots[index]

    def __len__(self) -> int:
        return len(self._snapshots)

    def __iter__(self) -> Iterator[Snapshot]:
        return iter(self._snapshots)

    def append(self, snapshot: Snapshot) -> None:
        """Adds a snapshot at the end."""
        self._snapshots.append(snapshot)

    @property
    def keys(self) -> list[str]:
        """The monitored statistics keys (of the first snapshot)."""
        return list(self._snapshots[0].statistics) if self._snapshots else []

    def series(self, key: str, attribute: str = "mean") -> tuple[np.ndarray, np.ndarray]:
        """One statistic of one layer over training.

        Args:
            key: A monitored key.
            attribute: A scalar `LayerStats` attribute: `"mean"`, `"std"`,
                `"min"`, `"max"`, `"p1"`, `"p50"`, `"p99"`, `"zero_fraction"`,
                `"nan_fraction"`, ... Defaults to `"mean"`.

        Returns:
            `(steps, values)`: int64 and float64 arrays, one entry per snapshot.

        Raises:
            SelectionError: for an unknown key.
            InputError: for an attribute that is not a scalar statistic.
        """
        values = []
        for snapshot in self._snapshots:
            value = getattr(snapshot.statistics[key], attribute, None)
            if not isinstance(value, (int, float)):
                raise InputError(
                    "Expected a scalar statistic such as 'mean', 'std' or 'p99'. "
                    f"Received: attribute={attribute!r}"
                )
            values.append(float(value))
        steps = [snapshot.step for snapshot in self._snapshots]
        return np.asarray(steps, np.int64), np.asarray(values, np.float64)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the history as JSON lines, one snapshot a line (atomically replaced)."""
        temporary = f"{os.fspath(path)}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            for snapshot in self._snapshots:
                file.write(json.dumps(snapshot.to_dict()) + "\n")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> MonitorHistory:
        """Reads a history file (`save`'s, or one a monitor appends to with `history_file=`).

        A last line cut off by a crash is ignored; every complete line is a snapshot.
        """
        snapshots = []
        with open(path, encoding="utf-8") as file:
            lines = file.read().split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                if number == len(lines):  # an unfinished last line (no newline yet)
                    break
                raise InputError(
                    f"Expected one JSON snapshot per line in {os.fspath(path)!r}. "
                    f"Received: line {number} is not JSON ({error})"
                ) from error
            snapshots.append(Snapshot.from_dict(data))
        return cls(snapshots)

    def __repr__(self) -> str:
        if not self._snapshots:
            return "MonitorHistory(0 snapshots)"
        first, last = self._snapshots[0], self._snapshots[-1]
        plural = "s" if len(self) != 1 else ""
        return (
            f"MonitorHistory({len(self)} snapshot{plural} of {len(self.keys)} keys, "
            f"steps {first.step}..{last.step})"
        )
