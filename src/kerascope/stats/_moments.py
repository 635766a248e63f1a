"""The running state of one layer's statistics, and its exact merge (Chan et al.)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from kerascope.errors import StatsError
from kerascope.stats import _sketch

__all__ = ["State"]

_FIELDS = ("count", "mean", "m2", "min", "max", "zeros", "nan", "inf", "active")
_INTEGER = frozenset({"count", "zeros", "nan", "inf", "active"})


@dataclasses.dataclass(frozen=True)
class State:
    """Per-channel running moments and counts of one layer output (host, float64/int64).

    Every array has shape `(channels,)`, except `sketch`, `(_sketch.SIZE - 1,)`.
    `count` counts finite values; `m2` is the sum of squared deviations from
    `mean`; `active` counts samples with any element > 0 in the channel;
    `samples` counts samples.
    """

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray
    min: np.ndarray
    max: np.ndarray
    zeros: np.ndarray
    nan: np.ndarray
    inf: np.ndarray
    active: np.ndarray
    samples: int
    sketch: np.ndarray

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> State:
        """The state of one batch, from the host copy of `summarize_output`'s result."""
        count = np.asarray(summary["count"], np.int64)
        n = np.maximum(count, 1).astype(np.float64)
        total = np.asarray(summary["sum"], np.float64)
        # Corrected two-pass: the device summed deviations from a shift.
        mean = np.where(count > 0, np.asarray(summary["shift"], np.float64) + total / n, 0.0)
        m2 = np.asarray(summary["sum_sq"], np.float64) - total * total / n
        return cls(
            count=count,
            mean=mean,
            m2=np.where(count > 0, np.maximum(m2, 0.0), 0.0),
            min=np.asarray(summary["min"], np.float64),
            max=np.asarray(summary["max"], np.float64),
            zeros=np.asarray(summary["zeros"], np.int64),
            nan=np.asarray(summary["nan"], np.int64),
            inf=np.asarray(summary["inf"], np.int64),
            active=np.asarray(summary["active"], np.int64),
            samples=int(summary["samples"]),
            sketch=np.asarray(summary["sketch"], np.int64)[: _sketch.SIZE - 1],
        )

    def merge(self, other: State, where: str = "") -> State:
        """The state of both: exact for counts, Chan's formulas for the moments."""
        if other.count.shape != self.count.shape:
            raise StatsError(
                f"Expected statistics with {self.count.shape[0]} channels{where}. "
                f"Received: {other.count.shape[0]} channels"
            )
        count = self.count + other.count
        n = np.maximum(count, 1).astype(np.float64)
        delta = other.mean - self.mean
        weight = other.count / n
        return State(
            count=count,
            mean=self.mean + delta * weight,
            m2=self.m2 + other.m2 + delta * delta * self.count * weight,
            min=np.minimum(self.min, other.min),
            max=np.maximum(self.max, other.max),
            zeros=self.zeros + other.zeros,
            nan=self.nan + other.nan,
            inf=self.inf + other.inf,
            active=self.active + other.active,
            samples=self.samples + other.samples,
            sketch=self.sketch + other.sketch,
        )

    def pooled(self) -> State:
        """The state of all channels together, as one channel."""
        count = int(self.count.sum())
        mean = float((self.count * self.mean).sum() / count) if count else 0.0
        m2 = float((self.m2 + self.count * (self.mean - mean) ** 2).sum())
        empty = self.count.size == 0
        return dataclasses.replace(
            self,
            count=np.array([count]),
            mean=np.array([mean]),
            m2=np.array([m2]),
            min=np.array([np.inf if empty else self.min.min()]),
            max=np.array([-np.inf if empty else self.max.max()]),
            zeros=np.array([self.zeros.sum()]),
            nan=np.array([self.nan.sum()]),
            inf=np.array([self.inf.sum()]),
            active=np.array([-1]),  # not defined for a whole layer
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; non-finite floats as strings, the sketch sparse."""
        out: dict[str, Any] = {name: _encode(getattr(self, name)) for name in _FIELDS}
        nonzero = np.flatnonzero(self.sketch)
        start = int(nonzero[0]) if nonzero.size else 0
        stop = int(nonzero[-1]) + 1 if nonzero.size else 0
        out["samples"] = self.samples
        out["sketch"] = {"start": start, "counts": self.sketch[start:stop].tolist()}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> State:
        """The inverse of `to_dict`."""
        sketch = np.zeros(_sketch.SIZE - 1, np.int64)
        counts = np.asarray(data["sketch"]["counts"], np.int64)
        start = int(data["sketch"]["start"])
        sketch[start : start + counts.size] = counts
        arrays = {
            name: np.asarray(data[name], np.int64 if name in _INTEGER else np.float64)
            for name in _FIELDS
        }
        return cls(**arrays, samples=int(data["samples"]), sketch=sketch)


def _encode(array: np.ndarray) -> list[Any]:
    if array.dtype.kind in "iu":
        return [int(v) for v in array]
    return [float(v) if np.isfinite(v) else str(float(v)) for v in array]
