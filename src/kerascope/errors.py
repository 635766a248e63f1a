"""The errors kerascope raises for mistakes a user can make.

Every one derives from `KerascopeError`, so `except kerascope.KerascopeError`
catches all of them. Messages say what was expected and end with what was
received.
"""

from __future__ import annotations

__all__ = [
    "CaptureError",
    "InputError",
    "KerascopeError",
    "SelectionError",
    "StatsError",
    "StoreError",
]


class KerascopeError(Exception):
    """Base class of every error a kerascope user can cause."""


class SelectionError(KerascopeError, KeyError):
    """A layer selection names no layer, or an unknown one.

    Also a `KeyError`, so `activations["missing"]` behaves like any mapping.
    """

    def __str__(self) -> str:
        # KeyError quotes its argument; a message reads better unquoted.
        return str(self.args[0]) if self.args else ""


class InputError(KerascopeError, ValueError):
    """The model or the data given to kerascope is not what it expects."""


class CaptureError(KerascopeError, RuntimeError):
    """The forward pass that captures activations failed."""


class StoreError(KerascopeError, OSError):
    """An activation store cannot be created, written or read."""


class StatsError(KerascopeError, ValueError):
    """Statistics of different layers or layouts were merged, or a file is not statistics."""
