"""Unary int8 activations: LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU, RELU6, RELU_N1_TO_1.

An int8 -> int8 unary op has only 256 possible inputs, so its whole effect is a 256-entry table. We compute
that table at compile time by running TFLite Micro's reference integer arithmetic (gemmlowp fixed point,
int16 hard-swish, double-rounding requantisation) in Python on every input value, and the C kernel
(mcu_lut_s8 in firmware/mcu_activations.c) only looks values up. Bit-exactness is then a property of the
Python below, which the tests check against TFLite Micro on all 256 input values.

The scalar helpers emulate C int32 / int16 arithmetic on Python ints (wrapping where C wraps).
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier, round_half_away
from ..records import Arg, KernelCall, ParamStruct, c_int
from ..registry import lowers
from . import s16

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


def wrap32(x: int) -> int:
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def wrap16(x: int) -> int:
    return ((x + (1 << 15)) & 0xFFFF) - (1 << 15)


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


# ---- gemmlowp fixed point on int32 (and the two int16 helpers hard-swish uses) ---------------

def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul, int32."""
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return wrap32(_cdiv(ab + nudge, 1 << 31))


def rdbpot(x: int, exponent: int, bits: int = 32) -> int:
    """RoundingDivideByPOT (round half away from zero), 0 <= exponent < bits."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def sat_mul_pot(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT<exponent> on int32."""
    if exponent == 0:
        return x
    if exponent < 0:
        return rdbpot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return wrap32(x << exponent)


def mul_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLite's double-rounding MultiplyByQuantizedMultiplier (x * 2^left in int32, as C does)."""
    left, right = (shift, 0) if shift > 0 else (0, -shift)
    return rdbpot(srdhm(wrap32(x * (1 << left)), multiplier), right)


def rounding_half_sum(a: int, b: int) -> int:
    s = a + b
    return wrap32(_cdiv(s + (1 if s >= 0 else -1), 2))


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    constant_term = 1895147668             # exp(-1/8) in Q0.31
    constant_1_over_3 = 715827883
    x = wrap32(a + (1 << 28))              # a + 1/8
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = sat_mul_pot(x4, -2)
    poly = sat_mul_pot(wrap32(srdhm(wrap32(x4_over_4 + x3), constant_1_over_3) + x2), -1)
    return wrap32(constant_term + srdhm(constant_term, wrap32(x + poly)))


_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a: int, integer_bits: int) -> int:
    """gemmlowp exp_on_negative_values: a is Q(integer_bits).(31-integer_bits), result Q0.31."""
    frac_bits = 31 - integer_bits
    one_quarter = 1 << (frac_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap32((a & mask) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        sat_mul_pot(a_mod_quarter_minus_one_quarter, integer_bits))      # Rescale<0>
    remainder = wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            if remainder & (1 << (frac_bits + exponent)):
                result = srdhm(result, multiplier)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        if a < clamp:
            result = 0
    if a == 0:
        result = INT32_MAX
    return result


def _newton_reciprocal_half(half_denominator: int) -> int:
    """The Newton-Raphson loop shared by one_over_one_plus_x and one_minus_x_over_one_plus_x (Q2.29)."""
    c48_17, cneg32_17 = 1515870810, -1010580540
    one_q2 = 1 << 29
    x = wrap32(c48_17 + srdhm(half_denominator, cneg32_17))
    for _ in range(3):
        hdx = srdhm(half_denominator, x)
        one_minus = wrap32(one_q2 - hdx)
        x = wrap32(x + sat_mul_pot(srdhm(x, one_minus), 2))
    return x


def one_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    x = _newton_reciprocal_half(rounding_half_sum(a, INT32_MAX))
    return sat_mul_pot(x, 1)               # Rescale<0>(ExactMulByPot<-1>(x)): Q1.30 -> Q0.31


def one_minus_x_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    x = _newton_reciprocal_half(rounding_half_sum(a, INT32_MAX))
    return sat_mul_pot(wrap32(x - (1 << 29)), 2)     # Rescale<0>(x - 1) from Q2.29


def fx_logistic(a: int, integer_bits: int) -> int:
    """gemmlowp logistic: Q(integer_bits) in, Q0.31 out."""
    if a == 0:
        return 1 << 30
    abs_a = a if a > 0 else wrap32(-a)
    pos = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap32(-abs_a), integer_bits))
    return pos if a > 0 else wrap32(INT32_MAX - pos)


def fx_tanh(a: int, integer_bits: int) -> int:
    """gemmlowp tanh: Q(integer_bits) in, Q0.31 out."""
    if a == 0:
        return 0
    n = a if a < 0 else wrap32(-a)
    # ExactMulByPot<1>: the same raw value read with one more integer bit
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1))
    return wrap32(-t) if a < 0 else t


def srdhm16(a: int, b: int) -> int:
    if a == b == INT16_MIN:
        return INT16_MAX
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    return wrap16(_cdiv(ab + nudge, 1 << 15))


def sdhm16(a: int, b: int) -> int:
    """TFLite's (non-rounding) SaturatingDoublingHighMul on int16."""
    if a == b == INT16_MIN:
        return INT16_MAX
    return wrap16(_cdiv(a * b, 1 << 15))


def saturating_left_shift16(v: int, amount: int) -> int:
    return max(INT16_MIN, min(INT16_MAX, v * (1 << amount)))


def downscale_multiplier_to_int16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    if m >= INT32_MAX - (1 << 15):
        return INT16_MAX
    return (m + (1 << 15)) >> 16


# ---- per-op tables -------------------------------------------------------------------------

INPUTS = np.arange(-128, 128, dtype=np.int32)    # table index i holds the output for input i - 128


def _f32(v) -> float:
    return float(np.float32(v))


def _sigmoid_like_params(input_scale: float) -> tuple[int, int, int]:
    """(multiplier, left_shift, input_range_radius) of TFLM's int8 LOGISTIC / TANH prepare (4 integer bits).
    The multiplier is TfLiteRound(q * 2^31) from frexp, without QuantizeMultiplier's 2^31 fix-up."""
    real = float(np.float32(input_scale)) * float(1 << 27)
    q, left_shift = math.frexp(real)
    multiplier = round_half_away(q * (1 << 31))
    if multiplier >= (1 << 31):
        raise UnsupportedModelError(f"input scale {input_scale} rounds to a multiplier of 2^31, which TFLite "
                                    "Micro's int8 LOGISTIC/TANH cannot represent")
    radius = math.floor(15.0 * float(1 << 27) / float(1 << left_shift)) if left_shift >= 0 else \
        math.floor(15.0 * float(1 << 27) * float(1 << -left_shift))
    return multiplier, left_shift, radius


def _sigmoid_like_table(input_scale: float, input_zero_point: int, fx_fn, out_shift: int,
                        out_offset: int) -> np.ndarray:
    """The shared int8 LUT of reference_integer_ops::Logistic / Tanh: saturate outside +-radius, else the
    input as Q4.27 through the fixed-point function, rounded down to the output scale (>> out_shift)."""
    mult, shift, radius = _sigmoid_like_params(input_scale)
    out = []
    for q in INPUTS:
        x = int(q) - input_zero_point
        if x <= -radius:
            out.append(-128)
        elif x >= radius:
            out.append(127)
        else:
            x_q4 = mul_by_quantized_multiplier(x, mult, shift)
            y = rdbpot(fx_fn(x_q4, 4), out_shift) + out_offset
            out.append(min(max(y, -128), 127))
    return np.array(out, dtype=np.int8)


def logistic_table(input_scale: float, input_zero_point: int) -> np.ndarray:
    """reference_integer_ops::Logistic (output scale 1/256, zero point -128)."""
    return _sigmoid_like_table(input_scale, input_zero_point, fx_logistic, 23, -128)


def tanh_table(input_scale: float, input_zero_point: int) -> np.ndarray:
    """reference_integer_ops::Tanh (output scale 1/128, zero point 0)."""
    return _sigmoid_like_table(input_scale, input_zero_point, fx_tanh, 24, 0)


def hard_swish_table(input_scale: float, input_zero_point: int, output_scale: float,
                     output_zero_point: int) -> np.ndarray:
    """TFLM HardSwishPrepare (float32 scales) + reference_ops::HardSwish (int16 arithmetic)."""
    in_s, out_s = np.float32(input_scale), np.float32(output_scale)
    hires = np.float32(np.float32(1.0 / 128.0) * in_s)
    reluish_scale = np.float32(3.0 / 32768.0)
    om, out_exp = quantize_multiplier(float(np.float32(hires / out_s)))
    rm, relu_exp = quantize_multiplier(float(np.float32(hires / reluish_scale)))
    if out_exp > 0:
        raise UnsupportedModelError(f"HARD_SWISH: output scale {output_scale} is too small for the input "
                                    f"scale {input_scale} (TFLite requires the output multiplier exponent <= 0)")
    om16, rm16 = downscale_multiplier_to_int16(om), downscale_multiplier_to_int16(rm)
    out = []
    for q in INPUTS:
        v = wrap16(int(q) - input_zero_point)
        hi = wrap16(v * 128)
        pre = srdhm16(hi, om16)
        r = hi
        if relu_exp > 0:
            r = saturating_left_shift16(r, relu_exp - 1)
        r = srdhm16(r, rm16)
        if relu_exp > 0:
            r = saturating_left_shift16(r, 1)
        if relu_exp < 0:
            r = rdbpot(r, -relu_exp)
        r = (r + (1 << 15)) >> 1
        y = wrap16(rdbpot(sdhm16(r, pre), -out_exp) + output_zero_point)
        out.append(min(max(y, -128), 127))
    return np.array(out, dtype=np.int8)


def leaky_relu_table(alpha: float, input_scale: float, input_zero_point: int, output_scale: float,
                     output_zero_point: int) -> np.ndarray:
    """TFLM CalculateOpDataLeakyRelu (float32 products) + reference_ops::QuantizeLeakyRelu."""
    in_s, out_s, a = np.float32(input_scale), np.float32(output_scale), np.float32(alpha)
    am, ash = quantize_multiplier(float(np.float32(np.float32(in_s * a) / out_s)))
    im, ish = quantize_multiplier(float(np.float32(in_s / out_s)))
    negative = am < 0
    am = -am if negative else am
    out = []
    for q in INPUTS:
        x = int(q) - input_zero_point
        if x >= 0:
            y = output_zero_point + mul_by_quantized_multiplier(x, im, ish)
        else:
            s = mul_by_quantized_multiplier(x, am, ash)
            y = output_zero_point + (-s if negative else s)
        out.append(min(max(y, -128), 127))
    return np.array(out, dtype=np.int8)


def relu_table(lo: float, hi: float | None, input_scale: float, input_zero_point: int, output_scale: float,
               output_zero_point: int) -> np.ndarray:
    """ReluQuantized / LiteRT's QuantizedReluX: requantise to the output, clamp to [lo, hi] in its scale.
    hi None = no upper bound. The bounds use roundf(bound / scale) in float32."""
    out_s = np.float32(output_scale)
    m, sh = quantize_multiplier(float(np.float32(np.float32(input_scale) / out_s)))
    qmin = max(-128, output_zero_point + round_half_away(float(np.float32(np.float32(lo) / out_s))))
    qmax = 127 if hi is None else min(127, output_zero_point +
                                      round_half_away(float(np.float32(np.float32(hi) / out_s))))
    out = [min(max(output_zero_point + mul_by_quantized_multiplier(int(q) - input_zero_point, m, sh), qmin), qmax)
           for q in INPUTS]
    return np.array(out, dtype=np.int8)


def relu6_table(input_scale: float, input_zero_point: int) -> np.ndarray:
    """TFLM's int8 RELU6: a clamp of the input codes to [zero point, quantised 6.0] in the INPUT's scale;
    the output's quantisation is not used (see the module tests for how LiteRT differs)."""
    six = input_zero_point + round_half_away(float(np.float32(np.float32(6.0) / np.float32(input_scale))))
    six = min(max(six, -128), 127)
    return np.clip(INPUTS, input_zero_point, six).astype(np.int8)


# ---- lowering ------------------------------------------------------------------------------

def _unary_io(ctx, op):
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    where = f"{op.kind} (op {op.index})"
    for t in (x, y):
        if t.dtype != "int8":
            raise UnsupportedModelError(f"{where}: tensor {t.name!r} is {t.dtype}; only int8 is supported")
        if t.quant is None or t.quant.per_channel:
            raise UnsupportedModelError(f"{where}: tensor {t.name!r} must have per-tensor quantisation")
    if x.size != y.size:
        raise UnsupportedModelError(f"{where}: input {x.shape} and output {y.shape} sizes differ")
    return x, y, where


def lut_call(ctx, op, x, y, table: np.ndarray, what: str, src: Arg = ""):
    """The mcu_lut_s8 call of an int8 -> int8 unary op given its 256-entry table (index: input + 128); the
    whole tensor as one row (a patch stage sets rows and strides per patch: codegen/patch.py). src: the
    input's C pointer when not the activation x (a constant's flash array)."""
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    lut = ctx.const(np.asarray(table).astype(np.int8), "int8_t", f"{name}_lut")
    params = ParamStruct("mcu_lut_params_t", f"{name}_params", (
        ("size", c_int(x.size)),
        ("table", lut),
        ("rows", c_int(1)),
        ("in_row_stride", c_int(x.size)),
        ("out_row_stride", c_int(x.size)),
    ))
    return [KernelCall(op.index, op.kind, "mcu_lut_s8", (f"&{params.name}", src or ctx.act(x.index), ctx.act(y.index)),
                       params, ("mcu_activations.c",), f"{x.size} elements, {what} (256-entry table)")]


@lowers("LOGISTIC")
def lower_logistic(ctx, op):
    """int8 sigmoid as a 256-entry table; output scale 1/256, zero point -128"""
    if s16.is_int16(ctx, op):
        return s16.lower_sigmoid_like_s16(ctx, op)
    x, y, where = _unary_io(ctx, op)
    if y.zero_point != -128 or np.float32(y.scale) != np.float32(1.0 / 256):
        raise UnsupportedModelError(f"{where}: the output must have scale 1/256 and zero point -128 (TFLite "
                                    f"Micro assumes it), got scale {y.scale} zero point {y.zero_point}")
    return lut_call(ctx, op, x, y, logistic_table(x.scale, x.zero_point), "sigmoid")


@lowers("TANH")
def lower_tanh(ctx, op):
    """int8 tanh as a 256-entry table; output scale 1/128, zero point 0"""
    if s16.is_int16(ctx, op):
        return s16.lower_sigmoid_like_s16(ctx, op)
    x, y, where = _unary_io(ctx, op)
    if y.zero_point != 0 or np.float32(y.scale) != np.float32(1.0 / 128):
        raise UnsupportedModelError(f"{where}: the output must have scale 1/128 and zero point 0 (TFLite "
                                    f"Micro assumes it), got scale {y.scale} zero point {y.zero_point}")
    return lut_call(ctx, op, x, y, tanh_table(x.scale, x.zero_point), "tanh")


@lowers("HARD_SWISH")
def lower_hard_swish(ctx, op):
    """int8 x * relu6(x + 3) / 6 as a 256-entry table (TFLite Micro's int16 arithmetic)"""
    x, y, _ = _unary_io(ctx, op)
    return lut_call(ctx, op, x, y, hard_swish_table(x.scale, x.zero_point, y.scale, y.zero_point), "hard swish")


@lowers("LEAKY_RELU")
def lower_leaky_relu(ctx, op):
    """int8 leaky ReLU (any alpha) as a 256-entry table"""
    if s16.is_int16(ctx, op):
        return s16.lower_leaky_relu_s16(ctx, op)
    x, y, _ = _unary_io(ctx, op)
    alpha = op.attrs.alpha
    table = leaky_relu_table(alpha, x.scale, x.zero_point, y.scale, y.zero_point)
    return lut_call(ctx, op, x, y, table, f"leaky ReLU alpha {alpha:g}")


@lowers("RELU")
def lower_relu(ctx, op):
    """int8 ReLU with rescaling to the output as a 256-entry table"""
    if s16.is_int16(ctx, op):
        return s16.lower_relu_s16(ctx, op)
    x, y, _ = _unary_io(ctx, op)
    return lut_call(ctx, op, x, y, relu_table(0.0, None, x.scale, x.zero_point, y.scale, y.zero_point), "ReLU")


@lowers("RELU_N1_TO_1")
def lower_relu_n1_to_1(ctx, op):
    """int8 clamp to [-1, 1] with rescaling (LiteRT's arithmetic; TFLite Micro has no such kernel)"""
    # TFLite Micro has no RELU_N1_TO_1 kernel: this is LiteRT's reference arithmetic (QuantizedReluX(-1, 1))
    x, y, _ = _unary_io(ctx, op)
    return lut_call(ctx, op, x, y, relu_table(-1.0, 1.0, x.scale, x.zero_point, y.scale, y.zero_point),
                     "clamp to [-1, 1]")


@lowers("RELU6")
def lower_relu6(ctx, op):
    """int8 ReLU6 as TFLite Micro runs it: a clamp of the input codes (the output scale is not used)"""
    if s16.is_int16(ctx, op):
        return s16.lower_relu_s16(ctx, op)
    x, y, _ = _unary_io(ctx, op)
    return lut_call(ctx, op, x, y, relu6_table(x.scale, x.zero_point), "ReLU6 (TFLite Micro: clamp, no rescale)")
