"""SVDF (int8 input/output and feature weights, int16 or int8 time weights and activation state, int32 bias),
bit-exact with TFLite Micro.

The models are built directly (tests/tflite_builder.py): input [B, I] -> SVDF -> output [B, U]. The
state is a variable tensor: it lives in the persistent state region and carries over between invokes, as
TFLite Micro's. By default each sample starts from the initial state (the references reset the interpreter,
the C calls <model>_reset()); `sequence` runs the samples as one stream, the state carried over.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcucompile import api
from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.svdf import effective_scales, lower_svdf
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir.quant import quantize_multiplier
from mcucompile.kernels import SCRATCH


def svdf_model(B, I, U, rank, memory, act=0, x_zp=-5, y_zp=0, y_scale=0.05, state_scale=2.0 ** -12,
               w_scale=0.01, wt_scale=3e-5, bias=True, wt_dtype="int16", n_inputs=5, variable=True,
               state_zp=0, seed=0) -> bytes:
    """input -> SVDF (fused activation code `act`: 0 NONE, 1 RELU) -> output, random weights and a bias
    of up to +-40 output codes."""
    from tflite_builder import M, O, T, build
    rng = np.random.default_rng(seed)
    F = U * rank
    x_scale = 0.02
    ts = [T((B, I), "int8", [x_scale], [x_zp], name="x"),
          T((F, I), "int8", [w_scale], [0], rng.integers(-127, 128, (F, I)).astype(np.int8), name="wf")]
    wt = (rng.integers(-32767, 32768, (F, memory)).astype(np.int16) if wt_dtype == "int16"
          else rng.integers(-127, 128, (F, memory)).astype(np.int8))
    ts.append(T((F, memory), wt_dtype, [wt_scale], [0], wt, name="wt"))
    b_scale = float(np.float32(np.float32(state_scale) * np.float32(wt_scale)))
    b_max = int(40 * y_scale / b_scale)
    ts.append(T((U,), "int32", [b_scale], [0], rng.integers(-b_max, b_max, U).astype(np.int32), name="b"))
    ts.append(T((B, memory * F), wt_dtype, [state_scale], [state_zp], name="state", variable=variable))
    ts.append(T((B, U), "int8", [y_scale], [y_zp], name="y"))
    ins = [0, 1, 2, 3 if bias else -1, 4][:n_inputs]
    opts = ("SVDFOptions", {"Rank": rank, "FusedActivationFunction": act})
    return build(M(ts, [O("SVDF", ins, [5], options=opts)], [0], [5]))


def _write(tmp_path, name, **kw):
    path = tmp_path / f"svdf_{name}.tflite"
    path.write_bytes(svdf_model(**kw))
    return path


def _svdf_op(g):
    return next(op for op in g.ops if op.kind == "SVDF")


# ---- reading and compile-time arithmetic -------------------------------------------------------------

def test_reader_moves_the_variable_state_into_the_attributes(tmp_path):
    g = api.load(_write(tmp_path, "read", B=2, I=5, U=3, rank=2, memory=4, act=1))
    op = _svdf_op(g)
    assert op.inputs[4] == -1 and op.inputs[:4] == (0, 1, 2, 3)      # no longer an activation of the graph
    assert op.attrs.rank == 2 and op.attrs.activation == "RELU"
    assert op.attrs.state[:3] == (4, "int16", (2, 24)) and op.attrs.state[3:] == (2.0 ** -12, 0)
    assert all(g.tensors[t].dtype == "int8" for t in g.activations())
    # no scratch: the int16 state, batch 2 x 6 filters x memory 4, is persistent memory (zero after a reset)
    assert "SVDF" not in SCRATCH
    ctx = LowerCtx(g)
    params = dict(lower_svdf(ctx, op)[0].params.fields)
    assert [(s.nbytes, s.fill, s.initial) for s in ctx.state] == [(2 * 2 * 6 * 4, 0, None)]
    s1, s2 = effective_scales(0.02, 0.01, 2.0 ** -12, 3e-5, 0.05)
    assert (params["feature_mult"], params["feature_shift"]) == tuple(str(v) for v in quantize_multiplier(s1))
    assert (params["output_mult"], params["output_shift"]) == tuple(str(v) for v in quantize_multiplier(s2))
    assert params["input_offset"] == "5" and params["units"] == "3" and params["filters"] == "6"


def test_effective_scales_are_float32_products():
    s1, s2 = effective_scales(0.02, 0.01, 2.0 ** -12, 3e-5, 0.05)
    f = np.float32
    assert s1 == float(f(f(0.02) * f(0.01)) / f(2.0 ** -12))
    assert s2 == float(f(f(2.0 ** -12) * f(3e-5)) / f(0.05))
    assert s1 != 0.02 * 0.01 / 2.0 ** -12                     # not the double product: rounding differs


# ---- bit-exact against TFLite Micro --------------------------------------------------------------------

CASES = {
    "rank1": dict(B=1, I=8, U=4, rank=1, memory=3),
    "rank2_batch2": dict(B=2, I=10, U=5, rank=2, memory=6, x_zp=-128, y_zp=7, seed=1),
    "relu_zp": dict(B=1, I=16, U=8, rank=1, memory=10, act=1, x_zp=20, y_zp=-30, seed=2),
    "relu_rank2_batch2": dict(B=2, I=6, U=3, rank=2, memory=2, act=1, y_zp=12, y_scale=0.02, seed=3),
    "saturating_state": dict(B=1, I=32, U=16, rank=1, memory=8, state_scale=2.0 ** -14, w_scale=0.02, seed=4),
    "wide": dict(B=2, I=40, U=32, rank=2, memory=5, y_scale=0.2, wt_scale=1e-4, x_zp=3, y_zp=-100, seed=5),
    "memory1": dict(B=1, I=3, U=2, rank=3, memory=1, state_scale=1e-3, y_scale=0.01, seed=6),
    "state_zero_point": dict(B=2, I=7, U=3, rank=2, memory=4, state_zp=25, y_scale=0.03, seed=8),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_built_svdfs_bit_exact_with_tflm(tmp_path, case):
    path = _write(tmp_path, case, **CASES[case])
    r = api.simulate(str(path), samples=8, seed=7, references=("tflm",))
    tflm, = r.comparisons
    assert tflm.available, tflm.error
    assert tflm.mismatches == 0, (case, tflm)
    assert r.ok
    y = r.outputs[0]
    assert len(np.unique(y)) > 4, (case, np.unique(y))       # the outputs move: a real comparison


def test_relu_is_not_applied_as_in_tflm(tmp_path):
    """TFLite Micro's integer SVDF applies no fused activation: a RELU model still gives outputs below the
    output zero point, and the same model with NONE gives the same codes."""
    kw = dict(CASES["relu_zp"])
    r = api.simulate(str(_write(tmp_path, "relu", **kw)), samples=8, seed=7, references=("tflm",))
    kw["act"] = 0
    plain = api.simulate(str(_write(tmp_path, "none", **kw)), samples=8, seed=7, references=("tflm",))
    assert r.ok and plain.ok and r.comparisons[0].mismatches == 0
    assert (r.outputs[0] < -30).any()
    assert np.array_equal(r.outputs[0], plain.outputs[0])


def test_state_starts_from_zero_on_every_call(tmp_path):
    path = _write(tmp_path, "state", **CASES["rank2_batch2"])
    rng = np.random.default_rng(11)
    x = rng.integers(-128, 128, (6, 2, 10)).astype(np.int8)
    r = api.simulate(str(path), inputs=[x], references=("tflm",))
    alone = api.simulate(str(path), inputs=[x[5:]], references=("tflm",))
    assert r.ok and alone.ok and r.comparisons[0].mismatches == 0
    assert np.array_equal(alone.outputs[0][0], r.outputs[0][5])
    # as one stream the state carries over (memory 6: every step still sees the earlier ones), bit-exact
    seq = api.simulate(str(path), inputs=[x], references=("tflm",), sequence=True)
    assert seq.ok and seq.comparisons[0].available and seq.comparisons[0].mismatches == 0
    assert np.array_equal(seq.outputs[0][0], r.outputs[0][0])            # the first step: the same start
    assert not np.array_equal(seq.outputs[0][1:], r.outputs[0][1:])      # later ones: the state matters


def test_built_svdf_on_qemu_m4(tmp_path, qemu_toolchain):
    path = _write(tmp_path, "qemu", **CASES["rank2_batch2"])
    r = api.simulate(str(path), samples=3, seed=4, references=("tflm",), board="qemu-m4")
    tflm, = r.comparisons
    assert tflm.available, tflm.error
    assert tflm.mismatches == 0, tflm
    assert r.ok and len(np.unique(r.outputs[0])) > 4


# ---- refusals ------------------------------------------------------------------------------------------

def _with(op, **changes):
    ins = list(op.inputs)
    for k, v in changes.pop("inputs", {}).items():
        ins[k] = v
    attrs = dataclasses.replace(op.attrs, **changes) if changes else op.attrs
    return dataclasses.replace(op, inputs=tuple(ins), attrs=attrs)


def test_variants_tflm_lacks_or_we_do_not_compile_are_refused(tmp_path):
    g = api.load(_write(tmp_path, "bad", B=1, I=8, U=4, rank=2, memory=3))
    op = _svdf_op(g)
    st = op.attrs.state
    bad = [
        (_with(op, inputs={3: -1}), r"has no bias: TFLite Micro's SVDF requires one \(its Prepare reads the "
                                    r"bias's scale\)"),
        (_with(op, inputs={1: 2}), r"the feature weights \('wt'\) must be a constant per-tensor int8 tensor "
                                   r"\(not a hybrid or float SVDF\)"),
        (_with(op, inputs={2: 3}), r"the time weights \('b'\) are int32: only constant per-tensor int16 or int8 "
                                   "time weights are supported"),
        (_with(op, inputs={2: 0}), r"the time weights \('x'\) are non-constant int8"),
        (_with(op, state=st[:1] + ("int8",) + st[2:]),
         "the activation state is int8 and the time weights int16: TFLite Micro reads the state as the time "
         r"weights' type, so they must match \(int16 or int8\)"),
        (_with(op, state=()), "the activation state input is missing"),
        (_with(op, activation="RELU6"), "fused activation RELU6: TFLite Micro's SVDF takes NONE or RELU"),
        (_with(op, rank=3), "rank 3 does not divide the 8 filters"),
        (_with(op, state=st[:2] + ((1, 25),) + st[3:]),
         r"the activation state \(1, 25\) is not batch x memory x filters = \(1, 24\)"),
        (_with(op, state=st[:3] + (1.0,) + st[4:]), r"the bias scale .* is not state scale x time weights "
                                                     r"scale \(3e-05\), which TFLite Micro requires"),
    ]
    for bad_op, msg in bad:
        with pytest.raises(UnsupportedModelError, match=r"SVDF \(op 0\): " + msg):
            lower_svdf(LowerCtx(g), bad_op)


def _retensor(g, k, **changes):
    """The graph with tensor k changed (its shape, its quantisation)."""
    ts = list(g.tensors)
    ts[k] = dataclasses.replace(ts[k], **changes)
    return dataclasses.replace(g, tensors=tuple(ts))


def test_malformed_svdfs_are_refused_with_the_reason(tmp_path):
    g = api.load(_write(tmp_path, "malformed", B=1, I=8, U=4, rank=2, memory=3))
    op = _svdf_op(g)
    wf = g.tensors[1]
    bad = [
        (g, _with(op, inputs={0: 3}), r"int32 input and int8 output: only int8 is supported \(not the float SVDF\)"),
        (g, _with(op, inputs={3: 2}), r"the bias \('wt'\) must be a constant quantised int32 tensor"),
        (_retensor(g, 0, shape=(1, 1, 8)), op,
         r"input \(1, 1, 8\), output \(1, 4\) and weights \(8, 8\), \(8, 3\) must be 2-D"),
        (_retensor(g, 5, shape=(1, 5)), op, r"output \(1, 5\) and bias \(4,\) do not match batch 1 x 4 units"),
        (_retensor(g, 1, quant=dataclasses.replace(wf.quant, zero_point=(2,))), op,
         r"the weights must be symmetric \(zero point 0\): TFLite Micro ignores their zero points"),
    ]
    for graph, bad_op, msg in bad:
        with pytest.raises(UnsupportedModelError, match=r"SVDF \(op 0\): " + msg):
            lower_svdf(LowerCtx(graph), bad_op)


def test_reader_refusals(tmp_path):
    from mcucompile.frontend.tflite_reader import parse_tflite
    with pytest.raises(UnsupportedModelError, match=r"SVDF \(op 0\): the activation state \(input 4\) must be "
                                                    r"a variable tensor \(TFLite Micro requires it\)"):
        parse_tflite(svdf_model(B=1, I=4, U=2, rank=1, memory=2, variable=False))
    with pytest.raises(UnsupportedModelError, match=r"SVDF \(op 0\): has 4 inputs; TFLite Micro's kernel "
                                                    r"takes 5 \(input, feature weights, time weights, bias, "
                                                    r"activation state\)"):
        parse_tflite(svdf_model(B=1, I=4, U=2, rank=1, memory=2, n_inputs=4))


# ---- int8 time weights and state (TFLite Micro's second integer SVDF, firmware/mcu_svdf_state_s8.c) ----------

CASES8 = {
    "rank1": dict(B=1, I=8, U=4, rank=1, memory=3),
    "rank2_batch2": dict(B=2, I=10, U=5, rank=2, memory=6, x_zp=-128, y_zp=7, seed=1),
    "state_zero_point": dict(B=2, I=7, U=3, rank=2, memory=4, state_zp=-20, seed=2),
    "saturating_wrapping_state": dict(B=1, I=32, U=8, rank=1, memory=5, state_zp=90, w_scale=0.02, seed=3),
    "memory1_relu": dict(B=1, I=5, U=3, rank=3, memory=1, act=1, y_zp=-10, seed=4),
}
INT8_STATE = dict(wt_dtype="int8", state_scale=0.02, wt_scale=0.004, y_scale=0.01)


def test_int8_state_lowering_and_scratch(tmp_path):
    g = api.load(_write(tmp_path, "read8", **{**INT8_STATE, **CASES8["state_zero_point"]}))
    op = _svdf_op(g)
    assert op.attrs.state[1] == "int8" and op.attrs.state[4] == -20
    assert "SVDF" not in SCRATCH                     # the state lives in the persistent region, not in scratch
    ctx = LowerCtx(g)
    call = lower_svdf(ctx, op)[0]
    slot, = ctx.state                                # one byte per state value, reset to the zero point
    assert (slot.nbytes, slot.fill, slot.initial) == (2 * 6 * 4, -20 & 0xFF, None)
    assert (call.func, call.sources) == ("mcu_svdf_state_s8", ("mcu_svdf_state_s8.c",))
    params = dict(call.params.fields)
    assert call.params.ctype == "mcu_svdf_state_s8_params_t" and params["state_zero_point"] == "-20"
    s1, s2 = effective_scales(0.02, 0.01, 0.02, 0.004, 0.01)
    assert (params["feature_mult"], params["feature_shift"]) == tuple(str(v) for v in quantize_multiplier(s1))
    assert (params["output_mult"], params["output_shift"]) == tuple(str(v) for v in quantize_multiplier(s2))


@pytest.mark.parametrize("case", sorted(CASES8))
def test_int8_state_svdfs_bit_exact_with_tflm(tmp_path, case):
    path = _write(tmp_path, f"s8_{case}", **{**INT8_STATE, **CASES8[case]})
    r = api.simulate(str(path), samples=8, seed=7, references=("tflm",))
    tflm, = r.comparisons
    assert tflm.available, tflm.error
    assert tflm.mismatches == 0, (case, tflm)
    assert r.ok
    assert len(np.unique(r.outputs[0])) > 4, (case, np.unique(r.outputs[0]))


def test_int8_state_starts_from_its_zero_point_on_every_call(tmp_path):
    """TFLite Micro resets an int8 variable tensor to its zero point (not to zero): the first sample, and a
    sample after others, give what it gives alone."""
    path = _write(tmp_path, "s8_state", **{**INT8_STATE, **CASES8["state_zero_point"]})
    x = np.random.default_rng(11).integers(-128, 128, (6, 2, 7)).astype(np.int8)
    r = api.simulate(str(path), inputs=[x], references=("tflm",))
    alone = api.simulate(str(path), inputs=[x[5:]], references=("tflm",))
    assert r.ok and alone.ok and r.comparisons[0].mismatches == 0 and alone.comparisons[0].mismatches == 0
    assert np.array_equal(alone.outputs[0][0], r.outputs[0][5])


def test_int8_state_svdf_on_qemu_m4(tmp_path, qemu_toolchain):
    path = _write(tmp_path, "s8_qemu", **{**INT8_STATE, **CASES8["saturating_wrapping_state"]})
    r = api.simulate(str(path), samples=3, seed=4, references=("tflm",), board="qemu-m4")
    tflm, = r.comparisons
    assert tflm.available, tflm.error
    assert tflm.mismatches == 0, tflm
    assert r.ok and len(np.unique(r.outputs[0])) > 4
