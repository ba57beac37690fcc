"""QUANTIZE, DEQUANTIZE, PAD/PADV2, TRANSPOSE, CONCATENATION, as TFLite Micro's reference kernels.

Every parameter (multipliers, padded shapes, strides, copy offsets) is computed here at compile time;
constant inputs (paddings, perm) are read from the model now and never reach the C code.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import multiply_by_quantized_multiplier, quantize_multiplier
from ..records import Arg, KernelCall, ParamStruct, c_float, c_int, c_list
from ..registry import lowers
from .activations import lut_call
from .int32_ops import word_bytes
from .s16_conv import byte_src, elem_bytes, quantize_s16_call, same_dtype

MAX_DIMS = 6    # MCU_MAX_DIMS in firmware/mcu_nn.h


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _src(ctx, i: int, ctype: str = "int8_t") -> Arg:
    """Pointer to an input tensor: a flash array when the model gives it as a constant (an int16 tensor
    read by an int8 data-movement kernel: its bytes, s16_conv.byte_src)."""
    if ctype == "int8_t":
        return byte_src(ctx, i)
    return ctx.weight(i, ctype) if ctx.tensor(i).is_const else ctx.act(i, ctype)


def _require_int8(op, *tensors, int16: bool = False):
    """Per-tensor int8 tensors; int16: or (16x8, the ops of INT16_KINDS) int16 ones throughout."""
    for t in tensors:
        if t.dtype != "int8" and not (int16 and t.dtype == "int16"):
            _fail(op, f"tensor '{t.name}' is {t.dtype}; only int8 is supported")
        if t.quant is None or t.quant.per_channel:
            _fail(op, f"tensor '{t.name}' needs per-tensor quantisation")
    same_dtype(op, tensors)


def _const_ints(ctx, op, i: int, what: str) -> np.ndarray:
    if i < 0:
        _fail(op, f"the {what} input is missing")
    t = ctx.tensor(i)
    if t.data is None:
        _fail(op, f"the {what} tensor must be a constant of the model")
    if t.dtype != "int32":
        # TFLite Micro reads these tensors as int32 only
        _fail(op, f"the {what} tensor is {t.dtype}; TFLite Micro supports int32 only")
    return np.asarray(t.data, dtype=np.int64)


def _right_align(values, fill: int) -> list[int]:
    values = [int(v) for v in values]
    return [fill] * (MAX_DIMS - len(values)) + values


def _check_rank(op, shape):
    if len(shape) > MAX_DIMS:
        _fail(op, f"rank {len(shape)} is above the supported {MAX_DIMS}")


# ---- QUANTIZE / DEQUANTIZE -------------------------------------------------------------------

@lowers("QUANTIZE")
def lower_quantize(ctx, op):
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    if "int16" in (x.dtype, y.dtype):
        return [quantize_s16_call(ctx, op, x, y, _src(ctx, x.index, "float" if x.dtype == "float32" else
                                                      "int16_t" if x.dtype == "int16" else "int8_t"))]
    if y.dtype != "int8" or y.quant is None or y.quant.per_channel:
        _fail(op, f"output must be per-tensor int8 (got {y.dtype})")
    name = ctx.unique(f"quantize{op.index}")
    if x.dtype == "float32":
        # AffineQuantize: round(x / (float)scale) + zero_point, clamped
        params = ParamStruct("mcu_quantize_params_t", f"{name}_params", (
            ("size", c_int(y.size)),
            ("zero_point", c_int(y.zero_point)),
            ("scale", c_float(y.scale)),
        ))
        return [KernelCall(op.index, op.kind, "mcu_quantize_f32_s8",
                           (f"&{params.name}", _src(ctx, x.index, "float"), ctx.act(y.index)),
                           params, ("mcu_quantize.c",), f"float -> int8, {y.size} values")]
    if x.dtype == "int8":
        _require_int8(op, x)
        if x.quant is None or x.quant.per_channel:
            _fail(op, "the int8 input must have per-tensor quantisation")
        # PrepareQuantizeReference: effective scale = (double)in_scale / (double)out_scale; Requantize:
        # (in - in_zp) * M + out_zp, clamped. 256 possible inputs: a table (mcu_lut_s8)
        mult, shift = quantize_multiplier(float(x.scale) / float(y.scale))
        codes = np.arange(-128, 128, dtype=np.int64)
        table = np.clip(multiply_by_quantized_multiplier(codes - x.zero_point, mult, shift) + y.zero_point,
                        -128, 127)
        return lut_call(ctx, op, x, y, table, "int8 -> int8 requantise", src=_src(ctx, x.index))
    _fail(op, f"{x.dtype} -> {y.dtype} is not supported (float32 or int8 -> int8 only)")


@lowers("DEQUANTIZE")
def lower_dequantize(ctx, op):
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _require_int8(op, x, int16=True)
    if y.dtype != "float32":
        _fail(op, f"output is {y.dtype}; only float32 is supported")
    if x.quant is None or x.quant.per_channel:
        _fail(op, f"tensor '{x.name}' needs per-tensor quantisation")
    name = ctx.unique(f"dequantize{op.index}")
    params = ParamStruct("mcu_dequantize_params_t", f"{name}_params", (
        ("size", c_int(x.size)),
        ("zero_point", c_int(x.zero_point)),
        ("scale", c_float(x.scale)),
    ))
    if x.dtype == "int16":
        return [KernelCall(op.index, op.kind, "mcu_dequantize_s16_f32",
                           (f"&{params.name}", _src(ctx, x.index, "int16_t"), ctx.act(y.index, "float")),
                           params, ("mcu_quantize_s16.c",), f"int16 -> float, {x.size} values")]
    return [KernelCall(op.index, op.kind, "mcu_dequantize_s8_f32",
                       (f"&{params.name}", _src(ctx, x.index), ctx.act(y.index, "float")),
                       params, ("mcu_quantize.c",), f"int8 -> float, {x.size} values")]


# ---- PAD / PADV2 -------------------------------------------------------------------------------

def _lower_pad(ctx, op):
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _require_int8(op, x, y, int16=True)
    _check_rank(op, x.shape)
    pads = _const_ints(ctx, op, op.inputs[1], "paddings").reshape(-1)
    rank = len(x.shape)
    if pads.size != 2 * rank or len(y.shape) != rank:
        _fail(op, f"paddings has {pads.size} values for a rank-{rank} input")
    pads = pads.reshape(rank, 2)
    if (pads < 0).any():
        _fail(op, "negative paddings are not supported")
    for d in range(rank):
        if x.shape[d] + pads[d, 0] + pads[d, 1] != y.shape[d]:
            _fail(op, f"output dim {d} is {y.shape[d]}, paddings give {x.shape[d] + pads[d].sum()}")
    pad_value = _pad_value(ctx, op, y)
    name = ctx.unique(f"pad{op.index}")
    params = ParamStruct("mcu_pad_params_t", f"{name}_params", (
        ("rank", c_int(rank)),
        ("in_dims", c_list(_right_align(x.shape, 1))),
        ("pad_before", c_list(_right_align(pads[:, 0], 0))),
        ("pad_after", c_list(_right_align(pads[:, 1], 0))),
        ("pad_value", c_int(pad_value)),
    ))
    if x.dtype == "int16":      # 16x8: any int16 pad value
        return [KernelCall(op.index, op.kind, "mcu_pad_s16",
                           (f"&{params.name}", _src(ctx, x.index, "int16_t"), ctx.act(y.index, "int16_t")),
                           params, ("mcu_pad_s16.c",),
                           f"int16 {tuple(x.shape)} -> {tuple(y.shape)}, value {pad_value}")]
    return [KernelCall(op.index, op.kind, "mcu_pad_s8",
                       (f"&{params.name}", _src(ctx, x.index), ctx.act(y.index)),
                       params, ("mcu_data.c",), f"{tuple(x.shape)} -> {tuple(y.shape)}, value {pad_value}")]


def _pad_value(ctx, op, y) -> int:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = ctx.tensor(op.inputs[2])
        if cv.data is None or cv.dtype != y.dtype or cv.size != 1:
            _fail(op, f"the pad value must be a constant {y.dtype} scalar")
        # PadPrepare insists the pad value is quantised like the output
        if cv.quant is None or cv.zero_point != y.zero_point or float(cv.scale) != float(y.scale):
            _fail(op, "the pad value must have the output's scale and zero point")
        return int(np.asarray(cv.data).reshape(-1)[0])
    return 0 if y.dtype == "int16" else y.zero_point     # TFLite Micro pads int16 with 0


lowers("PAD")(_lower_pad)
lowers("PADV2")(_lower_pad)


def pad_tile_call(ctx, op) -> KernelCall:
    """A spatial PAD/PADV2 of a 4-D map as patch stages run it (mcu_pad_tile_s8): the whole output as one
    tile here; codegen/patch.py sets each patch's tile, the real rectangle inside it and the input's row
    stride. The checks are the whole-tensor lowering's."""
    _lower_pad(ctx, op)
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _, h, w, c = x.shape
    pt, pl = (int(v) for v in _const_ints(ctx, op, op.inputs[1], "paddings").reshape(4, 2)[1:3, 0])
    name = ctx.unique(f"pad{op.index}_tile")
    params = ParamStruct("mcu_pad_tile_params_t", f"{name}_params", (
        ("rows", c_int(y.shape[1])), ("cols", c_int(y.shape[2])), ("channels", c_int(c)),
        ("real_y0", c_int(pt)), ("real_y1", c_int(pt + h)), ("real_x0", c_int(pl)), ("real_x1", c_int(pl + w)),
        ("in_row_stride", c_int(w * c)), ("pad_value", c_int(_pad_value(ctx, op, y))),
    ))
    return KernelCall(op.index, op.kind, "mcu_pad_tile_s8", (f"&{params.name}", _src(ctx, x.index),
                                                              ctx.act(y.index)),
                      params, ("mcu_tile.c",), f"{tuple(x.shape)} -> {tuple(y.shape)} per patch")


# ---- TRANSPOSE ---------------------------------------------------------------------------------

@lowers("TRANSPOSE")
def lower_transpose(ctx, op):
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    _require_int8(op, x, y, int16=True)
    _check_rank(op, x.shape)
    perm = [int(p) for p in _const_ints(ctx, op, op.inputs[1], "perm").reshape(-1)]
    rank = len(x.shape)
    if sorted(perm) != list(range(rank)):
        _fail(op, f"perm {perm} is not a permutation of {rank} axes")
    out_shape = [x.shape[p] for p in perm]
    if tuple(out_shape) != tuple(y.shape):
        _fail(op, f"output shape {tuple(y.shape)} does not match perm {perm} of {tuple(x.shape)}")
    shape = list(x.shape)
    if elem_bytes(x) == 2:          # int16: the bytes, one more axis of 2 that stays last
        _check_rank(op, [*shape, 2])
        shape, perm, out_shape, rank = [*shape, 2], [*perm, rank], [*out_shape, 2], rank + 1
    in_strides = [1] * rank
    for d in range(rank - 2, -1, -1):
        in_strides[d] = in_strides[d + 1] * shape[d + 1]
    name = ctx.unique(f"transpose{op.index}")
    params = ParamStruct("mcu_transpose_params_t", f"{name}_params", (
        ("rank", c_int(rank)),
        ("out_dims", c_list(_right_align(out_shape, 1))),
        ("in_strides", c_list(_right_align([in_strides[p] for p in perm], 0))),
    ))
    return [KernelCall(op.index, op.kind, "mcu_transpose_s8",
                       (f"&{params.name}", _src(ctx, x.index), ctx.act(y.index)),
                       params, ("mcu_data.c",), f"{tuple(x.shape)} perm {perm}")]


# ---- CONCATENATION -------------------------------------------------------------------------------

@lowers("CONCATENATION")
def lower_concatenation(ctx, op):
    y = ctx.tensor(op.outputs[0])
    xs = [ctx.tensor(i) for i in op.inputs]
    if any(t.dtype == "int32" for t in (y, *xs)):
        word_bytes(op, (y, *xs))          # unquantised int32 values (all of them), copied as their bytes
    else:
        _require_int8(op, y, *xs, int16=True)
    word = elem_bytes(y)                  # bytes per element: int8 1, int16 2, int32 4
    if op.attrs.activation != "NONE":
        # TFLite Micro's ConcatenationPrepare rejects fused activations
        _fail(op, f"fused activation {op.attrs.activation} is not supported")
    rank = len(y.shape)
    axis = op.attrs.axis + rank if op.attrs.axis < 0 else op.attrs.axis
    if not 0 <= axis < rank:
        _fail(op, f"axis {op.attrs.axis} is out of range for rank {rank}")
    for x in xs:
        if y.dtype == "int16" and (x.zero_point != 0 or y.zero_point != 0):
            _fail(op, f"int16 input '{x.name}' / output zero points {x.zero_point} / {y.zero_point}: TFLite "
                      "Micro requires 0")
        # TFLite Micro does not rescale: int8 inputs must be quantised exactly like the output (int16 ones
        # it copies as they are, whatever their scales)
        if y.dtype == "int8" and (float(x.scale) != float(y.scale) or x.zero_point != y.zero_point):
            _fail(op, f"input '{x.name}' (scale {x.scale}, zero point {x.zero_point}) differs from the "
                      f"output (scale {y.scale}, zero point {y.zero_point}); TFLite Micro requires equal "
                      "quantisation for int8 concatenation")
        if len(x.shape) != rank or any(x.shape[d] != y.shape[d] for d in range(rank) if d != axis):
            _fail(op, f"input shape {tuple(x.shape)} does not fit output {tuple(y.shape)} on axis {axis}")
    if sum(x.shape[axis] for x in xs) != y.shape[axis]:
        _fail(op, f"inputs do not add up to output dim {y.shape[axis]} on axis {axis}")
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64)) * word     # bytes
    out_row = y.shape[axis] * inner
    calls = []
    col = 0
    for k, x in enumerate(xs):
        in_row = x.shape[axis] * inner
        name = ctx.unique(f"concat{op.index}_{k}")
        params = ParamStruct("mcu_concat_part_t", f"{name}_params", (
            ("outer", c_int(outer)),
            ("out_row", c_int(out_row)),
            ("in_row", c_int(in_row)),
            ("out_col", c_int(col)),
            ("requant", c_int(0)),
            ("input_zero_point", c_int(x.zero_point if word == 1 else 0)),
            ("output_zero_point", c_int(y.zero_point if word == 1 else 0)),
            ("mult", c_int(0)),
            ("shift", c_int(0)),
            ("rows", c_int(1)),            # a patch stage: the tile's rows and the buffers' row strides
            ("in_row_stride", c_int(0)),
            ("out_row_stride", c_int(0)),
        ))
        calls.append(KernelCall(op.index, op.kind, "mcu_concat_part_s8",
                                (f"&{params.name}", byte_src(ctx, x.index) if word > 1 else _src(ctx, x.index),
                                 ctx.act(y.index)), params, ("mcu_data.c",),
                                f"input {k} of {len(xs)}: {tuple(x.shape)} on axis {axis}"))
        col += in_row
    return calls
