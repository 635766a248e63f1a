"""Keras Applications models: every layer against Keras' own sub-model of the graph."""

from __future__ import annotations

import keras
import pytest

from harness import check_capture, graph_outputs


@pytest.mark.parametrize(
    "make",
    [
        lambda: keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), alpha=0.35),
        lambda: keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10),
    ],
    ids=["MobileNetV2", "ResNet50"],
)
def test_every_layer_of_an_application_model(make, rng):
    model = make()
    x = rng.uniform(-1, 1, size=(2, 32, 32, 3)).astype("float32")
    expected = graph_outputs(model, x)
    acts = check_capture(model, x, expected)
    # Every layer, each once, in the order Keras ran them (which is not always
    # `model.layers` order: ResNet's shortcut conv runs after the main branch).
    assert sorted(acts) == sorted(expected)
    assert len(acts) == len(model.layers) - 1
