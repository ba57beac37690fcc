"""16x8 quantisation (int16 activations, zero point 0) of ADD, SUB, MUL, AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX,
LOGISTIC, TANH, LEAKY_RELU, RELU and RELU6: the int16 branch of those ops' lowerings (softmax.py and
activations.py call in here when the op's tensors are int16; the int16 ADD, SUB and MUL lowerings sit at the
end of elementwise.py with their broadcast plan, pooling's in pool.py; ir/shapes.py INT16_KINDS lets such
graphs in).

Every number is computed here as TFLite Micro's Prepare computes it for int16:

- ADD, SUB: CalculateOpDataAdd / CalculateOpDataSub with a left shift of 15 (20 for int8); the general path
  (TFLite Micro's int16 ADD passes pot_scale = false), so any scales work;
- MUL: QuantizeMultiplier(s1 * s2 / s_out) in double; TFLite Micro requires zero points 0;
- pooling: the int8 arithmetic on int16 values (no rescaling: input and output share the quantisation);
- SOFTMAX: QuantizeMultiplier(input scale x beta / (10 / 65535)) and the two 513-entry tables of TFLite's
  LUTPopulate<int16_t> (exp on [-10, 0], 1 / (1 + x) on [0, 1]), computed in float32 as the C++ does;
- LOGISTIC, TANH: the input multiplier and left shift of TFLite Micro's int16 prepare, the power-of-two
  input scale case (multiplier 0 there) folded into a multiplier of 3 << shift so the kernel needs no branch;
- LEAKY_RELU: QuantizeMultiplier of s_in x alpha / s_out and s_in / s_out (in double: see
  leaky_relu_s16_params), int16 clamping;
- RELU, RELU6: TFLite Micro's ReluQuantized (requantise, clamp at 0) and Relu6Quantized (clamp the input codes
  to [0, round(6 / s_in)], no rescaling).
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import checked_log2, quantize_multiplier, round_half_away
from ..records import KernelCall, ParamStruct, c_int

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1


def is_int16(ctx, op) -> bool:
    """Does this op read or write int16 activations (the 16x8 branch of its lowering)?"""
    return any(t >= 0 and ctx.tensor(t).dtype == "int16" and not ctx.tensor(t).is_const
               for t in (*op.inputs, *op.outputs))


def fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def check_s16(op, tensors, symmetric: bool = True) -> None:
    """Every tensor int16 with per-tensor quantisation (zero point 0 where TFLite Micro requires it)."""
    for t in tensors:
        if t.dtype != "int16" or t.quant is None or t.quant.per_channel:
            fail(op, f"16x8: tensor {t.name!r} is {t.dtype}{'' if t.quant else ' without quantisation'}; every "
                     "input and output must be int16 with per-tensor quantisation")
        if symmetric and t.zero_point != 0:
            fail(op, f"16x8: tensor {t.name!r} has zero point {t.zero_point}; int16 activations must be "
                     "symmetric (zero point 0)")


# ---- SOFTMAX --------------------------------------------------------------------------------------

LUT_STEPS = 512     # TFLite's int16 LUTs: 512 segments + 1 end point


def _round_f32(x) -> np.float32:
    """TfLiteRound on a float: half away from zero (exact: float32 values are exact in double)."""
    v = float(x)
    return np.float32(math.copysign(math.floor(abs(v) + 0.5), v))


def lut_populate_s16(input_scale, input_zero_point: int, output_scale, output_zero_point: int, fn) -> np.ndarray:
    """TFLite's LUTPopulate<int16_t> (detail::LUTPopulateInt16<float>): 513 entries sampling fn (float32 ->
    float32) at 512 steps over the int16 input range, each biased by half the interpolation error at the
    step's midpoint; all in float32 as the C++ computes it."""
    f = np.float32
    input_min = f(input_scale) * f(INT16_MIN - input_zero_point)
    input_max = f(input_scale) * f(INT16_MAX - input_zero_point)
    output_min = f(output_scale) * f(INT16_MIN - output_zero_point)
    output_max = f(output_scale) * f(INT16_MAX - output_zero_point)
    step = f((input_max - input_min) / f(LUT_STEPS))
    half_step = f(step / f(2))
    inv = f(f(65536) / f(output_max - output_min))
    lo, hi = f(INT16_MIN), f(INT16_MAX)
    lut = np.zeros(LUT_STEPS + 1, dtype=np.int16)
    for i in range(LUT_STEPS):
        val = fn(f(input_min + f(f(i) * step)))
        val_mid = fn(f(f(input_min + f(f(i) * step)) + half_step))
        val_next = fn(f(input_min + f(f(i + 1) * step)))
        sample = _round_f32(f(val * inv))
        mid_interp = _round_f32(f(f(f(val_next * inv) + _round_f32(f(val * inv))) / f(2)))
        mid_val = _round_f32(f(val_mid * inv))
        bias = _round_f32(f(f(mid_interp - mid_val) / f(2)))
        lut[i] = int(min(max(f(sample - bias), lo), hi))
    lut[LUT_STEPS] = int(min(max(_round_f32(f(fn(input_max) * inv)), lo), hi))
    return lut


def _exp_f32(v: np.float32) -> np.float32:
    return np.float32(math.exp(float(v)))      # std::exp(float), correctly rounded to float32


def _one_over_one_plus_x_f32(v: np.float32) -> np.float32:
    return np.float32(np.float32(1.0) / np.float32(np.float32(1.0) + v))


def softmax_s16_tables() -> tuple[np.ndarray, np.ndarray]:
    """TFLite Micro's int16 SOFTMAX tables (softmax_common.cc): exp on [-10, 0] and 1 / (1 + x) on [0, 1]."""
    rng = np.float32(INT16_MAX - INT16_MIN)
    exp_lut = lut_populate_s16(np.float32(10.0) / rng, INT16_MAX, np.float32(2.0) / rng, 0, _exp_f32)
    inv_lut = lut_populate_s16(np.float32(1.0) / rng, INT16_MIN, np.float32(2.0) / rng, 0, _one_over_one_plus_x_f32)
    return exp_lut, inv_lut


def softmax_s16_multiplier(beta: float, input_scale: float) -> tuple[int, int]:
    """QuantizeMultiplier(input scale x beta / (10 / 65535)) in double, from the float32 model values."""
    real = float(np.float32(input_scale)) * float(np.float32(beta)) / (10.0 / 65535.0)
    return quantize_multiplier(real)


def lower_softmax_s16(ctx, op):
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    check_s16(op, (x, y))
    if abs(float(np.float32(y.scale)) - 1.0 / 32768) > 0.001 / 32768:
        fail(op, f"16x8: the output scale must be 1/32768 (TFLite Micro requires it), got {y.scale:g}")
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        fail(op, f"input {x.shape} and output {y.shape} shapes must match")
    mult, shift = softmax_s16_multiplier(op.attrs.beta, x.scale)
    if shift > 15:
        # 65535 << shift must fit int32 (TFLite's int32 arithmetic would overflow)
        fail(op, f"16x8: input scale x beta = {float(x.scale) * op.attrs.beta:g} is too large "
                 f"(multiplier shift {shift} > 15)")
    exp_lut, inv_lut = softmax_s16_tables()
    depth = int(x.shape[-1])
    name = ctx.unique(f"softmax{op.index}")
    params = ParamStruct("mcu_softmax_s16_params_t", f"{name}_params", (
        ("outer", c_int(x.size // depth)), ("depth", c_int(depth)),
        ("input_multiplier", c_int(mult)), ("input_shift", c_int(shift)),
        ("exp_lut", ctx.const(exp_lut, "int16_t", "softmax_s16_exp_lut")),
        ("one_over_one_plus_x_lut", ctx.const(inv_lut, "int16_t", "softmax_s16_recip_lut")),
    ))
    return [KernelCall(op.index, op.kind, "mcu_softmax_s16",
                       (f"&{params.name}", ctx.act(x.index, "int16_t"), ctx.act(y.index, "int16_t")),
                       params, ("mcu_softmax_s16.c",),
                       f"int16 {x.size // depth} rows of {depth}, beta {op.attrs.beta:g}")]


# ---- LOGISTIC, TANH -------------------------------------------------------------------------------

def sigmoid_s16_params(input_scale: float, tanh: bool) -> tuple[int, int]:
    """(input multiplier, input shift) of TFLite Micro's int16 LOGISTIC / TANH prepare, with the power-of-two
    case (multiplier 0, the kernel then uses 3 << shift and shift 0) resolved here. 3 integer input bits:
    a scale of 2^-12 (LOGISTIC; 2^-12 or 2^-11 for TANH) is the power-of-two case."""
    log2, pot = checked_log2(input_scale)
    shift = (15 - 3) + log2
    if pot and (shift == 0 or (tanh and shift == 1)):
        return 3 << shift, 0
    multiplier = float(np.float32(input_scale)) * 4096.0 * 3.0
    shift = 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    return int(multiplier), shift


def lower_sigmoid_like_s16(ctx, op):
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    check_s16(op, (x, y))
    if x.size != y.size:
        fail(op, f"input {x.shape} and output {y.shape} sizes differ")
    out_log2, out_pot = checked_log2(y.scale)
    if not out_pot or out_log2 != -15:
        fail(op, f"16x8: the output scale must be 2^-15 (TFLite Micro requires it), got {y.scale:g}")
    tanh = op.kind == "TANH"
    mult, shift = sigmoid_s16_params(x.scale, tanh)
    if mult > INT16_MAX or shift > 30:
        fail(op, f"16x8: input scale {x.scale:g} is outside the range TFLite Micro's int16 "
                 f"{'tanh' if tanh else 'logistic'} handles (multiplier {mult}, shift {shift})")
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct("mcu_sigmoid_s16_params_t", f"{name}_params", (
        ("size", c_int(x.size)), ("input_multiplier", c_int(mult)), ("input_shift", c_int(shift))))
    func = "mcu_tanh_s16" if tanh else "mcu_logistic_s16"
    return [KernelCall(op.index, op.kind, func,
                       (f"&{params.name}", ctx.act(x.index, "int16_t"), ctx.act(y.index, "int16_t")),
                       params, (f"{func}.c",), f"int16 {x.size} elements, input x {mult} >> {shift}")]


# ---- LEAKY_RELU -----------------------------------------------------------------------------------

def leaky_relu_s16_params(alpha: float, input_scale: float, output_scale: float) -> dict[str, int]:
    """LEAKY_RELU's multipliers: QuantizeMultiplier(s_in x alpha / s_out) and (s_in / s_out), the float32 model
    values widened to double first. (TFLite Micro's source at our mirror's HEAD writes the products in float32;
    the tflite-micro build we check against behaves as double: over every int16 input at seven (scales, alpha)
    draws the float32 alpha multiplier was off by one LSB for 27 to 5461 inputs in four of them, the double
    one never.)"""
    si, so, a = (float(np.float32(v)) for v in (input_scale, output_scale, alpha))
    am, ash = quantize_multiplier(abs(si * a / so))
    im, ish = quantize_multiplier(si / so)
    return dict(identity_mult=im, identity_shift=ish, alpha_mult=am, alpha_shift=ash, alpha_negative=int(a < 0))


def lower_leaky_relu_s16(ctx, op):
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    check_s16(op, (x, y))
    if x.size != y.size:
        fail(op, f"input {x.shape} and output {y.shape} sizes differ")
    q = leaky_relu_s16_params(op.attrs.alpha, x.scale, y.scale)
    name = ctx.unique(f"leaky_relu{op.index}")
    params = ParamStruct("mcu_leaky_relu_s16_params_t", f"{name}_params", (
        ("size", c_int(x.size)), ("input_zero_point", c_int(x.zero_point)),
        ("output_zero_point", c_int(y.zero_point)),
        *((k, c_int(v)) for k, v in q.items())))
    return [KernelCall(op.index, op.kind, "mcu_leaky_relu_s16",
                       (f"&{params.name}", ctx.act(x.index, "int16_t"), ctx.act(y.index, "int16_t")),
                       params, ("mcu_leaky_relu_s16.c",), f"int16 {x.size} elements, alpha {op.attrs.alpha:g}")]


# ---- RELU, RELU6 ----------------------------------------------------------------------------------

def relu_s16_params(kind: str, input_scale: float, output_scale: float) -> dict[str, int]:
    """RELU: QuantizeMultiplier(s_in / s_out) and the clamp [0, int16 max] (zero points 0). RELU6 as TFLite
    Micro runs it: the input codes clamped to [0, round(6 / s_in)] without rescaling (an identity multiplier,
    2^30 with shift 1, for the shared kernel)."""
    if kind == "RELU6":
        six = round_half_away(float(np.float32(np.float32(6.0) / np.float32(input_scale))))
        return dict(mult=1 << 30, shift=1, act_min=0, act_max=min(max(six, INT16_MIN), INT16_MAX))
    mult, shift = quantize_multiplier(float(np.float32(np.float32(input_scale) / np.float32(output_scale))))
    return dict(mult=mult, shift=shift, act_min=0, act_max=INT16_MAX)


def lower_relu_s16(ctx, op):
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    check_s16(op, (x, y))
    if x.size != y.size:
        fail(op, f"input {x.shape} and output {y.shape} sizes differ")
    q = relu_s16_params(op.kind, x.scale, y.scale)
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct("mcu_relu_s16_params_t", f"{name}_params", (
        ("size", c_int(x.size)), ("input_zero_point", c_int(0)), ("output_zero_point", c_int(0)),
        *((k, c_int(v)) for k, v in q.items())))
    return [KernelCall(op.index, op.kind, "mcu_relu_s16",
                       (f"&{params.name}", ctx.act(x.index, "int16_t"), ctx.act(y.index, "int16_t")),
                       params, ("mcu_relu_s16.c",), f"int16 {x.size} elements, clamp [{q['act_min']}, {q['act_max']}]")]
