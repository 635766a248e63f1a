"""Layer selection: names, globs, regexes, classes, layers and predicates -> keys.

Example:

>>> resolve(["conv*", keras.layers.Dense], calls)   # doctest: +SKIP
['conv1', 'conv2', 'dense']
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from kerascope.errors import SelectionError

__all__ = ["LayerSelection", "resolve", "unknown_key"]

# One selector (a key, glob, regex, layer class, layer or predicate); `layers=`
# takes one or a list of them.
Selector: TypeAlias = str | re.Pattern[str] | type | Callable[[Any], bool] | Any
LayerSelection: TypeAlias = Selector | Sequence[Selector] | None

_GLOB_CHARS = frozenset("*?[")


def resolve(selection: LayerSelection, calls: Sequence[tuple[str, Any]]) -> list[str]:
    """The keys that `selection` picks from `calls`, in execution order.

    Args:
        selection: `None` for every layer call; a key (`"encoder/conv1"`), or the
            bare name of a layer called several times for all its calls
            (`"shared"` -> `shared:0`, `shared:1`); a glob (`"block_*_relu"`,
            matched against the whole key); a compiled regex (searched in the
            key); a Keras layer class (`keras.layers.Conv2D`); a layer object;
            a predicate `layer -> bool`; or a list of any of these.
        calls: `(key, layer)` for every layer call, in execution order.

    Returns:
        The selected keys, each once, in execution order.

    Raises:
        SelectionError: if a selector matches nothing; for an unknown key the
            message names the closest valid keys.
    """
    keys = [key for key, _ in calls]
    if selection is None:
        return keys
    selectors = (
        list(selection) if isinstance(selection, (list, tuple, set, frozenset)) else [selection]
    )
    if not selectors:
        raise SelectionError("Expected at least one layer selector. Received: layers=[]")
    chosen: set[str] = set()
    for selector in selectors:
        matched = _match(selector, calls)
        if not matched:
            raise SelectionError(_no_match_message(selector, keys))
        chosen.update(matched)
    return [key for key in keys if key in chosen]


def _match(selector: Any, calls: Sequence[tuple[str, Any]]) -> list[str]:
    if isinstance(selector, str):
        exact = [key for key, _ in calls if key == selector]
        if exact:
            return exact
        if _GLOB_CHARS & set(selector):
            return [key for key, _ in calls if fnmatch.fnmatchcase(key, selector)]
        # A layer called several times: its bare name selects every call.
        return [key for key, _ in calls if _strip_call_index(key) == selector]
    if isinstance(selector, re.Pattern):
        return [key for key, _ in calls if selector.search(key)]
    if isinstance(selector, type):
        return [key for key, layer in calls if isinstance(layer, selector)]
    if hasattr(selector, "built") and hasattr(selector, "name"):  # a layer object
        return [key for key, layer in calls if layer is selector]
    if callable(selector):
        return [key for key, layer in calls if selector(layer)]
    raise SelectionError(
        "Expected each layer selector to be a key, glob, compiled regex, layer class, "
        f"layer or predicate. Received: {selector!r} of type {type(selector).__name__}"
    )


def _strip_call_index(key: str) -> str:
    head, sep, tail = key.rpartition(":")
    return head if sep and tail.isdigit() and "/" not in tail else key


def _no_match_message(selector: Any, keys: list[str]) -> str:
    if isinstance(selector, str) and not _GLOB_CHARS & set(selector):
        close = difflib.get_close_matches(selector, keys, n=5, cutoff=0.4)
        if not close:  # Try the last path segment: "conv1" -> "encoder/conv1".
            close = [k for k in keys if k.rsplit("/", 1)[-1] == selector][:5]
        hint = f" Closest valid keys: {', '.join(close)}." if close else ""
        return f"No layer with key {selector!r}.{hint} Received: layers={selector!r}"
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    return (
        f"Expected the selector to match at least one of the {len(keys)} layer keys "
        f"({shown}). Received: layers={selector!r}, which matches none"
    )


def unknown_key(key: object, keys: Sequence[str], what: str) -> SelectionError:
    """The error for a lookup of a missing key, naming the closest present ones.

    Args:
        key: The key asked for.
        keys: The keys there are.
        what: What the mapping holds, e.g. `"captured activations"`.
    """
    close = difflib.get_close_matches(str(key), list(keys), n=5, cutoff=0.4)
    hint = f" Closest keys: {', '.join(close)}." if close else ""
    return SelectionError(f"Expected a key with {what} ({len(keys)} keys).{hint} Received: {key!r}")
