"""Capture layer outputs: `capture`, `Probe`, `Activations`, `layers`."""

from kerascope.capture._activations import Activations, LayerInfo
from kerascope.capture._api import capture
from kerascope.capture._cache import cached_probe, state_token
from kerascope.capture._edited import run_edited
from kerascope.capture._gradcam import gradcam, gradcam_maps
from kerascope.capture._gradients import gradients
from kerascope.capture._layers import input_spec, layers
from kerascope.capture._probe import Probe

__all__ = [
    "Activations",
    "LayerInfo",
    "Probe",
    "cached_probe",
    "capture",
    "gradcam",
    "gradcam_maps",
    "gradients",
    "input_spec",
    "layers",
    "run_edited",
    "state_token",
]
