"""Plain records that lowering produces and templates print. Every decision is made before these exist."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ConstArray:
    """A constant array emitted into <model>_weights.c (flash)."""
    name: str
    ctype: str                  # "int8_t", "int32_t", "float"
    values: np.ndarray = field(compare=False, repr=False)


@dataclass(frozen=True)
class ParamStruct:
    """`static const <ctype> <name> = { .field = value, ... };` in <model>.c."""
    ctype: str
    name: str
    fields: tuple[tuple[str, str], ...]    # (field name, C initialiser text)


@dataclass(frozen=True)
class KernelCall:
    op_index: int
    op_kind: str
    func: str                   # C function name
    args: tuple[str, ...]       # C expressions, in order; `&params` is the caller's job: put it in args
    params: ParamStruct | None = None
    sources: tuple[str, ...] = ()   # firmware/*.c files this call needs
    comment: str = ""


# ---- formatting helpers for C initialisers (used by lowering functions) ---------------------

def c_int(v) -> str:
    v = int(v)
    if v == -(1 << 31):
        return "INT32_MIN"
    return str(v)


def c_float(v) -> str:
    return repr(float(np.float32(v))) + "f"


def c_list(values) -> str:
    return "{" + ", ".join(c_int(v) for v in values) + "}"


def c_dims4(shape) -> str:
    """NHWC dims struct from a shape of rank <= 4 (right-aligned, leading 1s)."""
    s = [1] * (4 - len(shape)) + [int(d) for d in shape]
    return "{" + ", ".join(str(d) for d in s) + "}"


@dataclass(frozen=True)
class ParamArray:
    """`static const <ctype> <name>[N] = { {...}, ... };`: one parameter struct per patch."""
    ctype: str
    name: str
    entries: tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class PatchLoop:
    """`for (t = 0; t < tiles; ++t) { calls }`: a patch stage; call args may index arrays with [t]."""
    stage: int
    start: int                  # first op (position) of the stage
    stop: int                   # one past the last op
    tiles: int
    grid: tuple[int, int]
    calls: tuple[KernelCall, ...]
    arrays: tuple[ParamArray, ...]
