"""Watching activations during training: `ActivationMonitor` and its history.

Example:

>>> monitor = kerascope.ActivationMonitor(x_val[:256], log_dir="logs")  # doctest: +SKIP
>>> model.fit(x, y, epochs=5, callbacks=[monitor])                       # doctest: +SKIP
"""

from kerascope.monitor._callback import ActivationMonitor
from kerascope.monitor._history import MonitorHistory, Snapshot

__all__ = ["ActivationMonitor", "MonitorHistory", "Snapshot"]
