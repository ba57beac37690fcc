"""UNIDIRECTIONAL_SEQUENCE_LSTM with int8 activations and weights, int32 biases and an int16 cell state, as
TFLite Micro's integer LSTM computes it (kernels/unidirectional_sequence_lstm.cc, lstm_eval*.cc); the C is
firmware/mcu_lstm_s8.c. Every multiplier and shift is computed here, as TFLite Micro's Prepare does:

- each gate's two fully connected layers write int16 at scale 2^-12: QuantizeMultiplier(input scale x
  weights scale / 2^-12) with the scales as doubles; the input FC adds the gate's bias, the recurrent one none;
- the sigmoid and tanh are TFLite's int16 Logistic / Tanh; tanh takes its input scaling from the exponent of
  the input's scale (2^-12 for the cell gate, CheckedLog2 of the cell state's scale for the cell state);
- the inter-gate multiplications take QuantizeMultiplier(s1 x s2 / s_out) with the gate outputs at 2^-15.

The standard LSTM only, as TFLite Micro: no CIFG, peephole, projection or layer normalisation.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import checked_log2, quantize_multiplier
from ...kernels.lstm import lstm_dims
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers

GATE_INPUT_SCALE = float(np.float32(2.0 ** -12))    # the FC outputs: Q3.12
GATE_OUTPUT_SCALE = float(np.float32(2.0 ** -15))   # the sigmoid / tanh outputs: Q0.15
OPTIONAL = {9: "peephole (cell-to-input) weights", 10: "peephole (cell-to-forget) weights",
            11: "peephole (cell-to-output) weights", 16: "a projection", 17: "a projection bias",
            20: "layer normalisation", 21: "layer normalisation", 22: "layer normalisation",
            23: "layer normalisation"}


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def tanh_input_scaling(scale_power: int) -> tuple[int, int]:
    """(multiplier, right shift) of TFLite's int16 Tanh for an input at scale 2^scale_power, as the LSTM
    passes them (lstm_internal::Tanh) and the reference Tanh turns a 0 multiplier into 3 << shift."""
    shift = 15 + scale_power - 3
    if shift < 0:
        return 3, -shift
    return 3 << shift, 0


def _fc_multiplier(in_scale: float, w) -> tuple[int, int]:
    return quantize_multiplier(float(in_scale) * float(w.quant.scale[0]) / GATE_INPUT_SCALE)


def _mul_params(s1: float, s2: float, s_out: float) -> tuple[int, int]:
    return quantize_multiplier(float(s1) * float(s2) / float(s_out))


def _check(ctx, op):
    a = op.attrs
    ins = op.inputs
    if len(ins) != 24:
        _fail(op, f"has {len(ins)} inputs; TFLite Micro's kernel takes 24")
    x, y = ctx.tensor(ins[0]), ctx.tensor(op.outputs[0])
    if x.dtype != "int8" or y.dtype != "int8":
        _fail(op, f"{x.dtype} input and {y.dtype} output: only int8 activations are supported "
                  "(not the 16-bit activation variant)")
    if x.quant is None or y.quant is None:
        _fail(op, "the input and output must be quantised")
    if ins[1] < 0 or ins[5] < 0:
        _fail(op, "CIFG (no input gate) is not supported (TFLite Micro neither)")
    for k, what in OPTIONAL.items():
        if ins[k] >= 0:
            _fail(op, f"{what} is not supported (TFLite Micro's LSTM takes the standard LSTM only)")
    if a.activation != "TANH":
        _fail(op, f"the cell activation is {a.activation}; only TANH is supported")
    hid, cell = a.hidden_state, a.cell_state
    if not hid or not cell:
        _fail(op, "the hidden and cell state inputs are missing")
    if hid[1] != "int8" or cell[1] != "int16":
        _fail(op, f"hidden state {hid[1]} and cell state {cell[1]}: int8 hidden and int16 cell state only")
    if len(x.shape) != 3 or len(y.shape) != 3:
        _fail(op, f"input {x.shape} and output {y.shape} must be 3-D")
    for k in range(1, 9):
        w = ctx.tensor(ins[k])
        if w.data is None or w.dtype != "int8" or w.quant is None or w.quant.per_channel:
            _fail(op, f"weights input {k} ('{w.name}') must be a constant per-tensor int8 tensor")
    for k in range(12, 16):
        if ins[k] < 0:
            _fail(op, f"gate bias input {k} is absent")
        b = ctx.tensor(ins[k])
        if b.data is None or b.dtype != "int32":
            _fail(op, f"gate bias input {k} ('{b.name}') must be a constant int32 tensor")


@lowers("UNIDIRECTIONAL_SEQUENCE_LSTM")
def lower_lstm(ctx, op):
    _check(ctx, op)
    a, ins = op.attrs, op.inputs
    x, y = ctx.tensor(ins[0]), ctx.tensor(op.outputs[0])
    batch, state = lstm_dims(ctx.graph, op)
    time_steps = x.shape[0] if a.time_major else x.shape[1]
    input_dim = x.shape[2]
    if ctx.tensor(ins[2]).shape != (state, input_dim) or ctx.tensor(ins[6]).shape != (state, state):
        _fail(op, "the weights' shapes do not match the input and state sizes")
    if tuple(y.shape[:2]) != tuple(x.shape[:2]) or y.shape[2] != state:
        _fail(op, f"output {y.shape} does not match input {x.shape} and state size {state}")
    _, _, hshape, h_scale, h_zp = a.hidden_state
    _, _, cshape, c_scale, _ = a.cell_state
    for what, shp in (("hidden", hshape), ("cell", cshape)):
        if int(np.prod(shp)) != batch * state:
            _fail(op, f"the {what} state {shp} does not hold batch x state = {batch * state} values")
    gates = range(4)                                    # input, forget, cell, output: TFLite's input order
    in_q = [_fc_multiplier(x.scale, ctx.tensor(ins[1 + g])) for g in gates]
    rec_q = [_fc_multiplier(h_scale, ctx.tensor(ins[5 + g])) for g in gates]
    power, _exact = checked_log2(c_scale)               # TFLite Micro uses the rounded exponent regardless
    gate_tanh = tanh_input_scaling(-12)
    cell_tanh = tanh_input_scaling(power)
    forget = _mul_params(GATE_OUTPUT_SCALE, c_scale, c_scale)
    inp = _mul_params(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, c_scale)
    out = _mul_params(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, h_scale)
    use_clip = a.cell_clip > 0
    clip = int(min(max(float(np.float32(a.cell_clip)) / float(c_scale), -32768.0), 32767.0)) if use_clip else 0

    def arr(vals):
        return "{" + ", ".join(str(v) for v in vals) + "}"

    name = ctx.unique(f"lstm{op.index}")
    params = ParamStruct("mcu_lstm_params_t", f"{name}_params", (
        ("batch", c_int(batch)), ("time_steps", c_int(time_steps)), ("input_dim", c_int(input_dim)),
        ("state_dim", c_int(state)), ("time_major", c_int(int(a.time_major))),
        ("input_offset", c_int(-x.zero_point)), ("hidden_offset", c_int(-h_zp)),
        ("hidden_zero_point", c_int(h_zp)),
        ("in_w", arr(ctx.weight(ins[1 + g], "int8_t") for g in gates)),
        ("rec_w", arr(ctx.weight(ins[5 + g], "int8_t") for g in gates)),
        ("bias", arr(ctx.weight(ins[12 + g], "int32_t") for g in gates)),
        ("in_w_offset", arr(-ctx.tensor(ins[1 + g]).quant.zero_point[0] for g in gates)),
        ("rec_w_offset", arr(-ctx.tensor(ins[5 + g]).quant.zero_point[0] for g in gates)),
        ("in_mult", arr(q for q, _ in in_q)), ("in_shift", arr(s for _, s in in_q)),
        ("rec_mult", arr(q for q, _ in rec_q)), ("rec_shift", arr(s for _, s in rec_q)),
        ("gate_tanh_mult", c_int(gate_tanh[0])), ("gate_tanh_shift", c_int(gate_tanh[1])),
        ("cell_tanh_mult", c_int(cell_tanh[0])), ("cell_tanh_shift", c_int(cell_tanh[1])),
        ("forget_mult", c_int(forget[0])), ("forget_shift", c_int(forget[1])),
        ("input_mult", c_int(inp[0])), ("input_shift", c_int(inp[1])),
        ("output_mult", c_int(out[0])), ("output_shift", c_int(out[1])),
        ("use_cell_clip", c_int(int(use_clip))), ("cell_clip", c_int(clip)),
    ))
    n = batch * state
    cell = ctx.persistent(f"op {op.index} LSTM cell state", 2 * n, "int16_t", key=("tensor", a.cell_state[0]))
    hidden = ctx.persistent(f"op {op.index} LSTM hidden state", n, "int8_t", fill=a.hidden_state[4],
                            key=("tensor", a.hidden_state[0]))
    return [KernelCall(op.index, op.kind, "mcu_lstm_s8",
                       (f"&{params.name}", ctx.act(x.index), ctx.scratch(op, "int16_t"), cell, hidden,
                        ctx.act(y.index)),
                       params, ("mcu_lstm_s8.c",),
                       f"{time_steps} steps x {batch} x {input_dim} -> {state}")]
