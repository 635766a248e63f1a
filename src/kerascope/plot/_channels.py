"""One sample's activations as channels: the layout of any rank, depth slices, which channels."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import numpy as np

from kerascope.errors import InputError
from kerascope.plot._common import positive_int, sample_index

__all__ = ["Maps", "arrange", "select_channels"]

Kind = Literal["dense", "sequence", "image"]


@dataclasses.dataclass(frozen=True)
class Maps:
    """One sample's activations, channels last, as a float64 copy.

    Attributes:
        values: `(units,)` for a dense vector, `(time, channels)` for a
            sequence, `(height, width, channels)` for 2-D maps (a volume comes
            as one depth slice or its maximum over depth).
        kind: `"dense"`, `"sequence"` or `"image"`.
        description: What `values` are, for a title, e.g. `"2-D maps 26 x 26"`.
        sample: The sample's index (`>= 0`).
    """

    values: np.ndarray
    kind: Kind
    description: str
    sample: int


def arrange(
    array: np.ndarray, key: str, *, sample: int, data_format: str, depth: int | None
) -> Maps:
    """The `Maps` of sample `sample` of `array`, `(samples, ...)`.

    Raises:
        InputError: for a bad `data_format`, `sample` or `depth`, or an array
            that is not `(samples, units)`, `(samples, time, channels)`,
            `(samples, height, width, channels)` or `(samples, depth, height,
            width, channels)` (channels first with `data_format="channels_first"`).
    """
    if data_format not in ("channels_last", "channels_first"):
        raise InputError(
            "Expected data_format 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    if not 2 <= array.ndim <= 5:
        raise InputError(
            "Expected activations of shape (samples, units), (samples, time, channels), "
            "(samples, height, width, channels) or (samples, depth, height, width, "
            f"channels). Received: key {key!r} with shape {array.shape}"
        )
    index = sample_index(sample, array.shape[0], key)
    values = array[index].astype(np.float64)
    if data_format == "channels_first" and values.ndim > 1:
        values = np.moveaxis(values, 0, -1)
    if depth is not None and values.ndim != 4:
        raise InputError(
            "Expected depth only for 3-D volumes (samples, depth, height, width, channels). "
            f"Received: depth={depth!r} for key {key!r} with shape {array.shape}"
        )
    if values.ndim == 1:
        return Maps(values, "dense", f"dense vector of {values.size} units", index)
    if values.ndim == 2:
        return Maps(values, "sequence", f"sequence of {values.shape[0]} steps", index)
    size = "{} x {}".format(*values.shape[-3:-1])
    if values.ndim == 3:
        return Maps(values, "image", f"2-D maps {size}", index)
    volume = values.shape[0]
    if depth is None:
        return Maps(
            values.max(axis=0), "image", f"max over {volume} depths of 3-D maps {size}", index
        )
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
        raise InputError(f"Expected an integer depth index or None. Received: depth={depth!r}")
    if not -volume <= depth < volume:
        raise InputError(
            f"Expected a depth index in [0, {volume}) for key {key!r}. Received: depth={depth}"
        )
    at = int(depth) % volume
    return Maps(values[at], "image", f"depth {at} of {volume} of 3-D maps {size}", index)


def select_channels(
    values: np.ndarray, channels: Sequence[int] | None, max_channels: int
) -> tuple[list[int], str]:
    """Which channels (last axis of `values`) to show, and a note saying how they were chosen.

    Chosen `channels` are shown in their order. Otherwise all channels, in
    order, when there are at most `max_channels`; else the `max_channels` with
    the largest mean absolute activation, most active first.

    Raises:
        InputError: for a bad `max_channels`, or `channels` out of range.
    """
    max_channels = positive_int(max_channels, "max_channels")
    total = values.shape[-1]
    if channels is not None:
        chosen = list(channels)
        bad = [
            c
            for c in chosen
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < total
        ]
        if not chosen or bad:
            raise InputError(
                f"Expected channels: a non-empty list of channel indices in [0, {total}). "
                f"Received: channels={list(channels)!r}"
            )
        return [int(c) for c in chosen], f"channels {_short(chosen)} of {total}"
    if total <= max_channels:
        return list(range(total)), f"all {total} channels"
    flat = values.reshape(-1, total)
    magnitude = np.where(np.isfinite(flat), np.abs(flat), 0.0).mean(axis=0)
    order = np.argsort(-magnitude, kind="stable")[:max_channels]
    note = (
        f"showing {max_channels} of {total} channels, most active first "
        "(by mean |activation| in this sample)"
    )
    return order.tolist(), note


def _short(indices: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(str(int(i)) for i in indices[:limit])
    return f"[{shown}{', ...' if len(indices) > limit else ''}]"
