"""Quantisation arithmetic exactly as TFLite's reference kernels do it.

Scalar helpers compute kernel parameters at compile time; the numpy functions are the twins of the C
inline functions in firmware/mcu_nn.h (tests check one against the other).
Rounding is always half away from zero (std::round), never Python's round (half to even).
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def round_half_away(x: float) -> int:
    """std::round: ties away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(m: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: m ~= q * 2^(shift - 31), q in [2^30, 2^31). Returns (q, shift)."""
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    # (TFLite caps shift at 30 only in its single-rounding build; the double-rounding reference does not)
    return int(q_fixed), int(shift)


def quantize_multiplier_smaller_than_one(m: float) -> tuple[int, int]:
    assert 0.0 <= m < 1.0, m
    return quantize_multiplier(m)


def quantize_multiplier_greater_than_one(m: float) -> tuple[int, int]:
    q, shift = quantize_multiplier(m)
    assert shift >= 0, (m, shift)
    return q, shift


def activation_range(activation: str, scale: float, zero_point: int,
                     qmin: int = -128, qmax: int = 127) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the fused activation clamp in the quantised domain."""
    def q(v: float) -> int:
        # TfLiteRound(x / scale) with x and scale as float32, as the C++ does
        return zero_point + round_half_away(float(np.float32(v) / np.float32(scale)))

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, q(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"fused activation {activation} has no quantised clamp")


# ---- numpy twins of the C requantisation helpers -----------------------------------------

def saturating_rounding_doubling_high_mul(a, b):
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    # C++ integer division truncates toward zero
    t = ab + nudge
    res = np.where(t >= 0, t >> 31, -((-t) >> 31))
    return np.where(overflow, INT32_MAX, res).astype(np.int64)


def rounding_divide_by_pot(x, exponent):
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLite's double-rounding MultiplyByQuantizedMultiplier (int32 x)."""
    shift = np.asarray(shift, dtype=np.int64)
    left = np.where(shift > 0, shift, 0)
    right = np.where(shift > 0, 0, -shift)
    x = np.asarray(x, dtype=np.int64) * (np.int64(1) << left)
    # x * (1 << left) is done in int32 in C; the model guarantees no overflow
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), right)


def multiply_by_quantized_multiplier_int64(x, multiplier, shift):
    """TFLite's MultiplyByQuantizedMultiplier for an int64 x (the 16x8 kernels' sums): the multiplier
    rounded to 16 bits (0x7FFF from 0x7FFF0000 up), one rounding shift by 15 - shift, the result's low 32
    bits as int32 (Python integers: exact, the shift arithmetic as in C on two's complement)."""
    x, m, sh = (np.asarray(v, dtype=object) for v in (x, multiplier, shift))
    reduced = np.where(m < 0x7FFF0000, (m + (1 << 15)) >> 16, 0x7FFF)
    total = 15 - sh
    r = (x * reduced + (np.ones_like(total) << (total - 1))) >> total
    return ((r + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int64)


def checked_log2(x: float) -> tuple[int, bool]:
    """TFLite's CheckedLog2 in float32: (round(log2 x), whether x is within 1e-3 of that power of two).
    TFLite Micro's LSTM takes the rounded exponent of the cell-state scale whatever the flag says."""
    f = np.float32
    log2x = f(np.log(f(x))) * (f(1.0) / f(np.log(f(2.0))))
    rounded = f(round_half_away(float(log2x)))
    return int(rounded), bool(abs(f(log2x - rounded)) < f(1e-3))
