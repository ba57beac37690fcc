"""The per-user cache folder: conversions, compiled kernel objects, the QEMU plugin.

$MCUCOMPILE_CACHE when set, else the platform's user cache folder (platformdirs: $XDG_CACHE_HOME or
~/.cache on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows) + "mcucompile".
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    if os.environ.get("MCUCOMPILE_CACHE"):
        return Path(os.environ["MCUCOMPILE_CACHE"])
    return Path(platformdirs.user_cache_dir("mcucompile", appauthor=False))
