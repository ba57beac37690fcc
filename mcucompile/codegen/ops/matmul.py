"""BATCH_MATMUL (int8 x int8 -> int8) and TRANSPOSE_CONV (int8, per-channel int8 weights, int32 bias),
as TFLite Micro's reference kernels compute them.

BATCH_MATMUL: out = requant(sum_k (lhs - lhs_zp) (rhs - rhs_zp)) + out_zp with one multiplier,
lhs_scale * rhs_scale / out_scale in double (GetQuantizedConvolutionMultipler), clamped to int8 (the op
has no fused activation). TFLite Micro transposes operands into persistent copies; we only pick strides.

TRANSPOSE_CONV: inputs are (output_shape, filter [Cout, KH, KW, Cin], input, optional bias). Padding as
TFLite Micro derives it: ComputePaddingHeightWidth over the *output* size with the op's stride and
filter size; per-channel multipliers as PopulateConvolutionQuantizationParams; the fused activation
clamps.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.geometry import compute_out_size, compute_padding
from ...ir.quant import quantize_multiplier
from ..records import Arg, KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers
from .conv import conv_params
from .s16_conv import conv_call as s16_conv_call


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _per_tensor_int8(op, *tensors):
    for t in tensors:
        if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
            _fail(op, f"tensor '{t.name}' must be per-tensor int8 (got {t.dtype}"
                      f"{', per-channel' if t.quant is not None and t.quant.per_channel else ''})")


def _src(ctx, i: int) -> Arg:
    return ctx.weight(i, "int8_t") if ctx.tensor(i).is_const else ctx.act(i)


def _strides(shape) -> list[int]:
    s = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        s[d] = s[d + 1] * shape[d + 1]
    return s


# ---- BATCH_MATMUL --------------------------------------------------------------------------------

@lowers("BATCH_MATMUL")
def lower_batch_matmul(ctx, op):
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs, got {len(op.inputs)}")
    lhs, rhs = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    y = ctx.tensor(op.outputs[0])
    _per_tensor_int8(op, lhs, rhs, y)
    lr, rr = len(lhs.shape), len(rhs.shape)
    if not (2 <= lr <= 5 and 2 <= rr <= 5):
        _fail(op, f"operands must have rank 2 to 5 (got {lr} and {rr}), as in TFLite Micro")
    rank = max(lr, rr)
    ls = [1] * (rank - lr) + list(lhs.shape)
    rs = [1] * (rank - rr) + list(rhs.shape)
    lstr = [0] * (rank - lr) + _strides(lhs.shape)
    rstr = [0] * (rank - rr) + _strides(rhs.shape)
    a = op.attrs
    rows, depth = (ls[-1], ls[-2]) if a.adj_x else (ls[-2], ls[-1])
    rdepth, cols = (rs[-1], rs[-2]) if a.adj_y else (rs[-2], rs[-1])
    if depth != rdepth:
        _fail(op, f"inner dimensions differ: {tuple(lhs.shape)} (adj_x={a.adj_x}) x {tuple(rhs.shape)} "
                  f"(adj_y={a.adj_y})")
    batch, lb, rb = [], [], []
    for d in range(rank - 2):
        if ls[d] != rs[d] and 1 not in (ls[d], rs[d]):
            _fail(op, f"batch dimensions {tuple(lhs.shape[:-2])} and {tuple(rhs.shape[:-2])} do not broadcast")
        batch.append(max(ls[d], rs[d]))
        lb.append(lstr[d] if ls[d] > 1 else 0)
        rb.append(rstr[d] if rs[d] > 1 else 0)
    if tuple(y.shape) != tuple(batch + [rows, cols]):
        _fail(op, f"output shape {tuple(y.shape)} differs from the {tuple(batch + [rows, cols])} the operands give")
    pad = 3 - len(batch)
    batch, lb, rb = [1] * pad + batch, [0] * pad + lb, [0] * pad + rb
    # row/depth strides of the [.., M, N] operands: adj swaps which of the two is "rows"
    l_row, l_depth = (1, ls[-1]) if a.adj_x else (ls[-1], 1)
    r_depth, r_col = (1, rs[-1]) if a.adj_y else (rs[-1], 1)
    mult, shift = quantize_multiplier(float(lhs.scale) * float(rhs.scale) / float(y.scale))
    name = ctx.unique(f"batch_matmul{op.index}")
    params = ParamStruct("mcu_batch_matmul_params_t", f"{name}_params", (
        ("batch_dims", c_list(batch)),
        ("lhs_batch_strides", c_list(lb)),
        ("rhs_batch_strides", c_list(rb)),
        ("rows", c_int(rows)),
        ("cols", c_int(cols)),
        ("depth", c_int(depth)),
        ("lhs_row_stride", c_int(l_row)),
        ("lhs_depth_stride", c_int(l_depth)),
        ("rhs_depth_stride", c_int(r_depth)),
        ("rhs_col_stride", c_int(r_col)),
        ("lhs_offset", c_int(-lhs.zero_point)),
        ("rhs_offset", c_int(-rhs.zero_point)),
        ("output_offset", c_int(y.zero_point)),
        ("mult", c_int(mult)),
        ("shift", c_int(shift)),
        ("act_min", c_int(-128)),
        ("act_max", c_int(127)),
    ))
    return [KernelCall(op.index, op.kind, "mcu_batch_matmul_s8",
                       (f"&{params.name}", _src(ctx, lhs.index), _src(ctx, rhs.index), ctx.act(y.index)),
                       params, ("mcu_matmul.c",),
                       f"{tuple(lhs.shape)}{'^T' if a.adj_x else ''} x {tuple(rhs.shape)}{'^T' if a.adj_y else ''}"
                       f" -> {tuple(y.shape)}")]


# ---- TRANSPOSE_CONV ------------------------------------------------------------------------------

@lowers("TRANSPOSE_CONV")
def lower_transpose_conv(ctx, op):
    if len(op.inputs) not in (3, 4):
        _fail(op, f"expects 3 or 4 inputs (output shape, filter, input, bias), got {len(op.inputs)}")
    w = ctx.tensor(op.inputs[1])
    x = ctx.tensor(op.inputs[2])
    b = ctx.tensor(op.inputs[3]) if len(op.inputs) == 4 and op.inputs[3] >= 0 else None
    y = ctx.tensor(op.outputs[0])
    a = op.attrs
    s16 = x.dtype == "int16"       # 16x8 quantisation (s16_conv.py checks the rest)
    if not s16:
        _per_tensor_int8(op, x, y)
    if w.data is None or w.dtype != "int8" or w.quant is None:
        _fail(op, "the filter must be a constant, quantised int8 tensor")
    if not s16 and b is not None and (b.data is None or b.dtype != "int32"):
        _fail(op, f"the bias must be a constant int32 tensor (got {b.dtype})")
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        _fail(op, f"tensors must be 4-D (input {tuple(x.shape)}, filter {tuple(w.shape)}, output {tuple(y.shape)})")
    shape_t = ctx.tensor(op.inputs[0])
    if shape_t.data is not None and [int(v) for v in np.asarray(shape_t.data).reshape(-1)] != list(y.shape):
        _fail(op, f"the output_shape input {np.asarray(shape_t.data).tolist()} differs from the output tensor "
                  f"{tuple(y.shape)}")
    if a.stride_h <= 0 or a.stride_w <= 0:
        _fail(op, f"strides must be positive (got {a.stride_h}x{a.stride_w})")
    if a.padding not in ("SAME", "VALID"):
        _fail(op, f"padding {a.padding} is not supported")
    if a.activation not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        _fail(op, f"fused activation {a.activation} is not supported")
    if any(int(z) != 0 for z in w.quant.zero_point):
        _fail(op, "filter zero point must be 0 (TFLite's int8 kernel ignores it)")
    n, in_h, in_w, in_c = x.shape
    out_c, kh, kw, fc = w.shape
    if fc != in_c or y.shape[0] != n or y.shape[3] != out_c:
        _fail(op, f"filter {tuple(w.shape)} does not fit input {tuple(x.shape)} and output {tuple(y.shape)}")
    if b is not None and b.size != out_c:
        _fail(op, f"bias has {b.size} values for {out_c} output channels")
    out_h, out_w = y.shape[1], y.shape[2]
    # TFLite Micro: ComputePaddingHeightWidth(stride, dilation 1, output height/width, filter) -> pad
    pad_top, _ = compute_padding(a.stride_h, 1, out_h, kh, compute_out_size(a.padding, out_h, kh, a.stride_h, 1))
    pad_left, _ = compute_padding(a.stride_w, 1, out_w, kw, compute_out_size(a.padding, out_w, kw, a.stride_w, 1))
    scales = w.quant.scale
    if len(scales) not in (1, out_c):
        _fail(op, f"{len(scales)} filter scales for {out_c} output channels")
    if len(scales) > 1 and w.quant.axis != 0:
        _fail(op, f"per-channel filter quantised along axis {w.quant.axis}; TFLite Micro expects axis 0")
    comment = (f"{in_h}x{in_w}x{in_c} -> {out_h}x{out_w}x{out_c}, k {kh}x{kw}, s {a.stride_h}x{a.stride_w}, "
               f"{a.padding}, {a.activation}")
    if s16:
        return [s16_conv_call(ctx, op, "mcu_transpose_conv_s16", "mcu_transpose_conv_s16.c", x, w, b, y,
                              (a.stride_h, a.stride_w), (1, 1), (pad_top, pad_left, 0, 0), 0, comment)]
    name = ctx.unique(f"transpose_conv{op.index}")
    params = conv_params(ctx, name, op, x, w, y, out_c, (a.stride_h, a.stride_w), (1, 1), (pad_top, pad_left, 0, 0), 0)
    bias = ctx.weight(b.index, "int32_t") if b is not None else "NULL"
    return [KernelCall(op.index, op.kind, "mcu_transpose_conv_s8",
                       (f"&{params.name}", _src(ctx, x.index), ctx.weight(w.index, "int8_t"), bias,
                        ctx.act(y.index)),
                       params, ("mcu_transpose_conv.c",), comment)]
