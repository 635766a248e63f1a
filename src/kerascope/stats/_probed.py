"""`ProbedBatch`: one batch run through the probe, not yet summarised.

`StatisticsRunner.forward` returns these and `StatisticsRunner.summarize`
folds them into `Statistics`: the two halves of `StatisticsRunner.run`, for a
caller (the activation monitor) that must run the model now, with its
current weights, but can summarise later, on another thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from kerascope.stats._inputs import InputStats

__all__ = ["ProbedBatch", "all_finite"]

#: The fields of a summary (`_summary.summarize_output`) that count NaN and ±Inf.
_COUNTS = ("nan", "inf")


class ProbedBatch(NamedTuple):
    """One batch's probe results.

    Attributes:
        outputs: Key -> the layer's numpy outputs (or their summaries, when
            the runner summarises on the device), for the runner's keys.
        samples: The batch's sample count.
        inputs: The `InputStats` of each model input of the batch.
    """

    outputs: dict[str, Any]
    samples: int
    inputs: list[InputStats]


def all_finite(batches: list[ProbedBatch], *, summaries: bool) -> bool:
    """Whether every input value and every output value of `batches` is finite.

    Exact, and cheap when all is finite (the usual case): one sum per output,
    and an element-wise check only of an output whose sum is not finite.

    Args:
        batches: From `StatisticsRunner.forward`.
        summaries: Whether the outputs are summaries (then their NaN and Inf
            counts are read) rather than the layers' outputs.
    """
    for batch in batches:
        if not all(check.finite for check in batch.inputs):
            return False
        for output in batch.outputs.values():
            if not _finite(output, summaries):
                return False
    return True


def _finite(value: Any, summaries: bool) -> bool:
    if isinstance(value, Mapping):
        if summaries and all(field in value for field in _COUNTS):
            return not any(np.any(np.asarray(value[field])) for field in _COUNTS)
        return all(_finite(v, summaries) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v, summaries) for v in value)
    array = np.asarray(value)
    if array.dtype.kind not in "fc":
        return True  # integers and booleans cannot hold NaN
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(array.sum()):
            return True
    return bool(np.isfinite(array).all())  # a NaN, or only a sum that overflowed
