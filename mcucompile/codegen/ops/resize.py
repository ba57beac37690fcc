"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8 NHWC, as TFLite Micro's reference kernels.

Nearest neighbour: TFLite's GetNearestNeighbor picks each source row/column with float32 arithmetic
(scale = in / out, or (in - 1) / (out - 1) with align_corners; floor, or round half away from zero with
align_corners; +0.5 with half_pixel_centers). We evaluate it here in float32 and hand the kernel two
index tables. Bilinear: TFLite Micro runs ResizeBilinearInteger (10-bit fixed point); we compute its
scales and the half-pixel offset here. Neither op rescales, so input and output must share one
quantisation (the converter guarantees it).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.geometry import bilinear_offset, bilinear_scale_10, nearest_indices  # noqa: F401
from ..records import Arg, KernelCall, ParamStruct, c_dims4, c_int
from ..registry import lowers


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _check(ctx, op):
    if len(op.inputs) != 2:
        _fail(op, f"expects an input and a size tensor, got {len(op.inputs)} inputs")
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    for t in (x, y):
        if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
            _fail(op, f"tensor '{t.name}' must be per-tensor int8 (got {t.dtype})")
    if float(x.scale) != float(y.scale) or x.zero_point != y.zero_point:
        _fail(op, f"input (scale {x.scale}, zero point {x.zero_point}) and output (scale {y.scale}, "
                  f"zero point {y.zero_point}) must be quantised alike: TFLite's int8 resize does not rescale")
    if len(x.shape) != 4 or len(y.shape) != 4:
        _fail(op, f"input and output must be 4-D NHWC (got {tuple(x.shape)} and {tuple(y.shape)})")
    size = ctx.tensor(op.inputs[1])
    if size.data is None or size.dtype != "int32" or size.size != 2:
        _fail(op, "the size must be a constant int32 tensor of 2 values (TFLite Micro requires it)")
    oh, ow = (int(v) for v in np.asarray(size.data).reshape(-1))
    if (y.shape[0], y.shape[1], y.shape[2], y.shape[3]) != (x.shape[0], oh, ow, x.shape[3]):
        _fail(op, f"output shape {tuple(y.shape)} does not match size [{oh}, {ow}] of input {tuple(x.shape)}")
    if oh <= 0 or ow <= 0:
        _fail(op, f"size [{oh}, {ow}] must be positive")
    a = op.attrs
    if a.align_corners and a.half_pixel_centers:
        _fail(op, "align_corners and half_pixel_centers cannot both be set (TFLite refuses this too)")
    return x, y


@lowers("RESIZE_NEAREST_NEIGHBOR")
def lower_resize_nearest(ctx, op):
    x, y = _check(ctx, op)
    a = op.attrs
    rows = nearest_indices(y.shape[1], x.shape[1], a.align_corners, a.half_pixel_centers)
    cols = nearest_indices(y.shape[2], x.shape[2], a.align_corners, a.half_pixel_centers)
    name = ctx.unique(f"resize_nearest{op.index}")
    params = ParamStruct("mcu_resize_nearest_params_t", f"{name}_params", (
        ("in", c_dims4(x.shape)),
        ("out", c_dims4(y.shape)),
        ("rows", ctx.const(np.array(rows, dtype=np.int32), "int32_t", f"{name}_rows")),
        ("cols", ctx.const(np.array(cols, dtype=np.int32), "int32_t", f"{name}_cols")),
    ))
    return [KernelCall(op.index, op.kind, "mcu_resize_nearest_s8",
                       (f"&{params.name}", _src(ctx, x.index), ctx.act(y.index)), params, ("mcu_resize.c",),
                       f"{x.shape[1]}x{x.shape[2]} -> {y.shape[1]}x{y.shape[2]}, "
                       f"align_corners={a.align_corners}, half_pixel_centers={a.half_pixel_centers}")]


@lowers("RESIZE_BILINEAR")
def lower_resize_bilinear(ctx, op):
    x, y = _check(ctx, op)
    a = op.attrs
    sh = bilinear_scale_10(y.shape[1], x.shape[1], a.align_corners)
    sw = bilinear_scale_10(y.shape[2], x.shape[2], a.align_corners)
    oh, ow = bilinear_offset(sh, a.half_pixel_centers), bilinear_offset(sw, a.half_pixel_centers)
    max_pos = max((y.shape[1] - 1) * sh + oh, (y.shape[2] - 1) * sw + ow) + 1023
    if max_pos >= (1 << 31):
        _fail(op, "the output is too large for TFLite's 32-bit source coordinates")
    name = ctx.unique(f"resize_bilinear{op.index}")
    params = ParamStruct("mcu_resize_bilinear_params_t", f"{name}_params", (
        ("in", c_dims4(x.shape)),
        ("out", c_dims4(y.shape)),
        ("scale_h", c_int(sh)),
        ("scale_w", c_int(sw)),
        ("offset_h", c_int(oh)),
        ("offset_w", c_int(ow)),
        ("out_y0", c_int(0)),         # a patch stage sets the tile's origin and its input buffer's
        ("out_x0", c_int(0)),
        ("in_y0", c_int(0)),
        ("in_x0", c_int(0)),
        ("src_h", c_int(x.shape[1])),
        ("src_w", c_int(x.shape[2])),
    ))
    return [KernelCall(op.index, op.kind, "mcu_resize_bilinear_s8",
                       (f"&{params.name}", _src(ctx, x.index), ctx.act(y.index)), params, ("mcu_resize.c",),
                       f"{x.shape[1]}x{x.shape[2]} -> {y.shape[1]}x{y.shape[2]}, "
                       f"align_corners={a.align_corners}, half_pixel_centers={a.half_pixel_centers}")]


def _src(ctx, i: int) -> Arg:
    return ctx.weight(i, "int8_t") if ctx.tensor(i).is_const else ctx.act(i)
