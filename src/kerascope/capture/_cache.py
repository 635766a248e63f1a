"""One compiled `Probe` per model and selection, reused across calls.

`capture`, `stats` and `record` compile a probe on first use and find it here
afterwards, so a notebook calling `capture(model, x)` in a loop traces once.
The cache is keyed weakly by model and its probes hold their model weakly: it
never keeps a model alive.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Any

from kerascope.capture._probe import Probe
from kerascope.select import LayerSelection

__all__ = ["cached_probe"]

_probes: weakref.WeakKeyDictionary[Any, dict[Hashable, Probe]] = weakref.WeakKeyDictionary()


def cached_probe(
    model: Any,
    layers: LayerSelection = None,
    *,
    training: bool = False,
    reduce: Callable[[str, Any], Any] | None = None,
    reduce_id: Hashable = None,
) -> Probe:
    """The cached `Probe` for these arguments, compiled on first use.

    Args:
        model: A built Keras model.
        layers: The selection, as for `Probe`. An unhashable selection (a list
            holding a lambda, say) is compiled afresh each time.
        training: As for `Probe`. Defaults to `False`.
        reduce: As for `Probe`. Defaults to `None`.
        reduce_id: Names `reduce` in the cache key: two calls with the same
            `reduce_id` must pass equivalent `reduce` functions. Defaults to
            `None` (required when `reduce` is given).
    """
    if reduce is not None and reduce_id is None:
        raise ValueError("cached_probe needs a reduce_id with a reduce function")
    selection = tuple(layers) if isinstance(layers, list) else layers
    try:
        hash(selection)
        per_model = _probes.setdefault(model, {})
    except TypeError:  # unhashable selection, or not a Keras model (Probe says so)
        return Probe(model, layers, training=training, reduce=reduce)
    key = (selection, bool(training), reduce_id, _structure_token(model))
    probe = per_model.get(key)
    if probe is None:
        probe = Probe(model, layers, training=training, reduce=reduce, _hold_model=False)
        per_model[key] = probe
    return probe


def _structure_token(model: Any) -> tuple[int, ...]:
    """Changes when layers are added to or removed from the model."""
    return tuple(id(layer) for layer in getattr(model, "layers", None) or [])
