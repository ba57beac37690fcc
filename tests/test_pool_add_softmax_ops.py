"""AVERAGE_POOL_2D, MAX_POOL_2D, ADD and SOFTMAX: parameter arithmetic, then single-op (and a few two-op)
int8 models made with TensorFlow, compiled to C and compared bit-exactly with TFLite Micro through the
pipeline (mcucompile.api.simulate)."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples

from mcucompile.codegen.ops.elementwise import add_quant_params, broadcast_plan
from mcucompile.codegen.ops.softmax import softmax_params
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir.geometry import pool_output_and_padding

# ---- compile-time arithmetic (no TensorFlow needed) --------------------------------------------


@pytest.mark.parametrize("in_size,k,stride,padding,out,pad", [
    (7, 3, 2, "SAME", 4, 1), (8, 2, 2, "SAME", 4, 0), (9, 4, 3, "SAME", 3, 0), (10, 4, 3, "SAME", 4, 1),
    (4, 5, 1, "SAME", 4, 2),
    (8, 2, 2, "VALID", 4, 0), (7, 3, 2, "VALID", 3, 0), (6, 6, 1, "VALID", 1, 0), (1, 1, 1, "SAME", 1, 0),
])
def test_pool_output_and_padding(in_size, k, stride, padding, out, pad):
    assert pool_output_and_padding(in_size, k, stride, padding) == (out, pad)


def _numpy_strides(out_shape, in_shape):
    """Reference: element strides of in_shape broadcast to out_shape, uncollapsed."""
    a = np.arange(int(np.prod(in_shape))).reshape(in_shape)
    b = np.broadcast_to(a, out_shape)
    return b


@pytest.mark.parametrize("s1,s2", [
    ((1, 4, 5, 3), (1, 4, 5, 3)), ((1, 4, 5, 3), (3,)), ((1, 4, 5, 3), (1, 4, 1, 3)), ((1, 1, 5, 1), (1, 4, 1, 3)),
    ((2, 3, 4), (3, 1)), ((2, 1, 3, 1, 2, 3), (1, 2, 1, 4, 1, 3)), ((16,), (1,)), ((1,), (1,)),
])
def test_broadcast_plan_walks_like_numpy(s1, s2):
    out_shape = np.broadcast_shapes(s1, s2)
    plan = broadcast_plan(out_shape, (s1, s2))
    assert 1 <= plan.rank <= 6 and int(np.prod(plan.out_dims)) == int(np.prod(out_shape))
    # walk the plan's index space in C order and compare the element each input reads with numpy's
    idx = np.indices(plan.out_dims).reshape(plan.rank, -1)
    for k, shape in enumerate((s1, s2)):
        got = (idx * np.array(plan.strides[k])[:, None]).sum(axis=0)
        want = _numpy_strides(out_shape, shape).ravel()
        assert np.array_equal(got, want)


def test_broadcast_plan_collapses_elementwise_to_rank_1():
    plan = broadcast_plan((1, 8, 8, 16), ((1, 8, 8, 16), (1, 8, 8, 16)))
    assert plan.out_dims == (1024,) and plan.strides == ((1,), (1,))


def test_broadcast_plan_rejects_incompatible_shapes():
    with pytest.raises(UnsupportedModelError):
        broadcast_plan((4, 3), ((4, 3), (2, 3)))


def test_add_quant_params_equal_scales():
    q = add_quant_params(0.5, 0.5, 1.0)
    # real input multipliers are exactly 1/2: q = 2^30, shift 0
    assert (q["in1_mult"], q["in1_shift"]) == (1 << 30, 0) == (q["in2_mult"], q["in2_shift"])
    assert q["out_shift"] <= 0


def test_softmax_params():
    # beta * scale * 2^26 = 2^26 / 16 = 2^22 exactly -> q = 2^30, shift 23; radius floor(31 * 2^26 / 2^23) = 248
    assert softmax_params(1.0, 1.0 / 16) == (1 << 30, 23, -248)
    # huge beta * scale is capped at 2^31 - 1 (shift 31, only the row maximum survives)
    m, shift, diff_min = softmax_params(1.0, 64.0)
    assert (m, shift, diff_min) == ((1 << 31) - 1, 31, 0)
    with pytest.raises(UnsupportedModelError):
        softmax_params(1e-9, 1e-3)


# ---- bit-exact against TFLite Micro ------------------------------------------------------------

def _convert(fn, specs, ranges, seed=0) -> bytes:
    return int8_tflite(fn, uniform_samples(specs, ranges, 16, seed), specs=specs)


def _set_softmax_beta(data: bytes, beta: float) -> bytes:
    """Rewrite the beta of every SOFTMAX in a converted model (the converter always writes beta = 1)."""
    import tflite
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    out = bytearray(data)
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        if model.OperatorCodes(op.OpcodeIndex()).BuiltinCode() != tflite.BuiltinOperator.SOFTMAX:
            continue
        table = op.BuiltinOptions()
        opts = tflite.SoftmaxOptions()
        opts.Init(table.Bytes, table.Pos)
        field = opts._tab.Offset(4)
        assert field, "SOFTMAX options without a stored beta"
        struct.pack_into("<f", out, opts._tab.Pos + field, beta)
    return bytes(out)


def _simulate(tmp_path, name: str, data: bytes, inputs=None, samples: int = 4, board=None):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    if inputs is None:
        result = api.simulate(str(path), samples=samples, seed=0, references=("tflm",), board=board)
    else:
        result = api.simulate(str(path), inputs=inputs, references=("tflm",), board=board)
    assert result.comparisons and result.comparisons[0].available, result.comparisons
    return result


def _kinds(data: bytes) -> list[str]:
    from mcucompile.frontend.tflite_reader import parse_tflite
    return [op.kind for op in parse_tflite(data).ops]


POOL_CASES = [  # (kind, input HWC, window, strides, padding)
    ("avg", (7, 9, 5), (3, 3), (2, 2), "SAME"),
    ("avg", (8, 8, 3), (2, 2), (2, 2), "VALID"),
    ("avg", (5, 6, 4), (3, 2), (1, 2), "SAME"),
    ("avg", (4, 4, 16), (5, 5), (1, 1), "SAME"),     # windows wider than the input: heavy clipping
    ("avg", (6, 6, 8), (6, 6), (1, 1), "VALID"),     # global pooling, count 36
    ("max", (7, 9, 5), (3, 3), (2, 2), "SAME"),
    ("max", (9, 7, 2), (4, 4), (3, 3), "SAME"),
    ("max", (10, 3, 1), (2, 3), (2, 1), "VALID"),
]


@pytest.mark.parametrize("kind,hwc,window,strides,padding", POOL_CASES,
                         ids=[f"{c[0]}{'x'.join(map(str, c[1]))}_k{c[2][0]}x{c[2][1]}_s{c[3][0]}x{c[3][1]}_{c[4]}"
                              for c in POOL_CASES])
def test_pool_bit_exact(tmp_path, kind, hwc, window, strides, padding):
    tf = need_module("tensorflow")
    pool = tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d
    fn = tf.function(lambda x: pool(x, window, strides, padding))
    data = _convert(fn, [(1, *hwc)], [(-2.0, 3.0)])
    assert _kinds(data) == [{"avg": "AVERAGE_POOL_2D", "max": "MAX_POOL_2D"}[kind]]
    assert _simulate(tmp_path, kind, data).mismatches == 0


AVG_DSP_CASES = [c for c in POOL_CASES if c[0] == "avg"] + [
    ("avg", (15, 17, 6), (15, 17), (1, 1), "VALID"),  # 255 values: the largest window of the int16 lanes
    ("avg", (16, 17, 5), (16, 17), (1, 1), "VALID"),  # 272: over the lanes' bound, channel by channel
]


@pytest.mark.slow
@pytest.mark.parametrize("kind,hwc,window,strides,padding", AVG_DSP_CASES,
                         ids=[f"{'x'.join(map(str, c[1]))}_k{c[2][0]}x{c[2][1]}_s{c[3][0]}x{c[3][1]}_{c[4]}"
                              for c in AVG_DSP_CASES])
def test_avg_pool_dsp_bit_exact(tmp_path, qemu_toolchain, kind, hwc, window, strides, padding):
    """qemu-m4: average pooling 4 channels at a time in int16 lanes (SXTAB16; windows up to 255 values, channel
    tails and larger windows channel by channel), clipped windows, bit-exact."""
    tf = need_module("tensorflow")
    fn = tf.function(lambda x: tf.nn.avg_pool2d(x, window, strides, padding))
    data = _convert(fn, [(1, *hwc)], [(-2.0, 3.0)])
    r = _simulate(tmp_path, "avg_dsp", data, samples=3, board="qemu-m4")
    assert r.mismatches == 0 and r.ok


def test_pool_with_fused_activation_bit_exact(tmp_path):
    tf = need_module("tensorflow")
    fn = tf.function(lambda x: (tf.nn.relu(tf.nn.avg_pool2d(x, 3, 2, "SAME")),
                                tf.nn.relu6(tf.nn.max_pool2d(x, 2, 2, "SAME"))))
    data = _convert(fn, [(1, 7, 7, 4)], [(-8.0, 8.0)])
    assert sorted(_kinds(data)) == ["AVERAGE_POOL_2D", "MAX_POOL_2D"]
    assert _simulate(tmp_path, "pool_act", data).mismatches == 0


ADD_CASES = [  # (shape 1, shape 2, float range 1, float range 2)
    ((1, 4, 5, 3), (1, 4, 5, 3), (-1, 1), (-1, 1)),          # same shapes, similar scales
    ((1, 8, 8, 16), (1, 8, 8, 16), (-6, 6), (-0.5, 0.5)),    # very different scales
    ((1, 4, 5, 3), (3,), (-1, 1), (-4, 4)),                  # per-channel vector
    ((1, 4, 5, 3), (1, 1, 1, 3), (-2, 1), (0, 1)),
    ((1, 4, 5, 3), (1, 4, 1, 3), (-1, 1), (-1, 5)),          # broadcast along W
    ((1, 1, 5, 1), (1, 4, 1, 3), (-1, 1), (-3, 1)),          # both inputs broadcast
    ((2, 3, 4), (3, 1), (-1, 1), (-1, 1)),                   # rank 3 vs rank 2
    ((2, 1, 3, 1, 2, 3), (1, 2, 1, 4, 1, 3), (-1, 1), (-2, 2)),   # 6-D, alternating broadcasts
    ((16,), (1,), (-1, 1), (-10, 10)),                       # scalar-like
]


@pytest.mark.parametrize("s1,s2,r1,r2", ADD_CASES,
                         ids=[f"{'x'.join(map(str, c[0]))}+{'x'.join(map(str, c[1]))}" for c in ADD_CASES])
def test_add_bit_exact(tmp_path, s1, s2, r1, r2):
    tf = need_module("tensorflow")
    fn = tf.function(lambda a, b: a + b)
    data = _convert(fn, [s1, s2], [r1, r2])
    assert _kinds(data) == ["ADD"]
    assert _simulate(tmp_path, "add", data).mismatches == 0


@pytest.mark.parametrize("board", ["qemu-m4", "qemu-m55"])
@pytest.mark.parametrize("s1,s2,r1,r2", ADD_CASES,
                         ids=[f"{'x'.join(map(str, c[0]))}+{'x'.join(map(str, c[1]))}" for c in ADD_CASES])
def test_add_fast_paths_bit_exact(tmp_path, qemu_toolchain, board, s1, s2, r1, r2):
    """Cortex-M55: rows of 4 lanes (mcu_mve_rq_n), the tail predicated, broadcast operands (stride 0)
    duplicated, the inner stride otherwise 1; any other stride takes the one-value loop. Cortex-M4: the
    SMMLAR requantisations (mcu_rqd) from doubled values, strides 1 and 1 or any."""
    tf = need_module("tensorflow")
    fn = tf.function(lambda a, b: a + b)
    data = _convert(fn, [s1, s2], [r1, r2])
    r = _simulate(tmp_path, "add", data, samples=3, board=board)
    assert r.mismatches == 0 and r.ok


def test_add_relu_and_constant_operand_bit_exact(tmp_path):
    tf = need_module("tensorflow")
    const = tf.constant(np.linspace(-1, 1, 8).reshape(1, 1, 1, 8).astype(np.float32))
    fn = tf.function(lambda a, b: tf.nn.relu(a + b) + const)
    data = _convert(fn, [(1, 4, 4, 8), (1, 4, 4, 8)], [(-1, 1), (-2, 2)])
    assert _kinds(data) == ["ADD", "ADD"]
    assert _simulate(tmp_path, "add_relu_const", data).mismatches == 0


def test_add_then_avg_pool_bit_exact(tmp_path):
    # the residual-block tail of pretrainedResnet: ADD feeding AVERAGE_POOL_2D
    tf = need_module("tensorflow")
    fn = tf.function(lambda a, b: tf.nn.avg_pool2d(tf.nn.relu(a + b), 4, 4, "VALID"))
    data = _convert(fn, [(1, 8, 8, 6), (1, 8, 8, 6)], [(-1, 1), (-3, 3)])
    assert _kinds(data) == ["ADD", "AVERAGE_POOL_2D"]
    assert _simulate(tmp_path, "add_pool", data).mismatches == 0


SOFTMAX_CASES = [  # (input shape, float range, betas to patch in besides 1)
    ((1, 2), (-3, 3), (0.5, 7.3)),
    ((1, 10), (-4, 4), (2.0, 0.1)),
    ((1, 12), (-10, 10), (0.5,)),
    ((1, 1000), (-6, 6), (2.0,)),       # (a small beta here makes >= 512 near-equal logits: TFLM aborts)
    ((1, 10), (-0.2, 0.2), ()),         # tiny input scale
    ((1, 10), (-60, 60), ()),           # large input scale: only logits near the maximum survive
    ((1, 10), (-3000, 3000), (2.0,)),   # beta * scale >= 16: multiplier shift 31 (not clamped to 30)
    ((1, 3, 4, 7), (-4, 4), ()),        # many rows
]


@pytest.mark.parametrize("shape,rng,betas", SOFTMAX_CASES,
                         ids=[f"{'x'.join(map(str, c[0]))}_r{c[1][1]}" for c in SOFTMAX_CASES])
def test_softmax_bit_exact(tmp_path, shape, rng, betas):
    tf = need_module("tensorflow")
    fn = tf.function(lambda x: tf.nn.softmax(x))
    data = _convert(fn, [shape], [rng])
    assert _kinds(data) == ["SOFTMAX"]
    assert _simulate(tmp_path, "softmax", data).mismatches == 0
    for beta in betas:
        patched = _set_softmax_beta(data, beta)
        from mcucompile.frontend.tflite_reader import parse_tflite
        assert math.isclose(parse_tflite(patched).ops[0].attrs.beta, beta, rel_tol=1e-6)
        assert _simulate(tmp_path, f"softmax_beta{beta}", patched).mismatches == 0, f"beta {beta}"


def test_softmax_edge_inputs_bit_exact(tmp_path):
    """Ties, constant rows, one-hot rows and the int8 extremes (rare under random inputs)."""
    tf = need_module("tensorflow")
    fn = tf.function(lambda x: tf.nn.softmax(x))
    data = _convert(fn, [(1, 10)], [(-5, 5)])
    rows = [np.full(10, v) for v in (-128, 0, 127)]
    rows += [np.where(np.arange(10) == 3, 127, -128), np.where(np.arange(10) % 2 == 0, 5, -5),
             np.arange(10) * 28 - 128, np.array([127, 127, -128, 0, 1, 2, 126, 125, -1, 127])]
    x = np.stack(rows).astype(np.int8).reshape(len(rows), 1, 10)
    assert _simulate(tmp_path, "softmax_edges", data, inputs=[x]).mismatches == 0
