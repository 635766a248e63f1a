"""`Finding` and `Findings`: what diagnostics report, printable and serialisable."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from kerascope._text import table
from kerascope.errors import InputError

__all__ = ["KINDS", "SEVERITIES", "Finding", "Findings"]

#: Every kind of finding, in the order the rules run.
KINDS = ("nan", "dead", "saturated", "vanishing", "exploding", "constant")
#: Severities, least severe first.
SEVERITIES = ("info", "warning", "error")
_FORMAT = "kerascope.findings/1"


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing diagnostics found in one layer's activations.

    Attributes:
        key: The layer key (or statistics key, e.g. `"lstm[0]"`).
        kind: One of `KINDS`: `"nan"` (a model input holding NaN/Inf, keyed
            by the input's name; else the first layer with NaN/Inf outputs),
            `"dead"` (ReLU units never active), `"saturated"` (bounded
            activations at their bounds), `"vanishing"` / `"exploding"` (the
            activation scale collapsing or blowing up with depth), `"constant"`
            (units with zero variance).
        severity: `"error"`, `"warning"` or `"info"`.
        message: One line: what was found, with the numbers that matter.
        evidence: The numbers behind it (JSON types), e.g. `{"units": [2, 5],
            "fraction": 0.25}`.
        hint: One line: the usual cause and fix.
    """

    key: str
    kind: str
    severity: str
    message: str
    evidence: Mapping[str, Any]
    hint: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "key": self.key,
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "evidence": dict(self.evidence),
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of `to_dict`."""
        try:
            return cls(
                key=str(data["key"]),
                kind=str(data["kind"]),
                severity=str(data["severity"]),
                message=str(data["message"]),
                evidence=dict(data["evidence"]),
                hint=str(data["hint"]),
            )
        except (KeyError, TypeError) as error:
            raise InputError(
                "Expected a finding with key, kind, severity, message, evidence and hint. "
                f"Received: {data!r}"
            ) from error


class Findings(Sequence[Finding]):
    """The findings of a diagnosis, in the layers' execution order.

    A read-only sequence of `Finding`; empty (and falsy) when the model looks
    healthy. Prints as a table; serialises to JSON.

    Example:

    >>> findings = kerascope.diagnose(model, x)            # doctest: +SKIP
    >>> findings                                           # doctest: +SKIP
    Findings(1 finding: 1 error)
      severity  key     kind  message
      error     dense1  dead  16 of 32 units never active (50.0%) over 1,000 samples
    >>> [f.evidence["units"] for f in findings.of_kind("dead")]  # doctest: +SKIP
    """

    __slots__ = ("_items",)

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._items = tuple(findings)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> Findings: ...
    def __getitem__(self, index: int | slice) -> Finding | Findings:
        if isinstance(index, slice):
            return Findings(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Findings):
            return self._items == other._items
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @property
    def errors(self) -> Findings:
        """The findings of severity `"error"`."""
        return Findings(f for f in self._items if f.severity == "error")

    def of_kind(self, *kinds: str) -> Findings:
        """The findings of the given kinds."""
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown:
            raise InputError(f"Expected kinds among {list(KINDS)}. Received: {unknown}")
        return Findings(f for f in self._items if f.kind in kinds)

    def keys(self) -> list[str]:
        """The keys with findings, each once, in order."""
        return list(dict.fromkeys(f.key for f in self._items))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {"format": _FORMAT, "findings": [f.to_dict() for f in self._items]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Findings:
        """The inverse of `to_dict`."""
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            raise InputError(
                f"Expected findings in the format {_FORMAT!r}. "
                f"Received: {type(data).__name__} with format "
                f"{data.get('format') if isinstance(data, Mapping) else None!r}"
            )
        return cls(Finding.from_dict(f) for f in data["findings"])

    def to_json(self, indent: int | None = 2) -> str:
        """The findings as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Findings:
        """Findings from `to_json`'s text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(
                f"Expected JSON findings. Received text that is not JSON: {error}"
            ) from error
        return cls.from_dict(data)

    def __repr__(self) -> str:
        if not self._items:
            return "Findings(none: no dead, saturated, non-finite or collapsing activations)"
        counts = [
            f"{n} {severity}{'s' if n != 1 else ''}"
            for severity in reversed(SEVERITIES)
            if (n := sum(f.severity == severity for f in self._items))
        ]
        plural = "s" if len(self._items) != 1 else ""
        rows = [["severity", "key", "kind", "message"]]
        rows += [[f.severity, f.key, f.kind, f.message] for f in self._items]
        return f"Findings({len(self._items)} finding{plural}: {', '.join(counts)})\n" + table(
            rows, left=4
        )
