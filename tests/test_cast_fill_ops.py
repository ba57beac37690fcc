"""CAST, ZEROS_LIKE and FILL: raw-value ops of TFLite Micro (cast.cc, zeros_like.cc, fill.cc), hand-built
(tests/tflite_builder.py; the converter folds ZEROS_LIKE and FILL of constants and keeps most casts in
float) and compared bit-exactly with TFLite Micro, and with numpy's own casts.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_error_messages import act, const, graph
from tflite_builder import M, O, T, build

from mcucompile.codegen.generate import compile_graph
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import NoAttrs

ALL_CODES = np.arange(-128, 128, dtype=np.int8).reshape(1, 1, 256)


def _run(tmp_path, name, data, inputs=None, samples=1, board=None, litert=True):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=("tflm", "litert_ref"),
                     board=board)
    tflm_c, litert_c = r.comparisons
    assert tflm_c.available, tflm_c.error
    assert tflm_c.mismatches == 0, (name, tflm_c)
    if litert:
        assert litert_c.available and litert_c.mismatches == 0, (name, litert_c)
    else:
        assert not litert_c.available     # LiteRT's ZEROS_LIKE takes int64, int32 and float32 only
    assert r.ok
    return r


def test_cast_int8_codes_to_int32_int16_float(tmp_path):
    tensors = [T((1, 256), "int8", [0.05], [7], name="x"), T((1, 256), "int32", name="i32"),
               T((1, 256), "int16", name="i16"), T((1, 256), "float32", name="f32")]
    data = build(M(tensors, [O("CAST", [0], [1]), O("CAST", [0], [2]), O("CAST", [0], [3])], [0], [1, 2, 3]))
    r = _run(tmp_path, "cast_from_int8", data, inputs=[ALL_CODES])
    for out, dtype in zip(r.outputs, (np.int32, np.int16, np.float32)):
        assert out.dtype == dtype and np.array_equal(out[0], ALL_CODES[0].astype(dtype))    # the raw codes


def test_cast_int32_narrows_like_tflite(tmp_path):
    tensors = [T((1, 64), "int32", name="x"), T((1, 64), "int8", [0.1], [0], name="i8"),
               T((1, 64), "int16", name="i16"), T((1, 64), "float32", name="f32")]
    data = build(M(tensors, [O("CAST", [0], [1]), O("CAST", [0], [2]), O("CAST", [0], [3])], [0], [1, 2, 3]))
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.integers(-300, 300, size=32), rng.integers(-(1 << 31), 1 << 31, size=30),
                        [16777217, -(1 << 31)]]).astype(np.int32).reshape(1, 1, 64)
    r = _run(tmp_path, "cast_from_int32", data, inputs=[x])
    assert np.array_equal(r.outputs[0][0], x[0].astype(np.int8))          # modulo 2^8
    assert np.array_equal(r.outputs[1][0], x[0].astype(np.int16))
    assert np.array_equal(r.outputs[2][0], x[0].astype(np.float32))       # rounded to nearest


def test_cast_comparison_result(tmp_path):
    """bool -> int32 and bool -> int8: a comparison's 0 / 1."""
    tensors = [T((2, 8), "int8", [0.05], [0], name="a"), T((2, 8), "int8", [0.05], [0], name="b"),
               T((2, 8), "bool", name="gt"), T((2, 8), "int32", name="i32"), T((2, 8), "int8", [1.0], [0], name="i8")]
    data = build(M(tensors, [O("GREATER", [0, 1], [2]), O("CAST", [2], [3]), O("CAST", [2], [4])], [0, 1], [3, 4]))
    rng = np.random.default_rng(1)
    a, b = (rng.integers(-128, 128, size=(3, 2, 8), dtype=np.int8) for _ in range(2))
    r = _run(tmp_path, "cast_bool", data, inputs=[a, b], samples=3)
    assert np.array_equal(r.outputs[0], (a > b).astype(np.int32))
    assert np.array_equal(r.outputs[1], (a > b).astype(np.int8))


def test_zeros_like_writes_raw_zeros(tmp_path):
    tensors = [T((3, 5), "int8", [0.05], [9], name="x"), T((3, 5), "int8", [0.05], [9], name="z8"),
               T((4,), "int32", name="k"), T((4,), "int32", name="z32"), T((3, 5), "int8", [0.05], [9], name="y")]
    ops = [O("ZEROS_LIKE", [0], [1]), O("ZEROS_LIKE", [2], [3]), O("MAXIMUM", [0, 1], [4])]
    data = build(M(tensors, ops, [0, 2], [1, 3, 4]))
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, size=(2, 3, 5), dtype=np.int8)
    k = rng.integers(-1000, 1000, size=(2, 4)).astype(np.int32)
    r = _run(tmp_path, "zeros_like", data, inputs=[x, k], samples=2, litert=False)
    assert not r.outputs[0].any() and not r.outputs[1].any()       # code 0, not the zero point 9
    assert np.array_equal(r.outputs[2], np.maximum(x, 0))


def test_fill_constant_and_computed_values(tmp_path):
    tensors = [T((2, 3), "int8", [0.05], [-4], name="x"),
               T((3,), "int32", data=np.array([2, 3, 4], np.int32), name="dims"),
               T((), "int8", [0.05], [-4], data=np.array(-77, np.int8), name="v8"),
               T((2, 3, 4), "int8", [0.05], [-4], name="f8"),
               T((2,), "int64", data=np.array([5, 2], np.int64), name="dims2"),
               T((), "int32", data=np.array(-123456, np.int32), name="v32"),
               T((5, 2), "int32", name="f32"),
               T((), "int8", [0.05], [-4], name="s"),
               T((2,), "int32", data=np.array([1, 1], np.int32), name="dims3"),
               T((1, 1), "int8", [0.05], [-4], name="fs"),
               T((2, 3), "int8", [0.05], [-4], name="y")]
    ops = [O("FILL", [1, 2], [3]), O("FILL", [4, 5], [6]), O("FILL", [8, 7], [9]), O("MAXIMUM", [0, 9], [10])]
    data = build(M(tensors, ops, [0, 7], [3, 6, 10]))
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, size=(2, 2, 3), dtype=np.int8)
    s = np.array([17, -90], dtype=np.int8)
    r = _run(tmp_path, "fill", data, inputs=[x, s.reshape(2)], samples=2)
    assert np.all(r.outputs[0] == -77) and np.all(r.outputs[1] == -123456)
    assert np.array_equal(r.outputs[2], np.maximum(x, s.reshape(2, 1, 1)))


def test_cast_fill_on_qemu_m4(tmp_path, qemu_toolchain):
    """The narrowing casts and the fill on a Cortex-M4 (GCC for Arm), against TFLite Micro on the host."""
    tensors = [T((1, 64), "int32", name="x"), T((1, 64), "int8", [0.1], [0], name="i8"),
               T((1, 64), "float32", name="f32"), T((2,), "int32", data=np.array([3, 5], np.int32), name="dims"),
               T((), "int8", [0.1], [0], data=np.array(-77, np.int8), name="v"),
               T((3, 5), "int8", [0.1], [0], name="f")]
    ops = [O("CAST", [0], [1]), O("CAST", [0], [2]), O("FILL", [3, 4], [5])]
    data = build(M(tensors, ops, [0], [1, 2, 5]))
    x = np.random.default_rng(4).integers(-(1 << 31), 1 << 31, size=(2, 1, 64)).astype(np.int32)
    r = _run(tmp_path, "cast_m4", data, inputs=[x], samples=2, board="qemu-m4")
    assert np.array_equal(r.outputs[0], x.astype(np.int8))


S = dict(shape=(2, 3), dtype="bool", quant=None, data=None)


@pytest.mark.parametrize("kind,ins,outs,text", [
    ("CAST", [act((2, 3), "float32", quant=False)], [act((2, 3), "int32", quant=False)],
     "input 't0' is float32; supported: int8, int16, int32, bool"),
    ("CAST", [act((2, 3))], [S], "output 't1' is bool; supported: int8, int16, int32, float32, uint32 (TFLite "
                                 "Micro has no bool CAST output)"),
    ("ZEROS_LIKE", [act((2, 3))], [act((2, 3), "int32", quant=False)],
     "input int8 and output int32: int8, int32 or int64, both alike, are supported"),
    ("FILL", [act((2,), "int32", quant=False), const(3, "int8")], [act((2, 3))],
     "the dims must be a constant int32 or int64 tensor"),
    ("FILL", [const([2, 3], "int32"), const(3, "int8", zp=1)], [act((2, 3))],
     "the int8 value and output must be quantised alike"),
    ("FILL", [const([2, 3], "int32"), const([3], "int8")], [act((2, 3))], "the value must be a scalar"),
    ("FILL", [const([2, 4], "int32"), const(3, "int8")], [act((2, 3))], "dims [2, 4] differ from the output shape"),
    ("FILL", [const([2, 3], "int32")], [act((2, 3))], "expects 2 inputs (dims, value), got 1"),
    ("CAST", [act((2, 3))], [act((3, 2), "int32", quant=False)], "output shape (3, 2) differs from the input's (2, 3)"),
    ("ZEROS_LIKE", [act((2, 3))], [act((6,))], "output shape (6,) differs from the input's (2, 3)"),
])
def test_refusals(kind, ins, outs, text):
    g = graph(kind, NoAttrs(), ins, outs)
    with pytest.raises(UnsupportedModelError, match=rf"^{kind} \(op 0\): ") as e:
        compile_graph(g)
    assert text in str(e.value)
