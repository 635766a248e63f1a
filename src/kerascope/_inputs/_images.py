"""Images from files (pillow), converted, resized and scaled for a model's input."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kerascope.errors import InputError

if TYPE_CHECKING:
    import numpy as np

# numpy and Keras are imported in the functions that read images: the command
# line's `--help` imports this module for `PREPROCESS`, and must start at once.

__all__ = ["IMAGE_SUFFIXES", "PREPROCESS", "read_images", "shape_str"]

#: The ways pixel values 0..255 are scaled for the model.
PREPROCESS = ("unit", "raw", "symmetric", "imagenet")
#: File suffixes read as images (by pillow); other files in a directory are skipped.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
# torchvision's ImageNet normalisation, RGB.
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def read_images(files: list[Path], spec: Any, preprocess: str) -> np.ndarray:
    """Reads, converts, resizes and scales images for a model's one image input.

    Args:
        files: The image files, in order.
        spec: The model's inputs (`keras.KerasTensor`, or a list or dict of one).
        preprocess: One of `PREPROCESS`.

    Returns:
        A float32 array `(samples, height, width, channels)`, channels first
        if the input is, without the channel axis for a `(batch, height,
        width)` input.

    Raises:
        InputError: for a model without one image input, or an unreadable file.
        ImportError: when pillow is not installed.
    """
    import keras
    import numpy as np

    specs = list(spec.values()) if isinstance(spec, dict) else keras.tree.flatten(spec)
    if len(specs) != 1:
        raise InputError(
            "Expected a model with one image input to read image files (for several inputs, "
            f"pass a .npz with one array per input). Received: a model with {len(specs)} inputs"
        )
    shape = tuple(specs[0].shape)
    height, width, channels, first = _image_layout(shape)
    if preprocess == "imagenet" and channels != 3:
        raise InputError(
            "Expected a model with 3 (RGB) input channels for --preprocess imagenet. "
            f"Received: input shape {shape_str(shape)}"
        )
    mode = "RGB" if channels == 3 else "L"
    pixels = [_read_image(file, mode, height, width) for file in files]
    if len({p.shape for p in pixels}) > 1:
        raise InputError(
            "Expected images of one size for a model with a free height and width. "
            f"Received: sizes {sorted({p.shape[:2] for p in pixels})}"
        )
    batch = _scale(np.stack(pixels), preprocess)
    if channels == 1:
        batch = batch[..., None]
    if first:
        batch = np.moveaxis(batch, -1, 1)
    return batch


def _read_image(file: Path, mode: str, height: int | None, width: int | None) -> np.ndarray:
    """One image as float32 0..255 pixels, in `mode`, resized to (height, width) if given."""
    import numpy as np

    try:
        from PIL import Image, ImageOps
    except ImportError as error:
        raise ImportError(
            "Reading images needs pillow. Install it with `pip install kerascope[viz]`."
        ) from error
    try:
        with Image.open(file) as opened:
            image = ImageOps.exif_transpose(opened).convert(mode)
    except (OSError, ValueError) as error:
        raise InputError(
            f"Expected an image file pillow can read. Received: {str(file)!r} "
            f"({type(error).__name__}: {error})"
        ) from error
    size = (width or image.width, height or image.height)
    if image.size != size:
        # Bilinear, antialiased when shrinking (pillow filters over the source).
        image = image.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(image, np.float32)


def _image_layout(shape: tuple[int | None, ...]) -> tuple[int | None, int | None, int | None, bool]:
    """(height, width, channels or None, channels_first) of an image input shape."""
    import keras

    if len(shape) == 3:  # (batch, height, width): grey without a channel axis
        return shape[1], shape[2], None, False
    if len(shape) == 4:
        last = shape[-1] in (1, 3)
        if last and not (
            shape[1] in (1, 3) and keras.config.image_data_format() == "channels_first"
        ):
            return shape[1], shape[2], shape[3], False
        if shape[1] in (1, 3):
            return shape[2], shape[3], shape[1], True
    raise InputError(
        "Expected a model whose input is a batch of images, (batch, height, width, 1 or 3 "
        f"channels). Received: input shape {shape_str(shape)}"
    )


def _scale(pixels: np.ndarray, preprocess: str) -> np.ndarray:
    """Pixel values 0..255 (float32) scaled as `preprocess` says."""
    import numpy as np

    scaled: np.ndarray
    if preprocess == "raw":
        scaled = pixels
    elif preprocess == "symmetric":
        scaled = pixels / np.float32(127.5) - np.float32(1.0)
    elif preprocess == "imagenet":
        mean = np.array(_IMAGENET_MEAN, np.float32)
        std = np.array(_IMAGENET_STD, np.float32)
        scaled = (pixels / np.float32(255.0) - mean) / std
    else:
        scaled = pixels / np.float32(255.0)
    return scaled


def shape_str(shape: tuple[int | None, ...]) -> str:
    """`(None, 8, 8, 1)`, as Keras prints shapes."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
