"""Activation scalars and histograms as TensorBoard event files, on every backend.

The events are TensorBoard's own protocol buffers (the `tensorboard` package),
framed as TFRecords by this module: TensorBoard's `EventFileWriter` imports all
of TensorFlow where it is installed (for `tf.io.gfile`), a multi-second stall in
a JAX or torch training run, and checksums each record in pure Python on a
background thread that competes with training for the interpreter. Here one
snapshot is one record, written at once to a buffered local file; the CRC-32C
comes from `google-crc32c` (C), with TensorBoard's pure-Python one as fallback.
"""

from __future__ import annotations

import itertools
import os
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from kerascope.diagnostics import dead_fraction, is_relu
from kerascope.stats import LayerStats, Statistics

__all__ = ["EventWriter"]

_FLUSH_SECONDS = 5
_FILE_COUNTER = itertools.count()


def _tensorboard() -> tuple[Any, Any]:
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
    except ImportError as error:
        raise ImportError(
            "Writing TensorBoard logs needs the tensorboard package. "
            "Install it with `pip install kerascope[tensorboard]`."
        ) from error
    return event_pb2, summary_pb2


def _crc32c() -> Callable[[bytes], int]:
    try:
        import google_crc32c

        if google_crc32c.implementation == "c":
            return google_crc32c.value  # type: ignore[no-any-return]
    except ImportError:
        pass
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c

    return crc32c  # type: ignore[no-any-return]


def masked_crc32c(data: bytes, crc32c: Callable[[bytes], int] | None = None) -> int:
    """The TFRecord checksum: CRC-32C, rotated right by 15 bits, plus a constant."""
    crc = (crc32c or _crc32c())(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class EventWriter:
    """Writes one `Statistics` per step: scalars and a histogram per layer.

    Tags: `activations/<key>` (histogram), `activations/<key>/mean`, `/std`,
    `/zero_fraction`, `/nonfinite_fraction`, and `/dead_fraction` for ReLU
    layers. Events reach the disk within `_FLUSH_SECONDS` of being written,
    and all of them at `close`.

    Args:
        log_dir: The run's directory; created if missing.
        histograms: Write histograms too. Defaults to `True`.
    """

    def __init__(self, log_dir: str | os.PathLike[str], *, histograms: bool = True) -> None:
        self._event_pb2, self._summary_pb2 = _tensorboard()
        self._crc32c = _crc32c()
        self._log_dir = os.fspath(log_dir)
        os.makedirs(self._log_dir, exist_ok=True)
        # TensorBoard finds event files by the "tfevents" in their name; the
        # rest keeps names unique across hosts, processes and writers.
        name = (
            f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
            f"{os.getpid()}.{next(_FILE_COUNTER)}"
        )
        self._file: BinaryIO | None = open(os.path.join(self._log_dir, name), "wb")  # noqa: SIM115
        self._flushed = time.monotonic()
        self._add(self._event_pb2.Event(file_version="brain.Event:2"))
        self._flush()
        self._histograms = histograms

    @property
    def path(self) -> str:
        """The directory the event file is in."""
        return self._log_dir

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
        self._add(self._event_pb2.Event(step=int(step), summary=summary(value=values)))
        if time.monotonic() - self._flushed >= _FLUSH_SECONDS:
            self._flush()

    def close(self) -> None:
        """Flushes and closes the event file (again: nothing)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _add(self, event: Any) -> None:
        """Appends `event` as one TFRecord: length, its checksum, data, its checksum."""
        if self._file is None:
            raise ValueError(f"Expected an open event writer. Received: one closed ({self.path})")
        event.wall_time = time.time()
        data = event.SerializeToString()
        length = struct.pack("<Q", len(data))
        self._file.write(
            length
            + struct.pack("<I", masked_crc32c(length, self._crc32c))
            + data
            + struct.pack("<I", masked_crc32c(data, self._crc32c))
        )

    def _flush(self) -> None:
        assert self._file is not None
        self._file.flush()
        self._flushed = time.monotonic()

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
