"""Store tests see every batch committed, so their crash points are exact."""

from __future__ import annotations

import pytest

from kerascope.store import _record


@pytest.fixture(autouse=True)
def _commit_every_batch(monkeypatch):
    monkeypatch.setattr(_record, "COMMIT_SECONDS", 0.0)
