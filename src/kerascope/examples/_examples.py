"""`Examples`: the read-only mapping leaf key -> `UnitExamples`, mergeable and saved as JSON.

Nothing here imports Keras: saved examples open anywhere.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from kerascope._text import table
from kerascope.examples._unit import ExamplesError, UnitExamples
from kerascope.select import unknown_key

__all__ = ["FORMAT", "Examples"]

FORMAT = "kerascope.examples/1"


class Examples(Mapping[str, UnitExamples]):
    """Top dataset examples per layer output: leaf key -> `UnitExamples`.

    Shards of a dataset merge with `a | b` (or `merge`) when each was made
    with the `offset` of its first sample, so that sample indices are global.

    Args:
        units: Leaf key -> `UnitExamples`, in execution order.
        k: Examples kept per channel.
        bottom: Whether the lowest responses are kept too.
        samples: The `[start, stop)` ranges of sample indices seen.

    Example:

    >>> a = kerascope.top_examples(model, x[:500], k=9)              # doctest: +SKIP
    >>> b = kerascope.top_examples(model, x[500:], k=9, offset=500)  # doctest: +SKIP
    >>> (a | b)["conv2"].indices[7]                                  # doctest: +SKIP
    array([812, 40, 233, ...])
    """

    def __init__(
        self,
        units: Mapping[str, UnitExamples],
        *,
        k: int,
        bottom: bool,
        samples: tuple[tuple[int, int], ...],
    ) -> None:
        self._units = dict(units)
        self.k = int(k)
        self.bottom = bool(bottom)
        self.samples = tuple((int(a), int(b)) for a, b in samples)

    @property
    def count(self) -> int:
        """The number of samples seen."""
        return sum(stop - start for start, stop in self.samples)

    def __getitem__(self, key: str) -> UnitExamples:
        try:
            return self._units[key]
        except KeyError:
            raise unknown_key(key, list(self._units), "examples") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._units)

    def __len__(self) -> int:
        return len(self._units)

    def merge(self, other: Examples) -> Examples:
        """The examples of both (disjoint) sets of samples.

        Raises:
            ExamplesError: for other keys, `k` or `bottom`, or overlapping
                sample indices (merge shards made with distinct `offset`s).
        """
        if not isinstance(other, Examples):
            raise ExamplesError(f"Expected Examples. Received: {type(other).__name__}")
        if list(self) != list(other) or (self.k, self.bottom) != (other.k, other.bottom):
            raise ExamplesError(
                "Expected examples of the same keys, k and bottom. Received: "
                f"keys {list(self)}, k={self.k}, bottom={self.bottom} and "
                f"keys {list(other)}, k={other.k}, bottom={other.bottom}"
            )
        ranges = sorted(self.samples + other.samples)
        for (_, stop), (start, _) in itertools.pairwise(ranges):
            if start < stop:
                raise ExamplesError(
                    "Expected examples of disjoint samples (shards made with distinct "
                    f"offset=). Received: sample ranges {list(self.samples)} and "
                    f"{list(other.samples)}"
                )
        units = {key: unit.merge(other[key]) for key, unit in self.items()}
        return Examples(units, k=self.k, bottom=self.bottom, samples=_joined(ranges))

    def __or__(self, other: Any) -> Examples:
        if not isinstance(other, Examples):
            return NotImplemented
        return self.merge(other)

    def to_dict(self) -> dict[str, Any]:
        """The examples as plain JSON types."""
        return {
            "format": FORMAT,
            "k": self.k,
            "bottom": self.bottom,
            "samples": [list(r) for r in self.samples],
            "units": [unit.to_dict() for unit in self.values()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Examples:
        """The inverse of `to_dict`.

        Raises:
            ExamplesError: if `data` is not complete kerascope examples.
        """
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise ExamplesError(
                f"Expected kerascope examples (format {FORMAT!r}). Received: format {found!r}"
            )
        try:
            units = [UnitExamples.from_dict(unit) for unit in data["units"]]
            return cls(
                {unit.key: unit for unit in units},
                k=int(data["k"]),
                bottom=bool(data["bottom"]),
                samples=tuple((int(a), int(b)) for a, b in data["samples"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ExamplesError(
                f"Expected complete kerascope examples. Received: {type(error).__name__}: {error}"
            ) from error

    def to_json(self) -> str:
        """The examples as JSON text (no pickle; NaN written as null)."""
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Examples:
        """Examples from `to_json`'s text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ExamplesError(f"Expected JSON text. Received: {error}") from error
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes `to_json()` to `path` (UTF-8)."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Examples:
        """Examples from a file written by `save`."""
        with open(path, encoding="utf-8") as file:
            return cls.from_json(file.read())

    def __repr__(self) -> str:
        head = (
            f"Examples({len(self)} layers, k={self.k}, bottom={self.bottom}, "
            f"samples={self.count:,})"
        )
        rows = [("key", "class", "channels", "best unit", "best value", "best sample", "region")]
        for key, unit in self.items():
            best = unit.values[:, 0]
            if np.isfinite(best).any():
                channel = int(np.nanargmax(best))
                shown = (str(channel), f"{best[channel]:.4g}", str(unit.indices[channel, 0]))
            else:
                shown = ("-", "-", "-")
            size = "-" if unit.region is None else "x".join(map(str, unit.region.size))
            rows.append((key, unit.class_name, str(unit.channels), *shown, size))
        return head + "\n" + table(rows, left=2)


def _joined(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, disjoint ranges with touching ones joined."""
    out: list[tuple[int, int]] = []
    for start, stop in ranges:
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], stop)
        else:
            out.append((start, stop))
    return tuple(out)
