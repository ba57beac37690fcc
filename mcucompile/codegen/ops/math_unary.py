"""Unary int8 math: ELU, EXP, LOG, RSQRT, SQRT, each a 256-entry table run by mcu_lut_s8.

Which reference defines each op's int8 arithmetic (and is the test oracle):

- ELU: TFLite Micro (kernels/elu.cc) fills a table in float32: x = s_in * (q - zp_in); x < 0 ? expf(x) - 1 : x;
  then roundf(y * (1 / s_out)) + zp_out, clamped.
- EXP: TFLite Micro has float32 EXP only. LiteRT's int8 EXP (kernels/exp.cc) is the same float32 table
  construction (LUTPopulate) with expf.
- LOG: TFLite Micro has float32 LOG only. LiteRT's int8 LOG (kernels/elementwise.cc) is a LUTPopulate table
  of logf(x), with x <= 0 mapped to the real value of the lowest output code.
- RSQRT: TFLite Micro's int8 RSQRT (kernels/elementwise.cc, the same arithmetic in LiteRT) is integer:
  GetInvSqrtQuantizedMultiplierExp (a Newton-Raphson inverse square root in gemmlowp fixed point) of
  q - zp_in, then two MultiplyByQuantizedMultiplier rescales by 1 / (sqrtf(s_in) * s_out). Inputs below the
  zero point (negative reals) make both references stop with an error; our table gives them what TFLite's
  arithmetic gives without its input check (they are treated like q - zp_in = 1).
- SQRT: TFLite Micro has float32 SQRT only. LiteRT's int8 SQRT (kernels/elementwise.cc) computes per
  element, in float32, (int)(sqrtf(s_in * (q - zp_in)) / s_out) + zp_out: truncated, not rounded. Inputs
  below the zero point make LiteRT stop with an error; our table gives them the output zero point (sqrt 0).

The float32 steps are reproduced with NumPy float32 scalars; expf/logf are taken as the float32 rounding of
the float64 result. The C libraries' expf/logf are not guaranteed to be correctly rounded, so an entry could
in principle differ where a product lands within an ulp of a rounding tie; the tests check all 256 codes
for many quantisations against the references.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers
from .activations import INPUTS, INT32_MAX, _unary_io, lut_call, mul_by_quantized_multiplier, sat_mul_pot, srdhm, wrap32

F32 = np.float32


def _expf(x) -> np.float32:
    with np.errstate(over="ignore"):
        return F32(math.exp(min(float(x), 100.0)))      # float32 overflows to inf from 88.73 on


def _logf(x) -> np.float32:
    return F32(math.log(float(x)))


def lut_populate(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
                 transform, where: str = "") -> np.ndarray:
    """TFLite's LUTPopulateInt8 (float32 throughout) for one transform float32 -> float32."""
    s_in, inverse_scale = F32(input_scale), F32(1) / F32(output_scale)
    out = []
    with np.errstate(over="ignore"):
        for q in INPUTS:
            dequantized = F32(s_in * F32(int(q) - input_zero_point))
            transformed = F32(transform(dequantized))
            product = F32(transformed * inverse_scale)
            rescaled = F32(math.copysign(math.floor(abs(float(product)) + 0.5), float(product))) \
                if math.isfinite(product) else product
            value = F32(rescaled + F32(output_zero_point))
            if not math.isfinite(value) or abs(float(value)) >= 2.0 ** 31:
                raise UnsupportedModelError(
                    f"{where}: input code {int(q)} maps to {float(transformed):g}, {float(value):g} output steps "
                    f"away from zero with output scale {output_scale:g}: TFLite's float -> int32 conversion of "
                    "that table entry is undefined (it differs between platforms)")
            out.append(min(max(int(value), -128), 127))
    return np.array(out, dtype=np.int8)


def elu_table(s_in: float, zp_in: int, s_out: float, zp_out: int, where: str = "") -> np.ndarray:
    """TFLite Micro's int8 ELU table."""
    return lut_populate(s_in, zp_in, s_out, zp_out, lambda v: F32(_expf(v) - F32(1)) if v < 0 else v, where)


def exp_table(s_in: float, zp_in: int, s_out: float, zp_out: int, where: str = "") -> np.ndarray:
    """LiteRT's int8 EXP table."""
    return lut_populate(s_in, zp_in, s_out, zp_out, _expf, where)


def log_table(s_in: float, zp_in: int, s_out: float, zp_out: int, where: str = "") -> np.ndarray:
    """LiteRT's int8 LOG table: x <= 0 gives the real value of code -128."""
    output_min = F32(F32(-128 - zp_out) * F32(s_out))
    return lut_populate(s_in, zp_in, s_out, zp_out, lambda v: output_min if v <= 0 else _logf(v), where)


def sqrt_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """LiteRT's int8 SQRT: (int)(sqrtf(x) / s_out) + zp_out, truncated; x < 0 (an error there) -> zp_out."""
    out = []
    for q in INPUTS:
        x = F32(F32(s_in) * F32(int(q) - zp_in))
        y = zp_out if x < 0 else int(F32(np.sqrt(x) / F32(s_out))) + zp_out
        out.append(min(max(y, -128), 127))
    return np.array(out, dtype=np.int8)


def _clz32(x: int) -> int:
    return 32 - x.bit_length()


def inv_sqrt_multiplier_exp(value: int) -> tuple[int, int]:
    """GetInvSqrtQuantizedMultiplierExp(value, kReverseShift): (multiplier, left shift)."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    pairs = (_clz32(value) - 1) // 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    half_input = sat_mul_pot(value >> 1, -1)         # F3
    half_three = (1 << 28) + (1 << 27)                # 1.5 in F3
    x = 1 << 28                                       # F3 one
    for _ in range(5):
        x3 = sat_mul_pot(srdhm(srdhm(x, x), x), 6)    # Rescale<3> of an F9
        x = sat_mul_pot(wrap32(srdhm(half_three, x) - srdhm(half_input, x3)), 3)   # Rescale<3> of an F6
    x = srdhm(x, 1518500250)                          # * sqrt(2) / 2 (F0)
    if shift < 0:
        x = wrap32(x << -shift)
        shift = 0
    return x, -shift


RSQRT_SHIFT = 20      # kShift in TFLite's RsqrtEvalQuantized


def rsqrt_table(s_in: float, zp_in: int, s_out: float, zp_out: int) -> np.ndarray:
    """TFLite Micro's int8 RSQRT (integer arithmetic) on every code; codes below zp_in as for value 1."""
    scale = 1.0 / float(F32(np.sqrt(F32(s_in)) * F32(s_out)))
    mult, shift = quantize_multiplier(scale)
    out = []
    for q in INPUTS:
        value = int(q) - zp_in
        if value == 0:
            out.append(127)
            continue
        inv_mult, inv_shift = inv_sqrt_multiplier_exp(value)
        data = mul_by_quantized_multiplier(1, inv_mult, inv_shift + RSQRT_SHIFT)
        y = mul_by_quantized_multiplier(data, mult, shift - RSQRT_SHIFT) + zp_out
        out.append(min(max(y, -128), 127))
    return np.array(out, dtype=np.int8)


def _lower(ctx, op, build, what):
    x, y, where = _unary_io(ctx, op)
    return lut_call(ctx, op, x, y, build(x.scale, x.zero_point, y.scale, y.zero_point, where), what)


@lowers("ELU")
def lower_elu(ctx, op):
    """int8 ELU as a 256-entry table (TFLite Micro's float32 table)"""
    return _lower(ctx, op, elu_table, "ELU")


@lowers("EXP")
def lower_exp(ctx, op):
    """int8 e^x as a 256-entry table (LiteRT's float32 table; TFLite Micro has float32 EXP only)"""
    return _lower(ctx, op, exp_table, "exp")


@lowers("LOG")
def lower_log(ctx, op):
    """int8 natural log as a 256-entry table (LiteRT's float32 table; TFLite Micro has float32 LOG only)"""
    return _lower(ctx, op, log_table, "log")


@lowers("RSQRT")
def lower_rsqrt(ctx, op):
    """int8 1/sqrt(x) as a 256-entry table (TFLite Micro's integer arithmetic)"""
    return _lower(ctx, op, lambda a, b, c, d, _w: rsqrt_table(a, b, c, d), "rsqrt")


@lowers("SQRT")
def lower_sqrt(ctx, op):
    """int8 sqrt(x) as a 256-entry table (LiteRT's truncating float32 arithmetic; TFLite Micro has float32 only)"""
    return _lower(ctx, op, lambda a, b, c, d, _w: sqrt_table(a, b, c, d), "sqrt")


# ---- L2_NORMALIZATION ------------------------------------------------------------------------------

L2NORM_MAX_DEPTH = 33025      # depth * 255^2 stays inside TFLite's int32 sum of squares


@lowers("L2_NORMALIZATION")
def lower_l2_normalization(ctx, op):
    """int8 x / ||x|| over the last axis (TFLite Micro's integer arithmetic); output scale 1/128, zero point 0"""
    x, y, where = _unary_io(ctx, op)
    if tuple(x.shape) != tuple(y.shape) or not x.shape:
        raise UnsupportedModelError(f"{where}: input {tuple(x.shape)} and output {tuple(y.shape)} must have "
                                    "one shape of rank 1 or more")
    if getattr(op.attrs, "activation", "NONE") != "NONE":
        raise UnsupportedModelError(f"{where}: fused activation {op.attrs.activation} is not supported "
                                    "(TFLite Micro requires NONE)")
    if y.zero_point != 0 or F32(y.scale) != F32(1.0 / 128):
        raise UnsupportedModelError(f"{where}: the output must have scale 1/128 and zero point 0 (TFLite Micro "
                                    f"assumes it), got scale {y.scale:g} zero point {y.zero_point}")
    depth = int(x.shape[-1])
    if depth > L2NORM_MAX_DEPTH:
        raise UnsupportedModelError(f"{where}: the last axis has {depth} elements; above {L2NORM_MAX_DEPTH} "
                                    "TFLite's int32 sum of squares can overflow")
    name = ctx.unique(f"l2norm{op.index}")
    params = ParamStruct("mcu_l2norm_params_t", f"{name}_params", (
        ("rows", c_int(x.size // depth)), ("depth", c_int(depth)), ("input_zero_point", c_int(x.zero_point))))
    return [KernelCall(op.index, op.kind, "mcu_l2norm_s8", (f"&{params.name}", ctx.act(x.index), ctx.act(y.index)),
                       params, ("mcu_l2norm.c",), f"{x.size // depth} rows of {depth}")]
