"""`plot.importance` and `plot.patching`: the bars and cells are the results' numbers."""

from __future__ import annotations

import numpy as np
import pytest
from figure_checks import plain_axes, render, text

from kerascope.errors import InputError, SelectionError
from kerascope.interventions import Importance, Patching
from kerascope.plot import importance, patching


@pytest.fixture
def result() -> Importance:
    return Importance(
        {"conv1": [0.1, -0.02, 0.5, 0.0], "conv2": [0.3, 0.01]},
        metric="loss",
        baseline=0.7,
        method="zero",
        per="channel",
        samples=64,
        higher_is_better=False,
    )


def _bar_heights(ax) -> list[float]:
    return [patch.get_height() for patch in ax.patches]


def test_importance_draws_one_bar_per_unit_per_layer(result):
    figure = importance(result)
    axes = plain_axes(figure)
    assert len(axes) == 2
    np.testing.assert_allclose(_bar_heights(axes[0]), [0.1, -0.02, 0.5, 0.0])
    np.testing.assert_allclose(_bar_heights(axes[1]), [0.3, 0.01])
    assert "conv1" in text(figure)
    assert "baseline 0.7" in text(figure)
    assert render(figure).startswith(b"\x89PNG")


def test_importance_top_units_most_important_first(result):
    figure = importance(result, keys=["conv1"], top=2)
    (ax,) = plain_axes(figure)
    np.testing.assert_allclose(_bar_heights(ax), [0.5, 0.1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "0"]


def test_patching_heatmap_holds_the_table():
    sweep = Patching(
        ["embed", "mix"],
        [0, 1, 2],
        [[1.0, 2.0, 3.0], [4.0, np.nan, 6.0]],
        clean=1.0,
        corrupted=5.0,
        metric="loss",
    )
    figure = patching(sweep)
    (ax,) = plain_axes(figure)
    shown = ax.images[0].get_array()
    np.testing.assert_array_equal(shown.filled(np.nan), sweep.values)
    assert shown.mask[1, 1]
    restored = patching(sweep, restored=True)
    np.testing.assert_allclose(plain_axes(restored)[0].images[0].get_array()[0], [1.0, 0.75, 0.5])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["embed", "mix"]
    assert render(figure).startswith(b"\x89PNG")


def test_wrong_results_raise_clear_errors(result):
    with pytest.raises(InputError, match="Expected an Importance"):
        importance({"conv1": [1.0]})
    with pytest.raises(InputError, match="Received: top=0"):
        importance(result, top=0)
    with pytest.raises(SelectionError, match="conv9"):
        importance(result, keys=["conv9"])
    with pytest.raises(InputError, match="Expected a Patching"):
        patching(result)
