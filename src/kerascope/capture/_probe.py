"""`Probe`: a compiled, reusable extraction of layer outputs (Keras 2's `K.function`)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np

from kerascope import backends, data
from kerascope.capture._activations import Activations, LayerInfo, as_numpy_tree
from kerascope.capture._discovery import Discovery, discover_selection
from kerascope.capture._intercept import Recorder, layer_tree
from kerascope.capture._spec import batch_spec, check_model, input_names, unknown_dims
from kerascope.capture._spec import input_spec as input_spec_of
from kerascope.errors import CaptureError, InputError
from kerascope.select import LayerSelection

__all__ = ["Probe"]


class Probe:
    """Captures selected layers' outputs in one compiled forward pass.

    The layer tree is discovered and the extraction compiled once
    (`tf.function` on TensorFlow, `jax.jit` of a stateless call on JAX,
    `torch.no_grad` on torch); each `probe(x)` then runs one batch. Keys and
    output specs are known before the first call. Calls with a new batch size
    do not retrace (on JAX, batches are padded to a compiled size and trimmed).

    A model whose inputs have unknown dimensions besides the batch (token ids
    of any length, images of any size) is discovered on its first batch, with
    that batch's shapes, and compiled once per input shape it meets (like
    `model.predict`); its keys and specs are known from then on.

    Args:
        model: A built Keras model (Sequential, Functional or subclassed) or layer.
        layers: Which layers to capture: `None` for all, or a key, a glob, a
            compiled regex, a layer class, a layer, a predicate or a list of
            those (see `kerascope.select.resolve`). Defaults to `None`.
        training: Run layers in training mode (Dropout active, BatchNorm using
            batch statistics). The model's variables are never updated.
            Defaults to `False`.
        input_spec: The model's inputs as a `keras.KerasTensor` (or a structure
            of them), for models whose input shape Keras does not record.
            Defaults to `None` (inferred from the model).
        inputs: Also return the model's inputs, under their names (an input
            layer's name, or a dict input's key), before the layers.
            Defaults to `False`.
        reduce: A function `(key, output) -> tensors` applied to each selected
            output inside the compiled function, with `keras.ops`, so only its
            result (e.g. per-channel sums) is copied to the host. The probe
            then returns what it returns. Batches are not padded, so that
            reductions never see padding. Defaults to `None` (the outputs).

    Raises:
        InputError: if `model` is not a built Keras model.
        SelectionError: if `layers` selects nothing or names an unknown key.

    Example:

    >>> probe = kerascope.Probe(model, layers="conv*")     # doctest: +SKIP
    >>> probe.keys                                         # doctest: +SKIP
    ('conv1', 'conv2')
    >>> acts = probe(x_batch)                              # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        layers: LayerSelection = None,
        *,
        training: bool = False,
        input_spec: Any = None,
        inputs: bool = False,
        reduce: Callable[[str, Any], Any] | None = None,
        _hold_model: bool = True,
    ) -> None:
        check_model(model)
        self._model_ref = weakref.ref(model)
        # A Probe made by the user keeps its model alive, like a Keras function;
        # the ones `capture` caches must not.
        self._model = model if _hold_model else None
        self._training = bool(training)
        self._reduce = reduce
        self._selection = layers
        self._backend = backends.current()
        self._input_spec = input_spec_of(model, input_spec)
        self._model_inputs = input_names(model, self._input_spec)
        self._with_inputs = bool(inputs)
        self._tree = layer_tree(model)
        self._variables = list(model.variables)
        self._seed_variables = (
            [v for v in self._variables if v.name == "seed_generator_state"]
            if self._training
            else []
        )
        self._discovery: Discovery | None = None
        self._discovering = threading.Lock()
        if not unknown_dims(self._input_spec):
            self._discover(self._input_spec)
        self._compiled = self._backend.compile(self._forward, self._variables, self._input_spec)
        self._buckets: list[int] = []

    @property
    def keys(self) -> tuple[str, ...]:
        """The captured keys, in execution order (the inputs first, if asked for)."""
        return self._discovered().keys

    @property
    def specs(self) -> Mapping[str, LayerInfo]:
        """`LayerInfo` per key; the batch dimension of each shape is None.

        For a model whose inputs have unknown dimensions, the other
        dimensions are those of the batch it was discovered on.
        """
        return dict(self._discovered().info)

    @property
    def input_names(self) -> list[str]:
        """The model's inputs' names, in `keras.tree.flatten` order of the inputs:
        an input layer's name or a dict input's key (`[]` when unknown)."""
        return list(self._model_inputs)

    @property
    def layer_tree(self) -> list[Any]:
        """Every layer whose calls the probe intercepts, each once."""
        return list(self._tree)

    @property
    def discovered(self) -> bool:
        """Whether the keys and specs are known (see `discover`)."""
        return self._discovery is not None

    def discover(self, x: Any) -> None:
        """Discovers the layer calls on inputs shaped like the batch `x`.

        Only needed, before the first call, for a model whose inputs have
        unknown dimensions besides the batch: its keys and output shapes
        depend on them. Does nothing once discovered.

        Args:
            x: One batch, as for `__call__`.

        Raises:
            InputError: if `x` does not fit the model's inputs.
            SelectionError: for a selection that matches nothing.
            CaptureError: if the model cannot run on such inputs.
        """
        if self._discovery is None:
            batch, _ = data.prepare_batch(x, self._input_spec)
            self._discover(batch_spec(self._input_spec, batch))

    def _discover(self, spec: Any) -> Discovery:
        """Discovers the model on inputs like `spec`, once, whichever thread asks."""
        with self._discovering:
            if self._discovery is None:
                model = self._model_ref()
                if model is None:
                    raise CaptureError("The model of this Probe no longer exists.")
                self._discovery = discover_selection(
                    model,
                    self._tree,
                    spec,
                    training=self._training,
                    selection=self._selection,
                    input_names=self._model_inputs,
                    with_inputs=self._with_inputs,
                )
            return self._discovery

    def _discovered(self) -> Discovery:
        if self._discovery is not None:
            return self._discovery
        shapes = keras.tree.map_structure(lambda t: tuple(t.shape), self._input_spec)
        raise InputError(
            f"Expected a batch before the keys of model {self._model_name()!r} are known: its "
            "inputs have unknown dimensions besides the batch, and its layers' outputs depend "
            "on them. Call the probe on a batch (or `probe.discover(batch)`) first, or pass "
            "`input_spec=` with those dimensions. Received: a probe that has seen no batch, "
            f"for inputs of shape {shapes}"
        )

    @property
    def input_spec(self) -> Any:
        """The model's inputs as `keras.KerasTensor`s, or None if unknown."""
        return self._input_spec

    def __call__(self, x: Any) -> Activations:
        """Captures the selected layers' outputs for one batch.

        Args:
            x: One batch: an array, or a list/dict of arrays for a multi-input
                model, `(batch, ...)`.

        Returns:
            `Activations` with one array (or tuple/dict of arrays) per key.

        Raises:
            InputError: if `x` does not fit the model's inputs.
            CaptureError: if the forward pass fails.
        """
        batch, n = data.prepare_batch(x, self._input_spec)
        return self._activations(self.run_batch(batch, n))

    def run_batch(self, batch: Any, n: int) -> dict[str, Any]:
        """Runs a prepared numpy batch of `n` samples; returns key -> numpy outputs."""
        found = self._discovery or self._discover(batch_spec(self._input_spec, batch))
        padded = self._pad(batch, n, found)
        try:
            outputs, seeds = self._compiled(padded)
        except (InputError, CaptureError):
            raise
        except Exception as error:
            raise CaptureError(
                f"The forward pass of model {self._model_name()!r} failed on a batch of "
                f"{n} samples: {type(error).__name__}: {error}"
            ) from error
        # Random seeds advance, so repeated training-mode captures draw fresh
        # dropout masks; nothing else about the model changes.
        for variable, seed in zip(self._seed_variables, seeds):
            if seed is not None:
                variable.assign(seed)
        host = self._backend.to_numpy({key: outputs[key] for key in found.layer_keys})
        result = dict(zip(found.input_keys, keras.tree.flatten(batch)))
        for key in found.layer_keys:
            value = host[key]
            if padded is not batch:  # trims the padding (every output has a batch axis)
                value = keras.tree.map_structure(lambda a: a[:n], value)
            result[key] = as_numpy_tree(value)
        return result

    def forward(self, inputs: Any, values: list[Any] | None = None) -> dict[str, Any]:
        """The selected outputs as backend tensors, for use inside a function
        the caller differentiates or compiles (feature visualization).

        Uncompiled and differentiable; the pass stops after the last selected
        layer (later layers never run). No variable changes.

        Args:
            inputs: Backend tensors (or a structure of them) for the model's inputs.
            values: The values of `model.variables`, in that order, for a
                stateless call (inside `jax.jit`); `None` reads the variables.
                Defaults to `None`.

        Returns:
            key -> output tensor (tuple/dict for multi-output layers).

        Raises:
            CaptureError: if the model no longer exists or skips a selected layer.
        """
        outputs, _ = self._forward(values, inputs)
        return outputs

    def batched(self, key: str) -> list[bool]:
        """Per leaf of `key`'s output (`keras.tree.flatten` order), whether it has
        a batch axis. A position embedding `(length, dim)` computed from
        constants has none: it is the same for every sample."""
        return list(self._discovered().batched[key])

    @property
    def compiles(self) -> bool:
        """Whether the forward pass compiles (not on torch, which runs eagerly)."""
        return self._backend.compiles

    def prepare(self, batch: Any, n: int) -> None:
        """Compiles the forward pass for a prepared batch's shapes; changes nothing.

        Safe in another thread while the model trains (on JAX it reads only
        the variables' shapes, see `Compiled.prepare`): the `ActivationMonitor`
        compiles its probe this way during the first epoch. Nothing happens
        on torch, where nothing compiles.
        """
        found = self._discovery or self._discover(batch_spec(self._input_spec, batch))
        self._compiled.prepare(self._pad(batch, n, found))

    def _activations(self, arrays: dict[str, Any]) -> Activations:
        return Activations(arrays, self._discovered().info)

    # -- the forward pass -------------------------------------------------------

    def _forward(self, values: list[Any] | None, inputs: Any) -> tuple[dict[str, Any], list[Any]]:
        """The pure function each backend compiles.

        Returns the recorded outputs by key and, in training mode, the advanced
        random-seed states. Runs in a `StatelessScope`, so no layer state
        (BatchNorm statistics) changes, even with `training=True`.
        """
        model = self._model_ref()
        if model is None:
            raise CaptureError("The model of this Probe no longer exists.")
        found = self._discovered()
        mapping = None if values is None else list(zip(self._variables, values))
        recorder = Recorder(found.key_of, found.wanted)
        with keras.StatelessScope(state_mapping=mapping) as scope:
            with recorder.recording(self._tree):
                model(inputs, training=self._training)
            seeds = [scope.get_current_value(v) for v in self._seed_variables]
        _check_recorded(found, recorder)
        outputs = recorder.outputs
        if self._reduce is not None:  # summaries of outputs that have a batch axis
            outputs = {
                key: self._reduce(key, value) if all(found.batched[key]) else value
                for key, value in outputs.items()
            }
        return outputs, seeds

    def _run_tapped(self, inputs: Any, tap: Callable[[str, Any], Any]) -> Any:
        """Runs the whole model on `inputs`, uncompiled, passing each selected
        output (and each input, with `inputs=True`) through `tap`; returns the
        model's outputs. No variable changes.
        """
        model = self._model_ref()
        if model is None:
            raise CaptureError("The model of this Probe no longer exists.")
        found = self._discovered()
        if found.input_keys:
            leaves = keras.tree.flatten(inputs)
            tapped = [tap(name, leaf) for name, leaf in zip(found.input_keys, leaves)]
            inputs = keras.tree.pack_sequence_as(inputs, tapped)
        recorder = Recorder(found.key_of, found.wanted, tap=tap)
        with keras.StatelessScope(), recorder.recording(self._tree):
            outputs = model(inputs, training=self._training)
        _check_recorded(found, recorder)
        return outputs

    def _pad(self, batch: Any, n: int, found: Discovery) -> Any:
        """On JAX, pads a batch to a compiled size, so no size compiles twice.

        Not where padding could change a result: in training mode, for
        reductions, or when an output has no batch axis (a mean over the
        batch would take in the padding).
        """
        if (
            not self._backend.static_batch
            or self._training
            or self._reduce is not None
            or not found.all_batched
        ):
            return batch
        size = next((b for b in sorted(self._buckets) if b >= n), None)
        if size is None:
            size = 1 << max(0, n - 1).bit_length()
            self._buckets.append(size)
        if size == n:
            return batch
        return keras.tree.map_structure(
            lambda a: np.concatenate([a, np.zeros((size - n, *a.shape[1:]), a.dtype)]), batch
        )

    def _model_name(self) -> str:
        model = self._model_ref()
        return model.name if model is not None else "<deleted>"

    def __repr__(self) -> str:
        count = f"{len(self.keys)} layers" if self.discovered else "layers known after a batch"
        return (
            f"Probe(model={self._model_name()!r}, {count}, "
            f"backend={self._backend.name!r}, training={self._training})"
        )


def _check_recorded(found: Discovery, recorder: Recorder) -> None:
    missing = found.wanted - set(recorder.outputs)
    if missing:
        raise CaptureError(
            f"The forward pass did not call the layers for keys {sorted(missing)}, "
            "although discovery did. Does the model's `call` branch on its inputs' values?"
        )
