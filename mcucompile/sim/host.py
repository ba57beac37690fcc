"""Build the generated C with the host compiler and run it on inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cache import temp_beside
from ..codegen.generate import Compiled, link_libs, render, render_host_main
from ..errors import BuildError
from .objects import object_cache, object_key

HOST_CFLAGS = ["-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]


@dataclass
class HostRun:
    outputs: list[np.ndarray]       # one array per model output, [N, *shape]
    stats: dict                     # touched_bytes, touched_extent, guard_violations, nondeterministic


def host_compiler() -> str:
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        raise BuildError("no host C compiler found: install gcc (Debian package `gcc`)")
    return cc


def build_host(c: Compiled, workdir: Path, sanitize: bool = True) -> Path:
    """Compile and link the generated sources with the host compiler. The kernel library's objects (the
    mcu_*.c files, the same for every model) are kept in a cache keyed by compiler, flags, source and
    included headers; the model's own sources are always compiled."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = dict(c.files or render(c))
    files["host_main.c"] = render_host_main(c)
    for rel, text in files.items():
        (workdir / rel).write_text(text)
    cc = host_compiler()
    flags = [*HOST_CFLAGS, *(SANITIZE if sanitize else [])]
    srcs = [f for f in files if f.endswith(".c")]
    cache = object_cache("host-objects")
    objs, jobs = [], []
    for f in srcs:
        if not f.startswith("mcu_") or cache is None:
            objs.append(f)
            continue
        obj = cache / f"{Path(f).stem}-{object_key(cc, flags, f, files)}.o"
        objs.append(str(obj))
        if not obj.exists():
            tmp = temp_beside(obj)        # compiled under a fresh name, then renamed: readers never see half
            jobs.append((obj, tmp, subprocess.Popen([cc, *flags, "-I.", "-c", f, "-o", str(tmp)], cwd=workdir,
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    try:
        for obj, tmp, proc in jobs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise BuildError(f"host build failed ({obj.name.split('-')[0]}.c):\n{err[-4000:]}")
            tmp.replace(obj)
    finally:
        for _, tmp, proc in jobs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            tmp.unlink(missing_ok=True)
    exe = workdir / f"{c.graph.name}_host"
    cmd = [cc, *flags, "-I.", *objs, *link_libs(srcs), "-o", exe.name]
    p = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    if p.returncode != 0:
        raise BuildError(f"host build failed ({' '.join(map(str, cmd))}):\n{p.stderr[-4000:]}")
    return exe


def run_host(c: Compiled, exe: Path, inputs: list[np.ndarray], timeout: float = 600,
             sequence: bool = False) -> HostRun:
    """inputs: one array per model input, each [N, *shape] of the input's dtype. Each sample from the
    initial state (<model>_reset() before it), or with `sequence` the N samples one after the other in one
    stream, the state carried over."""
    n = inputs[0].shape[0]
    workdir = exe.parent
    fin, fout = workdir / "inputs.bin", workdir / "outputs.bin"
    with open(fin, "wb") as f:
        for s in range(n):
            for arr, io in zip(inputs, c.inputs):
                f.write(np.ascontiguousarray(arr[s], dtype=io.dtype).tobytes())
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    cmd = [str(exe), fin.name, fout.name, str(n), *(["sequence"] if sequence else [])]
    p = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True,
                       timeout=timeout, env=env)
    stats = None
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            stats = json.loads(line)
    if stats is None:
        raise BuildError(f"generated code crashed (exit {p.returncode}):\n{p.stderr[-4000:]}")
    raw = fout.read_bytes()
    per_sample = sum(io.nbytes for io in c.outputs)
    if len(raw) != per_sample * n:
        raise BuildError(f"generated code wrote {len(raw)} output bytes, expected {per_sample * n}")
    outs = []
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(n, per_sample)
    pos = 0
    for io in c.outputs:
        chunk = rows[:, pos:pos + io.nbytes].copy()
        outs.append(chunk.view(np.dtype(io.dtype)).reshape((n, *io.shape)))
        pos += io.nbytes
    return HostRun(outs, stats)
