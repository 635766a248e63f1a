"""TensorFlow: one `tf.function` traced for every batch size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kerascope.backends._base import ForwardFn, Tap


class TensorFlowBackend:
    name = "tensorflow"
    static_batch = False
    prefetch = True

    @property
    def accelerated(self) -> bool:
        return bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))

    def compile(
        self, forward: ForwardFn, variables: Sequence[Any], input_spec: Any
    ) -> Callable[[Any], Any]:
        del variables  # tf.function reads the model's variables by reference.
        signature = None
        if input_spec is not None:
            signature = [
                keras.tree.map_structure(
                    lambda spec: tf.TensorSpec(spec.shape, spec.dtype), input_spec
                )
            ]
        return tf.function(  # type: ignore[no-any-return]
            lambda inputs: forward(None, inputs),
            input_signature=signature,
            autograph=False,
            reduce_retracing=True,
        )

    def to_numpy(self, tensor: Any) -> np.ndarray:
        # `EagerTensor.numpy()` always copies; `np.asarray` shares the CPU
        # buffer. For all layers of a CNN that copy doubled the capture time.
        return np.asarray(tensor)

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
