"""STRIDED_SLICE, SPLIT, SPLIT_V, TILE (strided views of the input), ARG_MAX / ARG_MIN, and SQUEEZE
(an alias, like RESHAPE), int8, as TFLite Micro's reference kernels (LiteRT's for TILE, which TFLite
Micro lacks).

Every data-movement op here becomes one or more calls of one kernel: out[i] = in[offset + i . strides],
with begin/end/stride masks, split offsets and tile multiples resolved at compile time.
None of these ops rescales: outputs must be quantised like the input (the converter guarantees it).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.geometry import slice_bounds
from ..records import Arg, Cast, KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers
from .int32_ops import byte_source, word_bytes
from .s16_conv import byte_src, elem_bytes, same_dtype

MAX_DIMS = 6    # MCU_MAX_DIMS in firmware/mcu_nn.h


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _src(ctx, i: int) -> Arg:
    return byte_src(ctx, i)        # (an int16 tensor as its bytes: s16_conv.py)


def _same_int8(op, x, *ys):
    """Per-tensor int8 tensors quantised alike, or (16x8, the ops of INT16_KINDS) int16 ones throughout."""
    for t in (x, *ys):
        if t.dtype not in ("int8", "int16") or t.quant is None or t.quant.per_channel:
            _fail(op, f"tensor '{t.name}' must be per-tensor int8 (got {t.dtype})")
    same_dtype(op, (x, *ys))
    for y in ys:
        if float(x.scale) != float(y.scale) or x.zero_point != y.zero_point:
            _fail(op, f"output '{y.name}' (scale {y.scale}, zero point {y.zero_point}) is quantised unlike the "
                      f"input (scale {x.scale}, zero point {x.zero_point}); TFLite's int8 kernel does not rescale")


def _const_ints(ctx, op, i: int, what: str, dtypes=("int32",)) -> list[int]:
    if i < 0 or i >= len(ctx.graph.tensors):
        _fail(op, f"the {what} input is missing")
    t = ctx.tensor(i)
    if t.data is None:
        _fail(op, f"the {what} tensor must be a constant of the model")
    if t.dtype not in dtypes:
        _fail(op, f"the {what} tensor is {t.dtype}; supported: {', '.join(dtypes)}")
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


def _elem_strides(shape) -> list[int]:
    s = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        s[d] = s[d + 1] * shape[d + 1]
    return s


def simplify_view(dims, strides) -> tuple[list[int], list[int]]:
    """Drop size-1 dims and merge neighbours that walk memory contiguously (same element order)."""
    out_d: list[int] = []
    out_s: list[int] = []
    for n, s in zip(dims, strides):
        if n == 1:
            continue
        if out_d and out_s[-1] == n * s:
            out_d[-1] *= n
            out_s[-1] = s
        else:
            out_d.append(int(n))
            out_s.append(int(s))
    return out_d or [1], out_s or [1]


def _copy_call(ctx, op, x, y, dims, strides, offset: int, tag: str, comment: str) -> KernelCall:
    """out[i] = in[offset + i . strides] over dims (in elements; an int16 tensor: its bytes, one more axis)."""
    if elem_bytes(x) == 2:
        dims, strides, offset = [*dims, 2], [2 * s for s in strides] + [1], 2 * offset
    dims, strides = simplify_view(dims, strides)
    if len(dims) > MAX_DIMS:
        _fail(op, f"needs a {len(dims)}-D view; at most {MAX_DIMS} are supported")
    pad = MAX_DIMS - len(dims)
    name = ctx.unique(f"{tag}{op.index}")
    params = ParamStruct("mcu_strided_copy_params_t", f"{name}_params", (
        ("rank", c_int(len(dims))),
        ("out_dims", c_list([1] * pad + dims)),
        ("in_strides", c_list([0] * pad + strides)),
        ("in_offset", c_int(offset)),
    ))
    src = byte_source(ctx, x) if x.dtype == "int32" else _src(ctx, x.index)
    return KernelCall(op.index, op.kind, "mcu_strided_copy_s8",
                      (f"&{params.name}", src, ctx.act(y.index)), params, ("mcu_slice.c",), comment)


# ---- STRIDED_SLICE -------------------------------------------------------------------------------

@lowers("STRIDED_SLICE")
def lower_strided_slice(ctx, op):
    if len(op.inputs) != 4:
        _fail(op, f"expects 4 inputs (input, begin, end, strides), got {len(op.inputs)}")
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    word = word_bytes(op, (x, y))        # 4: unquantised int32 values, copied as their bytes
    if word == 1:
        _same_int8(op, x, y)
    a = op.attrs
    if a.ellipsis_mask or a.new_axis_mask:
        # TFLite Micro silently treats both masks as 0
        _fail(op, f"ellipsis_mask {a.ellipsis_mask} / new_axis_mask {a.new_axis_mask} are not supported "
                  "(TFLite Micro ignores them)")
    if a.offset:
        _fail(op, "the 'offset' form of STRIDED_SLICE is not supported (TFLite Micro ignores it)")
    rank = len(x.shape)
    begin = _const_ints(ctx, op, op.inputs[1], "begin")
    end = _const_ints(ctx, op, op.inputs[2], "end")
    strides = _const_ints(ctx, op, op.inputs[3], "strides")
    if not (len(begin) == len(end) == len(strides) == rank):
        _fail(op, f"begin/end/strides have {len(begin)}/{len(end)}/{len(strides)} values for a rank-{rank} input")
    if any(s == 0 for s in strides):
        _fail(op, "stride values must be non-zero")
    es = _elem_strides(x.shape)
    dims, vstrides, kept = [], [], []
    offset = 0
    for d in range(rank):
        shrink = bool(a.shrink_axis_mask >> d & 1)
        if shrink and strides[d] < 0:
            # TFLite's reference loop then copies nothing for this axis
            _fail(op, f"axis {d} is shrunk with a negative stride; TFLite's kernel copies nothing then")
        start, stop = slice_bounds(x.shape[d], begin[d], end[d], strides[d], bool(a.begin_mask >> d & 1),
                                   bool(a.end_mask >> d & 1), shrink)
        count = len(range(start, stop, strides[d]))
        if count == 0:
            _fail(op, f"axis {d} selects no element: empty tensors are not supported")
        dims.append(count)
        vstrides.append(strides[d] * es[d])
        offset += start * es[d]
        if not shrink:
            kept.append(count)
    if tuple(kept) != tuple(y.shape):
        _fail(op, f"output shape {tuple(y.shape)} differs from the {tuple(kept)} the slice selects")
    if word > 1:
        dims, vstrides, offset = dims + [word], [v * word for v in vstrides] + [1], offset * word
    return [_copy_call(ctx, op, x, y, dims, vstrides, offset, "strided_slice",
                       f"{tuple(x.shape)}[{begin}:{end}:{strides}] -> {tuple(y.shape)}"
                       + (" (int32)" if word > 1 else ""))]


# ---- SPLIT / SPLIT_V ---------------------------------------------------------------------------

def _lower_split(ctx, op, x_index: int, axis_index: int):
    x = ctx.tensor(x_index)
    ys = [ctx.tensor(i) for i in op.outputs]
    _same_int8(op, x, *ys)
    axis_vals = _const_ints(ctx, op, axis_index, "axis")
    if len(axis_vals) != 1:
        _fail(op, f"the axis tensor holds {len(axis_vals)} values, expected 1")
    rank = len(x.shape)
    axis = axis_vals[0] + rank if axis_vals[0] < 0 else axis_vals[0]
    if not 0 <= axis < rank:
        _fail(op, f"axis {axis_vals[0]} is out of range for rank {rank}")
    for y in ys:
        if len(y.shape) != rank or any(y.shape[d] != x.shape[d] for d in range(rank) if d != axis):
            _fail(op, f"output shape {tuple(y.shape)} does not fit input {tuple(x.shape)} split on axis {axis}")
    if sum(y.shape[axis] for y in ys) != x.shape[axis]:
        _fail(op, f"outputs do not add up to input dim {x.shape[axis]} on axis {axis}")
    es = _elem_strides(x.shape)
    calls, start = [], 0
    for k, y in enumerate(ys):
        calls.append(_copy_call(ctx, op, x, y, list(y.shape), es, start * es[axis], f"split{op.index}_{k}_",
                                f"output {k} of {len(ys)}: [{start}:{start + y.shape[axis]}] on axis {axis}"))
        start += y.shape[axis]
    return calls


@lowers("SPLIT")
def lower_split(ctx, op):
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (axis, input), got {len(op.inputs)}")
    if op.attrs.num_splits and op.attrs.num_splits != len(op.outputs):
        _fail(op, f"num_splits {op.attrs.num_splits} differs from the {len(op.outputs)} outputs")
    return _lower_split(ctx, op, op.inputs[1], op.inputs[0])


@lowers("SPLIT_V")
def lower_split_v(ctx, op):
    if len(op.inputs) != 3:
        _fail(op, f"expects 3 inputs (input, size_splits, axis), got {len(op.inputs)}")
    sizes = _const_ints(ctx, op, op.inputs[1], "size_splits", ("int32", "int64"))
    if len(sizes) != len(op.outputs):
        _fail(op, f"size_splits has {len(sizes)} values for {len(op.outputs)} outputs")
    return _lower_split(ctx, op, op.inputs[0], op.inputs[2])


# ---- TILE ----------------------------------------------------------------------------------------

@lowers("TILE")
def lower_tile(ctx, op):
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (input, multiples), got {len(op.inputs)}")
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    mult = _const_ints(ctx, op, op.inputs[1], "multiples", ("int32", "int64"))
    rank = len(x.shape)
    if len(mult) != rank or len(y.shape) != rank:
        _fail(op, f"multiples {mult} do not fit a rank-{rank} input")
    if any(m < 1 for m in mult) or any(y.shape[d] != x.shape[d] * mult[d] for d in range(rank)):
        _fail(op, f"output shape {tuple(y.shape)} is not input {tuple(x.shape)} tiled {mult} times")
    es = _elem_strides(x.shape)
    dims, strides = [], []
    for d in range(rank):
        # output index along d = t * n + i reads input index i: a repeat dim (stride 0) then the input dim
        dims += [mult[d], x.shape[d]]
        strides += [0, es[d]]
    return [_copy_call(ctx, op, x, y, dims, strides, 0, "tile", f"{tuple(x.shape)} x {mult} -> {tuple(y.shape)}")]


# ---- ARG_MAX / ARG_MIN ----------------------------------------------------------------------------

def _lower_arg(ctx, op, is_max: bool):
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (input, axis), got {len(op.inputs)}")
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    if x.dtype != "int8" or x.quant is None:
        _fail(op, f"input '{x.name}' must be quantised int8 (got {x.dtype})")
    if y.dtype not in ("int32", "int64"):
        _fail(op, f"output '{y.name}' is {y.dtype}; int32 or int64 indices are supported")
    if op.attrs.output_type and op.attrs.output_type != y.dtype:
        _fail(op, f"output_type {op.attrs.output_type} differs from the output tensor's {y.dtype}")
    axis_vals = _const_ints(ctx, op, op.inputs[1], "axis", ("int32", "int64"))
    rank = len(x.shape)
    if len(axis_vals) != 1 or not -rank <= axis_vals[0] < rank:
        _fail(op, f"axis {axis_vals} is not a single axis of a rank-{rank} input")
    axis = axis_vals[0] + rank if axis_vals[0] < 0 else axis_vals[0]
    expect = tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:])
    if tuple(y.shape) != expect:
        _fail(op, f"output shape {tuple(y.shape)} differs from {expect} (input {tuple(x.shape)} without axis {axis})")
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    name = ctx.unique(f"{'argmax' if is_max else 'argmin'}{op.index}")
    params = ParamStruct("mcu_arg_minmax_params_t", f"{name}_params", (
        ("outer", c_int(outer)),
        ("axis_size", c_int(x.shape[axis])),
        ("inner", c_int(inner)),
        ("is_max", c_int(1 if is_max else 0)),
        ("index_bytes", c_int(8 if y.dtype == "int64" else 4)),
    ))
    ctype = "int64_t" if y.dtype == "int64" else "int32_t"
    return [KernelCall(op.index, op.kind, "mcu_arg_minmax_s8",
                       (f"&{params.name}", _src(ctx, x.index), Cast("void *", ctx.act(y.index, ctype))),
                       params, ("mcu_slice.c",), f"{tuple(x.shape)} on axis {axis} -> {y.dtype} {tuple(y.shape)}")]


@lowers("ARG_MAX")
def lower_arg_max(ctx, op):
    return _lower_arg(ctx, op, True)


@lowers("ARG_MIN")
def lower_arg_min(ctx, op):
    return _lower_arg(ctx, op, False)


# ---- SQUEEZE: the output aliases the input buffer ---------------------------------------------------

@lowers("SQUEEZE")
def lower_squeeze(ctx, op):
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    if x.size != y.size or x.dtype != y.dtype:
        _fail(op, f"output {y.dtype} {tuple(y.shape)} is not a squeeze of input {x.dtype} {tuple(x.shape)}")
    if x.quant != y.quant:
        _fail(op, "input and output are quantised differently; a squeeze cannot rescale")
    return []
