"""The monitor's TensorBoard event files: framing, checksums, flushing, no TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import kerascope
from kerascope.monitor import _tensorboard
from kerascope.monitor._tensorboard import EventWriter, masked_crc32c


def test_masked_crc32c_matches_tensorboards_own(rng):
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import (
        masked_crc32c as reference,
    )

    # The CRC-32C check value of the standard test vector, then random records.
    assert masked_crc32c(b"123456789", lambda data: 0xE3069283) == reference(b"123456789")
    for size in (0, 1, 8, 1000):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert masked_crc32c(data) == reference(data)


def read_events(log_dir):
    """Every event in `log_dir`, through TensorBoard's reader (which checks the CRCs)."""
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto.event_pb2 import Event

    (name,) = os.listdir(log_dir)
    assert "tfevents" in name
    return [Event.FromString(r) for r in RawEventFileLoader(os.path.join(log_dir, name)).Load()]


def one_layer_statistics(rng):
    model = keras.Sequential([keras.Input((3,)), keras.layers.ReLU(name="relu")])
    return kerascope.stats(model, rng.normal(size=(64, 3)).astype("float32"), progress=False)


def test_events_reach_the_disk_within_the_flush_interval(rng, tmp_path, monkeypatch):
    statistics = one_layer_statistics(rng)
    writer = EventWriter(tmp_path)
    try:
        writer.write(statistics, step=1)  # inside the interval: buffered
        assert [e.step for e in read_events(tmp_path) if e.HasField("summary")] == []
        monkeypatch.setattr(_tensorboard, "_FLUSH_SECONDS", 0)
        writer.write(statistics, step=2)  # past it: both on disk, training still running
        events = read_events(tmp_path)
    finally:
        writer.close()
    assert events[0].file_version == "brain.Event:2"
    assert [e.step for e in events[1:]] == [1, 2]
    assert all(e.wall_time > 1e9 for e in events)
    histogram = next(v.histo for v in events[-1].summary.value if v.tag == "activations/relu")
    assert histogram.num == 64 * 3
    writer.close()  # a second close does nothing
    with pytest.raises(ValueError, match="closed"):
        writer.write(statistics, step=3)


def test_writing_events_imports_no_tensorflow(rng, tmp_path):
    # TensorBoard's own writer imports TensorFlow where it is installed: seconds
    # of a JAX or torch run. The monitor's must not (the subprocess's backend is
    # numpy, so nothing else imports it).
    saved = tmp_path / "stats.json"
    one_layer_statistics(rng).save(saved)
    logs = tmp_path / "logs"
    code = (
        "import sys\n"
        "from kerascope.monitor._tensorboard import EventWriter\n"
        "from kerascope.stats import Statistics\n"
        f"stats = Statistics.load({str(saved)!r})\n"
        f"writer = EventWriter({str(logs)!r})\n"
        "writer.write(stats, 1)\n"
        "writer.close()\n"
        "print('tensorflow' in sys.modules)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip() == "False"
    assert [e.step for e in read_events(logs)] == [0, 1]
