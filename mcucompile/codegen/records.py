"""Plain records that lowering produces and templates print. Every decision is made before these exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

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


# ---- pointer arguments: symbolic until rendering, where the memory plan turns them into C text ---------

@dataclass(frozen=True)
class Act:
    """Pointer to activation tensor `tensor` (its alias root's arena offset, or a caller's I/O buffer)."""
    tensor: int
    ctype: str = "int8_t"


@dataclass(frozen=True)
class Scratch:
    """Pointer to op `op_index`'s scratch buffer."""
    op_index: int
    ctype: str = "int32_t"


@dataclass(frozen=True)
class TileBuf:
    """Pointer to patch stage `stage`'s tile buffer (its stage output's tile)."""
    stage: int
    ctype: str = "int8_t"


@dataclass(frozen=True)
class Cast:
    """`(to)value`, or `((to)value)` with wrap."""
    to: str
    value: Arg
    wrap: bool = False


@dataclass(frozen=True)
class TileOffset:
    """`(value + array[t])`: a pointer moved per patch by a constant int32 array indexed by the tile."""
    value: Arg
    array: str


@dataclass(frozen=True)
class State:
    """Pointer into the persistent state region (LowerCtx.persistent): `offset` bytes from its start. The
    region is the model's own (`state_mem` in <model>.c), so its C text needs no plan."""
    offset: int
    ctype: str = "int8_t"


@dataclass(frozen=True)
class StateSlot:
    """One piece of the persistent state region: kept between invokes, outside the arena; <model>_reset()
    sets it to `initial` (the name of a flash array of `nbytes` bytes) or else every byte to `fill`."""
    owner: str                  # what it holds, for people: "variable 'x'", "op 3 UNIDIRECTIONAL_SEQUENCE_LSTM cell"
    offset: int
    nbytes: int
    fill: int = 0
    initial: str | None = None


STATE_BASE = "state_mem"        # the region's static array in <model>.c


# a call argument: C text (constant names, NULL, &params) or a pointer record
Arg: TypeAlias = str | Act | Scratch | TileBuf | Cast | TileOffset | State


def map_acts(arg: Arg, fn: Callable[[Act], Arg]) -> Arg:
    """`arg` with every Act inside it replaced by fn(act)."""
    if isinstance(arg, Act):
        return fn(arg)
    if isinstance(arg, Cast):
        return Cast(arg.to, map_acts(arg.value, fn), arg.wrap)
    if isinstance(arg, TileOffset):
        return TileOffset(map_acts(arg.value, fn), arg.array)
    return arg


def c_arg(arg: Arg, act: Callable[[Act], str], scratch: Callable[[Scratch], str],
          tile: Callable[[TileBuf], str]) -> str:
    """C text of a call argument; act / scratch / tile give the C text of those pointers."""
    if isinstance(arg, str):
        return arg
    if isinstance(arg, Act):
        return act(arg)
    if isinstance(arg, Scratch):
        return scratch(arg)
    if isinstance(arg, TileBuf):
        return tile(arg)
    if isinstance(arg, State):
        return f"(({arg.ctype} *)((uint8_t *){STATE_BASE} + {arg.offset}))"
    if isinstance(arg, Cast):
        text = f"({arg.to}){c_arg(arg.value, act, scratch, tile)}"
        return f"({text})" if arg.wrap else text
    if isinstance(arg, TileOffset):
        return f"({c_arg(arg.value, act, scratch, tile)} + {arg.array}[t])"
    raise TypeError(f"not a call argument: {arg!r}")


@dataclass(frozen=True)
class KernelCall:
    op_index: int
    op_kind: str
    func: str                   # C function name
    args: tuple[Arg, ...]       # in order: C text or pointer records (rendered with the plan); `&params`
    #                             is the caller's job: put it in args
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
