"""What a `Probe` knows once its model is discovered: keys, specs, batch axes.

Discovery (`_discover.discover`) traces the model once and finds every layer
call; this module turns that into what one probe needs for its selection,
as one immutable record assigned at once, so that a probe discovered on a
background thread (the monitor compiles ahead) is never seen half-made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import keras

from kerascope.capture._activations import LayerInfo
from kerascope.capture._discover import discover
from kerascope.capture._intercept import RawPath
from kerascope.errors import CaptureError, SelectionError
from kerascope.select import LayerSelection, resolve

__all__ = ["Discovery", "discover_selection"]


@dataclasses.dataclass(frozen=True)
class Discovery:
    """A probe's selection, resolved on one traced pass.

    Attributes:
        key_of: Raw call path -> public key, for every layer call.
        input_keys: The inputs the probe returns (with `inputs=True`), in order.
        layer_keys: The selected layer keys, in execution order.
        info: `LayerInfo` per key of `keys`.
        batched: Per key, per leaf of its output (`keras.tree.flatten` order),
            whether that leaf has a batch axis.
    """

    key_of: Mapping[RawPath, str]
    input_keys: tuple[str, ...]
    layer_keys: tuple[str, ...]
    info: Mapping[str, LayerInfo]
    batched: Mapping[str, tuple[bool, ...]]

    @property
    def keys(self) -> tuple[str, ...]:
        """The inputs asked for, then the selected layers."""
        return (*self.input_keys, *self.layer_keys)

    @property
    def wanted(self) -> frozenset[str]:
        """The layer keys the forward pass records."""
        return frozenset(self.layer_keys)

    @property
    def all_batched(self) -> bool:
        """Whether every output has a batch axis, so padding a batch cannot
        change what is kept of it (an output reduced over the batch would)."""
        return all(all(flags) for flags in self.batched.values())


def discover_selection(
    model: Any,
    tree: list[Any],
    spec: Any,
    *,
    training: bool,
    selection: LayerSelection,
    input_names: Sequence[str],
    with_inputs: bool,
) -> Discovery:
    """Discovers `model` on inputs like `spec` and resolves `selection`.

    Args:
        model: The model.
        tree: Its layer tree (`layer_tree(model)`).
        spec: The inputs as `KerasTensor`s, every dimension but the batch known.
        training: The mode the model runs in.
        selection: The `layers=` selection.
        input_names: The model's inputs' names, in flatten order.
        with_inputs: Whether the probe returns the inputs too.

    Raises:
        SelectionError: for a selection that matches nothing; it says so
            plainly when the selection names one of the model's inputs.
        CaptureError: when the model cannot run on such inputs, or an input
            name is also a layer key.
    """
    calls, key_of = discover(model, tree, spec, training)
    try:
        layer_keys = tuple(resolve(selection, [(c.key, c.layer) for c in calls]))
    except SelectionError as error:
        raise _input_selection_error(error, selection, input_names) from None
    wanted = frozenset(layer_keys)
    info = {c.key: c.info for c in calls if c.key in wanted}
    input_keys = tuple(input_names) if with_inputs else ()
    for name, leaf in zip(input_keys, keras.tree.flatten(spec)):
        if name in info:
            raise CaptureError(
                f"Expected input names distinct from layer keys. Received: input {name!r}, "
                f"which is also the key of a layer of model {model.name!r}"
            )
        info[name] = LayerInfo(
            key=name,
            name=name,
            class_name="InputLayer",
            call_index=None,
            shape=tuple(leaf.shape),
            dtype=str(leaf.dtype),
        )
    ordered = {key: info[key] for key in (*input_keys, *layer_keys)}
    return Discovery(
        key_of=key_of,
        input_keys=input_keys,
        layer_keys=layer_keys,
        info=ordered,
        batched={key: batched_leaves(i.shape) for key, i in ordered.items()},
    )


def batched_leaves(shape: Any) -> tuple[bool, ...]:
    """Per leaf of an output shape structure, whether its first dimension is the batch."""
    if isinstance(shape, dict):
        return tuple(flag for name in sorted(shape) for flag in batched_leaves(shape[name]))
    if isinstance(shape, tuple) and shape and isinstance(shape[0], (tuple, dict)):
        return tuple(flag for item in shape for flag in batched_leaves(item))
    return (bool(shape) and shape[0] is None,)


def _input_selection_error(
    error: SelectionError, selection: LayerSelection, input_names: Sequence[str]
) -> SelectionError:
    """`error`, or a plain one when the selection names a model input."""
    selectors = selection if isinstance(selection, (list, tuple)) else [selection]
    named = [s for s in selectors if isinstance(s, str) and s in set(input_names)]
    if not named:
        return error
    return SelectionError(
        f"{named[0]!r} is an input of the model, not a layer output: inputs are returned "
        "with `inputs=True` (capture, Probe) and their gradients with "
        f"`gradients(..., inputs=True)`. Received: layers={selection!r}"
    )
