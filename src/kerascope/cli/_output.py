"""Small output helpers of the command line: the .npz writer and text formatting."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

from kerascope._text import human_bytes

__all__ = ["human_bytes", "shape_text", "write_npz"]


def write_npz(path: Path, arrays: dict[str, Any]) -> None:
    """`np.savez` under any array names (a layer may be called `file`), atomically."""
    import numpy as np

    partial = path.with_name(path.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in arrays.items():
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def shape_text(shape: Any) -> str:
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {shape_text(v)}" for k, v in shape.items()) + "}"
    if (
        isinstance(shape, (tuple, list))
        and shape
        and not all(d is None or isinstance(d, int) for d in shape)
    ):
        return "(" + ", ".join(shape_text(s) for s in shape) + ")"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
