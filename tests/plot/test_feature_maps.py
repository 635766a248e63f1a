"""`feature_maps`: every panel shows the slice of the data it is labelled with, honestly scaled."""

from __future__ import annotations

import numpy as np
import pytest
from figure_checks import assert_unchanged, colour_bars, copies, panels, render

import kerascope
from kerascope.plot import feature_maps


def channel_of(ax) -> int:
    return int(ax.get_title().split()[1])


def test_each_panel_is_its_channel_on_its_own_scale(acts):
    before = copies(acts)
    conv = acts["conv"]

    figure = feature_maps(acts, "conv", sample=1)

    shown = panels(figure)
    assert [ax.get_title().split(" (")[0] for ax in shown] == [f"ch {c}" for c in range(6)]
    for ax in shown:
        channel = conv[1, ..., channel_of(ax)]
        np.testing.assert_array_equal(ax.images[0].get_array(), channel)
        if channel.max() > channel.min():
            assert ax.images[0].get_clim() == (channel.min(), channel.max())
    assert colour_bars(figure) == 0
    assert "conv (Conv2D) · sample 1" in figure.get_suptitle()
    assert "each channel scaled to its own range" in figure.get_suptitle()
    assert_unchanged(acts, before)
    render(figure)


def test_layer_scale_is_shared_with_one_colour_bar(acts):
    conv = acts["conv"][0]

    figure = feature_maps(acts, "conv", normalize="layer")

    limits = {ax.images[0].get_clim() for ax in panels(figure)}
    assert limits == {(conv.min(), conv.max())}
    assert colour_bars(figure) == 1
    assert "one colour scale for all channels" in figure.get_suptitle()
    render(figure)


@pytest.mark.parametrize("normalize", ["channel", "layer"])
def test_a_dead_channel_is_labelled_constant(acts, normalize):
    assert not acts["conv"][..., 2].any()  # the fixture's dead channel

    figure = feature_maps(acts, "conv", normalize=normalize)

    dead = panels(figure)[2]
    assert dead.get_title() == "ch 2 (constant 0)"
    low, high = dead.images[0].get_clim()
    assert high > low  # never a singular colour scale
    render(figure)


def test_a_cap_shows_the_most_active_channels_first(rng):
    # Channel c has mean |activation| scale[c] (signs at random).
    scale = rng.permutation(512) + 1.0
    values = rng.choice([-1.0, 1.0], size=(1, 3, 3, 512)) * scale
    before = values.copy()

    figure = feature_maps({"wide": values}, "wide")

    shown = panels(figure)
    assert len(shown) == 64
    assert [channel_of(ax) for ax in shown] == np.argsort(-scale)[:64].tolist()
    assert "showing 64 of 512 channels, most active first" in figure.get_suptitle()
    assert "mean |activation|" in figure.get_suptitle()
    np.testing.assert_array_equal(values, before)


def test_chosen_channels_in_their_order(acts):
    figure = feature_maps(acts, "conv", channels=[5, 0, 3], max_channels=1)

    assert [channel_of(ax) for ax in panels(figure)] == [5, 0, 3]
    np.testing.assert_array_equal(panels(figure)[0].images[0].get_array(), acts["conv"][0, ..., 5])
    assert "channels [5, 0, 3] of 6" in figure.get_suptitle()


def test_non_finite_values_are_blank_and_counted(rng):
    values = rng.normal(size=(1, 4, 4, 2))
    values[0, 1, 1, 0] = np.nan
    values[0, 2, 2, 0] = np.inf

    figure = feature_maps({"x": values}, "x", normalize="layer")

    image = panels(figure)[0].images[0].get_array()
    assert image.mask.sum() == 2
    assert panels(figure)[0].get_title() == "ch 0 (2 NaN/Inf)"
    finite = values[np.isfinite(values)]
    assert panels(figure)[1].images[0].get_clim() == (finite.min(), finite.max())
    render(figure)


def test_a_dense_vector_is_one_near_square_image(acts):
    probs = acts["probs"]  # (4, 3): 3 units as 2 x 2, one padding cell

    figure = feature_maps(acts, "probs", sample=2)

    (ax,) = panels(figure)
    image = ax.images[0].get_array()
    assert image.shape == (2, 2)
    np.testing.assert_array_equal(image.compressed(), probs[2])
    assert image.mask.tolist() == [[False, False], [False, True]]
    assert colour_bars(figure) == 1
    assert "dense vector of 3 units" in figure.get_suptitle()
    assert "blank cells are padding" in figure.get_suptitle()
    render(figure)


@pytest.mark.parametrize("normalize", ["channel", "layer"])
def test_a_sequence_is_one_time_by_channel_image(rng, normalize):
    values = rng.normal(size=(2, 7, 5))
    values[1, :, 3] = 0.5

    figure = feature_maps({"lstm": values}, "lstm", sample=1, normalize=normalize)

    (ax,) = panels(figure)
    rows = values[1].T  # (channels, time)
    image = ax.images[0].get_array()
    if normalize == "layer":
        np.testing.assert_array_equal(image, rows)
        assert colour_bars(figure) == 1
    else:
        low, high = rows.min(axis=1, keepdims=True), rows.max(axis=1, keepdims=True)
        expected = np.where(high > low, (rows - low) / np.where(high > low, high - low, 1), 0)
        np.testing.assert_allclose(image, expected)
        assert colour_bars(figure) == 0
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert labels == ["ch 0", "ch 1", "ch 2", "ch 3 (constant 0.5)", "ch 4"]
    render(figure)


def test_a_volume_shows_a_depth_slice_or_the_max_over_depth(rng):
    values = rng.normal(size=(2, 3, 4, 5, 2))

    projected = feature_maps({"conv3d": values}, "conv3d", sample=1)
    sliced = feature_maps({"conv3d": values}, "conv3d", sample=1, depth=2)

    np.testing.assert_array_equal(
        panels(projected)[1].images[0].get_array(), values[1].max(axis=0)[..., 1]
    )
    assert "max over 3 depths" in projected.get_suptitle()
    np.testing.assert_array_equal(panels(sliced)[1].images[0].get_array(), values[1, 2, ..., 1])
    assert "depth 2 of 3" in sliced.get_suptitle()


def test_channels_first_equals_channels_last_transposed(rng):
    last = rng.normal(size=(2, 4, 5, 3))
    first = np.moveaxis(last, -1, 1)

    a = feature_maps({"x": last}, "x", sample=1)
    b = feature_maps({"x": first}, "x", sample=1, data_format="channels_first")

    for ax_a, ax_b in zip(panels(a), panels(b), strict=True):
        assert ax_a.get_title() == ax_b.get_title()
        np.testing.assert_array_equal(ax_a.images[0].get_array(), ax_b.images[0].get_array())


def test_any_mapping_and_multi_output_leaves(rng):
    outputs = {"lstm": (rng.normal(size=(1, 4, 2)), rng.normal(size=(1, 2)))}

    figure = feature_maps(outputs, "lstm[1]")

    np.testing.assert_array_equal(
        panels(figure)[0].images[0].get_array().compressed(), outputs["lstm"][1][0]
    )
    with pytest.raises(kerascope.InputError, match=r"2 outputs; pass one of \['lstm\[0\]'"):
        feature_maps(outputs, "lstm")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"normalize": "global"}, r"Expected normalize 'channel' or 'layer'.*'global'"),
        ({"sample": 4}, r"sample index in \[0, 4\).*sample=4"),
        ({"channels": [6]}, r"channel indices in \[0, 6\).*\[6\]"),
        ({"channels": []}, r"non-empty list"),
        ({"max_channels": 0}, r"max_channels to be an integer >= 1"),
        ({"depth": 0}, r"depth only for 3-D volumes"),
        ({"data_format": "NCHW"}, r"data_format.*'NCHW'"),
    ],
)
def test_bad_options_are_input_errors(acts, kwargs, match):
    with pytest.raises(kerascope.InputError, match=match):
        feature_maps(acts, "conv", **kwargs)


def test_unknown_key_names_the_closest(acts):
    with pytest.raises(kerascope.SelectionError, match=r"Closest keys: conv.*Received: 'conv1'"):
        feature_maps(acts, "conv1")


def test_an_array_without_samples_is_an_input_error():
    with pytest.raises(kerascope.InputError, match=r"Received: key 'x' with shape \(3,\)"):
        feature_maps({"x": np.zeros(3)}, "x")
