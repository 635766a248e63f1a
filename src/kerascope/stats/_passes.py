"""How many samples a host pass of the statistics pipeline runs: about 8 MiB of arrays."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from kerascope.capture import Probe
from kerascope.keys import output_leaves

__all__ = ["BATCH", "pass_samples"]

#: Samples per pass where no size is chosen: the usual batch size, and the
#: default of `capture` and `record`.
BATCH = 32
#: Host passes hold about this many bytes of inputs and layer outputs...
_PASS_BYTES = 8 << 20
#: ... and at most this many samples.
_MAX_PASS = 4096


def pass_samples(probe: Probe) -> int:
    """Samples per host pass: a power of two making about `_PASS_BYTES`.

    `BATCH` when a shape is unknown until the data comes, as for
    variable-length sequences.
    """
    if probe.input_spec is None:
        return BATCH
    leaves = [(t.shape, t.dtype) for t in keras.tree.flatten(probe.input_spec)]
    if not probe.discovered or any(None in shape[1:] for shape, _ in leaves):
        return BATCH
    leaves += [
        (shape, dtype)
        for info in probe.specs.values()
        for (_, shape), (_, dtype) in zip(
            output_leaves(info.key, info.shape), output_leaves(info.key, info.dtype)
        )
    ]
    if any(shape is None or None in shape[1:] for shape, _ in leaves):
        return BATCH
    size: int = sum(math.prod(shape[1:]) * _itemsize(dtype) for shape, dtype in leaves)
    fits = min(_PASS_BYTES // max(size, 1), _MAX_PASS)
    return 1 << max(0, fits.bit_length() - 1)


def _itemsize(dtype: Any) -> int:
    try:
        return int(np.dtype(dtype).itemsize)
    except TypeError:  # a type numpy does not name, e.g. bfloat16
        return 4
