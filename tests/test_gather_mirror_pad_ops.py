"""GATHER, GATHER_ND and MIRROR_PAD (int8, pure data movement), bit-exact with TFLite Micro.

Models made with TensorFlow (constant indices and paddings), and hand-built ones (tests/tflite_builder.py)
for indices that are model inputs (an embedding lookup: constant int8 params, int32 indices computed at
run time), which the converter cannot make from float specs. TFLite Micro takes int32 indices only: the
int64 GATHER model is checked against LiteRT's reference kernels (the only reference that runs it). The
compiled copies are also checked against numpy's own gather / pad, and the refusals are quoted.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from test_error_messages import act, const, graph
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.generate import compile_graph
from mcucompile.codegen.ops.gather import mirror_index
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir.graph import GatherAttrs, MirrorPadAttrs


def _simulate(tmp_path, name, data, inputs=None, samples=4, refs=("tflm", "litert_ref"), tflm=True, board=None):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=refs, board=board)
    c = r.comparisons[0]
    if tflm:
        assert c.available, c.error                  # TFLite Micro really ran it
        assert c.mismatches == 0, (name, c)
    else:
        assert not c.available                       # TFLite Micro lacks it (int64 indices)
    for c in r.comparisons[1:]:
        assert c.available and c.mismatches == 0, (name, c)
    assert r.ok
    assert any(len(np.unique(o)) > 1 for o in r.outputs)
    return r


def _convert(fn, specs):
    return int8_tflite(fn, uniform_samples(specs, [(-1.0, 1.0)] * len(specs), 16, 0), specs=specs)


def _kinds(data):
    from mcucompile.frontend.tflite_reader import parse_tflite
    return sorted({op.kind for op in parse_tflite(data).ops})


# ---- TensorFlow models against TFLite Micro ------------------------------------------------------------

def test_gather_constant_indices(tmp_path):
    tf = need_module("tensorflow")

    def fn(x):
        return (tf.gather(x, [2, 0, 3, 3], axis=1),                 # repeats, reordering
                tf.gather(x, [[1, 0], [4, 2]], axis=-1),            # 2-D indices on the last axis
                tf.gather(x, [1], axis=0),                          # one batch row
                tf.gather(x, [3, 2, 1, 0], axis=1))

    data = _convert(fn, [(2, 4, 5)])
    assert _kinds(data) == ["GATHER"]
    x = np.random.default_rng(2).integers(-128, 128, size=(4, 2, 4, 5), dtype=np.int8)
    r = _simulate(tmp_path, "gather", data, inputs=[x])
    outs = {o.shape[1:]: o for o in r.outputs}
    assert np.array_equal(outs[(2, 4, 2, 2)], x[:, :, :, [[1, 0], [4, 2]]])


def test_gather_batch_dims(tmp_path):
    """batch_dims 1 and 2 with constant indices (one offset table over batch, outer and index dims)."""
    tf = need_module("tensorflow")
    i1 = np.array([[3, 0, 3], [1, 1, 2]], np.int32)
    i2 = np.array([[[0, 4], [1, 1], [2, 3], [4, 4]], [[3, 2], [0, 0], [1, 4], [2, 2]]], np.int32)

    def fn(x):
        return (tf.gather(x, i1, axis=1, batch_dims=1), tf.gather(x, i1, axis=2, batch_dims=1),
                tf.gather(x, i2, axis=2, batch_dims=2), tf.gather(x, i2[:, :, :1], axis=2, batch_dims=-1))

    data = _convert(fn, [(2, 4, 5)])
    assert _kinds(data) == ["GATHER"]
    x = np.random.default_rng(6).integers(-128, 128, size=(3, 2, 4, 5), dtype=np.int8)
    r = _simulate(tmp_path, "gather_bd", data, inputs=[x], samples=3)
    outs = {o.shape[1:]: o for o in r.outputs}
    want = np.stack([np.stack([x[s, b][i1[b]] for b in range(2)]) for s in range(3)])
    assert np.array_equal(outs[(2, 3, 5)], want)


def test_gather_nd_constant_indices(tmp_path):
    tf = need_module("tensorflow")

    def fn(x):
        return (tf.gather_nd(x, [[0, 1], [1, 3], [0, 0]]),           # rows of the last axis
                tf.gather_nd(x, [[[1, 2, 4]], [[0, 0, 0]]]),          # single elements, 3-D indices
                tf.gather_nd(x, [[1], [0], [1]]))                     # whole batch entries

    data = _convert(fn, [(2, 4, 5)])
    assert _kinds(data) == ["GATHER_ND"]
    _simulate(tmp_path, "gather_nd", data)


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
def test_mirror_pad(tmp_path, mode):
    tf = need_module("tensorflow")
    lim = 0 if mode == "SYMMETRIC" else 1

    def fn(x):
        return (tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]], mode=mode),
                tf.pad(x, [[0, 0], [3 - lim, 0], [1, 5 - lim], [1, 1]], mode=mode),    # the largest pads allowed
                tf.pad(x, [[0, 0], [0, 0], [0, 0], [2 - lim, 2 - lim]], mode=mode))     # channels only

    data = _convert(fn, [(1, 4, 5, 3)])
    assert _kinds(data) == ["MIRROR_PAD"]
    _simulate(tmp_path, f"mirror_pad_{mode.lower()}", data)
    data = _convert(lambda x: tf.pad(x, [[1, 1], [2, 3]], mode=mode), [(4, 6)])
    _simulate(tmp_path, f"mirror_pad2d_{mode.lower()}", data)


def test_mirror_index_matches_numpy():
    for n in (1, 2, 5):
        for mode, np_mode, off in (("REFLECT", "reflect", 1), ("SYMMETRIC", "symmetric", 0)):
            for left in range(0, n - off + 1):
                for right in range(0, n - off + 1):
                    if n == 1 and off == 1:
                        continue
                    got = [mirror_index(i, left, n, off) for i in range(left + n + right)]
                    assert got == list(np.pad(np.arange(n), (left, right), mode=np_mode)), (mode, n, left, right)


# ---- run-time indices (hand-built) ------------------------------------------------------------------

def _gather_model(params_shape, idx_shape, axis, idx_dtype="int32", const_params=True, seed=0):
    rng = np.random.default_rng(seed)
    out = list(params_shape[:axis]) + list(idx_shape) + list(params_shape[axis + 1:])
    p = T(params_shape, "int8", [0.05], [-3], name="params",
          data=rng.integers(-128, 128, size=params_shape, dtype=np.int8) if const_params else None)
    tensors = [T(idx_shape, idx_dtype, name="indices"), p, T(tuple(out), "int8", [0.05], [-3], name="y")]
    ins = [0] if const_params else [0, 1]
    return build(M(tensors, [O("GATHER", [1, 0], [2], options=("GatherOptions", {"Axis": axis}))], ins, [2]))


def test_gather_runtime_indices_batch_dims(tmp_path):
    rng = np.random.default_rng(9)
    tensors = [T((2, 3), "int32", name="indices"), T((2, 4, 5), "int8", [0.05], [1], name="x"),
               T((2, 4, 3), "int8", [0.05], [1], name="y")]
    opts = ("GatherOptions", {"Axis": 2, "BatchDims": 1})
    data = build(M(tensors, [O("GATHER", [1, 0], [2], options=opts)], [0, 1], [2]))
    idx = rng.integers(0, 5, size=(3, 2, 3)).astype(np.int32)
    x = rng.integers(-128, 128, size=(3, 2, 4, 5), dtype=np.int8)
    r = _simulate(tmp_path, "gather_rt_bd", data, inputs=[idx, x], samples=3)
    want = np.stack([np.stack([x[s, b][:, idx[s, b]] for b in range(2)]) for s in range(3)])
    assert np.array_equal(r.outputs[0], want)


@pytest.mark.parametrize("params_shape,idx_shape,axis", [((10, 6), (1, 7), 0), ((3, 8, 4), (5,), 1),
                                                          ((2, 3, 9), (2, 2), 2)])
def test_gather_runtime_indices(tmp_path, params_shape, idx_shape, axis):
    """An embedding lookup (constant params), and activation params too, indices as a model input."""
    rng = np.random.default_rng(3)
    idx = rng.integers(0, params_shape[axis], size=(3, *idx_shape)).astype(np.int32)
    r = _simulate(tmp_path, "gather_rt", _gather_model(params_shape, idx_shape, axis), inputs=[idx], samples=3)
    assert len(r.outputs[0]) == 3
    x = rng.integers(-128, 128, size=(3, *params_shape), dtype=np.int8)
    r = _simulate(tmp_path, "gather_rt2", _gather_model(params_shape, idx_shape, axis, const_params=False),
                  inputs=[idx, x], samples=3)
    want = np.stack([np.take(x[s], idx[s], axis=axis) for s in range(3)])
    assert np.array_equal(r.outputs[0], want)


def test_default_inputs_keep_indices_in_range(tmp_path):
    """simulate without inputs draws index inputs inside the dimension they index (TFLite leaves an index
    out of range undefined), so a plain `mcucompile simulate` of an embedding lookup compares cleanly."""
    from mcucompile import api
    from mcucompile.frontend.tflite_reader import parse_tflite
    data = _gather_model((10, 6), (4, 7), 0)
    idx = api.random_inputs(parse_tflite(data), 40)[0]
    assert idx.dtype == np.int32 and idx.min() == 0 and idx.max() == 9
    _simulate(tmp_path, "gather_default_inputs", data, samples=5)


def test_gather_int64_indices_against_litert(tmp_path):
    """TFLite Micro's GATHER takes int32 indices only; LiteRT's reference kernel is the oracle for int64."""
    rng = np.random.default_rng(4)
    idx = rng.integers(0, 10, size=(3, 1, 7)).astype(np.int64)
    _simulate(tmp_path, "gather_i64", _gather_model((10, 6), (1, 7), 0, "int64"), inputs=[idx], samples=3,
              tflm=False)


def test_gather_nd_runtime_indices(tmp_path):
    rng = np.random.default_rng(5)
    params = rng.integers(-128, 128, size=(4, 5, 3), dtype=np.int8)
    tensors = [T((6, 2), "int32", name="indices"), T((4, 5, 3), "int8", [0.1], [7], data=params, name="params"),
               T((6, 3), "int8", [0.1], [7], name="y")]
    data = build(M(tensors, [O("GATHER_ND", [1, 0], [2])], [0], [2]))
    idx = np.stack([rng.integers(0, 4, size=(3, 6)), rng.integers(0, 5, size=(3, 6))], axis=-1).astype(np.int32)
    r = _simulate(tmp_path, "gather_nd_rt", data, inputs=[idx], samples=3)
    assert np.array_equal(r.outputs[0][1], params[idx[1, :, 0], idx[1, :, 1]])


def test_gather_mirror_pad_on_qemu_m4(tmp_path, qemu_toolchain):
    tf = need_module("tensorflow")

    def fn(x):
        return (tf.gather(x, [2, 0, 1], axis=2), tf.gather_nd(x, [[0, 1], [0, 0]]),
                tf.pad(x, [[0, 0], [1, 1], [2, 0], [0, 0]], mode="REFLECT"))

    _simulate(tmp_path, "gather_m4", _convert(fn, [(1, 3, 4, 5)]), samples=2, board="qemu-m4")


# ---- refusals ----------------------------------------------------------------------------------------

G0 = GatherAttrs(0, 0)


@pytest.mark.parametrize("kind,attrs,ins,outs,text", [
    ("GATHER", GatherAttrs(0, 1), [act((2, 3)), act((2, 1), "int32", quant=False)], [act((2, 1, 3))],
     "batch_dims 1 does not fit axis 0, params (2, 3) and indices (2, 1)"),
    ("GATHER", GatherAttrs(1, 1), [act((2, 3)), act((3, 1), "int32", quant=False)], [act((2, 1))],
     "(0 <= batch_dims <= axis, the first batch_dims dimensions alike)"),
    ("GATHER", G0, [act((4, 3)), const([1, 4], "int32")], [act((2, 3))],
     "index 4 is out of range for dimension 4 on axis 0"),
    ("GATHER", G0, [act((4, 3)), const([1, 2], "int32")], [act((2, 3), zp=5)],
     "is quantised unlike the input"),
    ("GATHER", G0, [act((4, 3)), act((2,), "int8")], [act((2, 3))],
     "the indices tensor 't1' is int8; supported: int32, int64"),
    ("GATHER", GatherAttrs(2, 0), [act((4, 3)), const([1], "int32")], [act((4, 1))],
     "axis 2 is out of range for the rank-2 params"),
    ("GATHER_ND", G0, [act((4, 3)), const([[1, 2, 0]], "int32")], [act((1,))],
     "the indices' last dimension 3 must be 1..2"),
    ("GATHER_ND", G0, [act((4, 3)), const([[1, 3]], "int32")], [act((1,))],
     "index [1, 3] is out of range for params (4, 3)"),
    ("GATHER_ND", G0, [act((4, 3)), act((1, 2), "int64", quant=False)], [act((1,))],
     "the indices tensor 't1' is int64; supported: int32"),
    ("MIRROR_PAD", MirrorPadAttrs("REFLECT"), [act((1, 3)), const([[0, 0], [3, 0]], "int32")], [act((1, 6))],
     "axis 1: paddings (3, 0) exceed REFLECT's limit 2 for dimension 3"),
    ("MIRROR_PAD", MirrorPadAttrs("SYMMETRIC"), [act((1, 3)), act((2, 2), "int32", quant=False)], [act((1, 3))],
     "the paddings must be a constant int32 or int64 tensor"),
    ("MIRROR_PAD", MirrorPadAttrs("mode 7"), [act((1, 3)), const([[0, 0], [1, 1]], "int32")], [act((1, 5))],
     "unknown mirror padding mode 7"),
    ("MIRROR_PAD", MirrorPadAttrs("REFLECT"), [act((1, 3))], [act((1, 3))],
     "expects 2 inputs (input, paddings), got 1"),
    ("GATHER", G0, [act((4, 3))], [act((4, 3))], "expects 2 inputs (params, indices), got 1"),
    ("GATHER_ND", G0, [act((4, 3))], [act((4, 3))], "expects 2 inputs (params, indices), got 1"),
])
def test_refusals(kind, attrs, ins, outs, text):
    g = graph(kind, attrs, ins, outs)
    with pytest.raises(UnsupportedModelError, match=rf"^{kind} \(op 0\): ") as e:
        compile_graph(g)
    assert text in str(e.value)


def test_gather_nd_shape_rule_names_the_index_depth():
    from mcucompile.errors import ModelFormatError
    from mcucompile.ir.shapes import check_shapes
    g = graph("GATHER_ND", G0, [act((4, 3)), act((2, 3), "int32", quant=False)], [act((2,))])
    with pytest.raises(ModelFormatError, match=r"op 0 \(GATHER_ND\)") as e:
        check_shapes(g)
    assert "indices (2, 3) do not index params (4, 3) (the last dimension must be at most the params' rank)" \
        in str(e.value)
