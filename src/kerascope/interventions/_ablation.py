"""`ablation`: how much each unit matters, many units ablated in one pass.

For a layer of `C` channels the batch is repeated `k + 1` times along the
batch axis: block 0 runs unedited (the baseline, in the same pass), block `i`
with unit `i` ablated. The edit reshapes the layer's output to
`(k + 1, batch, ...)`, so one compiled pass measures `k` ablations; the
masks are variables, so every group of units reuses the compilation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kerascope import backends, data
from kerascope._progress import ProgressBar
from kerascope.capture import cached_probe
from kerascope.capture import layers as layer_map
from kerascope.errors import InputError, KerascopeError
from kerascope.interventions._importance import Importance
from kerascope.interventions._metrics import metric_function
from kerascope.interventions._plan import Bound, plan_for
from kerascope.interventions._values import Intervention
from kerascope.select import LayerSelection, resolve

__all__ = ["ablation"]

#: Samples per ablation pass (the batch times the copies), bounding memory.
PASS_SAMPLES = 4096


def ablation(
    model: Any,
    x: Any,
    y: Any = None,
    layers: LayerSelection = None,
    *,
    metric: str | Callable[[Any, Any], float] = "loss",
    method: str = "zero",
    per: str = "channel",
    batch_size: int = 32,
    units_per_pass: int | None = None,
    progress: bool = True,
) -> Importance:
    """The effect on a metric of ablating each unit (or layer), over a dataset.

    Many units are ablated in one compiled pass: the batch is repeated along
    the batch axis, once unedited (the baseline, measured in the same run)
    and once per ablated unit. Batches are averaged weighted by their size.

    Args:
        model: A built Keras model with one output.
        x: Input arrays `(samples, ...)` (a list or dict for several inputs).
        y: Targets for `x`, `(samples, ...)`: class indices or one-hot rows.
            Needed by `"loss"` and `"accuracy"`. Defaults to `None`.
        layers: Which layers to ablate (any `layers=` selection). Defaults to
            `None` (every layer with one output of known shape).
        metric: `"loss"` (the model's compiled loss, else a cross-entropy
            fitting `y` and the outputs), `"accuracy"`, or a function
            `(y_true, y_pred) -> float` averaging over the batch's samples.
            Defaults to `"loss"`.
        method: `"zero"` sets a unit to 0; `"mean"` to its mean over `x`.
            Defaults to `"zero"`.
        per: `"channel"` (each last-axis channel) or `"layer"` (the whole
            output at once). Defaults to `"channel"`.
        batch_size: Samples per batch, before repetition. Defaults to `32`.
        units_per_pass: Units ablated per pass. Defaults to `None` (as many
            as fit in about 4096 samples per pass).
        progress: Draw a progress bar. Defaults to `True`.

    Returns:
        `Importance`: key -> effect per unit (ablated metric minus baseline).

    Raises:
        InputError: for an unknown method, per or metric, missing targets, or
            a layer without one output of known shape.
        SelectionError: for a selection that matches nothing.

    Example:

    >>> imp = kerascope.ablation(model, x, y, layers="conv*", metric="accuracy")  # doctest: +SKIP
    >>> imp["conv2"].argmin()       # the channel whose loss hurts accuracy most  # doctest: +SKIP
    """
    _check_choice("method", method, ("zero", "mean"))
    _check_choice("per", per, ("channel", "layer"))
    if batch_size < 1 or (units_per_pass is not None and units_per_pass < 1):
        raise InputError(
            "Expected batch_size and units_per_pass >= 1. Received: "
            f"batch_size={batch_size}, units_per_pass={units_per_pass}"
        )
    score, name, higher = metric_function(metric, model, y)
    keys = resolve(layers, list(layer_map(model).items()))
    shapes = _shapes(model, keys, named=layers is not None)
    keys = [key for key in keys if key in shapes]
    fills = _fills(model, x, keys, shapes, method, batch_size)
    probe = cached_probe(model, keys)
    batches = list(data.as_batches(x, batch_size, probe.input_spec))
    total = sum(n for _, n in batches)
    y_all = None if y is None else np.asarray(y)
    if y_all is not None and len(y_all) != total:
        raise InputError(f"Expected {total} targets, one per sample. Received: {len(y_all)}")
    effects: dict[str, np.ndarray] = {}
    baselines: list[float] = []
    work = sum(_units(shapes[k], per) for k in keys) * total
    with ProgressBar(progress, "ablating", total=work) as bar:
        for key in keys:
            units = _units(shapes[key], per)
            k = min(units_per_pass or max(1, PASS_SAMPLES // batch_size - 1), units)
            k = -(-units // -(-units // k))  # groups of equal size: none nearly empty
            sums, base = np.zeros(units), 0.0
            expand = True  # until the layer's repeated output cannot flow on
            for first in range(0, units, k):
                chosen = list(range(first, min(first + k, units)))
                masks = _masks(shapes[key], chosen, k + 1, per)
                numbers = {"mask": masks, "value": fills[key]}
                start = 0
                for batch, n in batches:
                    per_copy, expand = _run_copies(model, key, numbers, batch, n, expand)
                    y_true = None if y_all is None else y_all[start : start + n]
                    values = [score(y_true, per_copy[c]) for c in range(len(chosen) + 1)]
                    base += values[0] * n
                    sums[chosen] += np.asarray(values[1:]) * n
                    start += n
                    bar.advance(n * len(chosen))
            base /= -(-units // k) * total  # each group of units measured it once
            effects[key] = sums / total - base
            baselines.append(base)
    return Importance(
        effects,
        metric=name,
        baseline=baselines[0],
        method=method,
        per=per,
        samples=total,
        higher_is_better=higher,
    )


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(f"Expected {name} in {list(choices)}. Received: {name}={value!r}")


def _shapes(model: Any, keys: list[str], named: bool) -> dict[str, tuple[int, ...]]:
    """Per-sample output shape of each key that can be ablated: one output
    with a batch axis and a known shape. An unsuitable layer the user `named`
    raises; with every layer chosen (`layers=None`) it is skipped."""
    probe = cached_probe(model, keys)
    specs = probe.specs
    shapes = {}
    for key in keys:
        shape = specs[key].shape
        suitable = (
            isinstance(shape, tuple)
            and bool(shape)
            and all(isinstance(d, int) for d in shape[1:])
            and probe.batched(key) == [True]
        )
        if not suitable and not named:
            continue
        if not suitable:
            raise InputError(
                "Expected layers with one output of known shape to ablate. Received: "
                f"{key!r} with output shape {shape}"
            )
        shapes[key] = tuple(shape[1:])
    if not shapes:
        raise InputError(
            "Expected a layer with one output of known shape to ablate. Received: none among "
            f"{keys}"[:300]
        )
    return shapes


def _units(shape: tuple[int, ...], per: str) -> int:
    return shape[-1] if per == "channel" and shape else 1


def _masks(shape: tuple[int, ...], chosen: list[int], copies: int, per: str) -> np.ndarray:
    masks = np.zeros((copies, *shape), np.float32)
    for copy, unit in enumerate(chosen, start=1):
        if per == "channel":
            masks[copy, ..., unit] = 1.0
        else:
            masks[copy] = 1.0
    return masks


def _fills(
    model: Any,
    x: Any,
    keys: list[str],
    shapes: dict[str, tuple[int, ...]],
    method: str,
    batch_size: int,
) -> dict[str, np.ndarray]:
    if method == "zero":
        return {key: np.zeros(shapes[key], np.float32) for key in keys}
    from kerascope.stats import stats

    statistics = stats(model, x, layers=keys, batch_size=batch_size, progress=False)
    return {
        key: np.broadcast_to(statistics[key].channel_mean, shapes[key]).astype(np.float32)
        for key in keys
    }


def _run_copies(
    model: Any, key: str, values: dict[str, np.ndarray], batch: Any, n: int, expand: bool
) -> tuple[np.ndarray, bool]:
    """The model's outputs on the batch for every copy, `(copies, n, ...)`, and
    whether the copies could be made at the layer (`expand`).

    At the layer, the layers before it run once per batch, not once per copy.
    That fails where a tensor from before the layer meets one after it (a
    residual connection): the batch sizes differ, and Keras or the backend
    raise. Then the inputs are repeated instead, which always works.
    """
    copies = int(values["mask"].shape[0])
    if expand:
        try:
            outputs, size = _run(
                model, Bound(key, Intervention("ablate_expand"), values), batch, n, 1
            )
            if outputs.shape[0] == copies * size:  # else an output skipped the layer
                return _blocks(outputs, copies, n), True
        except KerascopeError:
            raise
        except _mismatch_errors():  # the copies cannot flow on from the layer: repeat the inputs
            pass
    outputs, _ = _run(model, Bound(key, Intervention("ablate"), values), batch, n, copies)
    return _blocks(outputs, copies, n), False


def _mismatch_errors() -> tuple[type[Exception], ...]:
    """What the backends raise when tensors of different batch sizes meet."""
    errors: list[type[Exception]] = [ValueError, TypeError, RuntimeError]
    if backends.current().name == "tensorflow":
        import tensorflow as tf

        errors.append(tf.errors.InvalidArgumentError)
    return tuple(errors)


def _run(model: Any, bound: Bound, batch: Any, n: int, repeat: int) -> tuple[np.ndarray, int]:
    """The model's outputs on the batch (repeated `repeat` times), on the host,
    and the size the batch was padded to (JAX compiles a few sizes)."""
    plan = plan_for(model, [bound], 0, False)
    compiled = plan.compiled(None, False, layers=False)
    backend = backends.current()
    # Padded (on JAX) only where the edited output has a batch axis, as `Probe`.
    size = _bucket(plan.buckets, n) if backend.static_batch and compiled.all_batched else n
    tiled = keras.tree.map_structure(functools.partial(_tile, n=n, size=size, copies=repeat), batch)
    with plan.lock:
        plan.load(bound, [bound])
        outputs, _ = compiled.function({"x": tiled, "sources": []})
    if isinstance(outputs, (list, tuple, dict)):
        raise InputError(
            "Expected a model with one output for ablation. Received: a model with "
            f"{len(outputs)} outputs"
        )
    return np.asarray(backend.to_numpy(outputs)), size


def _blocks(outputs: np.ndarray, copies: int, n: int) -> np.ndarray:
    """`(copies * size, ...)` -> `(copies, n, ...)`, the padding dropped."""
    return outputs.reshape(copies, -1, *outputs.shape[1:])[:, :n]


def _bucket(buckets: list[int], n: int) -> int:
    size = next((b for b in sorted(buckets) if b >= n), None)
    if size is None:
        size = int(1 << max(0, n - 1).bit_length())
        buckets.append(size)
    return size


def _tile(array: np.ndarray, n: int, size: int, copies: int) -> np.ndarray:
    """`copies` blocks of the batch, each padded from `n` to `size` samples."""
    if size != n:
        array = np.concatenate([array, np.zeros((size - n, *array.shape[1:]), array.dtype)])
    return np.concatenate([array] * copies)
