"""`histograms`: one panel per layer whose bars are the layer's value counts."""

from __future__ import annotations

import numpy as np
import pytest
from figure_checks import assert_unchanged, copies, plain_axes, render, text

import kerascope
from kerascope.plot import histograms


def bars(ax) -> tuple[np.ndarray, np.ndarray]:
    """`(counts, edges)` of the panel's histogram."""
    (patch,) = ax.patches
    data = patch.get_data()
    return data.values, data.edges


def test_activations_one_panel_per_layer_counts_from_numpy(acts):
    before = copies(acts)

    figure = histograms(acts, bins=16)

    axes = plain_axes(figure)
    assert [ax.get_title().split("\n")[0] for ax in axes] == [
        "conv (Conv2D)",
        "gap (GlobalAveragePooling2D)",
        "probs (Dense)",
    ]
    for ax, key in zip(axes, acts, strict=True):
        counts, edges = bars(ax)
        expected_counts, expected_edges = np.histogram(acts[key], bins=16)
        np.testing.assert_array_equal(counts, expected_counts)
        np.testing.assert_allclose(edges, expected_edges)
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("value", "count")
    # The ReLU layer with a dead channel: its zeros are in the title.
    zeros = np.mean(acts["conv"] == 0)
    assert zeros >= 1 / 6
    assert axes[0].get_title().split("\n")[1] == f"zeros {zeros:.1%}"
    assert "\n" not in axes[2].get_title()  # softmax: no zeros
    assert_unchanged(acts, before)
    render(figure)


def test_statistics_panels_are_their_sketch_histograms(model, images):
    stats = kerascope.stats(model, images, progress=False)

    figure = histograms(stats, keys=["probs", "conv"], bins=8, log=True)

    axes = plain_axes(figure)
    assert [ax.get_title().split("\n")[0] for ax in axes] == ["probs (Dense)", "conv (Conv2D)"]
    for ax, key in zip(axes, ["probs", "conv"], strict=True):
        counts, edges = bars(ax)
        expected_counts, expected_edges = stats[key].histogram(8)
        np.testing.assert_array_equal(counts, expected_counts)
        np.testing.assert_array_equal(edges, expected_edges)
        assert ax.get_yscale() == "log"
    assert axes[1].get_title().split("\n")[1] == f"zeros {stats['conv'].zero_fraction:.1%}"
    render(figure)


def test_nan_and_inf_are_counted_apart_from_the_bins(rng):
    values = rng.normal(size=(5, 10))
    values[0, :3] = np.nan
    values[1, 0] = -np.inf
    data = {"bad": values, "empty": np.full((2, 2), np.nan)}

    figure = histograms(data, bins=4)

    bad, empty = plain_axes(figure)
    assert bad.get_title() == "bad\nNaN 3, Inf 1"
    assert bars(bad)[0].sum() == 46
    assert empty.get_title() == "empty\nNaN 4"
    assert not empty.patches
    assert "no finite values" in text(figure)
    render(figure)


def test_a_cap_keeps_the_first_layers_and_says_so(rng):
    data = {f"layer_{i}": rng.normal(size=(2, 3)) for i in range(5)}

    figure = histograms(data, max_layers=2)

    assert [ax.get_title() for ax in plain_axes(figure)] == ["layer_0", "layer_1"]
    assert "showing 2 of 5 layers" in figure.get_suptitle()


def test_a_layer_with_several_outputs_gives_a_panel_each(rng):
    data = {"lstm": (rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 3))), "out": np.ones((2, 1))}

    everything = histograms(data)
    chosen = histograms(data, keys="lstm")

    titles = ["lstm[0]", "lstm[1]", "out"]
    assert [ax.get_title() for ax in plain_axes(everything)] == titles
    assert [ax.get_title() for ax in plain_axes(chosen)] == titles[:2]
    np.testing.assert_array_equal(
        bars(plain_axes(everything)[1])[0], np.histogram(data["lstm"][1], bins=64)[0]
    )


def test_errors(acts):
    with pytest.raises(kerascope.SelectionError, match=r"Closest keys: conv.*Received: 'conv2'"):
        histograms(acts, keys=["conv2"])
    with pytest.raises(kerascope.InputError, match=r"bins to be an integer >= 1.*bins=0"):
        histograms(acts, bins=0)
    with pytest.raises(kerascope.InputError, match=r"at least one layer"):
        histograms({})
    with pytest.raises(kerascope.InputError, match=r"at least one key"):
        histograms(acts, keys=[])
