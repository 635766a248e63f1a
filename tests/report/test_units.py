"""The report's "What units respond to" section, checked against independent computations."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

import kerascope
from kerascope._demo import build_cnn, load_digits_images


@pytest.fixture(scope="module")
def digits_report(tmp_path_factory):
    images, labels = load_digits_images()
    images, labels = images[:96], labels[:96]
    keras.utils.set_random_seed(0)
    model = build_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(images, labels, epochs=1, batch_size=32, verbose=0)
    path = tmp_path_factory.mktemp("units") / "report.html"
    kerascope.report(model, images, path, y=labels, visualize_steps=16, progress=False)
    return model, images, labels, path.read_text(encoding="utf-8")


def _layers(text: str) -> dict[str, str]:
    section = text[text.index('<section id="units">') :]
    section = section[: section.index("</section>")]
    parts = re.split(r'<div class="units-layer" data-key="([^"]+)">', section)
    return dict(zip(parts[1::2], parts[2::2]))


def test_section_shows_most_active_channels_of_layers_over_depth(digits_report):
    model, images, _, text = digits_report
    layers = _layers(text)
    # Layers with a kernel, spread over depth: the demo CNN has exactly three.
    assert list(layers) == ["conv1", "conv2", "probs"]
    acts = kerascope.capture(model, images, layers=list(layers))
    for key, html in layers.items():
        out = np.asarray(acts[key]).reshape(len(images), -1, np.asarray(acts[key]).shape[-1])
        top1 = out.max(axis=1).max(axis=0)  # each channel's strongest response, any sample
        expected = np.argsort(-top1, kind="stable")[:4].tolist()
        shown = [int(c) for c in re.findall(r'data-channel="(\d+)"', html)]
        assert shown == expected
        assert f"{top1[expected[0]]:.4g}" in html
        assert f'alt="Top examples of {key}"' in html
        assert f'alt="Feature visualizations of {key}"' in html


def test_importances_equal_ablation(digits_report):
    model, images, labels, text = digits_report
    for key, html in _layers(text).items():
        effects = kerascope.ablation(
            model, images, labels, layers=key, metric="accuracy", progress=False
        )[key]
        shown = [int(c) for c in re.findall(r'data-channel="(\d+)"', html)]
        cells = re.findall(r'<td class="importance">([^<]+)</td>', html)
        assert cells == [f"{effects[c]:+.4f}" for c in shown]


def test_units_false_removes_section(tmp_path):
    images, _ = load_digits_images()
    model = build_cnn()
    text = kerascope.report(
        model, images[:32], tmp_path / "r.html", units=False, progress=False
    ).read_text(encoding="utf-8")
    assert 'id="units"' not in text
    assert 'id="summary"' in text


def test_token_model_skips_visualization_with_a_note(tmp_path):
    inputs = keras.Input((12,), dtype="int32")
    x = keras.layers.Embedding(50, 8, name="embed")(inputs)
    x = keras.layers.Conv1D(6, 3, activation="relu", name="conv")(x)
    x = keras.layers.GlobalMaxPooling1D(name="pool")(x)
    model = keras.Model(inputs, keras.layers.Dense(3, name="head")(x))
    tokens = np.random.default_rng(0).integers(0, 50, (40, 12)).astype("int32")
    text = kerascope.report(model, tokens, tmp_path / "r.html", progress=False).read_text(
        encoding="utf-8"
    )
    layers = _layers(text)
    assert list(layers) == ["conv", "head"]
    for key, html in layers.items():
        assert "Feature visualization skipped" in html, html
        assert "Feature visualizations of" not in html
        assert len(re.findall(r'data-channel="', html)) == {"conv": 4, "head": 3}[key]
