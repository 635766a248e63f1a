"""PyTorch: the eager forward pass under `torch.no_grad`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import torch

from kerascope.backends._base import ForwardFn


class TorchBackend:
    name = "torch"
    static_batch = False

    @property
    def accelerated(self) -> bool:
        # Keras puts torch tensors on its default device: CUDA or MPS when present.
        device = keras.ops.convert_to_tensor(0.0).device
        return bool(device.type != "cpu")

    def compile(
        self, forward: ForwardFn, variables: Sequence[Any], input_spec: Any
    ) -> Callable[[Any], Any]:
        del variables, input_spec

        def call(inputs: Any) -> Any:
            tensors = keras.tree.map_structure(keras.ops.convert_to_tensor, inputs)
            with torch.no_grad():
                return forward(None, tensors)

        return call

    def to_numpy(self, tensor: Any) -> np.ndarray:
        # `.numpy()` of a CPU tensor shares its memory.
        return tensor.detach().cpu().numpy()  # type: ignore[no-any-return]
