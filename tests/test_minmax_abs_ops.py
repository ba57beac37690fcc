"""ABS, NEG, MAXIMUM and MINIMUM (int8), bit-exact with the references.

- ABS: TFLite Micro's arithmetic (|q - zp_in|, rescaled by QuantizeMultiplier(s_in / s_out) when the float32
  scales differ), as a 256-entry table; checked on all 256 codes against TFLite Micro and LiteRT, for
  converter-made models and hand-built ones (equal scales, zero points at -128 and 127).
- NEG: TFLite Micro has no int8 NEG (its kernel takes float32 only: the interpreter fails), and the
  converter never emits one (it keeps NEG in float between DEQUANTIZE/QUANTIZE). LiteRT's int8 NEG negates
  the raw codes whatever the quantisation, which is the real negation only with zero point 0 and one scale:
  we compile that case (bit-exact with LiteRT on all 256 codes, -(-128) wrapping to -128 as LiteRT does)
  and refuse the others.
- MAXIMUM / MINIMUM: raw-code max/min with broadcasting; the inputs and the output must share one
  quantisation (the converter always makes it so), other quantisations are refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.activations import INPUTS
from mcucompile.codegen.ops.minmax import abs_table, lower_abs, lower_maximum, lower_minimum, lower_neg, neg_table
from mcucompile.codegen.records import Act
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import Graph, NoAttrs, Op, Quant, Tensor

ALL_CODES = np.arange(-128, 128, dtype=np.int8)


# ---- compile-time arithmetic (no TensorFlow) ---------------------------------------------------------

def _dequant(q, scale, zp):
    return (np.asarray(q, dtype=np.float64) - zp) * scale


@pytest.mark.parametrize("s_in,zp_in,s_out,zp_out", [(0.05, 0, 0.05, -128), (0.02, -128, 0.07, 127),
                                                      (0.1, 127, 0.03, -128), (0.01, 5, 0.013, -100)])
def test_abs_table_follows_abs(s_in, zp_in, s_out, zp_out):
    t = abs_table(s_in, zp_in, s_out, zp_out).astype(np.int32)
    want = np.abs(_dequant(INPUTS, s_in, zp_in))
    lo, hi = _dequant(-128, s_out, zp_out), _dequant(127, s_out, zp_out)
    err = np.abs(_dequant(t, s_out, zp_out) - np.clip(want, lo, hi))
    assert err.max() <= s_out + 1e-9         # double rounding: within 1 LSB at worst


def test_abs_equal_scales_only_moves_the_zero_point():
    t = abs_table(0.05, 10, 0.05, -128).astype(np.int32)
    assert np.array_equal(t, np.clip(np.abs(INPUTS - 10) - 128, -128, 127))


def test_neg_table_wraps_like_litert():
    t = neg_table()
    assert t[0] == -128 and t[1] == 127 and t[128] == 0 and t[255] == -127


def _unary_graph(kind, s_in, zp_in, s_out, zp_out, shape=(1, 8)):
    ts = (Tensor(0, "x", shape, "int8", Quant((s_in,), (zp_in,))),
          Tensor(1, "y", shape, "int8", Quant((s_out,), (zp_out,))))
    op = Op(3, kind, (0,), (1,), NoAttrs())
    return Graph("g", ts, (op,), (0,), (1,)), op


def test_abs_refuses_a_rescale_that_overflows():
    g, op = _unary_graph("ABS", 1.0, 0, 1e-8, 0)
    with pytest.raises(UnsupportedModelError, match=r"ABS \(op 3\): input scale 1 / output scale 1e-08 is too "
                                                    r"large \(shift 27 > 23\)"):
        lower_abs(LowerCtx(g), op)


@pytest.mark.parametrize("s_out,zp_in,zp_out", [(0.2, 0, 0), (0.1, 3, 0), (0.1, 0, -128)])
def test_neg_refuses_other_quantisations(s_out, zp_in, zp_out):
    g, op = _unary_graph("NEG", 0.1, zp_in, s_out, zp_out)
    with pytest.raises(UnsupportedModelError, match=r"^NEG \(op 3\): ") as e:
        lower_neg(LowerCtx(g), op)
    assert "int8 NEG needs zero point 0 and one scale on input and output" in str(e.value)


def _minmax_graph(kind, s1, s2, q1=(0.05, 3), q2=(0.05, 3), qo=(0.05, 3)):
    ts = (Tensor(0, "a", s1, "int8", Quant((q1[0],), (q1[1],))), Tensor(1, "b", s2, "int8", Quant((q2[0],), (q2[1],))),
          Tensor(2, "y", (1, 4, 5, 3), "int8", Quant((qo[0],), (qo[1],))))
    op = Op(5, kind, (0, 1), (2,), NoAttrs())
    return Graph("g", ts, (op,), (0, 1), (2,)), op


@pytest.mark.parametrize("kind,lower,func", [("MAXIMUM", lower_maximum, "mcu_maximum_s8"),
                                             ("MINIMUM", lower_minimum, "mcu_minimum_s8")])
def test_minmax_broadcast_fields(kind, lower, func):
    g, op = _minmax_graph(kind, (1, 4, 5, 3), (1, 1, 1, 3))
    (call,) = lower(LowerCtx(g), op)
    f = dict(call.params.fields)
    assert call.func == func
    assert f["rank"] == "2" and f["out_dims"] == "{20, 3, 1, 1, 1, 1}"
    assert f["in1_strides"] == "{3, 1, 0, 0, 0, 0}" and f["in2_strides"] == "{0, 1, 0, 0, 0, 0}"
    assert call.args[1:] == (Act(0), Act(1), Act(2))


@pytest.mark.parametrize("q1,q2,qo", [((0.05, 3), (0.06, 3), (0.05, 3)), ((0.05, 3), (0.05, 3), (0.05, -3))])
def test_minmax_refuses_mixed_quantisation(q1, q2, qo):
    for kind, lower in (("MAXIMUM", lower_maximum), ("MINIMUM", lower_minimum)):
        g, op = _minmax_graph(kind, (1, 4, 5, 3), (1, 4, 5, 3), q1, q2, qo)
        with pytest.raises(UnsupportedModelError, match=rf"{kind} \(op 5\): tensor '.' is quantised with scale "
                                                        r".* TFLite compares raw int8 codes, so both inputs and "
                                                        "the output must share one quantisation"):
            lower(LowerCtx(g), op)


# ---- bit-exact against the references ------------------------------------------------------------


def _run(tmp_path, name, data, inputs=None, samples=3, tflm=True, board=None):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=("tflm", "litert_ref"),
                     board=board)
    tflm_c, litert_c = r.comparisons
    if tflm:
        assert tflm_c.available, tflm_c.error
        assert tflm_c.mismatches == 0, (name, tflm_c)
    else:
        assert not tflm_c.available         # TFLite Micro cannot run it (int8 NEG)
    assert litert_c.available and litert_c.mismatches == 0, (name, litert_c)
    assert r.ok and r.compared_with == ("tflm" if tflm else "litert_ref")
    if not tflm:    # asked for TFLite Micro alone, which cannot run it: a failure, not a pass
        r2 = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=("tflm",), board=board)
        assert not r2.ok and r2.compared_with is None and not r2.comparisons[0].available
    return r


def _kinds(data: bytes) -> list[str]:
    from mcucompile.frontend.tflite_reader import parse_tflite
    return [op.kind for op in parse_tflite(data).ops]


def _convert(fn, specs, ranges, seed=0):
    return int8_tflite(fn, uniform_samples(specs, ranges, 16, seed), specs=specs)


def _unary_model(kind, quants, n=256):
    """One model: `kind` applied to one [1, n] input per (s_in, zp_in, s_out, zp_out)."""
    tensors, ops = [], []
    for k, (s_in, zp_in, s_out, zp_out) in enumerate(quants):
        tensors += [T((1, n), "int8", [s_in], [zp_in], name=f"x{k}"),
                    T((1, n), "int8", [s_out], [zp_out], name=f"y{k}")]
        ops.append(O(kind, [2 * k], [2 * k + 1]))
    return build(M(tensors, ops, [2 * k for k in range(len(quants))], [2 * k + 1 for k in range(len(quants))]))


ABS_QUANTS = [(0.05, 0, 0.05, 0),          # equal quantisation
              (0.05, 127, 0.05, -128),     # equal scales, zero points at both extremes
              (0.02, -128, 0.07, 127),     # rescaled, extreme zero points (outputs saturate)
              (0.1, 127, 0.03, -128),      # rescaled up: |x| saturates at 127
              (0.013, -7, 0.0061, -128)]


def test_abs_hand_built_bit_exact_on_all_codes(tmp_path):
    data = _unary_model("ABS", ABS_QUANTS)
    x = ALL_CODES.reshape(1, 1, 256)
    _run(tmp_path, "abs_q", data, inputs=[x] * len(ABS_QUANTS))


def test_abs_converted_bit_exact_on_all_codes(tmp_path):
    tf = need_module("tensorflow")
    ranges = [(-3, 1), (0, 2), (-2, 0)]        # zero points near 63, at -128 and at 127
    data = _convert(lambda *xs: tuple(tf.abs(x) for x in xs), [(1, 256)] * 3, ranges)
    assert _kinds(data) == ["ABS"] * 3
    x = ALL_CODES.reshape(1, 1, 256)
    _run(tmp_path, "abs_tf", data, inputs=[x] * 3)


def test_neg_bit_exact_with_litert_tflm_lacks_it(tmp_path):
    quants = [(0.1, 0, 0.1, 0), (0.0039, 0, 0.0039, 0)]
    data = _unary_model("NEG", quants)
    x = ALL_CODES.reshape(1, 1, 256)
    r = _run(tmp_path, "neg", data, inputs=[x, x[:, :, ::-1].copy()], tflm=False)
    assert np.array_equal(r.outputs[0][0].ravel(), neg_table())


def test_neg_other_quantisation_is_refused_when_compiling(tmp_path):
    from mcucompile import api
    path = tmp_path / "neg_zp.tflite"
    path.write_bytes(_unary_model("NEG", [(0.1, -128, 0.1, 127)]))
    with pytest.raises(UnsupportedModelError, match=r"NEG \(op 0\)"):
        api.compile_model(path, tmp_path / "out")


MINMAX_CASES = [  # (shape 1, shape 2, range 1, range 2)
    ((1, 4, 5, 3), (1, 4, 5, 3), (-1, 1), (-2, 3)),
    ((1, 4, 5, 3), (1, 1, 1, 3), (-1, 1), (-2, 3)),
    ((1, 1, 5, 1), (1, 4, 1, 3), (0, 4), (-1, 2)),       # both broadcast
    ((2, 3, 4), (3, 1), (-1, 1), (-1, 1)),               # rank 3 against rank 2
]


@pytest.mark.parametrize("s1,s2,r1,r2", MINMAX_CASES,
                         ids=[f"{'x'.join(map(str, c[0]))}_{'x'.join(map(str, c[1]))}" for c in MINMAX_CASES])
def test_maximum_minimum_bit_exact(tmp_path, s1, s2, r1, r2):
    tf = need_module("tensorflow")
    data = _convert(lambda a, b: (tf.maximum(a, b), tf.minimum(a, b)), [s1, s2], [r1, r2])
    # (the converter requantises a shared input with an int8 -> int8 QUANTIZE where the ops want other scales)
    assert sorted(k for k in _kinds(data) if k != "QUANTIZE") == ["MAXIMUM", "MINIMUM"]
    _run(tmp_path, "minmax", data, samples=4)


def test_maximum_minimum_constant_operands(tmp_path):
    """A scalar constant (the converter's `max(x, 0.3)`) and a per-channel constant vector, either side."""
    tf = need_module("tensorflow")
    c = tf.constant(np.array([-0.5, 0.1, 0.6], dtype=np.float32))

    def fn(a):
        return tf.maximum(a, 0.3), tf.minimum(a, -0.2), tf.maximum(c, a), tf.minimum(a, c)

    data = _convert(fn, [(1, 4, 5, 3)], [(-1, 1)])
    assert sorted(k for k in _kinds(data) if k != "QUANTIZE") == ["MAXIMUM", "MAXIMUM", "MINIMUM", "MINIMUM"]
    from mcucompile.frontend.tflite_reader import parse_tflite
    g = parse_tflite(data)
    const_shapes = sorted(tuple(g.tensors[i].shape) for op in g.ops for i in op.inputs if g.tensors[i].is_const)
    assert const_shapes[0] == () and (3,) in const_shapes
    _run(tmp_path, "minmax_const", data, samples=6)


def test_maximum_all_code_pairs(tmp_path):
    """Every (a, b) code pair: a [256, 1] operand against a [1, 256] one (one shared quantisation)."""
    tensors = [T((256, 1), "int8", [0.05], [-128], name="a"), T((1, 256), "int8", [0.05], [-128], name="b"),
               T((256, 256), "int8", [0.05], [-128], name="mx"), T((256, 256), "int8", [0.05], [-128], name="mn")]
    data = build(M(tensors, [O("MAXIMUM", [0, 1], [2]), O("MINIMUM", [0, 1], [3])], [0, 1], [2, 3]))
    a, b = ALL_CODES.reshape(1, 256, 1).copy(), ALL_CODES.reshape(1, 1, 256).copy()
    r = _run(tmp_path, "minmax_pairs", data, inputs=[a, b])
    assert np.array_equal(r.outputs[0][0], np.maximum(a[0], b[0]))


def test_minmax_abs_on_qemu_m4(tmp_path, qemu_toolchain):
    tf = need_module("tensorflow")

    def fn(a, b):
        return tf.abs(tf.maximum(a, b)), tf.minimum(a, b)

    data = _convert(fn, [(1, 4, 5, 3), (1, 1, 1, 3)], [(-1, 1), (-2, 3)])
    assert sorted(k for k in _kinds(data) if k != "QUANTIZE") == ["ABS", "MAXIMUM", "MINIMUM"]
    _run(tmp_path, "minmax_m4", data, samples=2, board="qemu-m4")
