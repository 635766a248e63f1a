"""The demo behind `kerascope demo`: train a small CNN on real digits and look inside it.

It trains on scikit-learn's bundled 8x8 digits (no download) with the
activation monitor, records every layer's activations on the held-out digits
to a Zarr store (with each channel's top examples), diagnoses them, draws what
a middle conv layer's units respond to, and writes an HTML report and
TensorBoard logs.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import sys
import time
from typing import Any, TextIO

import keras
import numpy as np


def load_digits_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits as `(samples, 8, 8, 1)` floats in [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "The demo needs scikit-learn for its bundled digits. "
            "Install it with `pip install kerascope[demo]`."
        ) from error
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    return images, digits.target.astype("int32")


def build_cnn() -> keras.Model:
    """A small CNN for 8x8 grey images, 10 classes."""
    layers = keras.layers
    inputs = keras.Input((8, 8, 1), name="digit")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    outputs = layers.Dense(10, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="digits_cnn")


def run(
    *,
    out_dir: str | os.PathLike[str] = "kerascope-demo",
    epochs: int = 10,
    progress: bool = True,
    out: TextIO = sys.stdout,
    seed: int = 0,
) -> dict[str, Any]:
    """Trains the CNN with the monitor, records, diagnoses, writes the report and logs.

    Args:
        out_dir: Where the report, logs, store and history go (created).
            Defaults to `"kerascope-demo"`.
        epochs: Training epochs. Defaults to `10`.
        progress: Progress bars for recording and the report. Defaults to `True`.
        out: Where the summary is written. Defaults to standard output.
        seed: The random seed. Defaults to `0`.

    Returns:
        A summary: test accuracy, the recorded keys, the findings and the paths written.
    """
    from kerascope.diagnostics import diagnose
    from kerascope.monitor import ActivationMonitor
    from kerascope.report import report
    from kerascope.store import record

    keras.utils.set_random_seed(seed)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images, labels = load_digits_images()
    order = np.random.default_rng(seed).permutation(len(images))
    images, labels = images[order], labels[order]
    split = int(0.8 * len(images))
    train, test = images[:split], images[split:]
    model = build_cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    out.write(
        f"kerascope demo on the {keras.backend.backend()} backend: training a small CNN on "
        f"{split} of scikit-learn's {len(images)} bundled 8x8 digits, watching its activations...\n"
    )
    history_path = out_dir / "monitor.jsonl"
    shutil.rmtree(out_dir / "logs", ignore_errors=True)  # one run's logs, not a pile-up
    monitor = ActivationMonitor(
        test[:256], log_dir=out_dir / "logs", history_file=history_path, stop_on=("nan",)
    )
    start = time.perf_counter()
    model.fit(train, labels[:split], epochs=epochs, batch_size=32, verbose=0, callbacks=[monitor])
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(test, labels[split:], verbose=0)
    out.write(
        f"test accuracy after {len(monitor.history)} epochs ({seconds:.1f} s, monitor "
        f"included): {accuracy:.1%}\n\n"
    )

    store = record(
        model, test, out_dir / "activations.zarr", overwrite=True, examples=9, progress=progress
    )
    out.write(
        f"recorded {len(store)} layer outputs for {store.samples} held-out digits; "
        f"their statistics:\n{store.statistics!r}\n\n"
    )
    findings = diagnose(store.statistics)
    out.write(f"{findings!r}\n\n")
    pictures = _unit_pictures(model, store.examples, test, out_dir)
    page = report(
        model, test, out_dir / "report.html", y=labels[split:], monitor=monitor, progress=progress
    )
    out.write(
        "Written:\n"
        f"  {page}  the HTML report (open it in a browser)\n"
        f"  {out_dir / 'logs'}  TensorBoard logs: tensorboard --logdir {out_dir / 'logs'}\n"
        f"  {out_dir / 'activations.zarr'}  every layer's activations: kerascope.open(...)\n"
        f"  {history_path}  the monitor's history: MonitorHistory.load(...)\n"
        f"  {pictures[0]}  what {UNIT_LAYER}'s most active channels respond to in the digits\n"
        f"  {pictures[1]}  feature visualizations of the same channels\n"
    )
    return {
        "accuracy": float(accuracy),
        "keys": list(store),
        "findings": findings,
        "report": page,
        "logs": out_dir / "logs",
        "store": out_dir / "activations.zarr",
        "history": monitor.history,
        "examples_png": pictures[0],
        "visualizations_png": pictures[1],
    }


UNIT_LAYER = "conv2"  # the middle conv layer the demo draws units of


def _unit_pictures(
    model: keras.Model, examples: Any, test: np.ndarray, out_dir: pathlib.Path
) -> tuple[pathlib.Path, pathlib.Path]:
    """Writes `examples.png` and `visualizations.png` for the 8 most active conv2 channels."""
    from kerascope import plot
    from kerascope.visualize import visualize

    top1 = np.nan_to_num(examples[UNIT_LAYER].values[:, 0], nan=-np.inf)
    channels = [int(c) for c in np.argsort(-top1, kind="stable")[:8]]
    paths = (out_dir / "examples.png", out_dir / "visualizations.png")
    figure = plot.examples(examples, UNIT_LAYER, test, channels, model=model)
    figure.savefig(paths[0], dpi=96, bbox_inches="tight")
    vis = visualize(model, UNIT_LAYER, channels, steps=128, data=test, progress=False)
    plot.visualizations(vis).savefig(paths[1], dpi=96, bbox_inches="tight")
    return paths
