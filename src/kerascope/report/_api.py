"""`report`: one self-contained HTML file about a model's activations."""

from __future__ import annotations

import datetime
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import keras

from kerascope._progress import ProgressBar
from kerascope.capture import capture
from kerascope.diagnostics import run_rules
from kerascope.errors import InputError
from kerascope.report._figures import data_uri, image_input, spatial_keys, spread
from kerascope.report._tables import history_findings, summary_rows
from kerascope.report._units import units_section
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
    y: Any = None,
    units: bool = True,
    max_unit_layers: int = 3,
    units_per_layer: int = 4,
    visualize_steps: int = 128,
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
    - what units respond to: for a few layers spread over depth, the top
      dataset examples of their most active channels (highest top-1
      response), their feature visualizations and, with `y`, each channel's
      zero-ablation importance (change in accuracy);
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
        y: Labels of `data` (arrays), to show each shown channel's ablation
            importance. Defaults to `None` (none shown).
        units: Include the "What units respond to" section. Defaults to `True`.
        max_unit_layers: Layers in that section. Defaults to `3`.
        units_per_layer: Channels shown per layer. Defaults to `4`.
        visualize_steps: Optimisation steps of the feature visualizations
            (skipped, with a note, for token or multi-input models). Defaults to `128`.
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

    unit_layers = []
    if units:
        unit_layers = units_section(
            model,
            data,
            y,
            list(runner.specs),
            batch,
            max_layers=max_unit_layers,
            per_layer=units_per_layer,
            steps=visualize_steps,
            batch_size=batch_size,
        )
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
        "rows": summary_rows(runner.specs, statistics, model),
        "params": int(model.count_params()),
        "unit_layers": unit_layers,
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
        "history_findings": history_findings(history),
    }
