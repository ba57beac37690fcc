"""16x8 quantisation (int16 activations, int8 weights, int64 bias): the checks and kernel calls the conv,
depthwise conv, transpose conv and fully connected lowerings take when their input is int16, as TFLite
Micro's reference integer kernels for 16x8 (int64 sums, MultiplyByQuantizedMultiplier of an int64).

TFLite's int64 form of MultiplyByQuantizedMultiplier reduces the 32-bit multiplier to 16 bits and shifts
by 15 - shift; both are computed here once per channel (reduced_multiplier), the kernels only apply them
(firmware/mcu_nn_s16.h, mcu_requant64). A conv or FC with an int32 bias (or none, with the options'
quantized_bias_type INT32) takes TFLite Micro's int32-accumulator form instead (the *_s16_b32 kernels: the
usual 32-bit multipliers). Data movement of int16 tensors runs the int8 copy kernels over their bytes
(elem_bytes, byte_src).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import activation_range, quantize_multiplier
from ..records import KernelCall, ParamStruct, c_dims4, c_float, c_int

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def reduced_multiplier(q: int, shift: int) -> tuple[int, int]:
    """MultiplyByQuantizedMultiplier(int64 x, q, shift) as (x * m + 2^(s-1)) >> s: (m, s), m the multiplier
    rounded to 16 bits (saturating at 0x7FFF), s = 15 - shift."""
    m = (q + (1 << 15)) >> 16 if q < 0x7FFF0000 else 0x7FFF
    return m, 15 - shift


def check_16x8(op, x, w, b, y, int32_bias: bool = False) -> None:
    """The 16x8 combination TFLite Micro runs: int16 input and output with zero point 0 (symmetric),
    per-tensor; an int8 symmetric constant filter; a constant int64 bias (or none; int32_bias: an int32 one
    too, which TFLite Micro's conv and FC take with an int32 accumulator)."""
    if y.dtype != "int16":
        _fail(op, f"int16 input with {y.dtype} output is not supported (16x8: int16 output)")
    for t, what in ((x, "input"), (y, "output")):
        if t.quant is None or t.quant.per_channel:
            _fail(op, f"the int16 {what} must have per-tensor quantisation")
        if t.zero_point != 0:
            _fail(op, f"the int16 {what} has zero point {t.zero_point}; 16x8 activations must be symmetric (0)")
    if w.data is None or w.dtype != "int8" or w.quant is None:
        _fail(op, f"16x8 needs a constant, quantised int8 filter (got {w.dtype})")
    if any(int(z) != 0 for z in w.quant.zero_point):
        _fail(op, "16x8 filter zero point must be 0 (symmetric weights)")
    if b is not None and (b.data is None or b.dtype not in (("int64", "int32") if int32_bias else ("int64",))):
        _fail(op, f"16x8 needs a constant int64 bias (got {b.dtype}"
                  + ("; TFLite Micro's int32-bias form is for CONV_2D and FULLY_CONNECTED)" if b.dtype == "int32"
                     else ")"))


def requant_fields(ctx, name: str, op, x, w, y, n: int, reduce: bool = True) -> tuple:
    """The out_mult / out_shift arrays (reduced_multiplier per channel, one filter scale or n; not reduce:
    the int32 multipliers and shifts, for the int32-accumulator kernels) and the fused activation's int16
    range, as mcu_conv_params_t / mcu_fc_params_t fields."""
    scales = w.quant.scale
    if len(scales) not in (1, n):
        _fail(op, f"{len(scales)} filter scales for {n} output channels")
    mults, shifts = [], []
    for c in range(len(scales) if n == 0 else n):
        q, sh = quantize_multiplier(float(x.scale) * float(scales[c if len(scales) > 1 else 0]) / float(y.scale))
        if not -31 <= sh < 8:
            _fail(op, f"output multiplier exponent {sh} is outside TFLite's range -31..7 (input, filter and "
                      "output scales)")
        m, s = reduced_multiplier(q, sh) if reduce else (q, sh)
        mults.append(m)
        shifts.append(s)
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point, INT16_MIN, INT16_MAX)
    return (("act_min", c_int(act_min)),
            ("act_max", c_int(act_max)),
            ("out_mult", ctx.const(np.array(mults, dtype=np.int32), "int32_t", f"{name}_mult")),
            ("out_shift", ctx.const(np.array(shifts, dtype=np.int32), "int32_t", f"{name}_shift")))


def conv_call(ctx, op, kernel: str, source: str, x, w, b, y, stride: tuple, dilation: tuple, pads: tuple,
              depth_multiplier: int, comment: str) -> KernelCall:
    """A 16x8 conv-like call (mcu_conv_s16, mcu_depthwise_conv_s16, mcu_transpose_conv_s16): the int8
    kernels' mcu_conv_params_t with zero offsets and the reduced multipliers."""
    # TFLite Micro takes the int32-accumulator form for an int32 bias, or without a bias when the options'
    # quantized_bias_type says INT32 (a conv only)
    b32 = kernel == "mcu_conv_s16" and (b.dtype == "int32" if b is not None else op.attrs.int32_bias)
    check_16x8(op, x, w, b, y, int32_bias=kernel == "mcu_conv_s16")
    if b32:             # TFLite Micro's int32-accumulator form
        kernel, source = "mcu_conv_s16_b32", "mcu_conv_s16_b32.c"
    out_c = int(y.shape[3])
    name = ctx.unique(f"{kernel.removeprefix('mcu_')}{op.index}")
    params = ParamStruct("mcu_conv_params_t", f"{name}_params", (
        ("in", c_dims4(x.shape)),
        ("filter", c_dims4(w.shape)),
        ("out", c_dims4(y.shape)),
        ("stride_h", c_int(stride[0])),
        ("stride_w", c_int(stride[1])),
        ("dilation_h", c_int(dilation[0])),
        ("dilation_w", c_int(dilation[1])),
        ("pad_top", c_int(pads[0])),
        ("pad_left", c_int(pads[1])),
        ("pad_bottom", c_int(pads[2])),
        ("pad_right", c_int(pads[3])),
        ("depth_multiplier", c_int(depth_multiplier)),
        ("input_offset", c_int(0)),
        ("output_offset", c_int(0)),
        *requant_fields(ctx, name, op, x, w, y, out_c, reduce=not b32),
    ))
    bias = ctx.weight(b.index, "int32_t" if b32 else "int64_t") if b is not None else "NULL"
    return KernelCall(op.index, op.kind, kernel,
                      (f"&{params.name}", ctx.act(x.index, "int16_t"), ctx.weight(w.index, "int8_t"), bias,
                       ctx.act(y.index, "int16_t")),
                      params, (source,), f"16x8, {comment}")


def fc_call(ctx, op, x, w, b, y, batches: int, accum_depth: int, out_depth: int) -> KernelCall:
    """FULLY_CONNECTED 16x8 (mcu_fully_connected_s16)."""
    check_16x8(op, x, w, b, y, int32_bias=True)
    b32 = b.dtype == "int32" if b is not None else op.attrs.int32_bias    # the int32-accumulator form
    if w.quant.per_channel and len(w.quant.scale) != out_depth:
        _fail(op, f"{len(w.quant.scale)} weight scales for {out_depth} outputs")
    per_channel = len(w.quant.scale) > 1
    name = ctx.unique(f"fc_s16_{op.index}")
    params = ParamStruct("mcu_fc_params_t", f"{name}_params", (
        ("batches", c_int(batches)),
        ("accum_depth", c_int(accum_depth)),
        ("out_depth", c_int(out_depth)),
        ("input_offset", c_int(0)),
        ("filter_offset", c_int(0)),
        ("output_offset", c_int(0)),
        ("per_channel", c_int(1 if per_channel else 0)),
        *requant_fields(ctx, name, op, x, w, y, out_depth if per_channel else 0, reduce=not b32),
    ))
    bias = ctx.weight(b.index, "int32_t" if b32 else "int64_t") if b is not None else "NULL"
    return KernelCall(op.index, op.kind, "mcu_fully_connected_s16_b32" if b32 else "mcu_fully_connected_s16",
                      (f"&{params.name}", ctx.act(x.index, "int16_t"), ctx.weight(w.index, "int8_t"), bias,
                       ctx.act(y.index, "int16_t")),
                      params, ("mcu_fc_s16_b32.c" if b32 else "mcu_fc_s16.c",),
                      f"16x8{', int32 bias' if b32 else ''}, {batches}x{accum_depth} -> {out_depth}")


# ---- data movement of int16 tensors: the int8 kernels over their bytes ----------------------------------

def same_dtype(op, tensors) -> None:
    """A data-movement op's tensors all int8 or all int16: it copies, it does not convert."""
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            _fail(op, f"tensor '{t.name}' is {t.dtype} but '{tensors[0].name}' is {tensors[0].dtype}; this op "
                      "copies values, it does not convert them")


def elem_bytes(t) -> int:
    """Bytes per element of a data-movement op's tensor: 2 for int16, 4 for (unquantised) int32 (the int8
    copy kernels then move the bytes: every shape gets a trailing axis of 2 or 4, every offset and row
    grows alike), else 1."""
    return {"int16": 2, "int32": 4}.get(t.dtype, 1)


def byte_src(ctx, i: int):
    """Pointer to an input tensor as bytes (int8_t): the activation, or a constant's flash array (an int16 or
    int32 constant as its little-endian bytes, the order of the targets' memory)."""
    t = ctx.tensor(i)
    if not t.is_const:
        return ctx.act(i)
    if t.dtype in ("int16", "int32"):
        data = np.ascontiguousarray(np.asarray(t.data, dtype="<i2" if t.dtype == "int16" else "<i4")).view(np.int8)
        return ctx.const(data.reshape(-1), "int8_t", f"w{i}_bytes")
    return ctx.weight(i, "int8_t")


# ---- QUANTIZE with int16 ------------------------------------------------------------------------------

def quantize_s16_call(ctx, op, x, y, src) -> KernelCall:
    """QUANTIZE float -> int16 (AffineQuantize) or int8 -> int16, int16 -> int8, int16 -> int16
    (reference_ops::Requantize: the multiplier of in_scale / out_scale in double, the int32 double-rounding
    MultiplyByQuantizedMultiplier, saturated to the output type). src: the input's C pointer."""
    if y.quant is None or y.quant.per_channel:
        _fail(op, f"the {y.dtype} output must have per-tensor quantisation")
    size = int(y.size)
    name = ctx.unique(f"quantize{op.index}")
    if x.dtype == "float32" and y.dtype == "int16":
        params = ParamStruct("mcu_quantize_params_t", f"{name}_params", (
            ("size", c_int(size)), ("zero_point", c_int(y.zero_point)), ("scale", c_float(y.scale))))
        return KernelCall(op.index, op.kind, "mcu_quantize_f32_s16",
                          (f"&{params.name}", src, ctx.act(y.index, "int16_t")),
                          params, ("mcu_quantize_s16.c",), f"float -> int16, {size} values")
    pairs = {("int8", "int16"): "s8_s16", ("int16", "int8"): "s16_s8", ("int16", "int16"): "s16_s16"}
    if (x.dtype, y.dtype) not in pairs:
        _fail(op, f"{x.dtype} -> {y.dtype} is not supported (with int16: float32, int8 or int16 -> int16, "
                  "int16 -> int8)")
    if x.quant is None or x.quant.per_channel:
        _fail(op, f"the {x.dtype} input must have per-tensor quantisation")
    mult, shift = quantize_multiplier(float(x.scale) / float(y.scale))
    lo, hi = (INT16_MIN, INT16_MAX) if y.dtype == "int16" else (-128, 127)
    params = ParamStruct("mcu_requantize_params_t", f"{name}_params", (
        ("size", c_int(size)),
        ("in_zero_point", c_int(x.zero_point)),
        ("out_zero_point", c_int(y.zero_point)),
        ("mult", c_int(mult)),
        ("shift", c_int(shift)),
        ("out_min", c_int(lo)),
        ("out_max", c_int(hi)),
    ))
    yc = "int16_t" if y.dtype == "int16" else "int8_t"
    return KernelCall(op.index, op.kind, f"mcu_requantize_{pairs[x.dtype, y.dtype]}",
                      (f"&{params.name}", src, ctx.act(y.index, yc)),
                      params, ("mcu_quantize_s16.c",), f"{x.dtype} -> {y.dtype} requantise, {size} values")
