"""TensorFlow: one `tf.function` traced for every batch size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kerascope.backends._base import Compiled, ForwardFn, Tap


class TensorFlowBackend:
    name = "tensorflow"
    static_batch = False
    prefetch = True
    compiles = True

    @property
    def accelerated(self) -> bool:
        return bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))

    def compile(self, forward: ForwardFn, variables: Sequence[Any], input_spec: Any) -> Compiled:
        del variables  # tf.function reads the model's variables by reference.
        signature = None
        if input_spec is not None:
            signature = [
                keras.tree.map_structure(
                    lambda spec: tf.TensorSpec(spec.shape, spec.dtype), input_spec
                )
            ]
        return _Traced(
            tf.function(
                lambda inputs: forward(None, inputs),
                input_signature=signature,
                autograph=False,
                reduce_retracing=True,
            )
        )

    def to_numpy(self, tensors: Any) -> Any:
        # `EagerTensor.numpy()` always copies; `np.asarray` shares the CPU
        # buffer. For all layers of a CNN that copy doubled the capture time.
        return keras.tree.map_structure(np.asarray, tensors)

    def gradients(self, loss_of: Callable[[Tap], Any]) -> dict[str, list[np.ndarray]]:
        watched: dict[str, list[Any]] = {}
        with tf.GradientTape() as tape:

            def tap(key: str, outputs: Any) -> Any:
                leaves = keras.tree.flatten(outputs)
                tape.watch(leaves)
                watched[key] = leaves
                return outputs

            loss = loss_of(tap)
        grads = tape.gradient(loss, watched, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return {key: [np.asarray(g) for g in leaves] for key, leaves in grads.items()}


class _Traced:
    """A `tf.function` of the inputs; `prepare` traces it ahead."""

    def __init__(self, function: Any) -> None:
        self._function = function

    def __call__(self, inputs: Any) -> Any:
        return self._function(inputs)

    def prepare(self, inputs: Any) -> None:
        # Runs once, discarding the result: a graph's first execution also
        # optimises it (grappler), as costly as the trace. Safe while the
        # model trains: TensorFlow variables are read like in any call.
        self._function(inputs)
