"""Call interception: record every call of every layer in a model's layer tree.

Keras 3 has no forward hooks, so a `Recorder` wraps the `call` method of each
layer of the tree, on the instance, for the duration of one forward pass (or
one trace of it: under `tf.function` and `jax.jit` the wrappers only run while
the backend traces, so compiled calls pay nothing). The wrappers are always
removed, even when the forward pass raises.

A call is identified by its raw path: one `(layer name, call number)` segment
per enclosing layer call, e.g. `(("encoder", 1), ("conv1", 0))`. Discovery runs
one forward pass recording every call; `finalize_keys` turns raw paths into the
public keys (`encoder:1/conv1`), keeping a bare name for layers called once.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kerascope.capture import _keras_internals

__all__ = ["RawPath", "Recorder", "finalize_keys", "layer_tree"]

Segment = tuple[str, int]
RawPath = tuple[Segment, ...]

_active: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar(
    "kerascope_recorder", default=None
)
# Patching and unpatching must not interleave between threads.
_patch_lock = threading.RLock()


class _StopForward(BaseException):
    """Ends a forward pass once every wanted call is recorded.

    A `BaseException`, so `except Exception` in user or Keras code lets it
    through. Keras re-creates exceptions with extra context, so it must accept
    a message.
    """


def layer_tree(root: Any) -> list[Any]:
    """Every layer below `root` in the layer tree, each once, in tree order."""
    seen = {id(root)}
    ordered: list[Any] = []
    stack = list(reversed(_keras_internals.direct_sublayers(root)))
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        ordered.append(layer)
        stack.extend(reversed(_keras_internals.direct_sublayers(layer)))
    return ordered


class Recorder:
    """Records layer outputs during one forward pass.

    Args:
        key_of: Maps raw paths to public keys. `None` records every call under
            its raw path (discovery).
        wanted: The public keys to record. `None` records every known key.
            Once all are recorded, the forward pass stops early (unless `tap`).
        tap: A function `(key, outputs) -> outputs` applied to each recorded
            output; what it returns goes on through the model (to watch or
            perturb an activation). With a tap the pass always runs to the end.
            Defaults to `None`.
    """

    def __init__(
        self,
        key_of: Mapping[RawPath, str] | None = None,
        wanted: frozenset[str] | None = None,
        tap: Callable[[str, Any], Any] | None = None,
    ) -> None:
        self._key_of = key_of
        self._wanted = wanted
        self._tap = tap
        self._stack: list[RawPath] = [()]
        self._counts: dict[tuple[RawPath, str], int] = {}
        self.outputs: dict[Any, Any] = {}
        self.layers: dict[RawPath, Any] = {}

    def _enter(self, layer: Any) -> RawPath:
        parent = self._stack[-1]
        count_key = (parent, layer.name)
        index = self._counts.get(count_key, 0)
        self._counts[count_key] = index + 1
        path = (*parent, (layer.name, index))
        self._stack.append(path)
        return path

    def _exit(self, path: RawPath, layer: Any, outputs: Any) -> Any:
        self._stack.pop()
        if self._key_of is None:
            self.outputs[path] = outputs
            self.layers[path] = layer
            return outputs
        key = self._key_of.get(path)
        if key is None or (self._wanted is not None and key not in self._wanted):
            return outputs
        if self._tap is not None:
            outputs = self._tap(key, outputs)
        self.outputs[key] = outputs
        complete = self._wanted is not None and len(self.outputs) == len(self._wanted)
        if complete and self._tap is None:
            raise _StopForward("all selected layers recorded")
        return outputs

    def _wrap(self, layer: Any, call: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(call)
        def recording_call(*args: Any, **kwargs: Any) -> Any:
            if _active.get() is not self:
                return call(*args, **kwargs)
            path = self._enter(layer)
            try:
                outputs = call(*args, **kwargs)
            except BaseException:
                self._stack.pop()
                raise
            return self._exit(path, layer, outputs)

        return recording_call

    @contextlib.contextmanager
    def recording(self, layers: Sequence[Any]) -> Iterator[Recorder]:
        """Intercepts the calls of `layers` while the block runs.

        Stops quietly when the recorder has all it wants. The layers' `call`
        attributes are restored on exit, whatever happens.
        """
        with _patch_lock:
            restore: list[tuple[Any, bool, Any]] = []
            token = _active.set(self)
            try:
                for layer in layers:
                    own = vars(layer)
                    restore.append((layer, "call" in own, own.get("call")))
                    # `object.__setattr__` skips Keras' and torch's attribute
                    # tracking: a function is not state, and must not look like it.
                    object.__setattr__(layer, "call", self._wrap(layer, layer.call))
                with contextlib.suppress(_StopForward):
                    yield self
            finally:
                _active.reset(token)
                for layer, had_own, previous in reversed(restore):
                    if had_own:
                        object.__setattr__(layer, "call", previous)
                    else:
                        object.__delattr__(layer, "call")


def finalize_keys(paths: Sequence[RawPath]) -> dict[RawPath, str]:
    """Public keys for recorded raw paths.

    A segment keeps its bare name when its layer was called once in that
    context, and becomes `name:index` when it was called more than once.
    """
    calls_per_context: dict[tuple[RawPath, str], int] = {}
    for path in paths:
        for depth in range(len(path)):
            parent, (name, index) = path[:depth], path[depth]
            count_key = (parent, name)
            calls_per_context[count_key] = max(calls_per_context.get(count_key, 0), index + 1)

    def segment(parent: RawPath, name: str, index: int) -> str:
        return name if calls_per_context[(parent, name)] == 1 else f"{name}:{index}"

    return {path: "/".join(segment(path[:d], *path[d]) for d in range(len(path))) for path in paths}
