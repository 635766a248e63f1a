"""Watching activations during training: `ActivationMonitor` and its history.

`MonitorHistory` and `Snapshot` read a saved history without Keras or a
backend; `ActivationMonitor` (a Keras callback) imports Keras when first used.

Example:

>>> monitor = kerascope.ActivationMonitor(x_val[:256], log_dir="logs")  # doctest: +SKIP
>>> model.fit(x, y, epochs=5, callbacks=[monitor])                       # doctest: +SKIP
>>> kerascope.monitor.MonitorHistory.load("history.jsonl")               # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kerascope.monitor._history import MonitorHistory, Snapshot

if TYPE_CHECKING:
    from kerascope.monitor._callback import ActivationMonitor

__all__ = ["ActivationMonitor", "MonitorHistory", "Snapshot"]


def __getattr__(name: str) -> Any:
    # PEP 562: the callback subclasses `keras.callbacks.Callback`, so importing
    # it imports Keras and the backend; it is loaded on first use only.
    if name == "ActivationMonitor":
        from kerascope.monitor._callback import ActivationMonitor

        return ActivationMonitor
    raise AttributeError(f"module 'kerascope.monitor' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "ActivationMonitor"])
