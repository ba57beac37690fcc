"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL (int8 -> bool), SELECT_V2 and SELECT (bool
condition, int8 operands), bit-exact with the references.

- Comparisons: TFLite Micro rescales both int8 inputs ((q - zp) << 8 times each input's own scale as a
  fixed-point multiplier) before comparing; checked on every (a, b) code pair for several quantisations
  (equal ones, different scales, extreme zero points) against TFLite Micro, and in converter-made models.
  The converter keeps a comparison with a constant in float, so constant operands are hand-built.
- SELECT_V2: raw-code select with broadcasting of condition and operands; converter-made (broadcast) and
  hand-built (condition as a model input).
- SELECT (v1): the converter's tf.where on equal shapes. TFLite Micro has no SELECT kernel (it fails to
  allocate the model), so LiteRT's reference kernel is the oracle.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from test_error_messages import act, graph
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.generate import compile_graph
from mcucompile.codegen.ops.compare import compare_table
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import NoAttrs

ALL_CODES = np.arange(-128, 128, dtype=np.int8)
CMP = {"EQUAL": np.equal, "NOT_EQUAL": np.not_equal, "LESS": np.less, "LESS_EQUAL": np.less_equal,
       "GREATER": np.greater, "GREATER_EQUAL": np.greater_equal}


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
        assert not tflm_c.available               # TFLite Micro has no SELECT (v1)
    assert litert_c.available and litert_c.mismatches == 0, (name, litert_c)
    assert r.ok
    return r


def _kinds(data):
    from mcucompile.frontend.tflite_reader import parse_tflite
    return sorted(op.kind for op in parse_tflite(data).ops)


# ---- compile-time arithmetic --------------------------------------------------------------------------

@pytest.mark.parametrize("scale,zp", [(0.05, 0), (0.0123, -128), (0.9, 127), (1e-4, 3)])
def test_compare_table_is_the_scaled_value(scale, zp):
    t = compare_table(scale, zp)
    real = (ALL_CODES.astype(np.float64) - zp) * 256 * scale
    assert np.abs(t - real).max() <= 1.0            # one fixed-point rounding of (q - zp) * 2^8 * scale
    assert np.all(np.diff(t) >= 0)


# ---- every code pair against TFLite Micro -------------------------------------------------------------

QUANTS = [(0.05, -128, 0.05, -128),     # one quantisation: the raw codes decide
          (0.05, 3, 0.02, -10),         # different scales and zero points
          (0.02, 127, 0.0201, -128),    # near-equal scales: rounding ties decide EQUAL
          (0.5, 0, 0.003, 60)]


@pytest.mark.parametrize("q", QUANTS, ids=[f"q{k}" for k in range(len(QUANTS))])
def test_comparisons_all_code_pairs(tmp_path, q):
    s1, zp1, s2, zp2 = q
    tensors = [T((256, 1), "int8", [s1], [zp1], name="a"), T((1, 256), "int8", [s2], [zp2], name="b")]
    ops = []
    for kind in CMP:
        tensors.append(T((256, 256), "bool", name=kind.lower()))
        ops.append(O(kind, [0, 1], [len(tensors) - 1]))
    data = build(M(tensors, ops, [0, 1], list(range(2, len(tensors)))))
    a, b = ALL_CODES.reshape(1, 256, 1).copy(), ALL_CODES.reshape(1, 1, 256).copy()
    r = _run(tmp_path, "cmp_pairs", data, inputs=[a, b], samples=1)
    ta, tb = compare_table(s1, zp1)[:, None], compare_table(s2, zp2)[None, :]
    for k, (kind, fn) in enumerate(CMP.items()):
        assert np.array_equal(r.outputs[k][0], fn(ta, tb)), kind
        if (s1, zp1) == (s2, zp2):
            assert np.array_equal(r.outputs[k][0], fn(a[0], b[0])), kind      # raw codes, as they should


def test_comparison_constant_operand_and_broadcast(tmp_path):
    """A constant per-channel operand quantised unlike the activation, broadcast over [1, 4, 5, 3]."""
    c = np.array([-100, 0, 90], dtype=np.int8)
    tensors = [T((1, 4, 5, 3), "int8", [0.04], [-5], name="x"), T((3,), "int8", [0.03], [10], data=c, name="c"),
               T((1, 4, 5, 3), "bool", name="lt"), T((1, 4, 5, 3), "bool", name="ge")]
    data = build(M(tensors, [O("LESS", [0, 1], [2]), O("GREATER_EQUAL", [1, 0], [3])], [0], [2, 3]))
    r = _run(tmp_path, "cmp_const", data, samples=4)
    assert r.outputs[0].any() and not r.outputs[0].all()


def test_comparisons_and_select_v2_converted(tmp_path):
    tf = need_module("tensorflow")

    def fn(a, b):
        sel = tf.raw_ops.SelectV2
        return (sel(condition=a > b, t=a, e=b), sel(condition=tf.less_equal(a, b), t=b, e=a),
                sel(condition=tf.equal(a, b), t=a, e=b),
                sel(condition=a >= b, t=a, e=b), sel(condition=a < b, t=b, e=a))

    specs = [(1, 4, 5, 3), (1, 1, 5, 1)]
    data = int8_tflite(fn, uniform_samples(specs, [(-1, 1), (-3, 2)], 16, 0), specs=specs)
    kinds = _kinds(data)
    # (the converter keeps NOT_EQUAL in float: it is checked on hand-built models above)
    assert set(kinds) - {"QUANTIZE"} == {"GREATER", "LESS_EQUAL", "EQUAL", "SELECT_V2", "GREATER_EQUAL", "LESS"}, kinds
    _run(tmp_path, "cmp_tf", data, samples=4)


def test_comparison_masks_converted(tmp_path):
    """The converter's mask: a comparison, CAST bool -> float32, QUANTIZE float32 -> int8, then arithmetic."""
    tf = need_module("tensorflow")

    def fn(a, b):
        return a * tf.cast(a > b, tf.float32), tf.cast(tf.less_equal(a, b), tf.float32) + b

    specs = [(1, 4, 5, 3), (1, 4, 5, 3)]
    data = int8_tflite(fn, uniform_samples(specs, [(-1, 1), (-2, 1)], 16, 0), specs=specs)
    assert _kinds(data) == ["ADD", "CAST", "CAST", "GREATER", "LESS_EQUAL", "MUL", "QUANTIZE", "QUANTIZE"]
    _run(tmp_path, "cmp_mask", data, samples=4)


def test_float_cast_feeding_anything_but_quantize_is_refused():
    from mcucompile.errors import UnsupportedModelError as E
    from mcucompile.frontend.tflite_reader import parse_tflite
    tensors = [T((2, 3), "int8", [0.05], [0], name="a"), T((2, 3), "float32", name="f"),
               T((2, 3), "float32", name="g")]
    data = build(M(tensors, [O("CAST", [0], [1]), O("ABS", [1], [2])], [0], [2]))
    with pytest.raises(E, match=r"tensor 1 \('f'\) holds float activations; only int8 activations are supported"):
        parse_tflite(data)


def _select_model(kind, c_shape, a_shape, b_shape, y_shape, const_b=False):
    b = T(b_shape, "int8", [0.07], [4], name="b",
          data=np.random.default_rng(0).integers(-128, 128, size=b_shape, dtype=np.int8) if const_b else None)
    tensors = [T(c_shape, "bool", name="cond"), T(a_shape, "int8", [0.07], [4], name="a"), b,
               T(y_shape, "int8", [0.07], [4], name="y")]
    return build(M(tensors, [O(kind, [0, 1, 2], [3])], [0, 1] + ([] if const_b else [2]), [3]))


@pytest.mark.parametrize("c_shape,a_shape,b_shape,y_shape,const_b", [
    ((2, 3, 4), (2, 3, 4), (2, 3, 4), (2, 3, 4), False),
    ((1, 3, 1), (2, 3, 4), (4,), (2, 3, 4), False),
    ((2, 1, 4), (1, 3, 1), (2, 3, 4), (2, 3, 4), True),
    ((5,), (3, 1), (), (3, 5), True),
])
def test_select_v2_hand_built(tmp_path, c_shape, a_shape, b_shape, y_shape, const_b):
    rng = np.random.default_rng(7)
    n = 3
    cond = rng.integers(0, 2, size=(n, *c_shape)).astype(bool)
    a = rng.integers(-128, 128, size=(n, *a_shape), dtype=np.int8)
    b = rng.integers(-128, 128, size=(n, *b_shape), dtype=np.int8)
    ins = [cond, a] + ([] if const_b else [b])
    r = _run(tmp_path, "select_v2", _select_model("SELECT_V2", c_shape, a_shape, b_shape, y_shape, const_b),
             inputs=ins, samples=n)
    if not const_b:
        want = np.where(cond.reshape(n, *((1,) * (len(y_shape) - len(c_shape))), *c_shape),
                        a.reshape(n, *((1,) * (len(y_shape) - len(a_shape))), *a_shape),
                        b.reshape(n, *((1,) * (len(y_shape) - len(b_shape))), *b_shape))
        assert np.array_equal(r.outputs[0], want)


@pytest.mark.parametrize("c_shape", [(2, 3, 4), (2,)])
def test_select_v1_against_litert(tmp_path, c_shape):
    rng = np.random.default_rng(8)
    n = 3
    cond = rng.integers(0, 2, size=(n, *c_shape)).astype(bool)
    a, b = (rng.integers(-128, 128, size=(n, 2, 3, 4), dtype=np.int8) for _ in range(2))
    r = _run(tmp_path, "select", _select_model("SELECT", c_shape, (2, 3, 4), (2, 3, 4), (2, 3, 4)),
             inputs=[cond, a, b], samples=n, tflm=False)
    c = cond.reshape(n, *c_shape, *((1,) * (3 - len(c_shape))))
    assert np.array_equal(r.outputs[0], np.where(c, a, b))


def test_integer_and_bool_comparisons(tmp_path):
    """ARG_MAX's int32 result against a constant class, int64 inputs with broadcasting (raw values, as
    TFLite does), and bool EQUAL / NOT_EQUAL of two comparisons."""
    from tflite.TensorType import TensorType
    c3 = np.array([3], np.int32)
    k64 = np.array([[-5], [0], [1 << 40]], np.int64)
    tensors = [T((2, 6), "int8", [0.05], [0], name="x"), T((1,), "int32", data=np.array([1], np.int32), name="ax"),
               T((2,), "int32", name="am"), T((1,), "int32", data=c3, name="c3"), T((2,), "bool", name="is3"),
               T((3, 4), "int64", name="w"), T((3, 1), "int64", data=k64, name="k"), T((3, 4), "bool", name="le"),
               T((3, 4), "bool", name="gt"), T((3, 4), "bool", name="eq"), T((3, 4), "bool", name="ne")]
    ops = [O("ARG_MAX", [0, 1], [2], options=("ArgMaxOptions", {"OutputType": TensorType.INT32})),
           O("EQUAL", [2, 3], [4]), O("LESS_EQUAL", [5, 6], [7]), O("GREATER", [6, 5], [8]),
           O("EQUAL", [7, 8], [9]), O("NOT_EQUAL", [7, 8], [10])]
    data = build(M(tensors, ops, [0, 5], [4, 7, 9, 10]))
    rng = np.random.default_rng(10)
    x = rng.integers(-128, 128, size=(4, 2, 6), dtype=np.int8)
    w = np.where(rng.random((4, 3, 4)) < 0.3, 1 << 40, rng.integers(-8, 8, size=(4, 3, 4))).astype(np.int64)
    r = _run(tmp_path, "cmp_int", data, inputs=[x, w], samples=4)
    assert np.array_equal(r.outputs[0], x.argmax(axis=-1) == 3)
    le = w <= k64
    assert np.array_equal(r.outputs[1], le)
    assert np.array_equal(r.outputs[2], le == (k64 > w)) and np.array_equal(r.outputs[3], le != (k64 > w))


def test_compare_select_on_qemu_m4(tmp_path, qemu_toolchain):
    c = np.array([-100, 0, 90], dtype=np.int8)
    tensors = [T((1, 4, 5, 3), "int8", [0.04], [-5], name="x"), T((3,), "int8", [0.03], [10], data=c, name="c"),
               T((1, 4, 5, 3), "bool", name="lt"), T((1, 4, 5, 3), "int8", [0.04], [-5], name="y")]
    data = build(M(tensors, [O("LESS", [0, 1], [2]), O("SELECT_V2", [2, 0, 0], [3])], [0], [3]))
    _run(tmp_path, "cmp_m4", data, samples=2, board="qemu-m4")


# ---- refusals ----------------------------------------------------------------------------------------

BOOL = dict(shape=(2, 3), dtype="bool", quant=None, data=None)


@pytest.mark.parametrize("kind,ins,outs,text", [
    ("LESS", [act((2, 3), scale=1.5), act((2, 3))], [BOOL], "input scale 1.5 is not in (0, 1)"),
    ("EQUAL", [act((2, 3)), act((2, 3))], [act((2, 3))], "(op 0): the output 't2' is int8, not bool"),
    ("LESS", [act((2, 3)), act((2, 3)), act((2, 3))], [BOOL], "(op 0): expects 2 inputs, got 3"),
    ("SELECT_V2", [BOOL, act((2, 3))], [act((2, 3))], "SELECT_V2 (op 0): expects 3 inputs, got 2"),
    ("GREATER", [act((2, 3), "int32", quant=False), act((2, 3))], [BOOL], "inputs int32 and int8 differ"),
    ("GREATER", [act((2, 3)), act((2, 3), "int32", quant=False)], [BOOL], "tensor 't1' must be per-tensor int8"),
    ("LESS", [BOOL, BOOL], [BOOL], "bool inputs are compared by EQUAL and NOT_EQUAL only"),
    ("SELECT_V2", [act((2, 3)), act((2, 3)), act((2, 3))], [act((2, 3))],
     "(op 0): the condition 't0' is int8, not bool"),
    ("SELECT_V2", [BOOL, act((2, 3)), act((2, 3), zp=2)], [act((2, 3))],
     "TFLite copies raw int8 codes, so both operands and the output must share one quantisation"),
    ("SELECT", [BOOL, act((2, 3)), act((1, 3))], [act((2, 3))], "(SELECT does not broadcast)"),
    ("SELECT", [dict(BOOL, shape=(3,)), act((2, 3)), act((2, 3))], [act((2, 3))],
     "or be a vector over its first dimension"),
])
def test_refusals(kind, ins, outs, text):
    g = graph(kind, NoAttrs(), ins, outs)
    with pytest.raises(UnsupportedModelError, match=rf"^{kind} \(op 0\): ") as e:
        compile_graph(g)
    assert text in str(e.value)
