"""`report`: one self-contained HTML file about a model's activations."""

from __future__ import annotations

import datetime
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from kerascope._progress import ProgressBar
from kerascope.capture import capture
from kerascope.capture import layers as layers_of
from kerascope.diagnostics import run_rules
from kerascope.errors import InputError
from kerascope.keys import output_leaves
from kerascope.report._figures import data_uri, image_input, spatial_keys, spread
from kerascope.select import LayerSelection
from kerascope.stats import Statistics, StatisticsRunner

__all__ = ["report"]


def report(
    model: Any,
    data: Any,
    path: str | os.PathLike[str],
    *,
    layers: LayerSelection = None,
    monitor: Any = None,
    feature_layers: LayerSelection = None,
    max_feature_layers: int = 6,
    samples_shown: int = 3,
    batch_size: int | None = None,
    title: str | None = None,
    progress: bool = True,
) -> pathlib.Path:
    """Writes one self-contained HTML report of a model's activations over `data`.

    The file inlines every image and style (it fetches nothing, so it opens
    offline in any browser, and prints cleanly). In order:

    - diagnostics findings first, if there are any (dead units, saturation,
      the first NaN/Inf layer, vanishing/exploding scale, constant units);
    - a model summary: per-layer output shapes, parameters, activation and
      statistics over all of `data`;
    - the layer profile (mean, std, dead fraction, saturation across depth)
      and per-layer histograms;
    - feature maps of a few layers spread over the depth, for the first sample;
    - heatmap overlays on the input images, for image models;
    - the training evolution, when an `ActivationMonitor` (or its history) is given.

    Statistics stream over `data` (memory bounded by the batch); feature maps
    and overlays use the first batch only.

    Args:
        model: A built Keras model.
        data: Inputs as for `kerascope.stats`.
        path: The HTML file to write (replaced atomically: never half-written).
        layers: Which layers the statistics cover (see `kerascope.capture`).
            Defaults to `None` (all).
        monitor: An `ActivationMonitor` or `MonitorHistory` from training.
            Defaults to `None`.
        feature_layers: Which layers get feature maps. Defaults to `None`: up
            to `max_feature_layers` layers with 2-D feature maps, spread over depth.
        max_feature_layers: See `feature_layers`. Defaults to `6`.
        samples_shown: Input samples given overlays. Defaults to `3`.
        batch_size: At most this many samples per forward pass (see
            `kerascope.stats`). Defaults to `None` (chosen as by `stats`).
        title: The report's title. Defaults to `None` (the model's name).
        progress: Draw a progress bar on standard error. Defaults to `True`.

    Returns:
        The path written.

    Raises:
        ImportError: without matplotlib or jinja2 (`pip install kerascope[report]`).
        InputError: for unusable data or a `path` in a missing directory.

    Example:

    >>> kerascope.report(model, x_val, "report.html", monitor=monitor)  # doctest: +SKIP
    PosixPath('report.html')
    """
    jinja2 = _jinja2()
    from kerascope import __version__, plot

    path = pathlib.Path(path)
    if not path.parent.is_dir():
        raise InputError(
            f"Expected a path in an existing directory. Received: path={os.fspath(path)!r}"
        )
    history = getattr(monitor, "history", monitor)

    runner = StatisticsRunner(model, layers)
    batches = runner.batches(data, batch_size)
    first: list[Any] = []
    with ProgressBar(progress, "report", total=batches.total) as bar:
        statistics = runner.run(_keeping_first(batches, first), advance=bar.advance)
    if not first:
        raise InputError("Expected data with at least one sample. Received: no batches")
    findings = run_rules(statistics)
    batch = first[0]
    shown = keras.tree.map_structure(lambda a: a[:samples_shown], batch)
    acts = capture(model, shown, layers=feature_layers if feature_layers is not None else layers)

    figures = _figures(plot, statistics, acts, shown, history, feature_layers, max_feature_layers)
    context = {
        "title": title or f"kerascope report: {model.name}",
        "model_name": model.name,
        "backend": keras.backend.backend(),
        "keras_version": keras.__version__,
        "version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "samples": max((s.samples for s in statistics.values()), default=0),
        "findings": findings,
        "rows": _summary_rows(runner.specs, statistics, model),
        "params": int(model.count_params()),
        **figures,
    }
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("kerascope.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    text = environment.get_template("report.html.j2").render(**context)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _jinja2() -> Any:
    try:
        import jinja2
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "The HTML report needs jinja2 and matplotlib. "
            "Install them with `pip install kerascope[report]`."
        ) from error
    return jinja2


def _keeping_first(batches: Any, first: list[Any]) -> Iterator[tuple[Any, int]]:
    for batch, n in batches:
        if not first:
            first.append(batch)
        yield batch, n


def _figures(
    plot: Any,
    statistics: Statistics,
    acts: Any,
    batch: Any,
    history: Any,
    feature_layers: LayerSelection,
    max_feature_layers: int,
) -> dict[str, Any]:
    keys = (
        list(acts) if feature_layers is not None else spread(spatial_keys(acts), max_feature_layers)
    )
    feature_maps = [
        {"key": key, "uri": data_uri(plot.feature_maps(acts, key, max_channels=16))} for key in keys
    ]
    overlays = []
    images = image_input(batch)
    if images is not None:
        for key in spread(spatial_keys(acts), 3):
            for sample in range(len(images)):
                figure = plot.overlay(images, acts, key, sample=sample)
                overlays.append({"key": key, "sample": sample, "uri": data_uri(figure)})
    evolution = []
    if history is not None and len(history):
        for key in spread(list(history.keys), 4):
            evolution.append({"key": key, "uri": data_uri(plot.evolution(history, key, log=True))})
    return {
        "profile_uri": data_uri(plot.layer_profile(statistics)),
        "histograms_uri": data_uri(plot.histograms(statistics)),
        "feature_maps": feature_maps,
        "overlays": overlays,
        "evolution": evolution,
        "history_findings": _history_findings(history),
    }


def _history_findings(history: Any) -> list[dict[str, Any]]:
    """The first snapshot at which each (key, kind) finding appeared in training."""
    if history is None:
        return []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for snapshot in history:
        for finding in snapshot.findings:
            seen.setdefault(
                (finding.key, finding.kind),
                {"step": snapshot.step, "epoch": snapshot.epoch, "finding": finding},
            )
    return list(seen.values())


def _summary_rows(specs: Any, statistics: Statistics, model: Any) -> list[dict[str, Any]]:
    params = _params_by_key(specs, model)
    # Each statistics key's layer and output shape (`"lstm[1]"`: one of the LSTM's outputs).
    leaves = {
        leaf: (key, shape)
        for key, info in specs.items()
        for leaf, shape in output_leaves(key, info.shape)
    }
    rows = []
    for key, layer in statistics.items():
        base, shape = leaves.get(key, (key, None))
        rows.append(
            {
                "key": key,
                "class_name": layer.class_name,
                "shape": str(tuple(shape)) if shape is not None else "",
                "activation": layer.activation or "",
                "params": params.get(base, ""),
                "mean": _number(layer.mean),
                "std": _number(layer.std),
                "min": _number(layer.min),
                "max": _number(layer.max),
                "p50": _number(layer.p50),
                "zeros": f"{layer.zero_fraction:.1%}",
                "nonfinite": f"{layer.nan_fraction + layer.inf_fraction:.1%}",
                "bad": layer.nan_fraction + layer.inf_fraction > 0,
            }
        )
    return rows


def _params_by_key(specs: Any, model: Any) -> dict[str, str]:
    """Parameter counts by key; a layer called more than once counts at its first call."""
    counts: dict[str, str] = {}
    seen: set[int] = set()
    for key, layer in layers_of(model).items():
        if key in specs and id(layer) not in seen:
            counts[key] = f"{layer.count_params():,}"
        seen.add(id(layer))
    return counts


def _number(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.4g}"
