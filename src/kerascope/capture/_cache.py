"""One compiled `Probe` per model and selection, reused across calls.

`capture`, `stats` and `record` compile a probe on first use and find it here
afterwards, so a notebook calling `capture(model, x)` in a loop traces once.
A change to the model that a compiled probe would not see (a layer's
attribute set, layers or variables added) compiles a new one.
The cache is keyed weakly by model and its probes hold their model weakly: it
never keeps a model alive.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from kerascope.capture._probe import Probe
from kerascope.select import LayerSelection

__all__ = ["cached_probe", "state_token"]

# model -> {(selection, training, inputs, reduce_id): (state token, probe)}
_probes: weakref.WeakKeyDictionary[Any, dict[Hashable, tuple[tuple[Any, ...], Probe]]] = (
    weakref.WeakKeyDictionary()
)


def cached_probe(
    model: Any,
    layers: LayerSelection = None,
    *,
    training: bool = False,
    inputs: bool = False,
    reduce: Callable[[str, Any], Any] | None = None,
    reduce_id: Hashable = None,
) -> Probe:
    """The cached `Probe` for these arguments, compiled on first use.

    Args:
        model: A built Keras model.
        layers: The selection, as for `Probe`. An unhashable selection (a list
            holding a lambda, say) is compiled afresh each time.
        training: As for `Probe`. Defaults to `False`.
        inputs: As for `Probe`. Defaults to `False`.
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
        return Probe(model, layers, training=training, inputs=inputs, reduce=reduce)
    key = (selection, bool(training), bool(inputs), reduce_id)
    cached = per_model.get(key)
    if cached is not None and cached[0] == state_token(model, cached[1].layer_tree):
        return cached[1]
    probe = Probe(model, layers, training=training, inputs=inputs, reduce=reduce, _hold_model=False)
    per_model[key] = (state_token(model, probe.layer_tree), probe)
    return probe


def state_token(model: Any, tree: list[Any]) -> tuple[Any, ...]:
    """Changes when the model changes in a way a compiled probe cannot see.

    A compiled forward pass reads the variables' current values, but bakes in
    everything else: which layers there are, which variables, and each layer's
    configuration (keras-io's Grad-CAM recipe sets `layer.activation = None`
    on a model it already ran). The token holds the model's layers and
    variables by identity and, for each layer of `tree` (the probe's layer
    tree), the attributes named like its constructor's arguments (the
    configuration `get_config` reports, read directly: `get_config` itself
    costs about 1 ms a layer), immutable values by value and others by
    identity. Attributes a layer keeps for itself, such as a call counter,
    are not part of it. About 1.5 ms for MobileNetV2's 154 layers.
    """
    parts: list[Any] = [id(v) for v in model.variables]
    parts.extend(id(layer) for layer in getattr(model, "layers", ()))
    immutable = _IMMUTABLE
    for layer in (model, *tree):
        state = vars(layer)
        parts.append(layer.trainable)  # a frozen BatchNorm runs in inference mode
        parts.extend(
            (name, value if isinstance(value, immutable) else id(value))
            for name in _config_names(type(layer))  # type: ignore[arg-type]
            if (value := state.get(name, _ABSENT)) is not _ABSENT
        )
    return tuple(parts)


_ABSENT = object()


@functools.cache
def _config_names(cls: type) -> tuple[str, ...]:
    """The names of a layer class's constructor arguments."""
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return ()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.name != "self" and p.kind in kinds)


_IMMUTABLE = (bool, int, float, str, bytes, type(None))
