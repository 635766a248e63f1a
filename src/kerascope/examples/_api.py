"""`top_examples`: the samples of a dataset that drive each unit hardest."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from kerascope import backends
from kerascope._progress import ProgressBar
from kerascope.capture import LayerInfo
from kerascope.capture import layers as layers_of
from kerascope.errors import InputError
from kerascope.examples._accumulator import ExamplesAccumulator
from kerascope.examples._examples import Examples
from kerascope.examples._geometry import Region
from kerascope.examples._reduce import reduce_graph
from kerascope.examples._regions import analytic_regions
from kerascope.keys import output_leaves
from kerascope.select import LayerSelection
from kerascope.stats import StatisticsRunner

__all__ = ["check_k", "examples_accumulator", "top_examples"]


def top_examples(
    model: Any,
    data: Any,
    layers: LayerSelection = None,
    *,
    k: int = 9,
    bottom: bool = False,
    offset: int = 0,
    batch_size: int | None = None,
    regions: bool = True,
    training: bool = False,
    progress: bool = True,
) -> Examples:
    """The `k` samples of `data` that drive each channel of each layer hardest.

    Streams `data` once through the one pipeline (`StatisticsRunner`): inside
    the compiled forward pass each layer's output is reduced to every
    sample's strongest response per channel and where it is, so only those
    reach the host (with torch on a CPU, which compiles nothing, numpy
    reduces the outputs on the host: measured faster there). Memory stays
    bounded by a batch and `k`.

    A channel is the last axis (every unit of a dense output `(batch,
    units)`). A sample's response is its maximum over the spatial positions
    (the minimum, for `bottom`). NaN responses never rank, nor does a sample
    whose responses are all `-inf` (`+inf` for `bottom`). Integer and bool
    outputs are ranked as float32. With fewer than `k` ranked samples, rows
    end in padding: index `-1`, value NaN, position `-1`.

    Args:
        model: A built Keras model.
        data: Inputs as for `kerascope.capture`: arrays, a dataset, a loader
            or an iterable of batches.
        layers: Which layers, as for `kerascope.capture`. Defaults to `None` (all).
        k: Examples kept per channel. Defaults to `9`.
        bottom: Also keep the `k` most negative responses (`UnitExamples.bottom`,
            ascending). Defaults to `False`.
        offset: The global index of `data`'s first sample, for shards merged
            with `|`. Defaults to `0`.
        batch_size: Samples per forward pass. Defaults to `None` (as
            `StatisticsRunner.batches` chooses).
        regions: Derive each layer's input region (receptive field), where the
            model is a Sequential or Functional stack of conv, pool and
            pointwise layers on a floating-point image or sequence input.
            Other layers get `region=None`. Defaults to `True`.
        training: Run layers in training mode. Defaults to `False`.
        progress: Show a progress bar. Defaults to `True`.

    Returns:
        `Examples`: leaf key -> `UnitExamples`.

    Raises:
        InputError: for a bad `k` or `offset`, or unusable model or data.
        SelectionError: for a selection that matches nothing.
        CaptureError: if the forward pass fails.

    Example:

    >>> ex = kerascope.top_examples(model, x_test, "conv2", k=9)   # doctest: +SKIP
    >>> ex["conv2"].indices[7]                                     # doctest: +SKIP
    array([812,  40, 233, ...])
    """
    check_k(k)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InputError(f"Expected offset to be an integer >= 0. Received: offset={offset!r}")
    # Where the strongest responses are found: inside the compiled pass, or
    # (torch on a CPU, which compiles nothing) with numpy on the host outputs;
    # each measured the faster there (`benchmarks/examples.py`).
    backend = backends.current()
    on_host = backend.name == "torch" and not backend.accelerated
    if on_host:
        runner = StatisticsRunner(model, layers, training=training, on_device=False)
    else:
        runner = _runner(model, layers, bottom=bottom, training=training)
    batches = runner.batches(data, batch_size)
    accumulator = examples_accumulator(
        model,
        runner.specs,
        k=k,
        bottom=bottom,
        offset=offset,
        regions=regions,
        input_names=runner.probe.input_names,
    )
    with ProgressBar(progress, "examples", total=batches.total) as bar:
        for outputs, n in runner.stream(batches):
            for key, value in outputs.items():
                if on_host:
                    accumulator.add(key, value, n)
                else:
                    accumulator.update(key, value, n)
            accumulator.advance(n)
            bar.advance(n)
    return accumulator.result()


def check_k(k: Any) -> None:
    """Checks a number of examples to keep per unit (`top_examples`, `record`).

    Args:
        k: The value given for `k`.

    Raises:
        InputError: unless `k` is a positive integer (not a bool).
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise InputError(f"Expected k to be a positive integer. Received: k={k!r}")


def _runner(
    model: Any, layers: LayerSelection = None, *, bottom: bool = False, training: bool = False
) -> StatisticsRunner:
    """A `StatisticsRunner` whose `stream` yields each layer's strongest responses per
    sample and channel, reduced inside the compiled pass."""
    return StatisticsRunner(
        model,
        layers,
        training=training,
        reduce=functools.partial(reduce_graph, bottom=bool(bottom)),
        reduce_id=("kerascope.examples", bool(bottom)),
    )


def examples_accumulator(
    model: Any,
    specs: Mapping[str, LayerInfo],
    *,
    k: int,
    bottom: bool,
    offset: int = 0,
    regions: bool = True,
    input_names: Sequence[str] = (),
) -> ExamplesAccumulator:
    """An accumulator of the top (and bottom) examples of the layers of `specs`.

    Used by `top_examples` and by `kerascope.store.record(..., examples=k)`,
    which feed it the per-sample, per-channel strongest responses of their
    own pass (`add`, then `advance`) and read `result()`.

    Args:
        model: The model (its layers give the analytic input regions).
        specs: Layer key -> `LayerInfo`, as a runner's `specs`.
        k: Examples kept per unit (see `check_k`).
        bottom: Keep the `k` most negative responses too.
        offset: The global index of the first sample fed. Defaults to `0`.
        regions: Derive each layer's input region (receptive field).
            Defaults to `True`.
        input_names: The model's input names, for the regions (a runner's
            `probe.input_names`). Defaults to `()`.

    Returns:
        An `ExamplesAccumulator`.
    """
    shapes = {}
    for info in specs.values():
        for leaf, shape in output_leaves(info.key, info.shape):
            shapes[leaf] = tuple(int(d) for d in shape[1:-1]) if len(shape) >= 3 else ()
    return ExamplesAccumulator(
        {key: info.class_name for key, info in specs.items()},
        k=k,
        bottom=bool(bottom),
        offset=offset,
        shapes=shapes,
        regions=_regions(model, specs, shapes, input_names) if regions else None,
    )


def _regions(
    model: Any,
    specs: Mapping[str, LayerInfo],
    shapes: Mapping[str, tuple[int, ...]],
    input_names: Sequence[str],
) -> dict[str, Region | None]:
    """Leaf key -> its region, for single-output layers the analytic walk reaches."""
    found = analytic_regions(model, input_names)
    if not found:
        return {}
    by_key = layers_of(model)
    out: dict[str, Region | None] = {}
    for key, info in specs.items():
        region = found.get(by_key.get(key)) if not info.multi_output else None
        if region is not None and region.ndim == len(shapes.get(key, ())):
            out[key] = region
    return out
