"""Calibration data for the Keras -> int8 conversion: float samples from .npy/.npz files or image folders.

No TensorFlow here: images are decoded with Pillow (the `[convert]` extra). Every loader returns one
float32 array [N, *shape] per model input, in the model's input order.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import McuCompileError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


class CalibrationError(McuCompileError):
    """The calibration data cannot be used with this model."""


@dataclass(frozen=True)
class InputSpec:
    name: str
    shape: tuple          # without the batch dimension

    def describe(self) -> str:
        return f"{self.name!r} {list(self.shape)}"


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def source_digest(path: str | os.PathLike, samples: int | None = None) -> str:
    """sha256 of the calibration source as stored (file bytes; for a folder, the images' names and bytes)
    without decoding anything, so that a cache lookup stays cheap."""
    path = Path(path)
    h = hashlib.sha256()
    if path.is_dir():
        files = image_files(path)
        if samples is not None:
            files = files[:samples]
        for p in files:
            h.update(str(p.relative_to(path)).encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    elif path.is_file():
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    else:
        raise CalibrationError(f"{path}: no such file or folder (calibration data)")
    return h.hexdigest()


def load_calibration(path: str | os.PathLike, specs: Sequence[InputSpec], samples: int | None = None,
                     image_range: tuple[float, float] = (0.0, 1.0)) -> list[np.ndarray]:
    """Float samples for every model input from a .npy/.npz file or a folder of images."""
    path = Path(path)
    if not path.exists():
        raise CalibrationError(f"{path}: no such file or folder (calibration data)")
    if path.is_dir():
        arrays = [_load_images(path, specs, samples, image_range)]
    elif path.suffix.lower() in (".npy", ".npz"):
        arrays = _load_arrays(path, specs)
    else:
        raise CalibrationError(f"{path}: calibration data must be a .npy/.npz file of float samples or a folder "
                               f"of images ({', '.join(IMAGE_SUFFIXES)})")
    if samples is not None:
        arrays = [a[:samples] for a in arrays]
    n = {len(a) for a in arrays}
    if len(n) != 1:
        raise CalibrationError(f"{path}: the inputs have different sample counts {sorted(n)}")
    if n == {0}:
        raise CalibrationError(f"{path}: holds no samples")
    for a, s in zip(arrays, specs):
        if not np.all(np.isfinite(a)):
            raise CalibrationError(f"{path}: input {s.name!r} holds NaN or infinite values")
    return arrays


def random_calibration(specs: Sequence[InputSpec], samples: int, seed: int = 0,
                       value_range: tuple[float, float] = (0.0, 1.0)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(*value_range, size=(samples, *s.shape)).astype(np.float32) for s in specs]


def _fit(a: np.ndarray, spec: InputSpec, where: str) -> np.ndarray:
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise CalibrationError(f"{where}: dtype {a.dtype} is not numeric")
    if tuple(a.shape) == tuple(spec.shape):
        a = a[None]
    if tuple(a.shape[1:]) != tuple(spec.shape):
        raise CalibrationError(f"{where}: array shape {list(a.shape)} fits neither {list(spec.shape)} nor "
                               f"[N, *{list(spec.shape)}] (model input {spec.name!r})")
    if np.issubdtype(a.dtype, np.integer):
        raise CalibrationError(f"{where}: integer array ({a.dtype}); give float samples exactly as the float "
                               f"model expects them (already scaled), e.g. images / 255.0")
    return np.ascontiguousarray(a, dtype=np.float32)


def _load_arrays(path: Path, specs: Sequence[InputSpec]) -> list[np.ndarray]:
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as e:
        raise CalibrationError(f"{path}: cannot read as .npy/.npz ({e})") from None
    if isinstance(z, np.lib.npyio.NpzFile):
        with z:
            keys = list(z.files)
            if len(specs) == 1 and len(keys) == 1:
                return [_fit(z[keys[0]], specs[0], f"{path}[{keys[0]}]")]
            missing = [s.name for s in specs if s.name not in keys]
            if missing:
                raise CalibrationError(f"{path}: no array for model input(s) {missing}; it holds {keys} "
                                       f"(key the arrays by input name: {[s.name for s in specs]})")
            return [_fit(z[s.name], s, f"{path}[{s.name}]") for s in specs]
    if len(specs) != 1:
        raise CalibrationError(f"{path}: the model has {len(specs)} inputs {[s.name for s in specs]}: give an "
                               f".npz keyed by input name")
    return [_fit(z, specs[0], str(path))]


def _load_images(folder: Path, specs: Sequence[InputSpec], samples: int | None,
                 image_range: tuple[float, float]) -> np.ndarray:
    if len(specs) != 1:
        raise CalibrationError(f"{folder}: an image folder can only calibrate a model with one input; this one "
                               f"has {len(specs)}: give an .npz keyed by input name")
    spec = specs[0]
    if len(spec.shape) != 3 or spec.shape[-1] not in (1, 3):
        raise CalibrationError(f"{folder}: images need a model input of shape [H, W, 1 or 3]; input "
                               f"{spec.describe()} is not an image (give a .npy/.npz instead)")
    try:
        from PIL import Image
    except ImportError:
        raise CalibrationError("reading calibration images needs Pillow: pip install -e .[convert]") from None
    files = image_files(folder)
    if samples is not None:
        files = files[:samples]
    if not files:
        raise CalibrationError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    h, w, c = spec.shape
    lo, hi = image_range
    out = np.empty((len(files), h, w, c), np.float32)
    for k, p in enumerate(files):
        try:
            with Image.open(p) as im:
                im = im.convert("L" if c == 1 else "RGB")
                if im.size != (w, h):
                    im = im.resize((w, h), Image.BILINEAR)
                a = np.asarray(im, dtype=np.float32).reshape(h, w, c)
        except Exception as e:
            raise CalibrationError(f"{p}: cannot decode this image ({type(e).__name__}: {e})") from None
        out[k] = lo + a * ((hi - lo) / 255.0)
    return out
