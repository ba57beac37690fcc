"""The per-user cache folder: conversions, compiled kernel objects, the QEMU plugin.

$MCUCOMPILE_CACHE when set, else the platform's user cache folder (platformdirs: $XDG_CACHE_HOME or
~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows) + "mcucompile".
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    if os.environ.get("MCUCOMPILE_CACHE"):
        return Path(os.environ["MCUCOMPILE_CACHE"])
    return Path(platformdirs.user_cache_dir("mcucompile", appauthor=False))


def temp_beside(path: Path) -> Path:
    """A fresh temporary name in `path`'s folder (unique per process, thread and call) to write `path` under
    before `os.replace(tmp, path)`: processes sharing the cache (parallel test workers, two builds at once)
    then see either no file or a whole one, never a half-written .o/.so/.tflite."""
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """path.write_bytes(data), atomically (a temporary file beside it, then os.replace)."""
    tmp = temp_beside(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
