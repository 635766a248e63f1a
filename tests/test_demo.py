"""The README's main command, `kerascope demo`, end to end (one epoch) on every backend."""

from __future__ import annotations

import io

import kerascope
from kerascope import _demo
from kerascope.monitor import MonitorHistory


def test_demo_writes_report_logs_store_and_history(tmp_path):
    out = io.StringIO()
    summary = _demo.run(out_dir=tmp_path, epochs=2, progress=False, out=out)
    text = out.getvalue()

    assert summary["accuracy"] > 0.3  # two epochs on real digits: far above chance (0.1)
    store = kerascope.open(tmp_path / "activations.zarr")
    assert store.complete
    assert store.samples == 360  # the held-out 20% of 1,797 digits
    assert list(store) == summary["keys"]
    assert "conv1" in store.statistics
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "kerascope report: digits_cnn" in page
    assert list((tmp_path / "logs" / "activations").glob("events.out.tfevents.*"))
    assert len(MonitorHistory.load(tmp_path / "monitor.jsonl")) == 2
    for name in ("report.html", "logs", "activations.zarr", "monitor.jsonl"):
        assert str(tmp_path / name) in text
    assert "Findings(" in text
