"""RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, TRANSPOSE_CONV, BATCH_MATMUL, SUM, STRIDED_SLICE, SPLIT,
SPLIT_V, ARG_MAX/ARG_MIN, TILE and SQUEEZE: single-op int8 models made with TensorFlow, compiled to C and
compared bit-exactly with TFLite Micro (and LiteRT's reference kernels as a second opinion) through
mcucompile.api.simulate; plus compile-time arithmetic checked against independent truths.

Oracles where TFLite Micro cannot run the op:
- ARG_MAX/ARG_MIN with int64 output: TFLite Micro only writes int32 indices (arg_min_max.cc), so
  LiteRT BUILTIN_REF is the oracle there.
- TILE: TFLite Micro has no TILE kernel and LiteRT's BUILTIN_REF resolver has no int8 TILE (version 3)
  either; TILE only copies bytes, so numpy's np.tile/np.repeat is the truth, with LiteRT's default
  kernels as a second check (exact for a copy: no arithmetic to round).
- SUM: LiteRT's reference int8 SUM gives wrong values; TFLite Micro is the oracle, and
  test_sum_tflm_is_right_litert_is_not shows which one is right against the exact real-valued sum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples

from mcucompile.codegen.ops.resize import bilinear_scale_10, nearest_indices
from mcucompile.codegen.ops.slicing import simplify_view
from mcucompile.ir.geometry import slice_bounds

# ---- compile-time arithmetic against independent truths ------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 5, 7])
@pytest.mark.parametrize("stride", [1, 2, 3, -1, -2])
def test_slice_bounds_match_python_slicing(size, stride):
    # without masks, TFLite's start/stop resolution selects exactly what Python slicing selects
    for begin in range(-size - 2, size + 3):
        for end in range(-size - 2, size + 3):
            start, stop = slice_bounds(size, begin, end, stride, False, False, False)
            assert list(range(start, stop, stride)) == list(range(size))[begin:end:stride], (begin, end)
    # masks mean "from the first (last) element" / "to the end (start)", like omitting the bound
    start, stop = slice_bounds(size, 3, -9, stride, True, True, False)
    assert list(range(start, stop, stride)) == list(range(size))[::stride]
    # shrink picks one element, negative indices from the end
    if stride > 0:
        for begin in range(-size, size):
            start, stop = slice_bounds(size, begin, 0, stride, False, False, True)
            assert list(range(start, stop, stride)) == [list(range(size))[begin]]


@pytest.mark.parametrize("shape,mult", [((2, 3, 4), (1, 2, 1)), ((1, 4, 1, 5, 3), (1, 1, 2, 1, 1)),
                                        ((3, 1, 2), (2, 3, 2)), ((5,), (4,))])
def test_tile_view_enumerates_np_tile(shape, mult):
    # the (repeat, dim) pairs the TILE lowering builds, simplified, walk the input as np.tile does
    strides = [int(np.prod(shape[d + 1:])) for d in range(len(shape))]
    dims, st = [], []
    for d in range(len(shape)):
        dims += [mult[d], shape[d]]
        st += [0, strides[d]]
    dims, st = simplify_view(dims, st)
    assert len(dims) <= 6
    idx = np.zeros(dims, dtype=np.int64)
    for d, s in enumerate(st):
        shape_d = [1] * len(dims)
        shape_d[d] = dims[d]
        idx = idx + (np.arange(dims[d]) * s).reshape(shape_d)
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    assert np.array_equal(idx.reshape(-1), np.tile(flat, mult).reshape(-1))


@pytest.mark.parametrize("in_size,out_size", [(4, 8), (5, 7), (7, 3), (1, 4), (6, 6), (3, 1)])
def test_resize_tables_stay_inside_the_input(in_size, out_size):
    for ac, hp in [(False, False), (True, False), (False, True)]:
        rows = nearest_indices(out_size, in_size, ac, hp)
        assert len(rows) == out_size and all(0 <= r < in_size for r in rows)
        assert rows == sorted(rows)                               # monotone
    # plain 2x upsampling picks every input twice (the textbook definition of nearest upsampling)
    if out_size == 2 * in_size:
        assert nearest_indices(out_size, in_size, False, False) == [i // 2 for i in range(out_size)]
        assert nearest_indices(out_size, in_size, False, True) == [i // 2 for i in range(out_size)]
    assert bilinear_scale_10(out_size, in_size, False) == round(1024 * in_size / out_size + 1e-9)


# ---- models made with TensorFlow ----------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable              # () -> bytes (int8 .tflite)
    kinds: tuple                 # the op kinds the converted model must contain, in order
    oracle: str = "tflm"         # "tflm" | "litert_ref" (TFLite Micro cannot run it: see module doc)


def _fn(fn, *shapes, ranges=None):
    ranges = ranges or [1.0] * len(shapes)
    return lambda: int8_tflite(fn, uniform_samples(shapes, [(-r, r) for r in ranges], 32), specs=shapes)


def _keras(make_layer, shape, seed=0):
    def build():
        import keras
        keras.utils.set_random_seed(seed)
        x = keras.Input(batch_size=shape[0], shape=shape[1:])
        m = keras.Model(x, make_layer()(x))
        return int8_tflite(m, uniform_samples([shape], [(-1.0, 1.0)], 32, seed))
    return build


def _cases():
    import keras
    import tensorflow as tf

    v1 = tf.compat.v1.image
    cases = []
    # resize: upsample, downsample, odd ratios; the three coordinate conventions
    for name, size, shape in [("up", (8, 10), (1, 4, 5, 3)), ("odd", (7, 9), (1, 4, 5, 3)),
                              ("down", (3, 4), (1, 7, 9, 2)), ("mixed", (9, 3), (2, 5, 6, 4))]:
        for conv, ac, hp in [("plain", False, False), ("align", True, False), ("halfpx", False, True)]:
            cases.append(Case(f"nearest_{name}_{conv}", _fn(
                lambda x, size=size, ac=ac, hp=hp: v1.resize_nearest_neighbor(x, size, align_corners=ac,
                                                                               half_pixel_centers=hp), shape),
                ("RESIZE_NEAREST_NEIGHBOR",)))
            cases.append(Case(f"bilinear_{name}_{conv}", _fn(
                lambda x, size=size, ac=ac, hp=hp: v1.resize_bilinear(x, size, align_corners=ac,
                                                                       half_pixel_centers=hp), shape),
                ("RESIZE_BILINEAR",)))
    cases.append(Case("keras_upsampling_bilinear", _keras(
        lambda: keras.layers.UpSampling2D(2, interpolation="bilinear"), (1, 5, 6, 3)), ("RESIZE_BILINEAR",)))
    cases.append(Case("keras_resizing_nearest", _keras(
        lambda: keras.layers.Resizing(9, 11, interpolation="nearest"), (1, 4, 5, 3)), ("RESIZE_NEAREST_NEIGHBOR",)))
    # transpose convolution (per-channel int8 weights, int32 bias)
    for k, s, pad, shape, extra in [(3, 2, "same", (1, 4, 5, 3), {}), (3, 1, "same", (1, 5, 5, 4), {}),
                                    (2, 2, "valid", (1, 4, 4, 3), {}), (3, 2, "valid", (1, 3, 5, 2), {}),
                                    (4, 2, "same", (1, 3, 4, 5), {}), ((3, 2), (2, 1), "same", (1, 4, 5, 3), {}),
                                    # (the converter keeps the ReLU a separate RELU op)
                                    (3, 2, "same", (2, 3, 3, 4), {"activation": "relu"}),
                                    (5, 3, "same", (1, 3, 3, 2), {"use_bias": False})]:
        dims = [v if isinstance(v, int) else "x".join(map(str, v)) for v in (k, s)]
        tag = f"k{dims[0]}_s{dims[1]}"
        tag += f"_{pad}" + "".join(f"_{key}" for key in extra)
        cases.append(Case(f"transpose_conv_{tag}", _keras(
            lambda k=k, s=s, pad=pad, extra=extra: keras.layers.Conv2DTranspose(6, k, strides=s, padding=pad, **extra),
            shape), ("TRANSPOSE_CONV", "RELU") if extra.get("activation") else ("TRANSPOSE_CONV",)))
    # batch matmul: two activations, adj_x / adj_y, broadcast batch
    for name, fn, shapes in [
            ("rank3", lambda a, b: tf.matmul(a, b), ((2, 3, 4), (2, 4, 5))),
            ("adj_x", lambda a, b: tf.matmul(a, b, transpose_a=True), ((2, 4, 3), (2, 4, 5))),
            ("adj_y", lambda a, b: tf.matmul(a, b, transpose_b=True), ((2, 3, 4), (2, 5, 4))),
            ("adj_xy", lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True), ((3, 4, 3), (3, 5, 4))),
            ("broadcast4d", lambda a, b: tf.matmul(a, b), ((2, 1, 3, 4), (1, 3, 4, 5))),
            ("broadcast_rank", lambda a, b: tf.matmul(a, b), ((1, 2, 6, 8), (8, 7))),
            ("attention", lambda q, k: tf.matmul(q, k, transpose_b=True) * 0.125, ((1, 4, 16, 8), (1, 4, 16, 8)))]:
        cases.append(Case(f"batch_matmul_{name}", _fn(fn, *shapes, ranges=[1.0, 2.0]),
                          ("BATCH_MATMUL",) if name != "attention" else ("BATCH_MATMUL", "MUL")))
    # SUM
    for name, axes, keep, shape in [("hw", [1, 2], False, (1, 5, 6, 3)), ("last", [-1], True, (1, 4, 5, 6)),
                                    ("axis1", [1], False, (2, 7, 3)), ("all", [0, 1, 2, 3], False, (1, 4, 4, 4))]:
        cases.append(Case(f"sum_{name}", _fn(lambda x, axes=axes, keep=keep: tf.reduce_sum(x, axis=axes, keepdims=keep),
                                             shape, ranges=[0.5]), ("SUM",)))
    # STRIDED_SLICE
    for name, fn, shape in [
            ("basic", lambda x: x[:, 1:3, ::2, :], (1, 4, 5, 3)),
            ("negative_stride", lambda x: x[:, ::-1, 4:0:-2, :], (1, 4, 6, 3)),
            ("shrink", lambda x: x[:, 1, :, -1], (1, 4, 5, 3)),
            ("negative_bounds", lambda x: x[:, -3:-1, 1:, 2:5], (1, 4, 5, 6)),
            ("rank2", lambda x: x[1:6:2, ::3], (7, 9)),
            ("rank3_end_clamp", lambda x: x[:, 2:100, :1], (3, 5, 4))]:
        cases.append(Case(f"strided_slice_{name}", _fn(fn, shape), ("STRIDED_SLICE",)))
    # SPLIT / SPLIT_V (several outputs)
    cases.append(Case("split_channels", _fn(lambda x: tf.split(x, 3, axis=3), (1, 4, 5, 6)), ("SPLIT",)))
    cases.append(Case("split_height", _fn(lambda x: tf.split(x, 2, axis=1), (1, 4, 5, 3)), ("SPLIT",)))
    cases.append(Case("split_v_channels", _fn(lambda x: tf.split(x, [1, 2, 3], axis=-1), (1, 4, 5, 6)), ("SPLIT_V",)))
    cases.append(Case("split_v_width", _fn(lambda x: tf.split(x, [3, -1], axis=2), (1, 4, 5, 2)), ("SPLIT_V",)))
    # ARG_MAX / ARG_MIN: int32 indices (TFLite Micro) and int64 (LiteRT: TFLite Micro has no int64 output)
    for name, fn, shape, oracle in [
            ("argmax_last_i32", lambda x: tf.argmax(x, axis=-1, output_type=tf.int32), (1, 4, 5, 6), "tflm"),
            ("argmax_axis1_i32", lambda x: tf.argmax(x, axis=1, output_type=tf.int32), (1, 7, 5, 3), "tflm"),
            ("argmin_last_i32", lambda x: tf.argmin(x, axis=-1, output_type=tf.int32), (2, 9, 4), "tflm"),
            ("argmax_last_i64", lambda x: tf.argmax(x, axis=-1), (1, 4, 5, 6), "litert_ref"),
            ("argmin_axis0_i64", lambda x: tf.argmin(x, axis=0), (5, 3), "litert_ref")]:
        kind = "ARG_MAX" if "argmax" in name else "ARG_MIN"
        cases.append(Case(name, _fn(fn, shape), (kind,), oracle))
    return cases


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    need_module("tensorflow")
    d = tmp_path_factory.mktemp("resize_matmul_slice_models")
    cases = {c.id: c for c in _cases()}
    assert sorted(cases) == sorted(CASE_IDS)
    for case in cases.values():
        (d / f"{case.id}.tflite").write_bytes(case.build())
    return d, cases


def _ids():
    ids = []
    for name in ("up", "odd", "down", "mixed"):
        for conv in ("plain", "align", "halfpx"):
            ids += [f"nearest_{name}_{conv}", f"bilinear_{name}_{conv}"]
    ids += ["keras_upsampling_bilinear", "keras_resizing_nearest"]
    ids += ["transpose_conv_k3_s2_same", "transpose_conv_k3_s1_same", "transpose_conv_k2_s2_valid",
            "transpose_conv_k3_s2_valid", "transpose_conv_k4_s2_same", "transpose_conv_k3x2_s2x1_same",
            "transpose_conv_k3_s2_same_activation", "transpose_conv_k5_s3_same_use_bias"]
    ids += [f"batch_matmul_{n}" for n in ("rank3", "adj_x", "adj_y", "adj_xy", "broadcast4d", "broadcast_rank",
                                          "attention")]
    ids += [f"sum_{n}" for n in ("hw", "last", "axis1", "all")]
    ids += [f"strided_slice_{n}" for n in ("basic", "negative_stride", "shrink", "negative_bounds", "rank2",
                                           "rank3_end_clamp")]
    ids += ["split_channels", "split_height", "split_v_channels", "split_v_width"]
    ids += ["argmax_last_i32", "argmax_axis1_i32", "argmin_last_i32", "argmax_last_i64", "argmin_axis0_i64"]
    return ids


CASE_IDS = _ids()


@pytest.mark.slow
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_bit_exact(models, case_id):
    from mcucompile import api
    from mcucompile.frontend.tflite_reader import read_tflite

    d, cases = models
    case = cases[case_id]
    path = d / f"{case_id}.tflite"
    g = read_tflite(path)
    assert tuple(op.kind for op in g.ops) == case.kinds
    if case.kinds[0] == "TRANSPOSE_CONV":
        w = g.tensors[g.ops[0].inputs[1]]
        assert w.quant.per_channel and w.dtype == "int8"          # per-channel weights really tested
    result = api.simulate(str(path), samples=8, seed=0, references=("tflm", "litert_ref"))
    tflm, litert = result.comparisons
    if case.oracle == "tflm":
        assert tflm.available, tflm.error                          # the oracle really ran
        assert tflm.mismatches == 0, tflm
        if case.kinds[0] != "SUM":                                 # LiteRT's int8 SUM is wrong (see below)
            assert litert.available and litert.mismatches == 0, litert
    else:
        # TFLite Micro's ARG_MAX/ARG_MIN write int32 only: it refuses the int64 model at run time
        assert not tflm.available
        assert litert.available and litert.mismatches == 0, litert
    assert result.ok, result.as_dict()
    # the comparison is not vacuous: outputs are not all one value
    assert any(len(np.unique(o)) > 1 for o in result.outputs)


@pytest.mark.slow
def test_sum_tflm_is_right_litert_is_not(models):
    """Against the exact real-valued sum of the dequantised inputs, TFLite Micro's answer (= ours) is
    within 1 LSB wherever it does not saturate; LiteRT's reference SUM is far off."""
    from mcucompile import api
    from mcucompile.frontend.tflite_reader import read_tflite
    from mcucompile.sim.reference import run_reference

    d, _ = models
    path = d / "sum_hw.tflite"
    g = read_tflite(path)
    x_t, y_t = g.tensors[g.ops[0].inputs[0]], g.tensors[g.ops[0].outputs[0]]
    xs = api.random_inputs(g, 8, seed=1)
    result = api.simulate(str(path), inputs=xs, references=("tflm",))
    assert result.comparisons[0].available and result.ok
    real = ((xs[0].astype(np.float64) - x_t.zero_point) * x_t.scale).sum(axis=(2, 3))   # [sample, 1, H, W, C]
    exact = real / y_t.scale + y_t.zero_point
    ours = result.outputs[0].reshape(exact.shape).astype(np.float64)
    inside = (exact > -128) & (exact < 127)
    assert inside.mean() > 0.5
    assert np.abs(ours - exact)[inside].max() <= 1.0
    litert = run_reference("litert_ref", path, xs, 1).outputs[0].reshape(exact.shape).astype(np.float64)
    assert np.abs(litert - exact)[inside].max() > 4.0


# ---- TILE: no TFLite Micro kernel, no LiteRT reference kernel -------------------------------------


@pytest.fixture(scope="module")
def tile_models(tmp_path_factory):
    need_module("tensorflow")
    import keras
    import tensorflow as tf

    d = tmp_path_factory.mktemp("tile_models")
    builds = {
        "upsampling_nearest_2x": (_keras(lambda: keras.layers.UpSampling2D(2), (1, 4, 5, 3)),
                                  lambda x: np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)),
        "upsampling_nearest_3x2": (_keras(lambda: keras.layers.UpSampling2D((3, 2)), (1, 3, 4, 5)),
                                   lambda x: np.repeat(np.repeat(x, 3, axis=1), 2, axis=2)),
        "tile_hw": (_fn(lambda x: tf.tile(x, [1, 2, 3, 1]), (1, 3, 4, 2)), lambda x: np.tile(x, (1, 2, 3, 1))),
        "tile_rank3_all": (_fn(lambda x: tf.tile(x, [2, 1, 3]), (2, 3, 4)), lambda x: np.tile(x, (2, 1, 3))),
    }
    out = {}
    for name, (build, truth) in builds.items():
        (d / f"{name}.tflite").write_bytes(build())
        out[name] = (d / f"{name}.tflite", truth)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["upsampling_nearest_2x", "upsampling_nearest_3x2", "tile_hw", "tile_rank3_all"])
def test_tile_matches_numpy_and_litert(tile_models, name):
    from ai_edge_litert.interpreter import Interpreter

    from mcucompile import api

    path, truth = tile_models[name]
    g = api.load(path)
    assert "TILE" in {op.kind for op in g.ops}
    xs = api.random_inputs(g, 6, seed=2)
    result = api.simulate(str(path), inputs=xs, references=())
    assert result.guard_violations == 0 and result.nondeterministic == 0
    ours = result.outputs[0]
    expect = np.stack([truth(x) for x in xs[0]])              # per sample (batch dim included)
    assert np.array_equal(ours, expect)
    interp = Interpreter(model_path=str(path))                  # default kernels: exact for a byte copy
    interp.allocate_tensors()
    i, o = interp.get_input_details()[0], interp.get_output_details()[0]
    for s in range(len(xs[0])):
        interp.set_tensor(i["index"], xs[0][s])
        interp.invoke()
        assert np.array_equal(interp.get_tensor(o["index"]), ours[s])


# ---- SQUEEZE: the converter folds tf.squeeze into RESHAPE, so build the model directly -------------


def test_squeeze_aliases_and_matches_tflm(tmp_path):
    from tflite_builder import O, T, build, fc_model

    from mcucompile import api
    from mcucompile.codegen.generate import compile_graph

    m = fc_model(n_in=6, n_out=4)
    m.tensors.append(T((4,), "int8", scale=[0.1], zero_point=[-5], name="squeezed"))
    m.ops.append(O("SQUEEZE", [3], [4]))
    m.outputs = [4]
    path = tmp_path / "squeeze.tflite"
    path.write_bytes(build(m))
    g = api.load(path)
    assert [op.kind for op in g.ops] == ["FULLY_CONNECTED", "SQUEEZE"]
    result = api.simulate(str(path), samples=8, references=("tflm",))
    assert result.comparisons[0].available, result.comparisons[0].error
    assert result.ok and result.mismatches == 0
    c = compile_graph(g)
    assert [k.op_kind for k in c.calls] == ["FULLY_CONNECTED"]         # no call, no copy for SQUEEZE
