"""Activation scalars and histograms as TensorBoard event files, on every backend.

Written with TensorBoard's own event-file writer and protocol buffers (the
`tensorboard` package, no TensorFlow needed), so JAX and torch runs log the
same histograms as TensorFlow ones.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from kerascope.diagnostics import dead_fraction, is_relu
from kerascope.stats import LayerStats, Statistics

__all__ = ["EventWriter"]

_FLUSH_SECONDS = 5


def _tensorboard() -> Any:
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as error:
        raise ImportError(
            "Writing TensorBoard logs needs the tensorboard package. "
            "Install it with `pip install kerascope[tensorboard]`."
        ) from error
    return event_pb2, summary_pb2, EventFileWriter


class EventWriter:
    """Writes one `Statistics` per step: scalars and a histogram per layer.

    Tags: `activations/<key>` (histogram), `activations/<key>/mean`, `/std`,
    `/zero_fraction`, `/nonfinite_fraction`, and `/dead_fraction` for ReLU
    layers.

    Args:
        log_dir: The run's directory; created if missing.
        histograms: Write histograms too. Defaults to `True`.
    """

    def __init__(self, log_dir: str | os.PathLike[str], *, histograms: bool = True) -> None:
        self._event_pb2, self._summary_pb2, writer_class = _tensorboard()
        os.makedirs(log_dir, exist_ok=True)
        # The writer's thread flushes every few seconds and on `close`: a
        # flush per snapshot would make training wait on the disk.
        self._writer = writer_class(os.fspath(log_dir), flush_secs=_FLUSH_SECONDS)
        self._histograms = histograms

    @property
    def path(self) -> str:
        """The event file being written."""
        return str(self._writer.get_logdir())

    def write(self, statistics: Statistics, step: int) -> None:
        """Adds the statistics of `step` (on disk within `_FLUSH_SECONDS`)."""
        summary = self._summary_pb2.Summary
        values = []
        for key, layer in statistics.items():
            tag = f"activations/{key}"
            for name, value in _scalars(layer).items():
                values.append(summary.Value(tag=f"{tag}/{name}", simple_value=value))
            if self._histograms and layer.count:
                values.append(summary.Value(tag=tag, histo=self._histogram(layer)))
        event = self._event_pb2.Event(step=int(step), summary=summary(value=values))
        self._writer.add_event(event)

    def close(self) -> None:
        """Flushes and closes the event file."""
        self._writer.close()

    def _histogram(self, layer: LayerStats) -> Any:
        counts, edges = layer.histogram()
        return self._summary_pb2.HistogramProto(
            min=layer.min,
            max=layer.max,
            num=float(layer.count),
            sum=layer.mean * layer.count,
            sum_squares=(layer.std**2 + layer.mean**2) * layer.count,
            # TensorBoard's buckets are (previous limit, limit]: right edges.
            bucket_limit=np.asarray(edges[1:], np.float64).tolist(),
            bucket=np.asarray(counts, np.float64).tolist(),
        )


def _scalars(layer: LayerStats) -> dict[str, float]:
    scalars = {
        "mean": layer.mean,
        "std": layer.std,
        "zero_fraction": layer.zero_fraction,
        "nonfinite_fraction": layer.nan_fraction + layer.inf_fraction,
    }
    if is_relu(layer):
        scalars["dead_fraction"] = dead_fraction(layer)
    return {name: float(value) for name, value in scalars.items()}
