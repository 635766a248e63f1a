"""The metrics `ablation` and `patching` measure: loss, accuracy or a user function."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kerascope.errors import InputError

__all__ = ["Score", "metric_function"]

# (y_true or None, y_pred as numpy) -> the metric averaged over the samples.
Score = Callable[[Any, Any], float]


def metric_function(
    metric: str | Callable[[Any, Any], float], model: Any, y: Any
) -> tuple[Score, str, bool | None]:
    """The metric as `(score, name, higher_is_better)`.

    Raises:
        InputError: for an unknown metric name, or `"loss"`/`"accuracy"`
            without targets.
    """
    if callable(metric):
        name = getattr(metric, "__name__", type(metric).__name__)

        def score(y_true: Any, y_pred: Any) -> float:
            return float(np.asarray(keras.ops.convert_to_numpy(metric(y_true, y_pred))).mean())

        return score, name, None
    if metric not in ("loss", "accuracy"):
        raise InputError(
            "Expected metric 'loss', 'accuracy' or a function (y_true, y_pred) -> float. "
            f"Received: metric={metric!r}"
        )
    if y is None:
        raise InputError(f"Expected targets y for metric={metric!r}. Received: y=None")
    kind = _Kind(_output_is_probability(model))
    if metric == "accuracy":
        return functools.partial(_accuracy, kind=kind), "accuracy", True
    return _loss_of(model, kind), "loss", False


class _Kind:
    """Whether the model outputs probabilities (else logits), decided once per
    run: from the output layer's activation when it says, else from the first
    outputs scored (the baseline), so every ablated copy and batch is scored
    with the same formula."""

    def __init__(self, probability: bool | None) -> None:
        self.probability = probability

    def decide(self, y_pred: np.ndarray, looks_like_probability: bool) -> bool:
        if self.probability is None:
            self.probability = looks_like_probability
        return self.probability


def _output_is_probability(model: Any) -> bool | None:
    """True for a softmax/sigmoid output layer, False for a linear one, None
    when the last layer does not say."""
    last = getattr(model, "layers", None)
    if not last:
        return None
    layer = last[-1]
    if isinstance(layer, keras.layers.Softmax):
        return True
    name = getattr(getattr(layer, "activation", None), "__name__", None)
    if name in ("softmax", "sigmoid"):
        return True
    if name == "linear":
        return False
    return None


def _accuracy(y_true: Any, y_pred: Any, kind: _Kind) -> float:
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_pred.ndim >= 2 and y_pred.shape[-1] > 1:
        predicted = y_pred.argmax(-1)
        labels = y_true.argmax(-1) if y_true.shape == y_pred.shape else y_true
    else:  # one sigmoid or logit per sample
        in_unit = float(y_pred.min()) >= 0 and float(y_pred.max()) <= 1
        threshold = 0.5 if kind.decide(y_pred, in_unit) else 0.0
        predicted = (y_pred > threshold).astype(int).reshape(len(y_pred), -1)
        labels = np.asarray(y_true).reshape(len(y_pred), -1)
    return float(
        np.mean(
            np.asarray(predicted).reshape(len(y_pred), -1) == np.reshape(labels, (len(y_pred), -1))
        )
    )


def _loss_of(model: Any, kind: _Kind) -> Score:
    """The model's compiled loss, else a cross-entropy fitting the targets."""
    compiled = getattr(model, "loss", None) if getattr(model, "compiled", False) else None
    if compiled is not None and not isinstance(compiled, (list, dict)):
        function = keras.losses.get(compiled)

        def score(y_true: Any, y_pred: Any) -> float:
            value = function(
                keras.ops.convert_to_tensor(y_true), keras.ops.convert_to_tensor(y_pred)
            )
            return float(np.mean(keras.ops.convert_to_numpy(value)))

        return score
    return functools.partial(_crossentropy, kind=kind)


def _crossentropy(y_true: Any, y_pred: Any, kind: _Kind) -> float:
    """Mean cross-entropy in float64: categorical for several classes (targets
    as indices or one-hot rows), binary for one output; logits are detected."""
    pred = np.asarray(y_pred, np.float64)
    true = np.asarray(y_true)
    if pred.ndim >= 2 and pred.shape[-1] > 1:
        looks = bool(pred.min() >= 0 and np.allclose(pred.sum(-1), 1.0, atol=1e-3))
        if kind.decide(pred, looks):
            log_p = np.log(np.clip(pred, 1e-7, 1.0))
        else:
            shifted = pred - pred.max(-1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
        if true.shape != pred.shape:
            one_hot = np.eye(pred.shape[-1])[true.astype(int).reshape(pred.shape[:-1])]
        else:
            one_hot = true.astype(np.float64)
        return float(-(one_hot * log_p).sum(-1).mean())
    p = pred.reshape(len(pred), -1)
    t = true.reshape(len(pred), -1).astype(np.float64)
    if not kind.decide(pred, bool(p.min() >= 0 and p.max() <= 1)):
        p = 1.0 / (1.0 + np.exp(-p))
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-(t * np.log(p) + (1 - t) * np.log(1 - p)).mean())
