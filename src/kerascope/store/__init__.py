"""On-disk activation stores (Zarr v3): `record` into one, `open` one to read.

Importing this package imports no zarr; recording and opening do.
"""

from kerascope.store._array import StoredArray
from kerascope.store._reader import Store, open_store
from kerascope.store._record import record

open = open_store  # `kerascope.open(path)`; the builtin stays untouched elsewhere.

__all__ = ["Store", "StoredArray", "open", "open_store", "record"]
