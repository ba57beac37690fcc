"""FULLY_CONNECTED, int8 activations and weights, int32 bias; 16x8 (int16 activations) in s16_conv.py."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import activation_range, quantize_multiplier
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers
from .s16_conv import fc_call as s16_fc_call


@lowers("FULLY_CONNECTED")
def lower_fully_connected(ctx, op):
    x = ctx.tensor(op.inputs[0])
    w = ctx.tensor(op.inputs[1])
    b = ctx.tensor(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    y = ctx.tensor(op.outputs[0])
    if w.data is None:
        raise UnsupportedModelError(f"FULLY_CONNECTED (op {op.index}): weights must be constant")
    if w.dtype != "int8":
        raise UnsupportedModelError(f"FULLY_CONNECTED (op {op.index}): {w.dtype} weights are not supported (int8 only)")
    s16 = x.dtype == "int16"       # 16x8 quantisation (s16_conv.py checks the rest)
    if not s16 and (x.dtype != "int8" or y.dtype != "int8"):
        raise UnsupportedModelError(f"FULLY_CONNECTED (op {op.index}): {x.dtype} input / {y.dtype} output are not "
                                    "supported (int8, or int16 16x8)")
    if not s16 and b is not None and (b.data is None or b.dtype != "int32"):
        raise UnsupportedModelError(f"FULLY_CONNECTED (op {op.index}): the bias must be a constant int32 tensor")
    out_depth, accum_depth = w.shape[0], w.shape[-1]
    if x.size % accum_depth:
        raise UnsupportedModelError(f"FULLY_CONNECTED (op {op.index}): input size {x.size} is not a multiple of "
                                    f"{accum_depth}")
    batches = x.size // accum_depth
    if x.data is not None:
        raise UnsupportedModelError(f"FULLY_CONNECTED (op {op.index}): a constant input is not supported")
    if y.size != batches * out_depth:
        raise UnsupportedModelError(f"FULLY_CONNECTED (op {op.index}): input {x.shape} and weights {w.shape} give "
                                    f"{batches * out_depth} outputs, but output {y.shape} holds {y.size}")

    if s16:
        return [s16_fc_call(ctx, op, x, w, b, y, batches, accum_depth, out_depth)]
    # TFLite: real multiplier = input_scale * filter_scale / output_scale, all as double
    scales = w.quant.scale
    mults, shifts = [], []
    for s in scales:
        q, sh = quantize_multiplier(float(x.scale) * float(s) / float(y.scale))
        mults.append(q)
        shifts.append(sh)
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point)
    name = ctx.unique(f"fc{op.index}")
    params = ParamStruct("mcu_fc_params_t", f"{name}_params", (
        ("batches", c_int(batches)),
        ("accum_depth", c_int(accum_depth)),
        ("out_depth", c_int(out_depth)),
        ("input_offset", c_int(-x.zero_point)),
        ("filter_offset", c_int(-w.quant.zero_point[0])),
        ("output_offset", c_int(y.zero_point)),
        ("act_min", c_int(act_min)),
        ("act_max", c_int(act_max)),
        ("per_channel", c_int(1 if len(scales) > 1 else 0)),
        ("out_mult", ctx.const(np.array(mults, dtype=np.int32), "int32_t", f"{name}_mult")),
        ("out_shift", ctx.const(np.array(shifts, dtype=np.int32), "int32_t", f"{name}_shift")),
    ))
    if ctx.simd == "mve" and ctx.kernels != "reference" and int(w.quant.zero_point[0]) == 0:
        # Helium (firmware/mcu_fc_mve.c): the bias and the input offset times each row's weight sum folded into
        # one int32 per output here, once (int32 wrapping, as TFLite's sums), in place of the bias
        ksum = kernel_sums(w.data, b.data if b is not None else None, -x.zero_point, out_depth)
        return [KernelCall(op.index, op.kind, "mcu_fully_connected_s8_mve",
                           (f"&{params.name}", ctx.act(x.index), ctx.weight(w.index, "int8_t"),
                            ctx.const(ksum, "int32_t", f"{name}_ksum"), ctx.act(y.index)),
                           params, ("mcu_fc_mve.c",),
                           f"{batches}x{accum_depth} -> {out_depth}, kernel sums folded")]
    bias = ctx.weight(b.index, "int32_t") if b is not None else "NULL"
    return [KernelCall(op.index, op.kind, "mcu_fully_connected_s8",
                       (f"&{params.name}", ctx.act(x.index), ctx.weight(w.index, "int8_t"), bias,
                        ctx.act(y.index)),
                       params, ("mcu_fc.c",),
                       f"{batches}x{accum_depth} -> {out_depth}")]



def kernel_sums(weights, bias, input_offset: int, out_depth: int) -> np.ndarray:
    """bias[o] + input_offset * sum_k weights[o][k] per output row o, wrapped to int32 as TFLite's int32 sums
    wrap (the order of wrapping additions does not change their result)."""
    w = np.asarray(weights, dtype=np.int64).reshape(out_depth, -1)
    s = w.sum(axis=1) * int(input_offset)
    if bias is not None:
        s = s + np.asarray(bias, dtype=np.int64).reshape(-1)
    return (((s + (1 << 31)) % (1 << 32)) - (1 << 31)).astype(np.int32)
