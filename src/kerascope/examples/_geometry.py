"""`Region`: where in the input a layer's output position looks (its receptive field).

A small per-layer record, per spatial axis: the input box of output position
`p` starts at `start + p * stride` and is `size` long, clipped to the input.
Nothing here imports Keras.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["Region"]


@dataclasses.dataclass(frozen=True)
class Region:
    """The receptive field of a layer's output positions, per spatial axis.

    Attributes:
        input: The name of the model input the positions look at.
        input_shape: That input's spatial shape, e.g. `(28, 28)` (the boxes are
            clipped to it).
        stride: Input steps between neighbouring output positions, per axis.
        start: Where position 0's field starts, per axis (negative where it
            reaches into padding).
        size: The field's length, per axis.

    Example:

    >>> region = Region("image", (8, 8), stride=(1, 1), start=(-1, -1), size=(3, 3))
    >>> region.box((0, 4)).tolist()
    [[0, 2], [3, 6]]
    """

    input: str
    input_shape: tuple[int, ...]
    stride: tuple[int, ...]
    start: tuple[int, ...]
    size: tuple[int, ...]

    @property
    def ndim(self) -> int:
        """The number of spatial axes."""
        return len(self.stride)

    def box(self, position: Any) -> np.ndarray:
        """The clipped `[start, stop)` input box of one output position.

        Args:
            position: The output position, one index per spatial axis.

        Returns:
            An int array `(spatial_ndim, 2)`.
        """
        return np.asarray(self.boxes(np.asarray(position, dtype=np.int64)[None])[0])

    def boxes(self, positions: Any) -> np.ndarray:
        """The clipped `[start, stop)` input boxes of many output positions.

        Args:
            positions: An int array `(..., spatial_ndim)`; rows holding `-1`
                (no example) give boxes of `-1`.

        Returns:
            An int array `(..., spatial_ndim, 2)`.
        """
        positions = np.asarray(positions, dtype=np.int64)
        stride, start, size = (np.asarray(v, dtype=np.int64) for v in self._parts())
        lower = start + positions * stride
        limit = np.asarray(self.input_shape, dtype=np.int64)
        boxes = np.stack(
            [np.clip(lower, 0, limit), np.clip(lower + size, 0, limit)], axis=-1
        ).astype(np.int64)
        missing = np.any(positions < 0, axis=-1)
        boxes[missing] = -1
        return boxes

    def _parts(self) -> tuple[tuple[int, ...], ...]:
        return self.stride, self.start, self.size

    def to_dict(self) -> dict[str, Any]:
        """The region as plain JSON types."""
        return {
            "input": self.input,
            "input_shape": list(self.input_shape),
            "stride": list(self.stride),
            "start": list(self.start),
            "size": list(self.size),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Region:
        """The inverse of `to_dict`."""
        return cls(
            str(data["input"]),
            *(tuple(int(v) for v in data[name]) for name in _AXES),
        )


_AXES = ("input_shape", "stride", "start", "size")
