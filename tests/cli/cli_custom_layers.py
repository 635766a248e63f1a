"""A custom layer class, not registered with Keras: loading needs `--custom-objects`.

Imported by name, `cli_custom_layers:Scale`, in the test process and in the
`kerascope` subprocesses (this folder is put on their PYTHONPATH).
"""

from __future__ import annotations

from typing import Any

import keras


class Scale(keras.layers.Layer):
    """Multiplies its inputs by a constant `factor`."""

    def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = float(factor)

    def call(self, inputs: Any) -> Any:
        return inputs * self.factor

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}
