"""`InputStats`: whether a model's inputs were finite, over a whole dataset.

NaN or ±Inf in the data reaches every layer after it; diagnostics must blame
the data, not the first layer. Checked with numpy on the host batch: one
`isfinite(...).all()` pass (about 0.03 ms a MiB), and the values counted one
by one only when some are not finite. Nothing here imports Keras.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from kerascope.errors import StatsError

__all__ = ["FIRST_BAD", "InputStats", "check_inputs"]

#: How many indices of samples with non-finite values are kept per input.
FIRST_BAD = 10


@dataclasses.dataclass(frozen=True)
class InputStats:
    """How many of one model input's values were NaN or ±Inf, and in which samples.

    Attributes:
        name: The input's name: its `keras.Input` name, its key in a dict of
            inputs, or `"input"` (`"input[0]"`, ... for a list) when unnamed.
        samples: Samples seen.
        values: Values seen (of every sample).
        nan: Values that were NaN.
        inf: Values that were +Inf or -Inf.
        bad_samples: Samples with at least one NaN or Inf value.
        first_bad: The indices (in the order seen) of the first `FIRST_BAD`
            such samples.
    """

    name: str
    samples: int = 0
    values: int = 0
    nan: int = 0
    inf: int = 0
    bad_samples: int = 0
    first_bad: tuple[int, ...] = ()

    @property
    def finite(self) -> bool:
        """Whether every value seen was finite."""
        return self.nan == 0 and self.inf == 0

    def merge(self, other: InputStats) -> InputStats:
        """These samples followed by `other`'s (its indices count on from `samples`)."""
        if other.name != self.name:
            raise StatsError(
                f"Expected input statistics of {self.name!r} to merge. Received: {other.name!r}"
            )
        later = tuple(self.samples + index for index in other.first_bad)
        return InputStats(
            name=self.name,
            samples=self.samples + other.samples,
            values=self.values + other.values,
            nan=self.nan + other.nan,
            inf=self.inf + other.inf,
            bad_samples=self.bad_samples + other.bad_samples,
            first_bad=(self.first_bad + later)[:FIRST_BAD],
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {**dataclasses.asdict(self), "first_bad": list(self.first_bad)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InputStats:
        """The inverse of `to_dict`."""
        return cls(
            name=str(data["name"]),
            samples=int(data["samples"]),
            values=int(data["values"]),
            nan=int(data["nan"]),
            inf=int(data["inf"]),
            bad_samples=int(data["bad_samples"]),
            first_bad=tuple(int(i) for i in data["first_bad"]),
        )


def check_inputs(leaves: Iterable[tuple[str, Any]], n: int) -> list[InputStats]:
    """`InputStats` of one host batch of `n` samples.

    Args:
        leaves: `(input name, numpy array (n, ...))` per model input.
        n: The batch's sample count.

    Returns:
        One `InputStats` per input, in order.
    """
    result = []
    for name, array in leaves:
        a = np.asarray(array)
        stats = InputStats(name, samples=n, values=int(a.size))
        floating = a.dtype.kind == "f" or "float" in a.dtype.name  # bfloat16 included
        if floating and a.size and not np.isfinite(a).all():
            nan = np.isnan(a)
            inf = np.isinf(a)
            bad = (nan | inf).reshape(n, -1).any(axis=1) if n else np.zeros(0, bool)
            rows = np.flatnonzero(bad)
            stats = dataclasses.replace(
                stats,
                nan=int(nan.sum()),
                inf=int(inf.sum()),
                bad_samples=int(rows.size),
                first_bad=tuple(int(i) for i in rows[:FIRST_BAD]),
            )
        result.append(stats)
    return result
