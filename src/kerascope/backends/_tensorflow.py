"""TensorFlow: one `tf.function` traced for every batch size.

Inputs whose shapes leave other dimensions unknown (sequences of any length,
images of any size) get one function per input shape, each traced with every
dimension but the batch known: some layers (`TimeDistributed`, KerasHub's
position embeddings) need those dimensions while tracing, as in `predict`.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kerascope.backends._base import Compiled, ForwardFn, LossFn, StepFn, Tap, UpdateFn


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
        if input_spec is not None and not any(
            None in tuple(spec.shape)[1:] for spec in keras.tree.flatten(input_spec)
        ):
            return _Traced(_function(forward, input_spec))
        return _PerShape(forward)

    def to_numpy(self, tensors: Any) -> Any:
        # `EagerTensor.numpy()` always copies; `np.asarray` shares the CPU
        # buffer. For all layers of a CNN that copy doubled the capture time.
        return keras.tree.map_structure(np.asarray, tensors)

    def gradient_step(self, loss: LossFn, update: UpdateFn, variables: Sequence[Any]) -> StepFn:
        del variables  # the tape reads the model's variables by reference, unwatched.

        def step(params: Any, state: Any, extra: Any) -> tuple[Any, Any, Any]:
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(params)
                value, aux = loss(None, params, extra)
            grads = tape.gradient(value, params, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            params, state = update(params, grads, state, extra)
            return params, state, aux

        # Traced once: later steps feed tensors of the same shapes.
        return tf.function(step, autograph=False)  # type: ignore[no-any-return]

    def gradients(self, loss_of: Callable[[Tap], Any]) -> dict[str, list[np.ndarray]]:
        watched: dict[str, list[Any]] = {}
        with tf.GradientTape() as tape:

            def tap(key: str, outputs: Any) -> Any:
                leaves = keras.tree.flatten(outputs)
                tape.watch(leaves)
                watched[key] = leaves
                # A fresh tensor flows on: Keras marks softmax/sigmoid outputs with
                # their logits (`_keras_logits`), and a cross-entropy would read
                # those, leaving the watched probabilities without a gradient.
                return keras.tree.pack_sequence_as(outputs, [tf.identity(t) for t in leaves])

            loss = loss_of(tap)
        grads = tape.gradient(loss, watched, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return {key: [np.asarray(g) for g in leaves] for key, leaves in grads.items()}


def _function(forward: ForwardFn, input_spec: Any) -> Any:
    """`forward` as a `tf.function` traced once for inputs like `input_spec`."""
    signature = keras.tree.map_structure(
        lambda spec: tf.TensorSpec(spec.shape, spec.dtype), input_spec
    )
    return tf.function(
        lambda inputs: forward(None, inputs),
        input_signature=[signature],
        autograph=False,
        reduce_retracing=True,
    )


class _PerShape:
    """One `tf.function` per input shape (the batch dimension left free).

    The most recently used `_SHAPES` are kept, so a dataset of a few lengths
    traces each once, and one of a thousand lengths holds a bounded number of
    graphs (bucket the lengths, `padded_batch`, to trace fewer).
    """

    def __init__(self, forward: ForwardFn) -> None:
        self._forward = forward
        self._functions: collections.OrderedDict[Any, _Traced] = collections.OrderedDict()

    def _for(self, inputs: Any) -> _Traced:
        leaves = keras.tree.flatten(inputs)
        signature = tuple((tuple(a.shape[1:]), str(a.dtype)) for a in leaves)
        traced = self._functions.get(signature)
        if traced is None:
            spec = keras.tree.map_structure(
                lambda a: keras.KerasTensor((None, *a.shape[1:]), dtype=str(a.dtype)), inputs
            )
            traced = self._functions[signature] = _Traced(_function(self._forward, spec))
            if len(self._functions) > _SHAPES:
                self._functions.popitem(last=False)
        else:
            self._functions.move_to_end(signature)
        return traced

    def __call__(self, inputs: Any) -> Any:
        return self._for(inputs)(inputs)

    def prepare(self, inputs: Any) -> None:
        self._for(inputs).prepare(inputs)


#: Traced functions kept per probe for inputs of unknown dimensions.
_SHAPES = 32


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
