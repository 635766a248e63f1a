"""The README's main command, `kerascope demo`, end to end (two epochs) on every backend.

It runs as the real command, in a fresh process: what it writes, what it
prints, and that standard error holds no backend start-up noise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import keras
import numpy as np

import kerascope
from kerascope.monitor import MonitorHistory

# TensorFlow logs these before it reads TF_CPP_MIN_LOG_LEVEL (docs/show.md).
DOCUMENTED_NOISE = ("WARNING: All log messages before absl::InitializeLog()", "oneDNN custom")


def test_demo_writes_report_logs_store_and_history(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["KERAS_BACKEND"] = keras.backend.backend()
    result = subprocess.run(
        [sys.executable, "-m", "kerascope", "demo", "--epochs", "2", "--out", str(tmp_path), "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    text = result.stdout

    assert result.returncode == 0, result.stderr
    noise = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and not any(part in line for part in DOCUMENTED_NOISE)
    ]
    assert noise == []
    accuracy = re.search(r"test accuracy after 2 epochs \(.*\): ([\d.]+)%", text)
    assert accuracy is not None, text
    assert float(accuracy[1]) > 30  # two epochs on real digits: far above chance (10%)
    store = kerascope.open(tmp_path / "activations.zarr")
    assert store.complete
    assert store.samples == 360  # the held-out 20% of 1,797 digits
    assert f"recorded {len(store)} layer outputs" in text
    assert "conv1" in store.statistics
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "kerascope report: digits_cnn" in page
    assert list((tmp_path / "logs" / "activations").glob("events.out.tfevents.*"))
    assert len(MonitorHistory.load(tmp_path / "monitor.jsonl")) == 2
    # What units respond to: in the report (with importances, as the demo passes the
    # labels) and as two real PNG files.
    assert '<section id="units">' in page
    assert '<div class="units-layer" data-key="conv2">' in page
    assert '<td class="importance">' in page
    for name in ("examples.png", "visualizations.png"):
        png = (tmp_path / name).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(png) > 5_000
    # The store's examples are the 9 strongest digits per channel of the recorded outputs.
    examples = store.examples
    assert examples is not None
    for key in ("conv1", "conv2", "probs"):
        recorded = np.asarray(store[key][:], dtype=np.float64)
        response = recorded.reshape(len(recorded), -1, recorded.shape[-1]).max(axis=1)
        np.testing.assert_allclose(examples[key].values, -np.sort(-response, axis=0)[:9].T)
        picked = np.take_along_axis(response, examples[key].indices.T, axis=0)
        np.testing.assert_allclose(picked.T, examples[key].values)
    for name in (
        "report.html",
        "logs",
        "activations.zarr",
        "monitor.jsonl",
        "examples.png",
        "visualizations.png",
    ):
        assert str(tmp_path / name) in text
    assert "Findings(" in text
