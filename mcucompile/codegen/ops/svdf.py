"""SVDF with int8 input, output and feature weights, int16 or int8 time weights and activation state (the same
type: TFLite Micro reads the state as the time weights' type) and int32 bias, as TFLite Micro's integer SVDF
computes it (kernels/svdf.cc, svdf_common.cc); the C is firmware/mcu_svdf_s8.c (int16) or
mcu_svdf_state_s8.c (int8), chosen here.
The two multipliers are computed here as TFLite Micro's Prepare does, the scale products in float32:

- feature: QuantizeMultiplier(input scale x feature weights scale / state scale), to the state;
- output: QuantizeMultiplier(state scale x time weights scale / output scale), to the int8 output.

TFLite Micro's integer kernel applies no fused activation (RELU is accepted and, as there, not applied). Its
Prepare reads the bias's scale unconditionally and requires it to be state scale x time weights scale, so a
model without a bias does not run on TFLite Micro: refused here too. Not supported: float or hybrid SVDF,
per-channel weights.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ...kernels.svdf import svdf_dims
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _scale(t) -> np.float32:
    return np.float32(t.quant.scale[0])


def effective_scales(x_scale, wf_scale, state_scale, wt_scale, y_scale) -> tuple[float, float]:
    """TFLite Micro's effective_scale_1 and effective_scale_2: float32 products, then doubles."""
    f = np.float32
    return (float(f(f(x_scale) * f(wf_scale)) / f(state_scale)),
            float(f(f(state_scale) * f(wt_scale)) / f(y_scale)))


def _check(ctx, op):
    a, ins = op.attrs, op.inputs
    x, y = ctx.tensor(ins[0]), ctx.tensor(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        _fail(op, f"{x.dtype} input and {y.dtype} output: only int8 is supported (not the float SVDF)")
    if x.quant is None or y.quant is None:
        _fail(op, "the input and output must be quantised")
    wf, wt = ctx.tensor(ins[1]), ctx.tensor(ins[2])
    if wf.data is None or wf.dtype != "int8" or wf.quant is None or wf.quant.per_channel:
        _fail(op, f"the feature weights ('{wf.name}') must be a constant per-tensor int8 tensor "
                  "(not a hybrid or float SVDF)")
    if wt.data is None or wt.dtype not in ("int16", "int8") or wt.quant is None or wt.quant.per_channel:
        _fail(op, f"the time weights ('{wt.name}') are {'non-constant ' if wt.data is None else ''}{wt.dtype}: "
                  "only constant per-tensor int16 or int8 time weights are supported")
    if not a.state:
        _fail(op, "the activation state input is missing")
    if a.state[1] != wt.dtype:
        _fail(op, f"the activation state is {a.state[1]} and the time weights {wt.dtype}: TFLite Micro reads the "
                  "state as the time weights' type, so they must match (int16 or int8)")
    if ins[3] < 0:
        _fail(op, "has no bias: TFLite Micro's SVDF requires one (its Prepare reads the bias's scale)")
    b = ctx.tensor(ins[3])
    if b.data is None or b.dtype != "int32" or b.quant is None:
        _fail(op, f"the bias ('{b.name}') must be a constant quantised int32 tensor")
    if a.activation not in ("NONE", "RELU"):
        _fail(op, f"fused activation {a.activation}: TFLite Micro's SVDF takes NONE or RELU")
    if len(x.shape) != 2 or len(y.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2:
        _fail(op, f"input {x.shape}, output {y.shape} and weights {wf.shape}, {wt.shape} must be 2-D")
    if a.rank < 1 or wf.shape[0] % a.rank:
        _fail(op, f"rank {a.rank} does not divide the {wf.shape[0]} filters")


@lowers("SVDF")
def lower_svdf(ctx, op):
    _check(ctx, op)
    a, ins = op.attrs, op.inputs
    x, y = ctx.tensor(ins[0]), ctx.tensor(op.outputs[0])
    wf, wt, b = ctx.tensor(ins[1]), ctx.tensor(ins[2]), ctx.tensor(ins[3])
    batch, filters, memory = svdf_dims(ctx.graph, op)
    units = filters // a.rank
    if wf.shape[1] != x.shape[1] or wt.shape[0] != filters:
        _fail(op, f"weights {wf.shape} and {wt.shape} do not match the input {x.shape} and {filters} filters")
    if y.shape != (batch, units) or b.shape[0] != units:
        _fail(op, f"output {y.shape} and bias {b.shape} do not match batch {batch} x {units} units")
    _, _, sshape, s_scale, s_zp = a.state
    if tuple(sshape) != (batch, memory * filters):
        _fail(op, f"the activation state {tuple(sshape)} is not batch x memory x filters = "
                  f"{(batch, memory * filters)}")
    if abs(float(_scale(b)) - float(np.float32(np.float32(s_scale) * _scale(wt)))) >= 1e-5:
        _fail(op, f"the bias scale {float(_scale(b)):g} is not state scale x time weights scale "
                  f"({float(s_scale) * float(_scale(wt)):g}), which TFLite Micro requires")
    if any(z != 0 for z in wf.quant.zero_point) or any(z != 0 for z in wt.quant.zero_point):
        _fail(op, "the weights must be symmetric (zero point 0): TFLite Micro ignores their zero points")
    s1, s2 = effective_scales(x.scale, _scale(wf), s_scale, _scale(wt), y.scale)
    m1, m2 = quantize_multiplier(s1), quantize_multiplier(s2)
    name = ctx.unique(f"svdf{op.index}")
    state8 = wt.dtype == "int8"             # TFLite Micro's int8 time weights and state variant
    ctype, func, src = (("int8_t", "mcu_svdf_state_s8", "mcu_svdf_state_s8.c") if state8 else
                        ("int16_t", "mcu_svdf_s8", "mcu_svdf_s8.c"))
    params = ParamStruct("mcu_svdf_state_s8_params_t" if state8 else "mcu_svdf_params_t", f"{name}_params", (
        ("batch", c_int(batch)), ("input_dim", c_int(x.shape[1])), ("filters", c_int(filters)),
        ("units", c_int(units)), ("rank", c_int(a.rank)), ("memory", c_int(memory)),
        ("input_offset", c_int(-x.zero_point)), ("state_zero_point", c_int(s_zp)),
        ("output_zero_point", c_int(y.zero_point)),
        ("w_feature", ctx.weight(ins[1], "int8_t")), ("w_time", ctx.weight(ins[2], ctype)),
        ("bias", ctx.weight(ins[3], "int32_t")),
        ("feature_mult", c_int(m1[0])), ("feature_shift", c_int(m1[1])),
        ("output_mult", c_int(m2[0])), ("output_shift", c_int(m2[1])),
    ))
    # the state: the model's variable tensor, in the persistent region; reset as TFLite Micro resets it
    # (int16: zero bytes; int8: every byte the state's zero point)
    state = ctx.persistent(f"op {op.index} SVDF activation state", batch * filters * memory * (1 if state8 else 2),
                           ctype, fill=s_zp if state8 else 0, key=("tensor", a.state[0]))
    return [KernelCall(op.index, op.kind, func,
                       (f"&{params.name}", ctx.act(x.index), state, ctx.act(y.index)),
                       params, (src,),
                       f"{batch} x {x.shape[1]} -> {filters} filters x {memory} -> {units} units")]
