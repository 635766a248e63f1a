"""Key naming: the one place that names the outputs of a layer and reads those names back.

A layer key is a path relative to the model, `/`-separated (`encoder/conv1`),
with `name:i` for the i-th call of a layer called more than once. A layer with
several outputs (a tuple, list or dict) has one *leaf key* per output:
`key[0]`, `key[1]`, `key[1][name]` (dict entries in sorted order); a layer with
one output keeps its key. Statistics, stores and plots use leaf keys.

Nothing here imports Keras or a backend.

Example:

>>> list(leaf_keys("lstm", ((None, 8), ((None, 8), (None, 8)))))
['lstm[0]', 'lstm[1][0]', 'lstm[1][1]']
>>> layer_key("lstm[1][0]")
'lstm'
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["layer_key", "leaf_keys", "output_leaves"]


def output_leaves(key: str, output: Any) -> Iterator[tuple[str, Any]]:
    """`(leaf key, leaf)` for every array of a layer's output structure.

    Works on any structure that mirrors the output: the arrays themselves,
    their dtypes, or their shapes (a shape, a tuple of ints and None, is one
    leaf).

    Args:
        key: The layer key.
        output: The layer's output, or a structure of its shapes or dtypes.

    Returns:
        An iterator of `(leaf key, leaf)`, in output order: `key` alone for a
        single output, else `key[0]`, `key[1][name]`, ...

    Example:

    >>> dict(output_leaves("attn", {"scores": 1, "out": 2}))
    {'attn[out]': 2, 'attn[scores]': 1}
    """
    if isinstance(output, dict):
        for name in sorted(output):
            yield from output_leaves(f"{key}[{name}]", output[name])
    elif isinstance(output, (tuple, list)) and not _is_shape(output):
        for index, item in enumerate(output):
            yield from output_leaves(f"{key}[{index}]", item)
    else:
        yield key, output


def leaf_keys(key: str, output: Any) -> list[str]:
    """The leaf keys of a layer's output structure (see `output_leaves`).

    Args:
        key: The layer key.
        output: The layer's output, or a structure of its shapes or dtypes.

    Returns:
        The leaf keys, in output order.
    """
    return [name for name, _ in output_leaves(key, output)]


def layer_key(key: str) -> str:
    """The layer key of a leaf key: `"lstm[1][0]"` -> `"lstm"`; a layer key is unchanged.

    The inverse of `output_leaves`' naming, for a key whose layer is not at
    hand. Where a layer's output structure is known, prefer matching the keys
    `output_leaves` gives.

    Args:
        key: A leaf key or a layer key.

    Returns:
        The layer key.
    """
    while key.endswith("]") and "[" in key:
        key = key[: key.rindex("[")]
    return key


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)
