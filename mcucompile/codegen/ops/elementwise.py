"""Elementwise binary ops with broadcasting: ADD (firmware/mcu_add.c), SUB, MUL, DIV (firmware/mcu_binary.c);
16x8 (int16) ADD, SUB, MUL (firmware/mcu_{add,sub,mul}_s16.c) at the end.

The shared part is the broadcast plan: input and output shapes are right-aligned, dimensions of size 1
are dropped, adjacent dimensions that both inputs walk the same way are merged, and every input gets an
element stride per output dimension (0 where it is broadcast). The kernel then needs no shape logic.
All four take the same rank/out_dims/in1_strides/in2_strides fields and plain operand pointers, so
patch-based inference can run them per tile with tile strides and pointer offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import activation_range, quantize_multiplier
from ..records import Arg, KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers
from . import s16
from .int32_ops import is_int32, lower_int32_binary

MAX_DIMS = 6    # MCU_MAX_DIMS in firmware/mcu_nn.h


@dataclass(frozen=True)
class BroadcastPlan:
    out_dims: tuple[int, ...]
    strides: tuple[tuple[int, ...], ...]    # per input, one element stride per output dimension

    @property
    def rank(self) -> int:
        return len(self.out_dims)

    def padded(self, width: int = MAX_DIMS):
        """Dims and strides padded on the right to `width` entries (the C arrays' fixed length)."""
        pad = width - self.rank
        return (self.out_dims + (1,) * pad, tuple(s + (0,) * pad for s in self.strides))


def broadcast_plan(out_shape, in_shapes) -> BroadcastPlan:
    """Element strides of each input over the output (numpy broadcasting rules), collapsed."""
    out_shape = tuple(int(d) for d in out_shape)
    rank = len(out_shape)
    per_input = []
    for shape in in_shapes:
        shape = tuple(int(d) for d in shape)
        if len(shape) > rank:
            raise UnsupportedModelError(f"input shape {shape} has more dimensions than the output {out_shape}")
        shape = (1,) * (rank - len(shape)) + shape
        strides, step = [0] * rank, 1
        for d in range(rank - 1, -1, -1):
            if shape[d] == out_shape[d]:
                strides[d] = step if out_shape[d] > 1 else 0
            elif shape[d] == 1:
                strides[d] = 0
            else:
                raise UnsupportedModelError(f"shape {shape} does not broadcast to {out_shape}")
            step *= shape[d]
        per_input.append(strides)
    # drop size-1 output dimensions
    keep = [d for d in range(rank) if out_shape[d] != 1]
    dims = [out_shape[d] for d in keep]
    strides = [[s[d] for d in keep] for s in per_input]
    # merge dimension d into d+1 when every input walks them as one (contiguous, or both broadcast)
    d = len(dims) - 2
    while d >= 0:
        if all(s[d] == s[d + 1] * dims[d + 1] for s in strides):
            dims[d:d + 2] = [dims[d] * dims[d + 1]]
            for s in strides:
                s[d:d + 2] = [s[d + 1]]
        d -= 1
    if not dims:
        dims = [1]
        strides = [[1] for _ in strides]
    if len(dims) > MAX_DIMS:
        raise UnsupportedModelError(f"broadcast of {list(in_shapes)} to {out_shape} needs {len(dims)} "
                                    f"dimensions; at most {MAX_DIMS} are supported")
    return BroadcastPlan(tuple(dims), tuple(tuple(s) for s in strides))


def _operand(ctx, i: int) -> Arg:
    """C pointer to an int8 operand: a flash array if the tensor is constant, else an activation."""
    t = ctx.tensor(i)
    return ctx.weight(i, "int8_t") if t.is_const else ctx.act(i)


def _check_int8(op, tensors) -> None:
    for t in tensors:
        if t.dtype != "int8":
            raise UnsupportedModelError(f"{op.kind} (op {op.index}): tensor {t.name!r} is {t.dtype}; "
                                        f"only int8 is supported")
        if t.quant is None or t.quant.per_channel:
            raise UnsupportedModelError(f"{op.kind} (op {op.index}): tensor {t.name!r} must have "
                                        f"per-tensor quantisation")


ADD_LEFT_SHIFT = 20     # TFLite's headroom for int8 ADD/SUB (15 for int16)


def add_quant_params(s1: float, s2: float, s_out: float, left_shift: int = ADD_LEFT_SHIFT) -> dict[str, int]:
    """TFLite Micro's CalculateOpDataAdd: all in double from the float32 scales (left shift 20 for int8, 15
    for int16)."""
    s1, s2, s_out = (float(np.float32(s)) for s in (s1, s2, s_out))   # the model stores float32
    twice_max_input_scale = 2.0 * max(s1, s2)
    real1 = float(s1) / twice_max_input_scale
    real2 = float(s2) / twice_max_input_scale
    real_out = twice_max_input_scale / (float(1 << left_shift) * float(s_out))
    out = {}
    for key, m in (("in1", real1), ("in2", real2), ("out", real_out)):
        if not 0.0 < m < 1.0:
            raise UnsupportedModelError(f"rescale multiplier {m} is outside (0, 1)")
        q, shift = quantize_multiplier(m)
        out[f"{key}_mult"], out[f"{key}_shift"] = q, shift
    return out


@lowers("ADD")
def lower_add(ctx, op):
    if is_int32(ctx, op):
        return lower_int32_binary(ctx, op)
    if s16.is_int16(ctx, op):
        return lower_add_sub_s16(ctx, op)
    a, b, y, plan = _binary_operands(ctx, op)
    return _add_like(ctx, op, "mcu_add_s8", "mcu_add_params_t", "mcu_add.c", "+",
                     _naming(op, add_quant_params, a.scale, b.scale, y.scale), a, b, y, plan)


def _naming(op, fn, *args):
    """fn(*args), its UnsupportedModelError prefixed with the op's kind and index."""
    try:
        return fn(*args)
    except UnsupportedModelError as e:
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): {e}") from None


def _add_like(ctx, op, func: str, ctype: str, source: str, symbol: str, q: dict, a, b, y, plan):
    """ADD and SUB share TFLite's rescale-to-a-common-scale arithmetic and one parameter layout."""
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point)
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct(ctype, f"{name}_params", _broadcast_fields(plan) + (
        ("in1_offset", c_int(-a.zero_point)),
        ("in2_offset", c_int(-b.zero_point)),
        ("output_offset", c_int(y.zero_point)),
        ("left_shift", c_int(ADD_LEFT_SHIFT)),
        ("in1_mult", c_int(q["in1_mult"])),
        ("in1_shift", c_int(q["in1_shift"])),
        ("in2_mult", c_int(q["in2_mult"])),
        ("in2_shift", c_int(q["in2_shift"])),
        ("out_mult", c_int(q["out_mult"])),
        ("out_shift", c_int(q["out_shift"])),
        ("act_min", c_int(act_min)),
        ("act_max", c_int(act_max)),
    ))
    return [KernelCall(op.index, op.kind, func,
                       (f"&{params.name}", _operand(ctx, a.index), _operand(ctx, b.index), ctx.act(y.index)),
                       params, (source,), f"{list(a.shape)} {symbol} {list(b.shape)} -> {list(y.shape)}")]


# ---- SUB, MUL, DIV: the same broadcast plan and parameter layout (rank/out_dims/in*_strides), so that
# patch-based inference can drive them per tile exactly like ADD --------------------------------------

def _broadcast_fields(plan: BroadcastPlan) -> tuple[tuple[str, str], ...]:
    dims, (st1, st2) = plan.padded()
    return (("rank", c_int(plan.rank)), ("out_dims", c_list(dims)),
            ("in1_strides", c_list(st1)), ("in2_strides", c_list(st2)))


def _binary_operands(ctx, op):
    a, b = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    y = ctx.tensor(op.outputs[0])
    _check_int8(op, (a, b, y))
    return a, b, y, _naming(op, broadcast_plan, y.shape, (a.shape, b.shape))


def sub_quant_params(s1: float, s2: float, s_out: float) -> dict[str, int]:
    """SUB's rescaling: the same as ADD's (CalculateOpDataAdd, double arithmetic).

    TFLite Micro's sub_common.cc writes the output ratio as a float32 expression, but the tflite-micro build
    we check against behaves as if it were computed in double: on exhaustive code-pair tests, a float32
    output multiplier mismatches it in 5 of 40 random quantisations (1 LSB each) and the double one in none.
    (float32 and double input ratios gave identical results on all 40.)
    """
    return add_quant_params(s1, s2, s_out)


@lowers("SUB")
def lower_sub(ctx, op):
    """int8 a - b with NumPy broadcasting (up to 6-D) and a fused activation (TFLite Micro arithmetic)"""
    if s16.is_int16(ctx, op):
        return lower_add_sub_s16(ctx, op)
    a, b, y, plan = _binary_operands(ctx, op)
    return _add_like(ctx, op, "mcu_sub_s8", "mcu_sub_params_t", "mcu_binary.c", "-",
                     _naming(op, sub_quant_params, a.scale, b.scale, y.scale), a, b, y, plan)


def mul_quant_params(s1: float, s2: float, s_out: float) -> tuple[int, int]:
    """TFLite Micro's CalculateOpDataMul for int8: double(s1) * double(s2) / double(s_out)."""
    real = float(np.float32(s1)) * float(np.float32(s2)) / float(np.float32(s_out))
    return quantize_multiplier(real)


def div_quant_params(s1: float, s2: float, s_out: float) -> tuple[int, int]:
    """TFLite Micro's CalculateOpDataDiv for int8: s1 / (s2 * s_out) in float32, then widened."""
    f1, f2, fo = np.float32(s1), np.float32(s2), np.float32(s_out)
    return quantize_multiplier(float(np.float32(f1 / np.float32(f2 * fo))))


def _mul_like(ctx, op, func: str, ctype: str, mult: int, shift: int, a, b, y, plan, symbol: str):
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point)
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct(ctype, f"{name}_params", _broadcast_fields(plan) + (
        ("in1_offset", c_int(-a.zero_point)),
        ("in2_offset", c_int(-b.zero_point)),
        ("output_offset", c_int(y.zero_point)),
        ("out_mult", c_int(mult)),
        ("out_shift", c_int(shift)),
        ("act_min", c_int(act_min)),
        ("act_max", c_int(act_max)),
    ))
    return [KernelCall(op.index, op.kind, func,
                       (f"&{params.name}", _operand(ctx, a.index), _operand(ctx, b.index), ctx.act(y.index)),
                       params, ("mcu_binary.c",),
                       f"{list(a.shape)} {symbol} {list(b.shape)} -> {list(y.shape)}")]


@lowers("MUL")
def lower_mul(ctx, op):
    """int8 a * b with NumPy broadcasting (up to 6-D) and a fused activation (TFLite Micro arithmetic)"""
    if is_int32(ctx, op):
        return lower_int32_binary(ctx, op)
    if s16.is_int16(ctx, op):
        return lower_mul_s16(ctx, op)
    a, b, y, plan = _binary_operands(ctx, op)
    mult, shift = mul_quant_params(a.scale, b.scale, y.scale)
    return _mul_like(ctx, op, "mcu_mul_s8", "mcu_mul_params_t", mult, shift, a, b, y, plan, "*")


DIV_MAX_OUT_SHIFT = 22   # keeps every RoundingDivideByPOT exponent of the kernel >= 0 (see mcu_binary.c)


@lowers("DIV")
def lower_div(ctx, op):
    """int8 a / b with NumPy broadcasting (up to 6-D), TFLite Micro's reciprocal arithmetic, s1/(s2*s_out) < 2^22"""
    if is_int32(ctx, op):
        return lower_int32_binary(ctx, op)
    a, b, y, plan = _binary_operands(ctx, op)
    mult, shift = div_quant_params(a.scale, b.scale, y.scale)
    if shift > DIV_MAX_OUT_SHIFT:
        raise UnsupportedModelError(f"DIV (op {op.index}): rescale s1/(s2*s_out) = "
                                    f"{a.scale / (b.scale * y.scale):g} is too large (shift {shift} > "
                                    f"{DIV_MAX_OUT_SHIFT}): TFLite's integer DIV is undefined there")
    return _mul_like(ctx, op, "mcu_div_s8", "mcu_div_params_t", mult, shift, a, b, y, plan, "/")


# ---- 16x8: int16 ADD, SUB, MUL (zero points 0; the same broadcast plan and parameter structs) ----------

ADD_S16_LEFT_SHIFT = 15      # TFLite's headroom for int16 ADD/SUB (20 for int8)
_S16_RANGE = (s16.INT16_MIN, s16.INT16_MAX)


def _binary_s16(ctx, op):
    a, b, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    s16.check_s16(op, (a, b, y))
    operands = tuple(ctx.weight(t.index, "int16_t") if t.is_const else ctx.act(t.index, "int16_t") for t in (a, b))
    return a, b, y, _naming(op, broadcast_plan, y.shape, (a.shape, b.shape)), operands


def lower_add_sub_s16(ctx, op):
    """int16 ADD / SUB with broadcasting: TFLite's general rescaling with a left shift of 15."""
    a, b, y, plan, operands = _binary_s16(ctx, op)
    q = _naming(op, add_quant_params, a.scale, b.scale, y.scale, ADD_S16_LEFT_SHIFT)
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point, *_S16_RANGE)
    add = op.kind == "ADD"
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    ctype = "mcu_add_params_t" if add else "mcu_sub_params_t"
    params = ParamStruct(ctype, f"{name}_params", _broadcast_fields(plan) + (
        ("in1_offset", c_int(0)), ("in2_offset", c_int(0)), ("output_offset", c_int(0)),
        ("left_shift", c_int(ADD_S16_LEFT_SHIFT)),
        ("in1_mult", c_int(q["in1_mult"])), ("in1_shift", c_int(q["in1_shift"])),
        ("in2_mult", c_int(q["in2_mult"])), ("in2_shift", c_int(q["in2_shift"])),
        ("out_mult", c_int(q["out_mult"])), ("out_shift", c_int(q["out_shift"])),
        ("act_min", c_int(act_min)), ("act_max", c_int(act_max)),
    ))
    func = "mcu_add_s16" if add else "mcu_sub_s16"
    return [KernelCall(op.index, op.kind, func, (f"&{params.name}", *operands, ctx.act(y.index, "int16_t")),
                       params, (f"{func}.c",),
                       f"int16 {list(a.shape)} {'+' if add else '-'} {list(b.shape)} -> {list(y.shape)}")]


def lower_mul_s16(ctx, op):
    """int16 MUL with broadcasting: the product requantised by s1 * s2 / s_out (double)."""
    a, b, y, plan, operands = _binary_s16(ctx, op)
    mult, shift = mul_quant_params(a.scale, b.scale, y.scale)
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point, *_S16_RANGE)
    name = ctx.unique(f"mul{op.index}")
    params = ParamStruct("mcu_mul_params_t", f"{name}_params", _broadcast_fields(plan) + (
        ("in1_offset", c_int(0)), ("in2_offset", c_int(0)), ("output_offset", c_int(0)),
        ("out_mult", c_int(mult)), ("out_shift", c_int(shift)),
        ("act_min", c_int(act_min)), ("act_max", c_int(act_max)),
    ))
    return [KernelCall(op.index, op.kind, "mcu_mul_s16", (f"&{params.name}", *operands, ctx.act(y.index, "int16_t")),
                       params, ("mcu_mul_s16.c",), f"int16 {list(a.shape)} * {list(b.shape)} -> {list(y.shape)}")]
