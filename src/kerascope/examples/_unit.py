"""`UnitExamples`: the top-k dataset examples of every channel of one layer output.

Nothing here imports Keras: saved examples open anywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from kerascope.errors import KerascopeError
from kerascope.examples._geometry import Region

__all__ = ["ExamplesError", "Ranking", "UnitExamples", "merge_rankings"]


class ExamplesError(KerascopeError, ValueError):
    """Examples of different layers or settings were merged, or a file is not examples."""


@dataclasses.dataclass(frozen=True)
class Ranking:
    """k samples per channel, best first; `index == -1` marks no sample.

    Attributes:
        indices: Sample indices, int64 `(channels, k)`.
        values: The responses, float64 `(channels, k)` (NaN where no sample).
        positions: Where in the output each response is, int64
            `(channels, k, spatial_ndim)` (`-1` where no sample).
    """

    indices: np.ndarray
    values: np.ndarray
    positions: np.ndarray

    @classmethod
    def empty(cls, channels: int, k: int, spatial_ndim: int) -> Ranking:
        """A ranking of no samples."""
        return cls(
            np.full((channels, k), -1, np.int64),
            np.full((channels, k), np.nan, np.float64),
            np.full((channels, k, spatial_ndim), -1, np.int64),
        )

    def to_dict(self) -> dict[str, Any]:
        values = self.values.astype(object)
        values[np.isnan(self.values)] = None
        return {
            "indices": self.indices.tolist(),
            "values": values.tolist(),
            "positions": self.positions.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], spatial_ndim: int) -> Ranking:
        indices = np.asarray(data["indices"], dtype=np.int64)
        values = np.asarray(
            [[np.nan if v is None else float(v) for v in row] for row in data["values"]],
            dtype=np.float64,
        ).reshape(indices.shape)
        positions = np.asarray(data["positions"], dtype=np.int64)
        return cls(indices, values, positions.reshape((*indices.shape, spatial_ndim)))


def merge_rankings(a: Ranking, b: Ranking, *, descending: bool) -> Ranking:
    """The best `k` of two rankings of disjoint samples: by value, ties by lower index."""
    k = a.indices.shape[1]
    indices = np.concatenate([a.indices, b.indices], axis=1)
    values = np.concatenate([a.values, b.values], axis=1)
    positions = np.concatenate([a.positions, b.positions], axis=1)
    primary = np.where(indices < 0, np.inf, -values if descending else values)
    order = np.lexsort((indices, primary), axis=-1)[:, :k]
    return Ranking(
        np.take_along_axis(indices, order, axis=1),
        np.take_along_axis(values, order, axis=1),
        np.take_along_axis(positions, order[..., None], axis=1),
    )


@dataclasses.dataclass(frozen=True)
class UnitExamples:
    """The samples that drive each channel of one layer output hardest.

    Per channel (the last axis; every unit of a dense output `(batch, units)`),
    the `k` samples whose strongest response (the maximum over the output's
    spatial positions) is highest, sorted descending, ties by lower sample
    index. Where fewer than `k` samples responded (less data than `k`, or
    NaN responses), the rows end in padding: index `-1`, value NaN,
    position `-1`.

    Attributes:
        key: The leaf key (see `kerascope.keys`).
        class_name: The layer's class name.
        k: Examples kept per channel.
        top: The `Ranking` of the highest responses.
        bottom: The `Ranking` of the lowest (the minimum over positions,
            ascending), or None unless asked for with `bottom=True`.
        spatial_shape: The output's spatial shape (`()` for dense outputs).
        region: The `Region` (receptive field) of the output's positions in
            the model's input, or None where none was derived.
    """

    key: str
    class_name: str
    k: int
    top: Ranking
    bottom: Ranking | None = None
    spatial_shape: tuple[int, ...] = ()
    region: Region | None = None

    @property
    def indices(self) -> np.ndarray:
        """Sample indices `(channels, k)`, in data order plus `offset`; `-1` for none."""
        return self.top.indices

    @property
    def values(self) -> np.ndarray:
        """Each example's response `(channels, k)`, descending; NaN for none."""
        return self.top.values

    @property
    def positions(self) -> np.ndarray:
        """Where in the output each response is, `(channels, k, spatial_ndim)`."""
        return self.top.positions

    @property
    def channels(self) -> int:
        """The number of channels (units)."""
        return int(self.top.indices.shape[0])

    @property
    def spatial_ndim(self) -> int:
        """The number of spatial axes of the output (0 for dense outputs)."""
        return len(self.spatial_shape)

    @property
    def regions(self) -> np.ndarray | None:
        """The input boxes of `positions`, `(channels, k, spatial_ndim, 2)` as
        `[start, stop)` clipped to the input (`-1` where no example), or None
        without a `region`."""
        return None if self.region is None else self.region.boxes(self.top.positions)

    @property
    def bottom_regions(self) -> np.ndarray | None:
        """As `regions`, for `bottom`."""
        if self.region is None or self.bottom is None:
            return None
        return self.region.boxes(self.bottom.positions)

    def merge(self, other: UnitExamples) -> UnitExamples:
        """The examples of both sets of (disjoint) samples."""
        mine = (self.key, self.k, self.bottom is None, self.channels, self.spatial_shape)
        theirs = (other.key, other.k, other.bottom is None, other.channels, other.spatial_shape)
        if mine != theirs:
            raise ExamplesError(
                "Expected examples of the same key, k, bottom, channels and spatial shape. "
                f"Received: {mine} and {theirs}"
            )
        bottom = None
        if self.bottom is not None and other.bottom is not None:
            bottom = merge_rankings(self.bottom, other.bottom, descending=False)
        return dataclasses.replace(
            self,
            top=merge_rankings(self.top, other.top, descending=True),
            bottom=bottom,
            region=self.region or other.region,
        )

    def to_dict(self) -> dict[str, Any]:
        """As plain JSON types."""
        return {
            "key": self.key,
            "class_name": self.class_name,
            "k": self.k,
            "spatial_shape": list(self.spatial_shape),
            "top": self.top.to_dict(),
            "bottom": None if self.bottom is None else self.bottom.to_dict(),
            "region": None if self.region is None else self.region.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnitExamples:
        """The inverse of `to_dict`."""
        shape = tuple(int(v) for v in data["spatial_shape"])
        bottom, region = data.get("bottom"), data.get("region")
        return cls(
            key=str(data["key"]),
            class_name=str(data["class_name"]),
            k=int(data["k"]),
            top=Ranking.from_dict(data["top"], len(shape)),
            bottom=None if bottom is None else Ranking.from_dict(bottom, len(shape)),
            spatial_shape=shape,
            region=None if region is None else Region.from_dict(region),
        )

    def __repr__(self) -> str:
        best = self.top.values[:, 0]
        shown = f"{np.nanmax(best):.4g}" if np.isfinite(best).any() else "none"
        return (
            f"UnitExamples({self.key!r}, {self.class_name}, channels={self.channels}, "
            f"k={self.k}, best={shown})"
        )
