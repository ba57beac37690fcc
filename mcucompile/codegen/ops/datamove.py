"""EXPAND_DIMS (an alias, like RESHAPE), SLICE, PACK, UNPACK, SPACE_TO_DEPTH and DEPTH_TO_SPACE, int8, as
TFLite Micro's reference kernels: pure data movement, every index resolved at compile time.

SLICE, UNPACK, SPACE_TO_DEPTH and DEPTH_TO_SPACE are strided views of their input (`mcu_strided_copy_s8`,
like STRIDED_SLICE); PACK is a concatenation of its inputs along a new axis (`mcu_concat_part_s8`, one call
per input). None of them rescales: outputs must be quantised like the input (TFLite's PACK and UNPACK
check it; the converter guarantees it for the others).
"""

from __future__ import annotations

import numpy as np

from ..records import KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers
from .s16_conv import elem_bytes
from .slicing import _const_ints, _copy_call, _elem_strides, _fail, _same_int8, _src


def _out_shape(op, y, want) -> None:
    if tuple(y.shape) != tuple(want):
        _fail(op, f"output shape {tuple(y.shape)} differs from the {tuple(want)} the op computes")


# ---- EXPAND_DIMS: the output aliases the input buffer ------------------------------------------------

@lowers("EXPAND_DIMS")
def lower_expand_dims(ctx, op):
    """EXPAND_DIMS: a view of the input with one more size-1 axis (no code, no copy)."""
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    if x.size != y.size or x.dtype != y.dtype or len(y.shape) != len(x.shape) + 1:
        _fail(op, f"output {y.dtype} {tuple(y.shape)} is not input {x.dtype} {tuple(x.shape)} with one more axis")
    if x.quant != y.quant:
        _fail(op, "input and output are quantised differently; EXPAND_DIMS cannot rescale")
    return []


# ---- SLICE ---------------------------------------------------------------------------------------

@lowers("SLICE")
def lower_slice(ctx, op):
    """SLICE: constant begin and size (size -1: to the end of the axis)."""
    if len(op.inputs) != 3:
        _fail(op, f"expects 3 inputs (input, begin, size), got {len(op.inputs)}")
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    rank = len(x.shape)
    begin = _const_ints(ctx, op, op.inputs[1], "begin", ("int32", "int64"))
    size = _const_ints(ctx, op, op.inputs[2], "size", ("int32", "int64"))
    if not len(begin) == len(size) == rank:
        _fail(op, f"begin/size have {len(begin)}/{len(size)} values for a rank-{rank} input")
    size = [x.shape[d] - begin[d] if size[d] == -1 else size[d] for d in range(rank)]
    for d in range(rank):
        if begin[d] < 0 or size[d] < 1 or begin[d] + size[d] > x.shape[d]:
            _fail(op, f"axis {d}: begin {begin[d]} and size {size[d]} do not select a non-empty part of "
                      f"dimension {x.shape[d]}")
    _out_shape(op, y, size)
    es = _elem_strides(x.shape)
    offset = sum(b * s for b, s in zip(begin, es))
    return [_copy_call(ctx, op, x, y, size, es, offset, "slice", f"{tuple(x.shape)} from {begin} size {size}")]


# ---- PACK / UNPACK --------------------------------------------------------------------------------

def _axis(op, axis: int, rank: int) -> int:
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < rank:
        _fail(op, f"axis {axis} is out of range for the rank-{rank} {'output' if op.kind == 'PACK' else 'input'}")
    return a


@lowers("PACK")
def lower_pack(ctx, op):
    """PACK: stacks equal-shaped inputs along a new axis (one copy per input)."""
    y = ctx.tensor(op.outputs[0])
    xs = [ctx.tensor(i) for i in op.inputs]
    _same_int8(op, y, *xs)
    if op.attrs.count and op.attrs.count != len(xs):
        _fail(op, f"values_count {op.attrs.count} differs from the {len(xs)} inputs")
    x0 = xs[0]
    axis = _axis(op, op.attrs.axis, len(x0.shape) + 1)
    for x in xs:
        if tuple(x.shape) != tuple(x0.shape):
            _fail(op, f"input shapes {tuple(x0.shape)} and {tuple(x.shape)} differ")
    _out_shape(op, y, tuple(x0.shape[:axis]) + (len(xs),) + tuple(x0.shape[axis:]))
    outer = int(np.prod(x0.shape[:axis], dtype=np.int64))
    in_row = int(np.prod(x0.shape[axis:], dtype=np.int64)) * elem_bytes(x0)      # bytes (int16: 2 each)
    calls = []
    for k, x in enumerate(xs):
        name = ctx.unique(f"pack{op.index}_{k}")
        params = ParamStruct("mcu_concat_part_t", f"{name}_params", (
            ("outer", c_int(outer)),
            ("out_row", c_int(in_row * len(xs))),
            ("in_row", c_int(in_row)),
            ("out_col", c_int(k * in_row)),
            ("requant", c_int(0)),
            ("input_zero_point", c_int(x.zero_point)),
            ("output_zero_point", c_int(y.zero_point)),
            ("mult", c_int(0)),
            ("shift", c_int(0)),
            ("rows", c_int(1)),
            ("in_row_stride", c_int(0)),
            ("out_row_stride", c_int(0)),
        ))
        calls.append(KernelCall(op.index, op.kind, "mcu_concat_part_s8",
                                (f"&{params.name}", _src(ctx, x.index), ctx.act(y.index)),
                                params, ("mcu_data.c",), f"input {k} of {len(xs)}: {tuple(x.shape)} on axis {axis}"))
    return calls


@lowers("UNPACK")
def lower_unpack(ctx, op):
    """UNPACK: splits the input along an axis into outputs without that axis (one copy per output)."""
    x = ctx.tensor(op.inputs[0])
    ys = [ctx.tensor(i) for i in op.outputs]
    _same_int8(op, x, *ys)
    rank = len(x.shape)
    axis = _axis(op, op.attrs.axis, rank)
    if x.shape[axis] != len(ys):
        _fail(op, f"input dimension {x.shape[axis]} on axis {axis} differs from the {len(ys)} outputs")
    es = _elem_strides(x.shape)
    dims = [1 if d == axis else x.shape[d] for d in range(rank)]
    calls = []
    for k, y in enumerate(ys):
        _out_shape(op, y, tuple(x.shape[:axis]) + tuple(x.shape[axis + 1:]))
        calls.append(_copy_call(ctx, op, x, y, dims, es, k * es[axis], f"unpack{op.index}_{k}_",
                                f"output {k} of {len(ys)} on axis {axis}"))
    return calls


# ---- SPACE_TO_DEPTH / DEPTH_TO_SPACE ----------------------------------------------------------------

def _block(op, x) -> int:
    b = op.attrs.block_size
    if len(x.shape) != 4 or b < 1:
        _fail(op, f"needs a 4-D NHWC input and a positive block size (got shape {tuple(x.shape)}, block size {b})")
    return b


@lowers("SPACE_TO_DEPTH")
def lower_space_to_depth(ctx, op):
    """SPACE_TO_DEPTH: NHWC, b x b blocks of pixels become channels."""
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    b = _block(op, x)
    n, h, w, c = x.shape
    if h % b or w % b:
        _fail(op, f"input height {h} and width {w} are not multiples of block size {b}")
    _out_shape(op, y, (n, h // b, w // b, c * b * b))
    # out[n, oh, ow, (by * b + bx) * c + ch] = in[n, oh * b + by, ow * b + bx, ch]
    dims = [n, h // b, w // b, b, b, c]
    strides = [h * w * c, b * w * c, b * c, w * c, c, 1]
    return [_copy_call(ctx, op, x, y, dims, strides, 0, "space_to_depth",
                       f"{tuple(x.shape)} block {b} -> {tuple(y.shape)}")]


@lowers("DEPTH_TO_SPACE")
def lower_depth_to_space(ctx, op):
    """DEPTH_TO_SPACE: NHWC, channels become b x b blocks of pixels."""
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    b = _block(op, x)
    n, h, w, c = x.shape
    if c % (b * b):
        _fail(op, f"input depth {c} is not a multiple of block size {b} squared")
    co = c // (b * b)
    _out_shape(op, y, (n, h * b, w * b, co))
    # out[n, ih * b + by, iw * b + bx, ch] = in[n, ih, iw, (by * b + bx) * co + ch]
    dims = [n, h, b, w, b, co]
    strides = [h * w * c, w * c, b * co, c, co, 1]
    return [_copy_call(ctx, op, x, y, dims, strides, 0, "depth_to_space",
                       f"{tuple(x.shape)} block {b} -> {tuple(y.shape)}")]


# ---- REVERSE_V2: a strided view with negative strides ------------------------------------------------

@lowers("REVERSE_V2")
def lower_reverse_v2(ctx, op):
    """REVERSE_V2: reverses the input along constant, contiguous axes (one strided copy, negative strides)."""
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (input, axis), got {len(op.inputs)}")
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    rank = len(x.shape)
    axes = sorted(a + rank if a < 0 else a for a in _const_ints(ctx, op, op.inputs[1], "axis"))
    if not 1 <= len(axes) <= rank or any(not 0 <= a < rank for a in axes):
        _fail(op, f"axes {axes} are not distinct axes of the rank-{rank} input")
    if any(b != a + 1 for a, b in zip(axes, axes[1:])):
        _fail(op, f"axes {axes} are not contiguous (TFLite Micro reverses contiguous axes only)")
    _out_shape(op, y, x.shape)
    es = _elem_strides(x.shape)
    strides = [-s if d in axes else s for d, s in enumerate(es)]
    offset = sum((x.shape[d] - 1) * es[d] for d in axes)
    return [_copy_call(ctx, op, x, y, list(x.shape), strides, offset, "reverse", f"{tuple(x.shape)} axes {axes}")]


# ---- DYNAMIC_UPDATE_SLICE -----------------------------------------------------------------------------

@lowers("DYNAMIC_UPDATE_SLICE")
def lower_dynamic_update_slice(ctx, op):
    """DYNAMIC_UPDATE_SLICE: the operand with the update written at start indices (constant, or an int32
    tensor read at run time), clamped to [0, operand dim - update dim] as TFLite Micro clamps them"""
    if len(op.inputs) != 3:
        _fail(op, f"expects 3 inputs (operand, update, start indices), got {len(op.inputs)}")
    x, u, s = (ctx.tensor(i) for i in op.inputs)
    y = ctx.tensor(op.outputs[0])
    for t in (x, u, y):
        if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
            _fail(op, f"tensor '{t.name}' must be per-tensor int8 (got {t.dtype})")
    _same_int8(op, x, u, y)
    rank = len(x.shape)
    if not 1 <= rank <= 6 or len(u.shape) != rank:
        _fail(op, f"operand {tuple(x.shape)} and update {tuple(u.shape)} must have one rank, 1 to 6")
    if any(b > a for a, b in zip(x.shape, u.shape)):
        _fail(op, f"update {tuple(u.shape)} is larger than the operand {tuple(x.shape)}")
    if tuple(s.shape) != (rank,):
        _fail(op, f"the start indices have shape {tuple(s.shape)}; expected ({rank},)")
    _out_shape(op, y, x.shape)
    max_start = [int(a) - int(b) for a, b in zip(x.shape, u.shape)]
    if s.data is not None:
        start = _const_ints(ctx, op, s.index, "start indices", ("int32", "int64"))
        clamped = np.array([min(max(0, v), m) for v, m in zip(start, max_start)], dtype=np.int32)
        src = ctx.const(clamped, "int32_t", f"update_start{op.index}")
        where = f"at {clamped.tolist()}"
    elif s.dtype == "int32":
        src = ctx.act(s.index, "int32_t")
        where = "at run-time indices"
    else:
        _fail(op, f"run-time start indices are {s.dtype}; supported: int32 (int64 only as a constant)")
    pad = 6 - rank
    name = ctx.unique(f"update_slice{op.index}")
    params = ParamStruct("mcu_update_slice_params_t", f"{name}_params", (
        ("rank", c_int(rank)), ("size", c_int(x.size)),
        ("update_dims", c_list([1] * pad + [int(d) for d in u.shape])),
        ("out_strides", c_list([0] * pad + _elem_strides(x.shape))),
        ("max_start", c_list([0] * pad + max_start))))
    return [KernelCall(op.index, op.kind, "mcu_dynamic_update_slice_s8",
                       (f"&{params.name}", src, _src(ctx, x.index), _src(ctx, u.index), ctx.act(y.index)),
                       params, ("mcu_dynamic_update_slice.c",), f"{tuple(u.shape)} into {tuple(x.shape)} {where}")]
