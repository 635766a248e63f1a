"""`Importance`: the effect on a metric of ablating each unit, per layer key."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from kerascope._text import table
from kerascope.errors import InputError
from kerascope.select import unknown_key

__all__ = ["Importance"]

_FORMAT = "kerascope.importance/1"


class Importance(Mapping[str, np.ndarray]):
    """What ablating each unit does to a metric; made by `kerascope.ablation`.

    `importance[key]` is a float64 array, one effect per unit (per channel,
    or one for the whole layer): the metric with that unit ablated minus the
    baseline metric, both measured in the same run. For a loss a positive
    effect means the unit matters; for accuracy, a negative one.

    Attributes:
        metric: The metric's name (`"loss"`, `"accuracy"` or the function's).
        baseline: The metric without ablation.
        method: `"zero"` or `"mean"`.
        per: `"channel"` or `"layer"`.
        samples: How many samples the metric was averaged over.
        higher_is_better: Whether a larger metric is better (accuracy), or
            None when unknown (a user function).

    Example:

    >>> imp = kerascope.ablation(model, x, y, layers="conv*")   # doctest: +SKIP
    >>> imp.ranked("conv2")[:3]                                 # doctest: +SKIP
    array([7, 2, 11])
    """

    def __init__(
        self,
        effects: Mapping[str, Any],
        *,
        metric: str,
        baseline: float,
        method: str,
        per: str,
        samples: int,
        higher_is_better: bool | None,
    ) -> None:
        self._effects = {key: np.asarray(v, np.float64) for key, v in effects.items()}
        self.metric = metric
        self.baseline = float(baseline)
        self.method = method
        self.per = per
        self.samples = int(samples)
        self.higher_is_better = higher_is_better

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._effects[key]
        except (KeyError, TypeError):
            raise unknown_key(key, list(self._effects), "ablation effects") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._effects)

    def __len__(self) -> int:
        return len(self._effects)

    def harm(self, key: str) -> np.ndarray:
        """How much ablating each unit of `key` hurts: the effect, signed so that
        larger is worse (its magnitude when the metric's direction is unknown)."""
        effect = self[key]
        if self.higher_is_better is None:
            harm: np.ndarray = np.abs(effect)
        else:
            harm = -effect if self.higher_is_better else effect
        return harm

    def ranked(self, key: str) -> np.ndarray:
        """The units of `key`, the most important (most harmful to ablate) first."""
        return np.argsort(-self.harm(key), kind="stable")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (no pickle)."""
        return {
            "format": _FORMAT,
            "metric": self.metric,
            "baseline": self.baseline,
            "method": self.method,
            "per": self.per,
            "samples": self.samples,
            "higher_is_better": self.higher_is_better,
            "effects": {key: value.tolist() for key, value in self._effects.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Importance:
        """The `Importance` that `to_dict` described.

        Raises:
            InputError: if `data` is not an importance dict.
        """
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise InputError(
                f"Expected importance data of format {_FORMAT!r}. Received: format {found!r}"
            )
        try:
            return cls(
                data["effects"],
                metric=data["metric"],
                baseline=data["baseline"],
                method=data["method"],
                per=data["per"],
                samples=data["samples"],
                higher_is_better=data["higher_is_better"],
            )
        except KeyError as error:
            raise InputError(
                f"Expected importance data with the field {error.args[0]!r}. "
                f"Received: fields {sorted(data)}"
            ) from None
        except (TypeError, ValueError, AttributeError) as error:
            raise InputError(
                f"Expected importance data as `to_dict` writes it. Received: {error}"[:300]
            ) from None

    def to_json(self) -> str:
        """The importance as JSON text."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Importance:
        """Reads `to_json`'s text."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as error:
            raise InputError(
                f"Expected importance JSON. Received: invalid JSON ({error})"
            ) from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the JSON to `path`."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Importance:
        """Reads a file written by `save`."""
        with open(path, encoding="utf-8") as file:
            return cls.from_json(file.read())

    def __repr__(self) -> str:
        head = (
            f"Importance({len(self)} layers, metric={self.metric!r}, "
            f"baseline={self.baseline:.4g}, method={self.method!r}, per={self.per!r}, "
            f"samples={self.samples})"
        )
        rows = [["key", "units", "top unit", "effect", "mean effect"]]
        for key, effect in self._effects.items():
            top = int(self.ranked(key)[0]) if effect.size else -1
            rows.append(
                [
                    key,
                    str(effect.size),
                    str(top) if self.per == "channel" else "-",
                    f"{effect[top]:+.4g}" if effect.size else "-",
                    f"{effect.mean():+.4g}" if effect.size else "-",
                ]
            )
        return head + "\n" + table(rows)
