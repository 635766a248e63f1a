"""On-disk activation stores (Zarr v3): `record` into one, `open` one to read.

Reading a store (`open_store`, `Store`, `StoredArray`, `verify_store`)
imports neither Keras nor a backend; `record` does, when first used.
Importing this package imports no zarr; recording and opening do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kerascope.store._array import StoredArray
from kerascope.store._reader import Store, open_store
from kerascope.store._verify import Problem, VerifyReport, verify_store

if TYPE_CHECKING:
    from kerascope.store._record import record

open = open_store  # `kerascope.open(path)`; the builtin stays untouched elsewhere.

__all__ = [
    "Problem",
    "Store",
    "StoredArray",
    "VerifyReport",
    "open",
    "open_store",
    "record",
    "verify_store",
]


def __getattr__(name: str) -> Any:
    # PEP 562: `record` needs Keras; reading a store must not import it.
    if name == "record":
        from kerascope.store._record import record

        return record
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
