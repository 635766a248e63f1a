"""`ExamplesAccumulator`: running top-k per channel, fed batch by batch.

Memory is bounded by `k` per channel: each batch's strongest responses per
sample (see `_reduce`) are folded into the running rankings and dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from kerascope.examples._examples import Examples
from kerascope.examples._geometry import Region
from kerascope.examples._reduce import reduce_numpy
from kerascope.examples._unit import ExamplesError, Ranking, UnitExamples

__all__ = ["ExamplesAccumulator"]


@dataclasses.dataclass
class _Running:
    """One leaf's rankings so far."""

    class_name: str
    spatial_shape: tuple[int, ...]
    top: Ranking
    bottom: Ranking | None


class ExamplesAccumulator:
    """Folds batches into the top `k` examples per channel.

    Args:
        class_names: Layer key -> the layer's class name (leaf keys are
            matched to their layer key).
        k: Examples kept per channel.
        bottom: Keep the `k` lowest responses too.
        offset: The global index of the first sample. Defaults to `0`.
        shapes: Leaf key -> the output's spatial shape (`()` for dense
            outputs). Defaults to none (taken as `()`).
        regions: Leaf key -> its `Region`, where one is known. Defaults to none.
    """

    def __init__(
        self,
        class_names: Mapping[str, str],
        *,
        k: int,
        bottom: bool,
        offset: int = 0,
        shapes: Mapping[str, tuple[int, ...]] | None = None,
        regions: Mapping[str, Region | None] | None = None,
    ) -> None:
        self.k = k
        self.bottom = bottom
        self.start = offset
        self.next = offset
        self._class_names = dict(class_names)
        self._shapes = dict(shapes or {})
        self._regions = dict(regions or {})
        self._running: dict[str, _Running] = {}

    def add(self, key: str, output: Any, n: int) -> None:
        """Folds one batch of a layer's host outputs (a structure for several outputs)."""
        self.update(key, reduce_numpy(key, output, bottom=self.bottom), n)

    def update(self, key: str, reduced: Mapping[str, Mapping[str, Any]], n: int) -> None:
        """Folds one batch of a layer's reductions (leaf key -> `_reduce`'s dict).

        Call `advance(n)` once every layer of the batch is folded.
        """
        indices = np.arange(self.next, self.next + n, dtype=np.int64)
        for leaf, parts in reduced.items():
            high = np.asarray(parts["max"], dtype=np.float64)[:n]
            running = self._running.get(leaf)
            if running is None:
                running = self._start(key, leaf, parts, high.shape[1])
                if running.spatial_shape and "argmax" not in parts:
                    raise ExamplesError(f"Expected positions for {leaf!r}. Received: none")
            running.top = _fold(running.top, high, parts.get("argmax"), indices, descending=True)
            if running.bottom is not None:
                low = np.asarray(parts["min"], dtype=np.float64)[:n]
                running.bottom = _fold(
                    running.bottom, low, parts.get("argmin"), indices, descending=False
                )

    def advance(self, n: int) -> None:
        """Moves past a batch of `n` samples."""
        self.next += n

    def _start(self, key: str, leaf: str, parts: Mapping[str, Any], channels: int) -> _Running:
        del parts
        spatial = self._shapes.get(leaf, ())
        ndim = len(spatial)
        return self._running.setdefault(
            leaf,
            _Running(
                self._class_names.get(key, ""),
                spatial,
                Ranking.empty(channels, self.k, ndim),
                Ranking.empty(channels, self.k, ndim) if self.bottom else None,
            ),
        )

    def resume(self, examples: Examples) -> None:
        """Continues from `examples` (of the samples before this accumulator's offset)."""
        if (examples.k, examples.bottom) != (self.k, self.bottom):
            raise ExamplesError(
                f"Expected examples with k={self.k}, bottom={self.bottom} to resume. "
                f"Received: k={examples.k}, bottom={examples.bottom}"
            )
        for leaf, unit in examples.items():
            self._running[leaf] = _Running(
                unit.class_name, unit.spatial_shape, unit.top, unit.bottom
            )

    def result(self, samples: tuple[tuple[int, int], ...] | None = None) -> Examples:
        """The examples so far.

        Args:
            samples: The ranges of samples seen. Defaults to `None`: from
                `offset` to the last sample folded.
        """
        units = {
            leaf: UnitExamples(
                key=leaf,
                class_name=r.class_name,
                k=self.k,
                top=r.top,
                bottom=r.bottom,
                spatial_shape=r.spatial_shape,
                region=self._regions.get(leaf),
            )
            for leaf, r in self._running.items()
        }
        if samples is None:
            samples = ((self.start, self.next),) if self.next > self.start else ()
        return Examples(units, k=self.k, bottom=self.bottom, samples=samples)


def _fold(
    ranking: Ranking, values: np.ndarray, where: Any, indices: np.ndarray, *, descending: bool
) -> Ranking:
    """`ranking` with a batch of samples (all after those ranked) folded in."""
    channels, k = ranking.indices.shape
    ndim = ranking.positions.shape[-1]
    n = len(indices)
    values = values.T  # (channels, batch)
    bad = np.isnan(values) | (values == (-np.inf if descending else np.inf))
    # Past the first batches most batches change nothing: a candidate must beat
    # a channel's k-th value (a tie loses to its lower index).
    last = ranking.values[:, -1:]
    beats = values > last if descending else values < last
    if not np.isnan(last).any() and not beats.any():
        return ranking
    values = np.where(bad, np.nan, values)
    if where is None:
        positions = np.zeros((channels, n, ndim), np.int64)
    else:
        positions = np.asarray(where)[:n].transpose(1, 0, 2).astype(np.int64)
        positions[bad] = -1
    batch_indices = np.where(bad, -1, np.broadcast_to(indices, (channels, n)))
    all_values = np.concatenate([ranking.values, values], axis=1)
    key = -all_values if descending else all_values
    # Stable: ranked samples (lower indices, ties in index order) before the
    # batch's, which are in index order; NaN (none) sorts last.
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    return Ranking(
        np.take_along_axis(np.concatenate([ranking.indices, batch_indices], axis=1), order, 1),
        np.take_along_axis(all_values, order, axis=1),
        np.take_along_axis(
            np.concatenate([ranking.positions, positions], axis=1), order[..., None], axis=1
        ),
    )
