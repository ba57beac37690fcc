"""The cache of compiled kernel-library objects (the mcu_*.c files are the same for every model), shared
by the host build (sim/host.py) and the firmware build (sim/target.py)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

from ..cache import cache_dir

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def object_cache(kind: str) -> Path | None:
    """The folder of cached kernel objects of one kind (host-objects, firmware-objects); None when
    MCUCOMPILE_OBJECT_CACHE=0 turns caching off or the folder cannot be made (then everything is built)."""
    if os.environ.get("MCUCOMPILE_OBJECT_CACHE", "1") == "0":
        return None
    d = cache_dir() / kind
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return d


def object_key(cc: str, flags: list[str], name: str, files: dict[str, str]) -> str:
    """What a compiled object depends on: compiler, flags, the source and the local headers it includes."""
    h = hashlib.sha256()
    path = shutil.which(cc) or cc
    try:
        st = os.stat(path)
        stamp = f"{st.st_size}\0{st.st_mtime_ns}"
    except OSError:
        stamp = ""
    h.update(f"{path}\0{stamp}\0{' '.join(flags)}\0".encode())
    todo, seen = [name], set()
    while todo:
        f = todo.pop()
        if f in seen or f not in files:
            continue
        seen.add(f)
        h.update(f"{f}\0{files[f]}\0".encode())
        todo += _INCLUDE.findall(files[f])
    return h.hexdigest()[:32]
