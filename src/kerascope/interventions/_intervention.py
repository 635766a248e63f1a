"""`Intervention`: one edit of a layer's output, its unit mask and its `keras.ops` code.

Each value knows its kind, the selection it edits (`channels`, `units`,
`positions`) and its numbers. `intervene` binds the numbers and the unit mask
to arrays of the output's per-sample shape, held by the compiled pass as
variables, so new numbers of the same kind never recompile; `apply` is the
edit itself, in `keras.ops`, run inside that pass. This module imports no Keras
until an edit runs, so saved results and values load without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from kerascope.errors import InputError

__all__ = ["Intervention"]


@dataclasses.dataclass(frozen=True, eq=False)
class Intervention:
    """One edit of a layer's output; made by `zero`, `mean`, `clamp`, ... .

    Attributes:
        kind: `"zero"`, `"mean"`, `"clamp"`, `"scale"`, `"add"`, `"set"`,
            `"patch"` or `"function"`.
        values: The edit's numbers by name (broadcast to the output's
            per-sample shape when bound).
        channels: Indices on the last axis to edit, or None for all.
        units: Flat indices into one sample's output to edit, or None for all.
        positions: Indices on the first axis after the batch (a sequence
            position, an image row; `(row, col)` pairs for images), or None.
        of: The statistics or data of a `mean`, or the inputs of a `patch`.
        fn: The user function of a `"function"` edit.
    """

    kind: str
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    channels: tuple[int, ...] | None = None
    units: tuple[int, ...] | None = None
    positions: tuple[Any, ...] | None = None
    of: Any = None
    fn: Callable[[str, Any], Any] | None = None

    def signature(self) -> tuple[Any, ...]:
        """What the compiled pass depends on: the kind, value names and function."""
        return (self.kind, tuple(sorted(self.values)), id(self.fn) if self.fn else None)

    def mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """1.0 where one sample's output of `shape` is edited, else 0.0."""
        selected = np.ones(shape, bool)
        try:
            if self.channels is not None:
                channel = np.zeros(shape[-1], bool)
                channel[list(self.channels)] = True
                selected &= channel
            if self.positions is not None:
                where = np.zeros(shape, bool)
                for position in self.positions:
                    where[position] = True
                selected &= where
            if self.units is not None:
                unit = np.zeros(int(np.prod(shape)), bool)
                unit[list(self.units)] = True
                selected &= unit.reshape(shape)
        except (IndexError, TypeError, ValueError) as error:
            raise InputError(
                f"Expected channels, units and positions inside an output of per-sample shape "
                f"{shape}. Received: channels={self.channels}, units={self.units}, "
                f"positions={self.positions} ({error})"
            ) from None
        return selected.astype(np.float32)

    def apply(self, output: Any, params: Mapping[str, Any], source: Any, key: str) -> Any:
        """The edited output (`keras.ops`), inside the compiled pass."""
        import keras  # here, so that the values (and saved results) import without Keras

        dtype = output.dtype
        if self.kind in ("ablate", "ablate_expand"):
            return _ablate_copies(output, params, expand=self.kind == "ablate_expand")
        get = {name: keras.ops.cast(value, dtype) for name, value in params.items()}
        if self.kind == "zero":
            edited = keras.ops.zeros_like(output)
        elif self.kind in ("mean", "set"):
            edited = keras.ops.broadcast_to(get["value"], keras.ops.shape(output))
        elif self.kind == "clamp":
            edited = keras.ops.minimum(keras.ops.maximum(output, get["min"]), get["max"])
        elif self.kind == "scale":
            edited = output * get["factor"]
        elif self.kind == "add":
            edited = output + get["vector"]
        elif self.kind == "patch":
            edited = keras.ops.cast(source, dtype)
        elif self.fn is not None:
            edited = self.fn(key, output)
        else:
            raise InputError(
                "Expected an intervention from kerascope.interventions (zero, mean, clamp, "
                "scale, add, set, patch, function). "
                f"Received: kind {self.kind!r} without a function"
            )
        return keras.ops.where(keras.ops.cast(params["mask"], "bool"), edited, output)


def _ablate_copies(output: Any, params: Mapping[str, Any], *, expand: bool) -> Any:
    """`copies` blocks of the same samples, block `i` set to `value` where
    `mask[i]` (`(copies, *sample_shape)`) is 1 (`ablation`).

    With `expand`, `output` is one block, `(batch, ...)`, repeated here, so the
    layers before run once; otherwise the inputs were repeated and `output`
    holds the blocks already, `(copies * batch, ...)`.
    """
    import keras

    mask = params["mask"]
    copies, sample_shape = int(mask.shape[0]), tuple(int(d) for d in mask.shape[1:])
    if expand:
        grouped = keras.ops.expand_dims(output, 0)
    else:
        grouped = keras.ops.reshape(output, (copies, -1, *sample_shape))
    where = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), 1)
    fill = keras.ops.cast(params["value"], output.dtype)
    blocks = keras.ops.where(where, fill, grouped)  # (copies, batch, *sample_shape)
    return keras.ops.reshape(blocks, (-1, *sample_shape))
