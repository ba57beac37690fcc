"""Measure the tensor arena TFLite Micro needs for a model (the baseline we compare with).

TFLite Micro's ``print_allocations()`` prints, to the C-level stderr::

    [RecordingMicroAllocator] Arena allocation total 24272 bytes
    [RecordingMicroAllocator] Arena allocation head 16000 bytes
    [RecordingMicroAllocator] Arena allocation tail 8272 bytes

*head* is the non-persistent part (activation tensors and kernel scratch, laid out by
TFLM's greedy memory planner) and *tail* the persistent part (tensor structs, node
structs, per-channel quantisation data, kernel op data).

The interpreter runs in a child process because TFLite Micro can abort() or segfault
(e.g. with a tiny arena), and because its messages go to the C-level stderr, which the
parent simply captures.

Measured fact: ``total`` is *not* always the smallest arena that works. While it plans,
TFLite Micro also takes temporary memory from the head side; on models whose final head
is small (hello_world, ad01) that temporary need is larger than the head, and the
smallest working ``arena_size`` is a few hundred bytes above ``total``. On the others it
equals ``total`` to within the 16-byte alignment of the arena buffer. Use
:func:`tflm_min_arena` to find the real minimum.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from mcucompile.errors import McuCompileError

# Large enough for every model we compile; retried once larger if TFLM says it is not.
GENEROUS_ARENA = 16 * 1024 * 1024
_RETRY_ARENAS = (GENEROUS_ARENA, 128 * 1024 * 1024)
_TIMEOUT_S = 300

_ALLOC_RE = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")
_REPO_ROOT = Path(__file__).resolve().parents[2]


def tflm_arena(model_path) -> dict:
    """Arena figures of TFLite Micro for *model_path*: ``dict(total=, head=, tail=)`` in bytes."""
    path = _check_path(model_path)
    last = None
    for arena in _RETRY_ARENAS:
        result, stderr = _run_child("measure", path, arena)
        if result.get("status") == "ok":
            found = dict((k, int(v)) for k, v in _ALLOC_RE.findall(stderr))
            missing = {"total", "head", "tail"} - set(found)
            if missing:
                raise McuCompileError(
                    f"TFLite Micro ran {path} but printed no arena figures for "
                    f"{', '.join(sorted(missing))}; its stderr was:\n{_tail(stderr)}")
            return {"total": found["total"], "head": found["head"], "tail": found["tail"]}
        last = result
        if result.get("status") != "alloc_failed":
            break
    raise McuCompileError(_failure_message(path, last))


def tflm_runs(model_path, arena_size: int) -> bool:
    """True if TFLite Micro can allocate and invoke the model (zero input) in *arena_size* bytes.

    False when it refuses the arena as too small; a crash or any other failure raises.
    Arenas of a few hundred bytes can segfault inside TFLite Micro: those count as "too small".
    """
    path = _check_path(model_path)
    result, _ = _run_child("probe", path, int(arena_size))
    status = result.get("status")
    if status == "ok":
        return True
    if status == "alloc_failed" or (status == "crashed" and arena_size < 4096):
        return False
    raise McuCompileError(_failure_message(path, result))


def tflm_min_arena(model_path, total: int | None = None) -> int:
    """Smallest ``arena_size`` with which TFLite Micro allocates and invokes the model.

    Searched in one child process between a size that fails and one that works, starting
    from the printed ``total``. Exact only up to the alignment of the arena buffer that the
    Python wrapper allocates (a few bytes either way from run to run is possible).
    """
    path = _check_path(model_path)
    if total is None:
        total = tflm_arena(path)["total"]
    result, _ = _run_child("search", path, int(total))
    if result.get("status") != "ok":
        raise McuCompileError(_failure_message(path, result))
    return int(result["min_arena"])


# ---------------------------------------------------------------- parent side helpers

def _check_path(model_path) -> Path:
    path = Path(model_path)
    if not path.is_file():
        raise McuCompileError(f"model file {path} does not exist (give the path of a .tflite file)")
    return path.resolve()


def _run_child(mode: str, path: Path, arena: int) -> tuple[dict, str]:
    code = (f"import sys; sys.path.insert(0, {str(_REPO_ROOT)!r}); "
            "from mcucompile.sim.tflm_arena import _worker; _worker(sys.argv[1:])")
    cmd = [sys.executable, "-c", code, mode, str(path), str(arena)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise McuCompileError(
            f"TFLite Micro did not finish with {path} within {_TIMEOUT_S} s") from None
    result = None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except json.JSONDecodeError:
                pass
            break
    if result is None:
        result = {"status": "crashed", "returncode": proc.returncode}
    result.setdefault("stderr", proc.stderr)
    return result, proc.stderr


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(nothing)"


def _failure_message(path: Path, result: dict | None) -> str:
    result = result or {}
    status = result.get("status")
    if status == "no_tflm":
        return ("the TFLite Micro Python package is not installed; install it with "
                "`pip install --pre tflite-micro` (it is in the [dev] extra)")
    if status == "alloc_failed":
        return (f"TFLite Micro could not allocate {path} even in a "
                f"{_RETRY_ARENAS[-1] // (1024 * 1024)} MiB arena: {result.get('error')}")
    if status == "error":
        stderr = result.get("stderr", "").strip()
        return (f"TFLite Micro failed on {path}: {result.get('error')} "
                f"(is it a valid .tflite whose ops TFLite Micro supports?)"
                + (f"\n{_tail(stderr)}" if stderr else ""))
    return (f"TFLite Micro crashed on {path} (exit code {result.get('returncode')}); "
            f"its stderr ended with:\n{_tail(result.get('stderr', ''))}")


# ---------------------------------------------------------------- child side

def _worker(argv: list[str]) -> None:
    """Entry point of the child process: prints one JSON line with the outcome on stdout."""
    mode, path, arena = argv[0], argv[1], int(argv[2])
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as exc:
        _emit(status="no_tflm", error=str(exc))
        return
    data = Path(path).read_bytes()

    def build(size: int):
        return runtime.Interpreter.from_bytes(data, arena_size=size)

    try:
        if mode == "measure":
            interp = build(arena)
            sys.stdout.flush()
            interp.print_allocations()
            _emit(status="ok")
        elif mode == "probe":
            _invoke_zero(build(arena))
            _emit(status="ok")
        elif mode == "search":
            _emit(status="ok", min_arena=_search(build, arena))
        else:
            _emit(status="error", error=f"unknown mode {mode!r}")
    except RuntimeError as exc:
        status = "alloc_failed" if "allocate" in str(exc).lower() else "error"
        _emit(status=status, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
        _emit(status="error", error=f"{type(exc).__name__}: {exc}")


def _invoke_zero(interp) -> None:
    import numpy as np

    details = interp.get_input_details(0)
    interp.set_input(np.zeros(details["shape"], dtype=details["dtype"]), 0)
    interp.invoke()


def _search(build, total: int) -> int:
    def works(size: int) -> bool:
        try:
            _invoke_zero(build(size))
            return True
        except RuntimeError as exc:
            if "allocate" not in str(exc).lower():
                raise
            return False

    # Stay near total: far smaller arenas can segfault inside TFLite Micro.
    bad = total - 64
    if works(bad):
        raise RuntimeError(f"arena of {bad} bytes works although TFLM reported a total of {total}")
    step = 64
    good = total
    while not works(good):
        bad, good, step = good, good + step, step * 2
        if good > total * 4 + 65536:
            raise RuntimeError(f"no arena up to {good} bytes works although total is {total}")
    while good - bad > 1:
        mid = (good + bad) // 2
        if works(mid):
            good = mid
        else:
            bad = mid
    return good


def _emit(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()
