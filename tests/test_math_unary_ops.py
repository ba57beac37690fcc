"""ELU, EXP, LOG, RSQRT and SQRT (int8 -> int8, 256-entry tables), bit-exact with the references.

Which reference is the oracle:
- ELU: TFLite Micro (its int8 ELU is a float32 table). LiteRT's BUILTIN_REF resolver does not register
  the hand-built op version, and the converter keeps ELU in float, so ELU models are hand-built.
- RSQRT: TFLite Micro and LiteRT (the same integer arithmetic); inputs below the zero point are an error in
  both, so the bit-exact runs feed only codes >= the input zero point.
- EXP, LOG, SQRT: TFLite Micro has float32 kernels only (the interpreter fails on int8, which the tests
  assert), so the oracle is LiteRT's BUILTIN_REF int8 kernels. SQRT: inputs below the zero point are an
  error in LiteRT, so only codes >= the zero point are fed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.activations import INPUTS
from mcucompile.codegen.ops.math_unary import (
    elu_table,
    exp_table,
    inv_sqrt_multiplier_exp,
    log_table,
    lower_exp,
    rsqrt_table,
    sqrt_table,
)
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import Graph, NoAttrs, Op, Quant, Tensor

ALL_CODES = np.arange(-128, 128, dtype=np.int8)


# ---- compile-time arithmetic against the real functions (no TensorFlow) ---------------------------------

def _deq(q, scale, zp):
    return (np.asarray(q, dtype=np.float64) - zp) * scale


def _close(table, want, s_out, zp_out, tol_lsb=1.0):
    lo, hi = _deq(-128, s_out, zp_out), _deq(127, s_out, zp_out)
    err = np.abs(_deq(table.astype(np.int32), s_out, zp_out) - np.clip(want, lo, hi))
    assert err.max() <= tol_lsb * s_out * (1 + 1e-6), err.max() / s_out


@pytest.mark.parametrize("s_in,zp_in,s_out,zp_out", [(0.05, 0, 0.03, -60), (0.02, 100, 0.01, -128)])
def test_elu_exp_tables_follow_the_functions(s_in, zp_in, s_out, zp_out):
    x = _deq(INPUTS, s_in, zp_in)
    _close(elu_table(s_in, zp_in, s_out, zp_out), np.where(x < 0, np.expm1(np.minimum(x, 0)), x), s_out, zp_out, 0.5)
    _close(exp_table(s_in, zp_in, s_out / 4, -128), np.exp(x), s_out / 4, -128, 0.5)


def test_log_table_follows_log_and_maps_non_positive_to_the_lowest_code():
    s_in, zp_in, s_out, zp_out = 0.03, -100, 0.05, 60
    t = log_table(s_in, zp_in, s_out, zp_out)
    x = _deq(INPUTS, s_in, zp_in)
    pos = x > 0
    _close(t[pos], np.log(x[pos]), s_out, zp_out, 0.5)
    assert (t[~pos] == -128).all()


def test_sqrt_table_truncates():
    s_in, zp_in, s_out, zp_out = 0.05, -128, 0.02, -128
    t = sqrt_table(s_in, zp_in, s_out, zp_out).astype(np.int32)
    want = np.sqrt(_deq(INPUTS, s_in, zp_in)) / s_out
    assert np.array_equal(t, np.clip(np.floor(want + 1e-6).astype(np.int32) + zp_out, -128, 127))


def test_rsqrt_table_close_to_inverse_square_root():
    s_in, zp_in, s_out, zp_out = 0.02, -128, 0.03, -128
    t = rsqrt_table(s_in, zp_in, s_out, zp_out)
    x = _deq(INPUTS, s_in, zp_in)
    pos = x > 0
    _close(t[pos], 1 / np.sqrt(x[pos]), s_out, zp_out, 1.0)
    assert t[0] == 127                                 # q == zero point: TFLite returns the maximum code


@pytest.mark.parametrize("v", [2, 3, 7, 100, 255, 1 << 20, (1 << 29) + 5])
def test_inv_sqrt_multiplier_exp_is_an_inverse_square_root(v):
    mult, shift = inv_sqrt_multiplier_exp(v)
    assert math.isclose(mult * 2.0 ** (shift - 31), 1 / math.sqrt(v), rel_tol=1e-4)   # 5 Newton steps in Q3.28


def test_table_entry_beyond_int32_is_refused():
    ts = (Tensor(0, "x", (1, 8), "int8", Quant((0.5,), (0,))), Tensor(1, "y", (1, 8), "int8", Quant((0.01,), (0,))))
    op = Op(4, "EXP", (0,), (1,), NoAttrs())      # exp(0.5 * 34) / 0.01 > 2^31
    with pytest.raises(UnsupportedModelError, match=r"^EXP \(op 4\): input code 34 maps to 2.4155e\+07, "
                                                    r"2.4155e\+09 output steps away from zero with output scale "
                                                    r"0.01: TFLite's float -> int32 conversion of that table "
                                                    r"entry is undefined \(it differs between platforms\)"):
        lower_exp(LowerCtx(Graph("g", ts, (op,), (0,), (1,))), op)


# ---- bit-exact against the references ------------------------------------------------------------

def _run(tmp_path, name, data, inputs, refs, board=None, samples=1):
    """Compile and simulate; refs: the references that must run it and agree (the others must fail)."""
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=("tflm", "litert_ref"),
                     board=board)
    for c, which in zip(r.comparisons, ("tflm", "litert_ref")):
        if which in refs:
            assert c.available, (which, c.error)
            assert c.mismatches == 0, (name, which, c)
        else:
            assert not c.available, which
    assert r.ok
    return r


def _unary_model(kind, quants, n=256):
    tensors, ops = [], []
    for k, (s_in, zp_in, s_out, zp_out) in enumerate(quants):
        tensors += [T((1, n), "int8", [s_in], [zp_in], name=f"x{k}"),
                    T((1, n), "int8", [s_out], [zp_out], name=f"y{k}")]
        ops.append(O(kind, [2 * k], [2 * k + 1]))
    return build(M(tensors, ops, [2 * k for k in range(len(quants))], [2 * k + 1 for k in range(len(quants))]))


QUANTS = [(0.05, 0, 0.03, -60), (0.02, -128, 0.07, 127), (0.1, 127, 0.004, -128), (0.0123, -7, 0.0456, 3),
          (0.25, 40, 0.2, -128)]


def _all_codes(n):
    return [ALL_CODES.reshape(1, 1, 256)] * n


def test_elu_bit_exact_with_tflm_on_all_codes(tmp_path):
    _run(tmp_path, "elu", _unary_model("ELU", QUANTS), _all_codes(len(QUANTS)), ("tflm",))


EXP_QUANTS = [(0.02, 0, 0.05, -128), (0.05, 127, 0.002, -128), (0.01, -128, 0.1, 0), (0.03, 10, 0.2, -100)]


def test_exp_bit_exact_with_litert_on_all_codes(tmp_path):
    _run(tmp_path, "exp", _unary_model("EXP", EXP_QUANTS), _all_codes(len(EXP_QUANTS)), ("litert_ref",))


def test_log_bit_exact_with_litert_on_all_codes(tmp_path):
    _run(tmp_path, "log", _unary_model("LOG", QUANTS), _all_codes(len(QUANTS)), ("litert_ref",))


NONNEG_QUANTS = [(0.05, -128, 0.02, -128), (0.003, -128, 0.2, 50), (0.1, -20, 0.01, 0), (0.0071, 60, 0.033, -90)]


def _nonneg_model(kind):
    """Each input takes exactly the codes from its zero point up (RSQRT/SQRT of a negative value is an error
    in the references)."""
    tensors, ops, inputs = [], [], []
    for k, (s_in, zp_in, s_out, zp_out) in enumerate(NONNEG_QUANTS):
        n = 128 - zp_in
        tensors += [T((1, n), "int8", [s_in], [zp_in], name=f"x{k}"),
                    T((1, n), "int8", [s_out], [zp_out], name=f"y{k}")]
        ops.append(O(kind, [2 * k], [2 * k + 1]))
        inputs.append(np.arange(zp_in, 128, dtype=np.int8).reshape(1, 1, n))
    ins, outs = [2 * k for k in range(len(NONNEG_QUANTS))], [2 * k + 1 for k in range(len(NONNEG_QUANTS))]
    return build(M(tensors, ops, ins, outs)), inputs


def test_rsqrt_bit_exact_with_tflm_and_litert(tmp_path):
    data, inputs = _nonneg_model("RSQRT")
    _run(tmp_path, "rsqrt", data, inputs, ("tflm", "litert_ref"))


def test_sqrt_bit_exact_with_litert(tmp_path):
    data, inputs = _nonneg_model("SQRT")
    r = _run(tmp_path, "sqrt", data, inputs, ("litert_ref",))
    s_in, zp_in, s_out, zp_out = NONNEG_QUANTS[0]
    got = r.outputs[0][0].ravel().astype(np.int32)
    assert got[0] == zp_out and got[-1] < 127                  # sqrt(0) and an unsaturated top


def _convert(fn, specs, ranges):
    return int8_tflite(fn, uniform_samples(specs, ranges, 16, 0), specs=specs)


def test_converted_exp_log_rsqrt_sqrt(tmp_path):
    tf = need_module("tensorflow")
    from mcucompile.frontend.tflite_reader import parse_tflite
    specs = [(1, 4, 4, 8)] * 2
    data = _convert(lambda a, b: (tf.exp(a), tf.math.log(b), tf.math.rsqrt(b), tf.sqrt(b)), specs,
                    [(-3, 1), (0.05, 4)])
    assert sorted(op.kind for op in parse_tflite(data).ops) == ["EXP", "LOG", "RSQRT", "SQRT"]
    # b's quantisation starts at its zero point, so every code is >= it: all inputs valid for RSQRT/SQRT
    rng = np.random.default_rng(3)
    ins = [rng.integers(-128, 128, (4, 1, 4, 4, 8)).astype(np.int8) for _ in range(2)]
    _run(tmp_path, "conv_math", data, ins, ("litert_ref",), samples=4)


def test_math_unary_on_qemu_m4(tmp_path, qemu_toolchain):
    """ELU (TFLite Micro's table) then RSQRT (its integer arithmetic) on the Cortex-M4 build."""
    ts = [T((1, 8, 8, 4), "int8", [0.05], [-20], name="x"), T((1, 8, 8, 4), "int8", [0.04], [-128], name="e"),
          T((1, 8, 8, 4), "int8", [0.01], [-128], name="r")]
    data = build(M(ts, [O("ELU", [0], [1]), O("RSQRT", [1], [2])], [0], [2]))
    _run(tmp_path, "math_m4", data, None, ("tflm",), board="qemu-m4", samples=2)
