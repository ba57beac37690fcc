"""`mcucompile ops` tells where an op needs scratch memory, and that agrees with what the planner reserves."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mcucompile import api
from mcucompile.cli import main
from mcucompile.kernels import SCRATCH

TARGETS = ("none", "dsp", "mve")


def test_scratch_targets_match_the_scratch_functions(shared_models):
    seen = {}
    for name in ("kws_ref_model", "vww_96_int8", "pretrainedResnet_quant"):
        g = api.load(shared_models / f"{name}.tflite")
        for op in g.ops:
            rule = SCRATCH.get(op.kind)
            if rule is None:
                continue
            for simd in TARGETS:
                n = rule.fn(g, op, simd)
                if n:
                    seen.setdefault(op.kind, set()).add(simd)
                    assert simd in rule.on, (op.kind, op.index, simd, n)
    # the models hold 1x1 convs: scratch on DSP cores only (MEAN, not in them, takes its int32 sums everywhere)
    assert seen.get("CONV_2D") == {"dsp"}
    r = CliRunner().invoke(main, ["ops", "--json"])
    listed = {o["kind"]: o for o in json.loads(r.output)}
    assert listed["CONV_2D"]["scratch_on"] == ["dsp"] and listed["MEAN"]["scratch_on"] == list(TARGETS)
    assert listed["ADD"]["scratch"] is False and listed["ADD"]["scratch_on"] == []
    table = CliRunner().invoke(main, ["ops"]).output
    assert "CONV_2D  [patchable, scratch on Cortex-M4/M7 (DSP)]" in table and "MEAN  [patchable, scratch]" in table


def test_more_builtins_are_listed_with_their_constraints():
    """The ops of issue 20 are listed with their dtypes and limits (not the generic 'checked when compiled')."""
    r = CliRunner().invoke(main, ["ops", "--json"])
    listed = {o["kind"]: o for o in json.loads(r.output)}
    for kind in ("GATHER", "GATHER_ND", "MIRROR_PAD", "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER",
                 "GREATER_EQUAL", "SELECT_V2", "SELECT", "CAST", "ZEROS_LIKE", "FILL",
                 "ELU", "EXP", "LOG", "RSQRT", "SQRT", "PRELU", "SQUARED_DIFFERENCE", "ADD_N",
                 "REDUCE_MAX", "REDUCE_MIN", "L2_NORMALIZATION", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
                 "BROADCAST_TO", "CUMSUM", "SHAPE", "LOG_SOFTMAX"):
        assert kind in listed, kind
        assert listed[kind]["ranks"] != "checked when compiled", kind
    assert "bool output" in listed["LESS"]["dtypes"]
    assert "int64 indices" in listed["GATHER"]["dtypes"] and "any axis and batch_dims" in listed["GATHER"]["params"]
    assert "REFLECT" in listed["MIRROR_PAD"]["params"] and "SYMMETRIC" in listed["MIRROR_PAD"]["params"]


def test_lstm_is_listed_with_its_scratch_and_constraints():
    r = CliRunner().invoke(main, ["ops", "--json"])
    lstm = {o["kind"]: o for o in json.loads(r.output)}["UNIDIRECTIONAL_SEQUENCE_LSTM"]
    assert lstm["scratch"] is True and lstm["scratch_on"] == list(TARGETS)   # the gate buffers everywhere
    assert "int16 cell state" in lstm["dtypes"] and "no CIFG, peephole, projection" in lstm["params"]
    assert "persist between invokes in the state region" in lstm["params"]


def test_svdf_is_listed_with_its_constraints():
    r = CliRunner().invoke(main, ["ops", "--json"])
    svdf = {o["kind"]: o for o in json.loads(r.output)}["SVDF"]
    assert svdf["scratch"] is False             # the int16 state is persistent memory, not scratch
    assert "int16 time weights" in svdf["dtypes"] and "int16 activation state" in svdf["dtypes"]
    assert "int8 time weights with an int8 activation state" in svdf["dtypes"]
    assert "not applied (as TFLite Micro)" in svdf["params"] and "persists between invokes" in svdf["params"]


def test_detection_postprocess_is_listed_with_its_scratch_and_constraints():
    r = CliRunner().invoke(main, ["ops", "--json"])
    d = {o["kind"]: o for o in json.loads(r.output)}["TFLite_Detection_PostProcess"]
    assert d["scratch"] is True and d["scratch_on"] == list(TARGETS)     # decoded boxes and NMS buffers
    assert "float32 box encodings" in d["dtypes"] and "fast and regular NMS" in d["params"]


def test_signal_ops_are_listed_with_their_constraints():
    r = CliRunner().invoke(main, ["ops", "--json"])
    ops = {o["kind"]: o for o in json.loads(r.output)}
    assert ops["CUSTOM:SignalRfft"]["scratch"] is True and "power of two" in ops["CUSTOM:SignalRfft"]["params"]
    assert "persists between invokes" in ops["CUSTOM:SignalFilterBankSpectralSubtraction"]["params"]
    assert {f"CUSTOM:Signal{k}" for k in ("Window", "FftAutoScale", "Energy", "FilterBank", "FilterBankSquareRoot",
                                         "PCAN", "FilterBankLog")} <= set(ops)


def test_variable_ops_are_listed():
    r = CliRunner().invoke(main, ["ops", "--json"])
    ops = {o["kind"]: o for o in json.loads(r.output)}
    assert "a float32 one is refused" in ops["READ_VARIABLE"]["dtypes"]
    assert "ASSIGN_VARIABLE of constants" in ops["CALL_ONCE"]["params"] and "no code" in ops["VAR_HANDLE"]["params"]


def test_16x8_forms_are_listed_for_the_ops_of_the_dtype_gate():
    """Every op of INT16_KINDS (the one 16x8 dtype gate) says what its int16 form takes; no other op does."""
    from mcucompile.ir.shapes import INT16_KINDS
    r = CliRunner().invoke(main, ["ops", "--json"])
    listed = {o["kind"]: o for o in json.loads(r.output)}
    assert {k for k, o in listed.items() if o["int16x8"]} == set(INT16_KINDS)
    assert "int64 bias" in listed["CONV_2D"]["int16x8"] and "int16 -> float32" in listed["DEQUANTIZE"]["int16x8"]
    assert "16x8    int16 input/output with zero point 0" in CliRunner().invoke(main, ["ops"]).output
