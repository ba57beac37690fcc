"""Elementwise binary ops with broadcasting (ADD; SUB and MUL slot in beside it).

The shared part is the broadcast plan: input and output shapes are right-aligned, dimensions of size 1
are dropped, adjacent dimensions that both inputs walk the same way are merged, and every input gets an
element stride per output dimension (0 where it is broadcast). The kernel then needs no shape logic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import activation_range, quantize_multiplier
from ..lowering import lowers
from ..records import KernelCall, ParamStruct, c_int, c_list

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


def _operand(ctx, i: int) -> str:
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


def add_quant_params(s1: float, s2: float, s_out: float) -> dict[str, int]:
    """TFLite Micro's CalculateOpDataAdd for int8: all in double from the float32 scales."""
    s1, s2, s_out = (float(np.float32(s)) for s in (s1, s2, s_out))   # the model stores float32
    twice_max_input_scale = 2.0 * max(s1, s2)
    real1 = float(s1) / twice_max_input_scale
    real2 = float(s2) / twice_max_input_scale
    real_out = twice_max_input_scale / (float(1 << ADD_LEFT_SHIFT) * float(s_out))
    out = {}
    for key, m in (("in1", real1), ("in2", real2), ("out", real_out)):
        if not 0.0 < m < 1.0:
            raise UnsupportedModelError(f"ADD: rescale multiplier {m} is outside (0, 1)")
        q, shift = quantize_multiplier(m)
        out[f"{key}_mult"], out[f"{key}_shift"] = q, shift
    return out


@lowers("ADD")
def lower_add(ctx, op):
    a, b = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1])
    y = ctx.tensor(op.outputs[0])
    _check_int8(op, (a, b, y))
    plan = broadcast_plan(y.shape, (a.shape, b.shape))
    dims, (st1, st2) = plan.padded()
    q = add_quant_params(a.scale, b.scale, y.scale)
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point)
    name = ctx.unique(f"add{op.index}")
    params = ParamStruct("mcu_add_params_t", f"{name}_params", (
        ("rank", c_int(plan.rank)),
        ("out_dims", c_list(dims)),
        ("in1_strides", c_list(st1)),
        ("in2_strides", c_list(st2)),
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
    return [KernelCall(op.index, op.kind, "mcu_add_s8",
                       (f"&{params.name}", _operand(ctx, a.index), _operand(ctx, b.index), ctx.act(y.index)),
                       params, ("mcu_add.c",),
                       f"{list(a.shape)} + {list(b.shape)} -> {list(y.shape)}")]
