"""`load_inputs`: image files, directories of images, or arrays -> a batch for a model."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kerascope._inputs._arrays import ARRAY_SUFFIXES, read_arrays
from kerascope._inputs._images import IMAGE_SUFFIXES, PREPROCESS, read_images
from kerascope.capture import input_spec
from kerascope.errors import InputError

__all__ = ["load_inputs"]


def load_inputs(
    paths: Sequence[str | os.PathLike[str]],
    model: Any,
    *,
    preprocess: str = "unit",
    key: str | None = None,
) -> np.ndarray | dict[str, np.ndarray]:
    """Reads image files or arrays as a batch for `model`.

    Images (files, or every image in a directory, sorted by name) are read
    with pillow, converted to grey or RGB by the model's channel count,
    resized (bilinear, antialiased) to the model's height and width, scaled
    by `preprocess`, and stacked into `(samples, height, width, channels)`
    (channels first if the model's input is). Arrays are read from `.npy`
    files, or `.npz` files: its single array, the array `key`, or for a
    multi-input model the arrays named like its inputs. Several files are
    concatenated along the sample axis; an array of one sample may omit it.

    Args:
        paths: Image files, directories of images, or `.npy`/`.npz` files.
        model: The Keras model the inputs are for.
        preprocess: How pixel values 0..255 are scaled: `"unit"` to [0, 1],
            `"raw"` kept as 0..255 floats, `"symmetric"` to [-1, 1],
            `"imagenet"` to [0, 1], then normalised by ImageNet's RGB mean
            and std (torchvision's). Arrays are used as they are.
            Defaults to `"unit"`.
        key: The array to read from `.npz` files. Defaults to `None`.

    Returns:
        An array `(samples, ...)` (float32 for images; arrays keep their
        dtype), or a dict of arrays by input name for a multi-input model.

    Raises:
        InputError: for missing or unreadable files, a directory without
            images, images and arrays mixed, or inputs that do not fit the
            model's input shape.
        ImportError: for images when pillow is not installed.

    Example:

    >>> x = load_inputs(["cat.jpg", "dog.png"], model, preprocess="imagenet")  # doctest: +SKIP
    >>> x.shape                                                              # doctest: +SKIP
    (2, 224, 224, 3)
    """
    if preprocess not in PREPROCESS:
        raise InputError(f"Expected preprocess in {list(PREPROCESS)}. Received: {preprocess!r}")
    spec = input_spec(model)
    if spec is None:
        raise InputError(
            f"Expected a model with a known input shape. Received: model {model.name!r}, "
            "built without one"
        )
    files = _expand(paths)
    arrays = [f for f in files if f.suffix.lower() in ARRAY_SUFFIXES]
    if arrays and len(arrays) < len(files):
        raise InputError(
            "Expected INPUTS to be images or arrays, not both. "
            f"Received: {len(files) - len(arrays)} images and {len(arrays)} array files"
        )
    if key is not None and not any(f.suffix.lower() == ".npz" for f in files):
        raise InputError(f"Expected .npz inputs for --key {key!r}. Received: no .npz file")
    if arrays:
        return read_arrays(arrays, spec, key)
    return read_images(files, spec, preprocess)


def _expand(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The input files: files as given, directories as their images sorted by name."""
    if not paths:
        raise InputError("Expected at least one input file or directory. Received: none")
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            images = sorted(
                (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                key=lambda p: p.name,
            )
            if not images:
                raise InputError(
                    f"Expected a directory with image files ({', '.join(sorted(IMAGE_SUFFIXES))})"
                    f". Received: {str(path)!r}, which holds none"
                )
            files.extend(images)
        elif not path.exists():
            raise InputError(
                "Expected INPUTS to be image files, directories of images, or .npy/.npz "
                f"arrays. Received: {str(path)!r}, which does not exist"
            )
        elif path.suffix.lower() in IMAGE_SUFFIXES | ARRAY_SUFFIXES:
            files.append(path)
        else:
            raise InputError(
                "Expected INPUTS to be image files "
                f"({', '.join(sorted(IMAGE_SUFFIXES))}), directories of images, or .npy/.npz "
                f"arrays. Received: {str(path)!r}"
            )
    return files
