"""AVERAGE_POOL_2D and MAX_POOL_2D, int8 NHWC; 16x8: int16 NHWC (firmware/mcu_pool_s16.c)."""

from __future__ import annotations

from ...errors import UnsupportedModelError
from ...ir.geometry import padding_text, window_geometry
from ...ir.quant import activation_range
from ..records import KernelCall, ParamStruct, c_dims4, c_int
from ..registry import lowers
from . import s16


def _lower_pool(ctx, op, func: str, tag: str):
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    a = op.attrs
    where = f"{op.kind} (op {op.index})"
    wide = "int16" in (x.dtype, y.dtype)     # 16x8: int16 in and out, zero point 0 (mcu_pool_s16.c)
    if wide:
        s16.check_s16(op, (x, y))
    elif (x.dtype != "int8" or y.dtype != "int8"):
        raise UnsupportedModelError(f"{where}: {x.dtype} -> {y.dtype} is not supported (int8 only)")
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise UnsupportedModelError(f"{where}: input and output must be 4-D NHWC, got {x.shape} -> {y.shape}")
    if x.quant is None or y.quant is None:
        raise UnsupportedModelError(f"{where}: input and output must be quantised")
    if x.zero_point != y.zero_point or abs(float(x.scale) - float(y.scale)) > 1e-6:
        raise UnsupportedModelError(f"{where}: input and output quantisation must match "
                                    f"(TFLite requires it), got {x.quant} -> {y.quant}")
    n, ih, iw, c = x.shape
    if a.padding not in ("SAME", "VALID") and not (a.padding == "EXPLICIT" and a.pads is not None):
        raise UnsupportedModelError(f"{where}: pooling padding {a.padding!r} is not supported")
    geo = window_geometry(a, ih, iw, a.filter_h, a.filter_w)
    oh, ow, pad_top, pad_left = geo.out_h, geo.out_w, geo.pad_top, geo.pad_left
    if tuple(y.shape) != (n, oh, ow, c):
        raise UnsupportedModelError(f"{where}: output shape {y.shape} does not match the expected {(n, oh, ow, c)}")
    if oh <= 0 or ow <= 0:
        raise UnsupportedModelError(f"{where}: empty output {y.shape}")
    act_min, act_max = activation_range(a.activation, y.scale, y.zero_point,
                                        *((s16.INT16_MIN, s16.INT16_MAX) if wide else (-128, 127)))
    name = ctx.unique(f"{tag}{op.index}")
    params = ParamStruct("mcu_pool_params_t", f"{name}_params", (
        ("in", c_dims4(x.shape)),
        ("out", c_dims4(y.shape)),
        ("filter_h", c_int(a.filter_h)),
        ("filter_w", c_int(a.filter_w)),
        ("stride_h", c_int(a.stride_h)),
        ("stride_w", c_int(a.stride_w)),
        ("pad_top", c_int(pad_top)),
        ("pad_left", c_int(pad_left)),
        ("act_min", c_int(act_min)),
        ("act_max", c_int(act_max)),
    ))
    ctype = "int16_t" if wide else "int8_t"
    return [KernelCall(op.index, op.kind, func.replace("_s8", "_s16") if wide else func,
                       (f"&{params.name}", ctx.act(x.index, ctype), ctx.act(y.index, ctype)),
                       params, ("mcu_pool_s16.c" if wide else "mcu_pool.c",),
                       f"{'int16 ' if wide else ''}{a.filter_h}x{a.filter_w}/{a.stride_h}x{a.stride_w} "
                       f"{padding_text(a)}: {list(x.shape)} -> {list(y.shape)}")]


@lowers("AVERAGE_POOL_2D")
def lower_average_pool_2d(ctx, op):
    return _lower_pool(ctx, op, "mcu_avg_pool2d_s8", "avgpool")


@lowers("MAX_POOL_2D")
def lower_max_pool_2d(ctx, op):
    return _lower_pool(ctx, op, "mcu_max_pool2d_s8", "maxpool")
