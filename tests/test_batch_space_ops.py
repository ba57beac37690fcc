"""SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND and BROADCAST_TO (int8 data movement), bit-exact with TFLite Micro
and LiteRT (converter-made models, plus a hand-built check of every element's source)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.batch_space import lower_broadcast_to, lower_space_to_batch_nd
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import Graph, NoAttrs, Op, Quant, Tensor


def _run(tmp_path, name, data, inputs=None, samples=3, board=None, refs=("tflm", "litert_ref")):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=refs, board=board)
    for c in r.comparisons:
        assert c.available, c.error
        assert c.mismatches == 0, (name, c)
    assert r.ok
    return r


def _kinds(data: bytes) -> list[str]:
    from mcucompile.frontend.tflite_reader import parse_tflite
    return [op.kind for op in parse_tflite(data).ops]


B2S = [((4, 3, 5, 6), [2, 2], [[0, 0], [0, 0]]), ((8, 3, 4, 2), [2, 4], [[1, 0], [2, 3]]),
       ((6, 5, 7), [3], [[2, 1]]), ((4, 2, 2, 3), [1, 4], [[0, 1], [1, 2]])]


@pytest.mark.parametrize("shape,block,crops", B2S, ids=[f"b2s{k}" for k in range(len(B2S))])
def test_batch_to_space_nd_converted(tmp_path, shape, block, crops):
    tf = need_module("tensorflow")
    data = int8_tflite(lambda x: tf.batch_to_space(x, block, crops), uniform_samples([shape], [(-2, 2)], 16, 0),
                       specs=[shape])
    assert _kinds(data) == ["BATCH_TO_SPACE_ND"], _kinds(data)
    x = np.random.default_rng(5).integers(-128, 128, (2, *shape)).astype(np.int8)
    r = _run(tmp_path, "b2s", data, inputs=[x])
    want = tf.batch_to_space(x[0].astype(np.float32), block, crops).numpy().astype(np.int8)    # raw codes
    assert np.array_equal(r.outputs[0][0], want)


S2B = [((1, 4, 6, 3), [2, 2]), ((2, 6, 4, 5), [3, 1]), ((2, 8, 3), [4]), ((1, 4, 4, 2), [4, 2])]


@pytest.mark.parametrize("shape,block", S2B, ids=[f"s2b{k}" for k in range(len(S2B))])
def test_space_to_batch_nd_converted(tmp_path, shape, block):
    tf = need_module("tensorflow")
    pads = [[0, 0]] * len(block)
    data = int8_tflite(lambda x: tf.space_to_batch_nd(x, block, pads), uniform_samples([shape], [(-2, 2)], 16, 0),
                       specs=[shape])
    assert _kinds(data) == ["SPACE_TO_BATCH_ND"], _kinds(data)
    x = np.random.default_rng(6).integers(-128, 128, (2, *shape)).astype(np.int8)
    r = _run(tmp_path, "s2b", data, inputs=[x])
    want = tf.space_to_batch_nd(x[0].astype(np.float32), block, pads).numpy().astype(np.int8)
    assert np.array_equal(r.outputs[0][0], want)


def test_space_to_batch_nd_refuses_paddings():
    ts = (Tensor(0, "x", (1, 4, 4, 2), "int8", Quant((0.1,), (0,))),
          Tensor(1, "block", (2,), "int32", None, np.array([2, 2], np.int32)),
          Tensor(2, "pads", (2, 2), "int32", None, np.array([[1, 1], [0, 0]], np.int32)),
          Tensor(3, "y", (4, 3, 2, 2), "int8", Quant((0.1,), (0,))))
    op = Op(2, "SPACE_TO_BATCH_ND", (0, 1, 2), (3,), NoAttrs())
    with pytest.raises(UnsupportedModelError, match=r"^SPACE_TO_BATCH_ND \(op 2\): paddings \[1, 1, 0, 0\] are not "
                                                    r"supported \(only 0\): TFLite Micro writes padded elements "
                                                    r"with a pad value it never sets"):
        lower_space_to_batch_nd(LowerCtx(Graph("g", ts, (op,), (0,), (3,))), op)


BCAST = [((1, 1, 6), (2, 3, 4, 6)), ((3, 1), (2, 3, 5)), ((1, 4, 1, 1, 2), (3, 4, 2, 2, 2))]


@pytest.mark.parametrize("src,dst", BCAST, ids=[f"bc{k}" for k in range(len(BCAST))])
def test_broadcast_to_converted(tmp_path, src, dst):
    tf = need_module("tensorflow")
    data = int8_tflite(lambda x: tf.broadcast_to(x, dst), uniform_samples([src], [(-2, 2)], 16, 0), specs=[src])
    assert _kinds(data) == ["BROADCAST_TO"], _kinds(data)
    x = np.random.default_rng(7).integers(-128, 128, (2, *src)).astype(np.int8)
    r = _run(tmp_path, "bcast", data, inputs=[x])
    assert np.array_equal(r.outputs[0][0], np.broadcast_to(x[0], dst))


def test_broadcast_to_refuses_six_dimensions():
    ts = (Tensor(0, "x", (1, 2), "int8", Quant((0.1,), (0,))),
          Tensor(1, "shape", (6,), "int32", None, np.array([2, 1, 1, 1, 3, 2], np.int32)),
          Tensor(2, "y", (2, 1, 1, 1, 3, 2), "int8", Quant((0.1,), (0,))))
    op = Op(4, "BROADCAST_TO", (0, 1), (2,), NoAttrs())
    with pytest.raises(UnsupportedModelError, match=r"^BROADCAST_TO \(op 4\): broadcasting \(1, 2\) to "
                                                    r"\(2, 1, 1, 1, 3, 2\): TFLite Micro takes up to 5 dimensions"):
        lower_broadcast_to(LowerCtx(Graph("g", ts, (op,), (0,), (2,))), op)


def test_batch_space_on_qemu_m4(tmp_path, qemu_toolchain):
    """SPACE_TO_BATCH_ND -> BATCH_TO_SPACE_ND (with crops) -> BROADCAST_TO, hand-built, on the Cortex-M4
    (TFLite Micro only: LiteRT's resolver does not register the builder's version-1 int8 ops)."""
    q = ([0.05], [3])
    ts = [T((1, 4, 6, 2), "int8", *q, name="x"), T((2,), "int32", data=np.array([2, 3], np.int32), name="blk"),
          T((2, 2), "int32", data=np.zeros((2, 2), np.int32), name="pads"),
          T((2, 2), "int32", data=np.array([[1, 0], [0, 2]], np.int32), name="crops"),
          T((6, 2, 2, 2), "int8", *q, name="s"), T((1, 3, 4, 2), "int8", *q, name="b"),
          T((4,), "int32", data=np.array([2, 3, 4, 2], np.int32), name="shape"), T((2, 3, 4, 2), "int8", *q, name="y")]
    ops = [O("SPACE_TO_BATCH_ND", [0, 1, 2], [4]), O("BATCH_TO_SPACE_ND", [4, 1, 3], [5]),
           O("BROADCAST_TO", [5, 6], [7])]
    data = build(M(ts, ops, [0], [7]))
    _run(tmp_path, "bs_m4", data, samples=2, board="qemu-m4", refs=("tflm",))


def _bs_graph(kind, x_shape, block, pairs, y_shape, n_inputs=3):
    ts = [Tensor(0, "x", x_shape, "int8", Quant((0.1,), (0,))),
          Tensor(1, "block", (len(block),), "int32", None, np.array(block, np.int32)),
          Tensor(2, "pairs", (len(pairs),), "int32", None, np.array(pairs, np.int32)),
          Tensor(3, "y", y_shape, "int8", Quant((0.1,), (0,)))]
    op = Op(1, kind, (0, 1, 2)[:n_inputs], (3,), NoAttrs())
    return Graph("g", tuple(ts), (op,), (0,), (3,)), op


@pytest.mark.parametrize("kind,x_shape,block,pairs,y_shape,n,message", [
    ("BATCH_TO_SPACE_ND", (4, 2, 2, 1), [2, 2], [0] * 4, (1, 4, 4, 1), 2,
     r"expects 3 inputs \(input, block_shape, crops\), got 2"),
    ("BATCH_TO_SPACE_ND", (4, 2, 2, 1), [2, 2, 1, 1], [0] * 8, (1, 4, 4, 1), 3,
     r"block_shape \[2, 2, 1, 1\] and crops \[0, 0, 0, 0, 0, 0, 0, 0\] do not fit an input of shape \(4, 2, 2, 1\)"),
    ("BATCH_TO_SPACE_ND", (4, 2, 2, 1), [0, 2], [0] * 4, (1, 4, 4, 1), 3,
     r"block_shape \[0, 2\] must be positive and crops \[0, 0, 0, 0\] non-negative"),
    ("BATCH_TO_SPACE_ND", (6, 2, 2, 1), [2, 2], [0] * 4, (1, 4, 4, 1), 3,
     r"input batch 6 is not a multiple of the block size 4"),
    ("BATCH_TO_SPACE_ND", (4, 2, 2, 1), [2, 2], [0] * 4, (1, 4, 3, 1), 3,
     r"output shape \(1, 4, 3, 1\) differs from the \(1, 4, 4, 1\) the op computes"),
    ("SPACE_TO_BATCH_ND", (1, 5, 4, 1), [2, 2], [0] * 4, (4, 2, 2, 1), 3,
     r"spatial dimension 5 is not a multiple of its block size 2"),
    ("SPACE_TO_BATCH_ND", (1, 4, 4, 1), [2, 2], [0] * 4, (4, 2, 1, 1), 3,
     r"output shape \(4, 2, 1, 1\) differs from the \(4, 2, 2, 1\) the op computes"),
])
def test_batch_space_refusals(kind, x_shape, block, pairs, y_shape, n, message):
    from mcucompile.codegen.ops.batch_space import lower_batch_to_space_nd
    lower = lower_batch_to_space_nd if kind == "BATCH_TO_SPACE_ND" else lower_space_to_batch_nd
    g, op = _bs_graph(kind, x_shape, block, pairs, y_shape, n)
    with pytest.raises(UnsupportedModelError, match=rf"^{kind} \(op 1\): {message}"):
        lower(LowerCtx(g), op)


@pytest.mark.parametrize("x_shape,shape,y_shape,message", [
    ((1, 2), [2, 2], (2, 3), r"output shape \(2, 3\) differs from the shape input \(2, 2\)"),
    ((3, 2), [2, 2], (2, 2), r"input dimension 3 does not broadcast to 2 \(axis 0\)")])
def test_broadcast_to_refusals(x_shape, shape, y_shape, message):
    ts = (Tensor(0, "x", x_shape, "int8", Quant((0.1,), (0,))),
          Tensor(1, "shape", (len(shape),), "int32", None, np.array(shape, np.int32)),
          Tensor(2, "y", y_shape, "int8", Quant((0.1,), (0,))))
    op = Op(4, "BROADCAST_TO", (0, 1), (2,), NoAttrs())
    with pytest.raises(UnsupportedModelError, match=r"^BROADCAST_TO \(op 4\): " + message):
        lower_broadcast_to(LowerCtx(Graph("g", ts, (op,), (0,), (2,))), op)
