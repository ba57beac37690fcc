"""REVERSE_V2, LOGICAL_AND / LOGICAL_OR / LOGICAL_NOT, REDUCE_ALL, DYNAMIC_UPDATE_SLICE, BROADCAST_ARGS:
single-op models made with TensorFlow (or tests/tflite_builder.py), compiled to C, built on the host with
sanitizers and compared bit-exactly with TFLite Micro through mcucompile.api.simulate; one case on qemu-m4;
the refusals quoted.
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
from mcucompile.ir.graph import ReducerAttrs


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
    assert board is None or (r.extra["board"] == board and r.extra["qemu_runs"] >= 1)    # really ran under QEMU
    return api.load(path)


def _convert(fn, specs):
    return int8_tflite(fn, uniform_samples(specs, [(-1.0, 1.0)] * len(specs), 16, 0), specs=specs)


def _kinds(g):
    return sorted({op.kind for op in g.ops})


# ---- REVERSE_V2 --------------------------------------------------------------------------------------

def _reverse_model():
    tf = need_module("tensorflow")

    def fn(x):
        return (tf.reverse(x, [1]), tf.reverse(x, [-1]), tf.reverse(x, [0]), tf.reverse(x, [1, 2]),
                tf.reverse(x, [0, 1, 2, 3]))
    return _convert(fn, [(2, 3, 4, 5)])


def test_reverse_v2(tmp_path):
    g = _simulate(tmp_path, "reverse", _reverse_model())
    assert _kinds(g) == ["REVERSE_V2"] and len(g.ops) == 5


# ---- DYNAMIC_UPDATE_SLICE ------------------------------------------------------------------------------

def _update_slice_model():
    from tflite_builder import M, O, T, build
    q = dict(scale=[0.05], zero_point=[-3])
    rng = np.random.default_rng(3)
    tensors = [T((2, 5, 6), **q), T((1, 3, 4), **q), T((3,), "int32"), T((2, 5, 6), **q),      # 0-3
               T((2, 5, 6), **q, data=rng.integers(-128, 128, (2, 5, 6)).astype(np.int8)),    # 4: constant operand
               T((3,), "int32", data=np.array([1, -3, 9], dtype=np.int32)), T((2, 5, 6), **q),      # 5-6
               T((2, 5, 6), **q, data=rng.integers(-128, 128, (2, 5, 6)).astype(np.int8)),    # 7: whole update
               T((2, 5, 6), **q)]                                                                   # 8
    ops = [O("DYNAMIC_UPDATE_SLICE", [0, 1, 2], [3]),      # run-time indices, clamped by the kernel
           O("DYNAMIC_UPDATE_SLICE", [4, 1, 5], [6]),      # constant indices, clamped at compile time
           O("DYNAMIC_UPDATE_SLICE", [0, 7, 2], [8])]      # update as large as the operand
    return build(M(tensors, ops, inputs=[0, 1, 2], outputs=[3, 6, 8]))


def test_dynamic_update_slice(tmp_path):
    g = _simulate(tmp_path, "update_slice", _update_slice_model(), samples=8)
    assert _kinds(g) == ["DYNAMIC_UPDATE_SLICE"] and len(g.ops) == 3


def test_dynamic_update_slice_qemu_m4(tmp_path):
    """the same model cross-built for Cortex-M4 and run under qemu-system-arm, against TFLite Micro"""
    _simulate(tmp_path, "update_slice_m4", _update_slice_model(), samples=3, board="qemu-m4")


# ---- EMBEDDING_LOOKUP ----------------------------------------------------------------------------------

def test_embedding_lookup(tmp_path):
    from tflite_builder import M, O, T, build
    q = dict(scale=[0.02], zero_point=[5])
    value = np.random.default_rng(4).integers(-128, 128, (7, 2, 3)).astype(np.int8)
    tensors = [T((5,), "int32"), T((7, 2, 3), **q, data=value), T((5, 2, 3), **q),
               T((4,), "int32", data=np.array([6, 0, 6, 3], dtype=np.int32)), T((4, 2, 3), **q),
               T((7, 4), **q), T((3,), "int32"), T((3, 4), **q)]
    ops = [O("EMBEDDING_LOOKUP", [0, 1], [2]),       # run-time ids, constant table
           O("EMBEDDING_LOOKUP", [3, 1], [4]),       # constant ids
           O("EMBEDDING_LOOKUP", [6, 5], [7])]       # run-time ids, the table a model input
    g = _simulate(tmp_path, "embedding", build(M(tensors, ops, inputs=[0, 5, 6], outputs=[2, 4, 7])), samples=6)
    assert _kinds(g) == ["EMBEDDING_LOOKUP"] and len(g.ops) == 3


# ---- BROADCAST_ARGS (folded into a constant, like SHAPE) ---------------------------------------------------

def _broadcast_args_model(args_is_output=False):
    """SHAPE [2, 1, 4] and a constant [3, 1] -> BROADCAST_ARGS [2, 3, 4] -> a RESHAPE's shape (TFLite Micro's
    BROADCAST_TO needs a constant shape tensor; its RESHAPE reads one computed at run time)"""
    from tflite_builder import M, O, T, build
    q = dict(scale=[0.05], zero_point=[3])
    ts = [T((2, 1, 4), **q), T((3,), "int32"), T((2,), "int32", data=np.array([3, 1], np.int32)),
          T((3,), "int32"), T((24,), **q), T((2, 3, 4), **q), T((2, 3, 4), **q)]
    ops = [O("SHAPE", [0], [1]), O("BROADCAST_ARGS", [1, 2], [3]), O("RESHAPE", [4, 3], [5]), O("ABS", [5], [6])]
    return build(M(ts, ops, inputs=[0, 4], outputs=[6, 3] if args_is_output else [6]))


def test_broadcast_args_folds(tmp_path):
    from mcucompile import api
    g = _simulate(tmp_path, "bargs", _broadcast_args_model())
    assert _kinds(g) == ["ABS", "RESHAPE"]
    assert [r.kind for r in g.rewrites] == ["fold_shape", "fold_broadcast_args"]
    assert "BROADCAST_ARGS of [2, 1, 4] and [3, 1] folded into the constant [2, 3, 4]" in g.rewrites[1].text
    path = tmp_path / "bargs_out.tflite"
    path.write_bytes(_broadcast_args_model(args_is_output=True))
    with pytest.raises(UnsupportedModelError) as e:
        api.compile_model(path, tmp_path / "out")
    assert "BROADCAST_ARGS (op 0)" in str(e.value)       # (op indices after the SHAPE fold)
    assert ("only a BROADCAST_ARGS that graph normalisation folds into a constant is supported (two constant 1-D "
            "int32/int64 shapes that broadcast, its output read by other ops, not a model output)") in str(e.value)


# ---- refusals ----------------------------------------------------------------------------------------

A = act((2, 3, 4))
B = act((2, 3, 4), "bool", quant=False)


@pytest.mark.parametrize("kind,attrs,ins,outs,text", [
    ("REVERSE_V2", NoAttrs(), [A, const([0, 2], "int32")], [A],
     "axes [0, 2] are not contiguous (TFLite Micro reverses contiguous axes only)"),
    ("REVERSE_V2", NoAttrs(), [A, const([3], "int32")], [A], "axes [3] are not distinct axes of the rank-3 input"),
    ("REVERSE_V2", NoAttrs(), [A, const([0], "int32")], [act((2, 3, 4), zp=3)], "does not rescale"),
    ("LOGICAL_AND", NoAttrs(), [B, A], [B], "is int8; TFLite Micro's LOGICAL_AND takes bool tensors only"),
    ("REDUCE_ALL", ReducerAttrs(False), [B, act((1,), "int32")], [act((3, 4), "bool", quant=False)],
     "the axes must be a constant int32 tensor of the model"),
    ("REDUCE_ALL", ReducerAttrs(False), [B, const([0], "int32")], [act((2, 4), "bool", quant=False)],
     "output shape (2, 4) does not match reducing (2, 3, 4) over [0]"),
    ("REDUCE_ALL", ReducerAttrs(False), [act((1,) * 7, "bool", quant=False), const([0], "int32")],
     [act((1,) * 6, "bool", quant=False)], "rank 7 is above the supported 6"),
    ("DYNAMIC_UPDATE_SLICE", NoAttrs(), [A, act((1, 4, 4))], [A],
     "expects 3 inputs (operand, update, start indices), got 2"),
    ("DYNAMIC_UPDATE_SLICE", NoAttrs(), [A, act((1, 4, 4)), const([0, 0, 0], "int32")], [A],
     "update (1, 4, 4) is larger than the operand (2, 3, 4)"),
    ("DYNAMIC_UPDATE_SLICE", NoAttrs(), [A, act((3, 4)), const([0, 0, 0], "int32")], [A],
     "operand (2, 3, 4) and update (3, 4) must have one rank, 1 to 6"),
    ("DYNAMIC_UPDATE_SLICE", NoAttrs(), [A, act((1, 3, 4)), const([0, 0], "int32")], [A],
     "the start indices have shape (2,); expected (3,)"),
    ("DYNAMIC_UPDATE_SLICE", NoAttrs(), [A, act((1, 3, 4)), act((3,), "int64", quant=False)], [A],
     "run-time start indices are int64; supported: int32 (int64 only as a constant)"),
    ("DYNAMIC_UPDATE_SLICE", NoAttrs(), [A, act((1, 3, 4), zp=2), const([0, 0, 0], "int32")], [A],
     "is quantised unlike the input"),
    ("DYNAMIC_UPDATE_SLICE", NoAttrs(), [A, act((1, 3, 4), "int16"), const([0, 0, 0], "int32")], [A],
     "must be per-tensor int8 (got int16)"),
    ("EMBEDDING_LOOKUP", NoAttrs(), [const([[0]], "int32"), act((4, 3))], [act((1, 3))],
     "is int32 (1, 1); TFLite Micro takes 1-D int32 ids"),
    ("EMBEDDING_LOOKUP", NoAttrs(), [const([0, 4], "int32"), act((4, 3))], [act((2, 3))],
     "id 4 is out of range for the 4 rows of the value tensor"),
    ("EMBEDDING_LOOKUP", NoAttrs(), [const([0], "int32"), act((4,))], [act((1,))],
     "the value tensor (4,) must have at least 2 dimensions"),
    ("EMBEDDING_LOOKUP", NoAttrs(), [const([0], "int32"), act((4, 3))], [act((1, 4))],
     "output shape (1, 4) differs from the (1, 3) the op computes"),
    ("EMBEDDING_LOOKUP", NoAttrs(), [const([0], "int32"), act((4, 3))], [act((1, 3), "float32", quant=False)],
     "the hybrid form (int8 value, float32 output) is not supported"),
    ("EMBEDDING_LOOKUP", NoAttrs(), [const([0], "int32")], [act((1, 3))], "expects 2 inputs (ids, value), got 1"),
])
def test_refusals(kind, attrs, ins, outs, text):
    with pytest.raises(UnsupportedModelError) as e:
        compile_graph(graph(kind, attrs, ins, outs))
    assert text in str(e.value) and f"{kind} (op 0)" in str(e.value)


# ---- LOGICAL_AND / LOGICAL_OR / LOGICAL_NOT / REDUCE_ALL -----------------------------------------------

def test_logic_and_reduce_all(tmp_path):
    tf = need_module("tensorflow")

    def fn(x, z):
        a, b, c = x > 0.1, z < -0.2, x[:, :1, :] > -0.3            # c broadcasts over axis 1
        return (tf.logical_and(a, b), tf.logical_or(a, c), tf.logical_not(tf.logical_and(a, c)),
                tf.math.reduce_all(a | b, axis=1),
                tf.math.reduce_all(tf.logical_not(a | b), axis=[0, 2], keepdims=True),
                tf.math.reduce_all(a | c, axis=-1))

    g = _simulate(tmp_path, "logic", _convert(fn, [(2, 3, 4), (2, 3, 4)]), samples=6)
    assert {"LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "REDUCE_ALL"} <= set(_kinds(g))
