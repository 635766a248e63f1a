"""What a store's path holds before `record` writes to it, and clearing it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from kerascope.errors import InputError, StoreError
from kerascope.store import _layout
from kerascope.store._writer import writing

__all__ = ["as_path", "existing", "remove"]


def existing(path: Path) -> str:
    """What `path` holds: "absent", "store", "partial" (created, never committed)."""
    if not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            with writing(path, 0):
                path.mkdir(parents=True)  # raises the OSError that says why
        return "absent"
    if not path.is_dir():
        raise StoreError(
            f"Expected a directory for the activation store. Received: {str(path)!r} is a file"
        )
    entries = sorted(p.name for p in path.iterdir())
    if not entries:
        return "absent"
    if _layout.COMMIT_FILE in entries:
        return "store"
    if _marked(path):
        return "partial"
    raise StoreError(
        f"Expected a new or empty directory, or a kerascope store, at {str(path)!r}. "
        f"Received: a directory holding {entries[:5]}{' ...' if len(entries) > 5 else ''}"
    )


def _marked(path: Path) -> bool:
    """Whether `path` holds the root group of a kerascope store (no commit yet)."""
    try:
        meta = json.loads((path / "zarr.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "kerascope" in (meta.get("attributes") or {})


def remove(path: Path) -> None:
    """Deletes what `record` replaces (`overwrite=True`, or a store never committed)."""
    with writing(path, 0):
        shutil.rmtree(path)


def as_path(path: Any) -> Path:
    """`path` as a `Path`, or an `InputError` for anything but a str or path-like."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(
            f"Expected path to be a str or os.PathLike. Received: {path!r} of type "
            f"{type(path).__name__}"
        )
    return Path(path)
