"""`Patching`: a patching sweep's table, layers x positions (reads without Keras)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from kerascope._text import table
from kerascope.errors import InputError
from kerascope.select import unknown_key

__all__ = ["Patching"]

_FORMAT = "kerascope.patching/1"


class Patching:
    """The metric with each layer's clean activation patched into the corrupted run.

    Attributes:
        keys: The patched layers, in execution order (the table's rows).
        positions: The patched positions (the columns), or None when whole
            layers were patched (one column).
        values: `(len(keys), len(positions) or 1)` float64: the metric of
            each patched run; NaN where a layer has no such position.
        clean: The metric of the clean run.
        corrupted: The metric of the corrupted run, unpatched.
        metric: The metric's name.
    """

    def __init__(
        self,
        keys: Sequence[str],
        positions: Sequence[int] | None,
        values: Any,
        *,
        clean: float,
        corrupted: float,
        metric: str,
    ) -> None:
        self.keys = tuple(keys)
        self.positions = None if positions is None else tuple(int(p) for p in positions)
        self.values = np.asarray(values, np.float64).reshape(len(self.keys), -1)
        self.clean = float(clean)
        self.corrupted = float(corrupted)
        self.metric = metric

    def __getitem__(self, key: str) -> np.ndarray:
        """The row of `key`: the metric of each patched position.

        Raises:
            SelectionError: (a `KeyError`) for a key that was not patched.
        """
        if key not in self.keys:
            raise unknown_key(key, list(self.keys), "patching results")
        row: np.ndarray = self.values[self.keys.index(key)]
        return row

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def restored(self) -> np.ndarray:
        """The fraction of the clean metric each patch restores:
        `(value - corrupted) / (clean - corrupted)` (NaN if they are equal)."""
        gap = self.clean - self.corrupted
        if gap == 0:
            return np.full_like(self.values, np.nan)
        restored: np.ndarray = (self.values - self.corrupted) / gap
        return restored

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN written as null)."""
        rows = [[None if np.isnan(v) else float(v) for v in row] for row in self.values]
        return {
            "format": _FORMAT,
            "keys": list(self.keys),
            "positions": None if self.positions is None else list(self.positions),
            "values": rows,
            "clean": self.clean,
            "corrupted": self.corrupted,
            "metric": self.metric,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Patching:
        """The `Patching` that `to_dict` described.

        Args:
            data: A dict as `to_dict` returns it.

        Returns:
            The `Patching`.

        Raises:
            InputError: if `data` is not patching data, or misses a field or
                has one of the wrong kind.
        """
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise InputError(
                f"Expected patching data of format {_FORMAT!r}. Received: {data!r}"[:200]
            )
        try:
            values = [[np.nan if v is None else v for v in row] for row in data["values"]]
            return cls(
                data["keys"],
                data["positions"],
                values,
                clean=data["clean"],
                corrupted=data["corrupted"],
                metric=data["metric"],
            )
        except KeyError as error:
            raise InputError(
                f"Expected patching data with the field {error.args[0]!r}. "
                f"Received: fields {sorted(data)}"
            ) from None
        except (TypeError, ValueError) as error:
            raise InputError(
                f"Expected patching data as `to_dict` writes it. Received: {error}"[:300]
            ) from None

    def to_json(self) -> str:
        """The table as JSON text (what `from_json` reads).

        Returns:
            A JSON string; NaN cells are written as `null`.

        Example:

        >>> Patching.from_json(table.to_json()).keys == table.keys  # doctest: +SKIP
        True
        """
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Patching:
        """Reads `to_json`'s text.

        Args:
            text: The JSON text.

        Returns:
            The `Patching`.

        Raises:
            InputError: for text that is not JSON or not patching data.
        """
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as error:
            raise InputError(f"Expected patching JSON. Received: invalid JSON ({error})") from None
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the JSON to `path` (read it back with `Patching.load`).

        Args:
            path: The file to write.

        Example:

        >>> table.save("patching.json")  # doctest: +SKIP
        """
        with open(path, "w", encoding="utf-8") as file:
            file.write(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Patching:
        """Reads a file written by `save`.

        Args:
            path: The JSON file.

        Returns:
            The `Patching`.

        Raises:
            InputError: for a file that is not patching JSON.
        """
        with open(path, encoding="utf-8") as file:
            return cls.from_json(file.read())

    def __repr__(self) -> str:
        head = (
            f"Patching({len(self.keys)} layers x "
            f"{'whole layers' if self.positions is None else f'{len(self.positions)} positions'}"
            f", metric={self.metric!r}, clean={self.clean:.4g}, corrupted={self.corrupted:.4g})"
        )
        columns = ["all"] if self.positions is None else [str(p) for p in self.positions]
        rows = [["key", *columns]]
        rows += [[k, *(f"{v:.4g}" for v in row)] for k, row in zip(self.keys, self.values)]
        return head + "\n" + table(rows)
