"""EXPAND_DIMS, SLICE, PACK, UNPACK, SPACE_TO_DEPTH and DEPTH_TO_SPACE (int8, pure data movement):
models made with TensorFlow (EXPAND_DIMS hand-built: the converter folds tf.expand_dims into RESHAPE),
compiled to C and compared bit-exactly with TFLite Micro through mcucompile.api.simulate; the views
checked against numpy; the refusals quoted.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from test_error_messages import act, const, graph
from tfgen import int8_tflite, uniform_samples

from mcucompile.codegen.generate import compile_graph
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import NoAttrs
from mcucompile.ir.graph import BlockSizeAttrs, PackAttrs


def _simulate(tmp_path, name, data, samples=4, board=None):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), samples=samples, seed=1, references=("tflm",), board=board)
    c = r.comparisons[0]
    assert c.available, c.error                      # TFLite Micro really ran it
    assert c.mismatches == 0, (name, c)
    assert r.ok
    assert any(len(np.unique(o)) > 1 for o in r.outputs)
    return api.load(path)


def _convert(fn, specs):
    return int8_tflite(fn, uniform_samples(specs, [(-1.0, 1.0)] * len(specs), 16, 0), specs=specs)


def _kinds(g):
    return sorted({op.kind for op in g.ops})


# ---- TensorFlow models against TFLite Micro ------------------------------------------------------------

def test_slice(tmp_path):
    tf = need_module("tensorflow")

    def fn(x):
        return (tf.slice(x, [0, 1, 2, 0], [1, 2, 3, 3]),       # NHWC window
                tf.slice(x, [0, 0, 1, 1], [-1, 3, -1, 2]),     # size -1: to the end
                tf.slice(x, [0, 3, 0, 2], [1, 1, 5, 1]))       # one row, one channel

    g = _simulate(tmp_path, "slice4d", _convert(fn, [(1, 4, 6, 3)]))
    assert _kinds(g) == ["SLICE"] and len(g.ops) == 3
    g = _simulate(tmp_path, "slice2d", _convert(lambda x: tf.slice(x, [2, 1], [3, -1]), [(6, 7)]))
    assert _kinds(g) == ["SLICE"]


def test_pack_unpack(tmp_path):
    tf = need_module("tensorflow")

    def fn(a, b, c):
        return (tf.stack([a, b, c], axis=0), tf.stack([a, c], axis=2), tf.stack([b, a], axis=-1),
                tf.stack([c, b, a, c], axis=-2))

    g = _simulate(tmp_path, "pack", _convert(fn, [(2, 3, 4)] * 3))
    assert "PACK" in _kinds(g) and set(_kinds(g)) <= {"PACK", "QUANTIZE"}
    assert sum(op.kind == "PACK" for op in g.ops) == 4

    def ufn(x):
        return (*tf.unstack(x, axis=1), *tf.unstack(x, axis=-1), *tf.unstack(x, axis=0))

    g = _simulate(tmp_path, "unpack", _convert(ufn, [(2, 3, 4)]))
    assert _kinds(g) == ["UNPACK"] and sorted(len(op.outputs) for op in g.ops) == [2, 3, 4]
    g = _simulate(tmp_path, "unpack4d", _convert(lambda x: tf.unstack(x, axis=-2), [(1, 2, 5, 3)]))
    assert _kinds(g) == ["UNPACK"]


def test_space_to_depth_depth_to_space(tmp_path):
    tf = need_module("tensorflow")

    def fn(x):
        return (tf.nn.space_to_depth(x, 2), tf.nn.space_to_depth(x, 3),
                tf.nn.depth_to_space(x, 2), tf.nn.depth_to_space(x, 3))

    g = _simulate(tmp_path, "s2d", _convert(fn, [(1, 6, 6, 36)]))
    assert _kinds(g) == ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH"] and len(g.ops) == 4

    def fn2(x):
        return tf.nn.space_to_depth(x, 2), tf.nn.depth_to_space(tf.nn.space_to_depth(x, 2), 2)

    g = _simulate(tmp_path, "s2d_batch", _convert(fn2, [(2, 4, 6, 3)]))
    assert _kinds(g) == ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH"]


def _expand_dims_model(axis, shape=(1, 2, 3)):
    from tflite_builder import M, O, T, build
    out = list(shape)
    out.insert(axis + len(shape) + 1 if axis < 0 else axis, 1)
    tensors = [T(shape, "int8", [0.05], [3], name="x"),
               T((1,), "int32", data=np.array([axis], np.int32), name="axis"),
               T(tuple(out), "int8", [0.05], [3], name="y")]
    return build(M(tensors, [O("EXPAND_DIMS", [0, 1], [2])], [0], [2]))


@pytest.mark.parametrize("axis", [0, 2, -1])
def test_expand_dims_aliases(tmp_path, axis):
    g = _simulate(tmp_path, f"expand_dims{axis}", _expand_dims_model(axis))
    assert [op.kind for op in g.ops] == ["EXPAND_DIMS"]
    assert [k.op_kind for k in compile_graph(g).calls] == []          # no call, no copy


def test_datamove_on_qemu_m4(tmp_path, qemu_toolchain):
    tf = need_module("tensorflow")

    def fn(x):
        return (tf.slice(x, [0, 1, 0, 1], [1, 1, -1, 2]), *tf.unstack(x, axis=1),
                tf.nn.space_to_depth(x, 2), tf.nn.depth_to_space(x, 2))

    data = _convert(fn, [(1, 2, 4, 8)])
    g = _simulate(tmp_path, "datamove_m4", data, samples=2, board="qemu-m4")
    assert _kinds(g) == ["DEPTH_TO_SPACE", "SLICE", "SPACE_TO_DEPTH", "UNPACK"]


# ---- refusals ----------------------------------------------------------------------------------------

X = act((1, 4, 4, 8))
PACK0 = PackAttrs(0, 2)


@pytest.mark.parametrize("kind,attrs,ins,outs,text", [
    ("EXPAND_DIMS", NoAttrs(), [act((2, 3)), const([0], "int32")], [act((6,))],
     "is not input int8 (2, 3) with one more axis"),
    ("EXPAND_DIMS", NoAttrs(), [act((2, 3)), const([0], "int32")], [act((1, 2, 3), zp=4)],
     "input and output are quantised differently; EXPAND_DIMS cannot rescale"),
    ("SLICE", NoAttrs(), [act((2, 3)), const([0, 0], "int32")], [act((2, 3))],
     "expects 3 inputs (input, begin, size), got 2"),
    ("SLICE", NoAttrs(), [act((2, 3)), const([0], "int32"), const([1], "int32")], [act((1,))],
     "begin/size have 1/1 values for a rank-2 input"),
    ("SLICE", NoAttrs(), [act((2, 3)), const([0, 2], "int32"), const([1, 2], "int32")], [act((1, 2))],
     "axis 1: begin 2 and size 2 do not select a non-empty part of dimension 3"),
    ("SLICE", NoAttrs(), [act((2, 3)), const([0, 1], "int32"), const([1, 2], "int32")], [act((1, 3))],
     "output shape (1, 3) differs from the (1, 2) the op computes"),
    ("SLICE", NoAttrs(), [act((2, 3)), const([0, 1], "int32"), const([1, 2], "int32")], [act((1, 2), scale=0.2)],
     "TFLite's int8 kernel does not rescale"),
    ("PACK", PackAttrs(3, 2), [act((2, 3)), act((2, 3))], [act((2, 3, 2))],
     "axis 3 is out of range for the rank-3 output"),
    ("PACK", PackAttrs(0, 3), [act((2, 3)), act((2, 3))], [act((2, 2, 3))], "values_count 3 differs from the 2 inputs"),
    ("PACK", PACK0, [act((2, 3)), act((3, 2))], [act((2, 2, 3))], "input shapes (2, 3) and (3, 2) differ"),
    ("PACK", PACK0, [act((2, 3)), act((2, 3), zp=1)], [act((2, 2, 3))], "is quantised unlike the input"),
    ("UNPACK", PackAttrs(-3, 2), [act((2, 3))], [act((3,)), act((3,))], "axis -3 is out of range for the rank-2 input"),
    ("UNPACK", PackAttrs(1, 2), [act((2, 3))], [act((2,)), act((2,))],
     "input dimension 3 on axis 1 differs from the 2 outputs"),
    ("SPACE_TO_DEPTH", BlockSizeAttrs(0), [X], [X], "needs a 4-D NHWC input and a positive block size"),
    ("SPACE_TO_DEPTH", BlockSizeAttrs(3), [X], [act((1, 1, 1, 72))],
     "input height 4 and width 4 are not multiples of block size 3"),
    ("DEPTH_TO_SPACE", BlockSizeAttrs(3), [X], [act((1, 12, 12, 1))],
     "input depth 8 is not a multiple of block size 3 squared"),
])
def test_refusals(kind, attrs, ins, outs, text):
    with pytest.raises(UnsupportedModelError) as e:
        compile_graph(graph(kind, attrs, ins, outs))
    assert text in str(e.value) and f"{kind} (op 0)" in str(e.value)
