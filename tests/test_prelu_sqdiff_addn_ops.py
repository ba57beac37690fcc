"""PRELU, SQUARED_DIFFERENCE and ADD_N (int8), bit-exact with TFLite Micro (and LiteRT where it agrees).

ADD_N has no int8 kernel in LiteRT ("AddN only supports FLOAT32|INT32"), so its oracle is TFLite Micro
alone. Converter-made models (PReLU from a tf.function with a constant alpha, tf.math.squared_difference,
tf.math.add_n) and hand-built ones for the quantisations the converter does not make (per-element alpha
broadcast over a batch, extreme zero points, every int8 code pair).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.arith_more import lower_add_n, lower_prelu
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import Graph, NoAttrs, Op, Quant, Tensor


def _run(tmp_path, name, data, inputs=None, samples=3, refs=("tflm", "litert_ref"), board=None):
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


def _convert(fn, specs, ranges, seed=0):
    return int8_tflite(fn, uniform_samples(specs, ranges, 16, seed), specs=specs)


# ---- PRELU ---------------------------------------------------------------------------------------

def _keras_prelu(tf, shape, shared_axes, seed=1):
    """A keras PReLU layer (the converter makes PRELU from it; a hand-written max/min form stays float)."""
    alpha_shape = tuple(1 if d + 1 in (shared_axes or ()) else n for d, n in enumerate(shape))
    alpha = np.random.default_rng(seed).uniform(-0.5, 0.8, alpha_shape).astype(np.float32)
    inp = tf.keras.Input(shape, batch_size=1)
    layer = tf.keras.layers.PReLU(alpha_initializer=tf.constant_initializer(alpha), shared_axes=shared_axes)
    return inp, layer(inp)


@pytest.mark.parametrize("shared_axes", [[1, 2], None, [1]], ids=["per_channel", "per_element", "per_wc"])
def test_prelu_converted_bit_exact(tmp_path, shared_axes):
    tf = need_module("tensorflow")
    inp, out = _keras_prelu(tf, (4, 5, 8), shared_axes)
    data = int8_tflite(tf.keras.Model(inp, out), uniform_samples([(1, 4, 5, 8)], [(-3, 2)], 16, 0))
    assert _kinds(data) == ["PRELU"], _kinds(data)
    _run(tmp_path, "prelu_tf", data)


def _prelu_model(x_shape, a_shape, qx, qa, qy, alpha_codes):
    ts = [T(x_shape, "int8", [qx[0]], [qx[1]], name="x"),
          T(a_shape, "int8", [qa[0]], [qa[1]], data=np.asarray(alpha_codes, np.int8).reshape(a_shape), name="a"),
          T(x_shape, "int8", [qy[0]], [qy[1]], name="y")]
    return build(M(ts, [O("PRELU", [0, 1], [2])], [0], [2]))


@pytest.mark.parametrize("qx,qa,qy", [((0.05, 0), (0.01, 0), (0.04, -10)), ((0.02, -128), (0.004, 127), (0.03, 127)),
                                      ((0.1, 127), (0.02, -50), (0.05, -128))])
def test_prelu_hand_built_every_code(tmp_path, qx, qa, qy):
    """Every input code against 4 alpha codes (extreme ones included) broadcast over the rows."""
    codes = np.arange(-128, 128, dtype=np.int8).reshape(1, 256, 1)
    data = _prelu_model((1, 256, 4), (4,), qx, qa, qy, [-128, -7, 60, 127])
    _run(tmp_path, "prelu_q", data, inputs=[np.repeat(codes, 4, axis=2)[None]], samples=1)


def test_prelu_refuses_an_output_that_is_not_the_broadcast():
    ts = (Tensor(0, "x", (1, 4), "int8", Quant((0.1,), (0,))), Tensor(1, "a", (1, 1), "int8", Quant((0.01,), (0,))),
          Tensor(2, "y", (2, 4), "int8", Quant((0.1,), (0,))))
    op = Op(2, "PRELU", (0, 1), (2,), NoAttrs())
    with pytest.raises(UnsupportedModelError, match=r"^PRELU \(op 2\): output shape \(2, 4\) is not the broadcast of "
                                                    r"the input \(1, 4\) and alpha \(1, 1\)"):
        lower_prelu(LowerCtx(Graph("g", ts, (op,), (0,), (2,))), op)


# ---- SQUARED_DIFFERENCE ----------------------------------------------------------------------------

SQD_CASES = [((1, 4, 5, 3), (1, 4, 5, 3), (-1, 1), (-2, 3)), ((1, 4, 5, 3), (1, 1, 1, 3), (-1, 1), (0, 3)),
             ((2, 3, 4), (3, 1), (-4, 4), (-1, 1))]


@pytest.mark.parametrize("s1,s2,r1,r2", SQD_CASES, ids=["same", "per_channel", "rank3_rank2"])
def test_squared_difference_converted_bit_exact(tmp_path, s1, s2, r1, r2):
    tf = need_module("tensorflow")
    data = _convert(lambda a, b: tf.math.squared_difference(a, b), [s1, s2], [r1, r2])
    assert _kinds(data) == ["SQUARED_DIFFERENCE"], _kinds(data)
    _run(tmp_path, "sqd_tf", data)


@pytest.mark.parametrize("q1,q2,qy", [((0.05, 0), (0.03, -20), (0.1, -128)), ((0.02, -128), (0.02, 127), (0.3, -128)),
                                      ((0.01, 5), (0.04, 0), (0.001, -100))])
def test_squared_difference_every_code_pair(tmp_path, q1, q2, qy):
    ts = [T((256, 1), "int8", [q1[0]], [q1[1]], name="a"), T((1, 256), "int8", [q2[0]], [q2[1]], name="b"),
          T((256, 256), "int8", [qy[0]], [qy[1]], name="y")]
    data = build(M(ts, [O("SQUARED_DIFFERENCE", [0, 1], [2])], [0, 1], [2]))
    codes = np.arange(-128, 128, dtype=np.int8)
    _run(tmp_path, "sqd_q", data, inputs=[codes.reshape(1, 256, 1), codes.reshape(1, 1, 256)], samples=1)


# ---- ADD_N -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n,q_in,q_out", [(2, (0.05, 3), (0.1, -7)), (5, (0.01, -100), (0.02, 30)),
                                         (8, (0.1, 90), (0.04, 0))])
def test_add_n_hand_built_random(tmp_path, n, q_in, q_out):
    """(The converter keeps ADD_N in float between DEQUANTIZE/QUANTIZE, so ADD_N models are hand-built.)"""
    ts = [T((2, 3, 16), "int8", [q_in[0]], [q_in[1]], name=f"x{k}") for k in range(n)]
    ts.append(T((2, 3, 16), "int8", [q_out[0]], [q_out[1]], name="y"))
    data = build(M(ts, [O("ADD_N", list(range(n)), [n])], list(range(n)), [n]))
    _run(tmp_path, f"add_n{n}", data, samples=4, refs=("tflm",))


@pytest.mark.parametrize("zp", [-128, 0, 127])
def test_add_n_hand_built_extreme_codes(tmp_path, zp):
    n = 3
    ts = [T((1, 256), "int8", [0.02], [zp], name=f"x{k}") for k in range(n)] + [T((1, 256), "int8", [0.05], [-3])]
    data = build(M(ts, [O("ADD_N", list(range(n)), [n])], list(range(n)), [n]))
    codes = np.arange(-128, 128, dtype=np.int8).reshape(1, 1, 256)
    _run(tmp_path, "add_n_q", data, inputs=[codes, codes[:, :, ::-1].copy(), np.roll(codes, 7, axis=2)], samples=1,
         refs=("tflm",))


def _add_n_graph(n, q_second=(0.02, 0)):
    ts = [Tensor(0, "x0", (1, 8), "int8", Quant((0.02,), (0,))),
          Tensor(1, "x1", (1, 8), "int8", Quant((q_second[0],), (q_second[1],)))]
    ts += [Tensor(k, f"x{k}", (1, 8), "int8", Quant((0.02,), (0,))) for k in range(2, n)]
    ts += [Tensor(n, "y", (1, 8), "int8", Quant((0.05,), (0,)))]
    op = Op(6, "ADD_N", tuple(range(n)), (n,), NoAttrs())
    return Graph("g", tuple(ts), (op,), tuple(range(n)), (n,)), op


def test_add_n_refusals():
    g, op = _add_n_graph(9)
    with pytest.raises(UnsupportedModelError, match=r"^ADD_N \(op 6\): 9 inputs; 2 to 8 are supported"):
        lower_add_n(LowerCtx(g), op)
    g, op = _add_n_graph(2, (0.03, 0))
    with pytest.raises(UnsupportedModelError, match=r"^ADD_N \(op 6\): input 'x1' is quantised with scale 0.03 "
                                                    r"zero point 0, input 'x0' with scale 0.02 zero point 0; "
                                                    r"TFLite Micro needs one quantisation on every input"):
        lower_add_n(LowerCtx(g), op)
    g, op = _add_n_graph(2)
    g = Graph("g", g.tensors[:2] + (Tensor(2, "y", (2, 8), "int8", Quant((0.05,), (0,))),), g.ops, g.inputs, g.outputs)
    with pytest.raises(UnsupportedModelError, match=r"^ADD_N \(op 6\): input 'x0' has shape \(1, 8\), the output "
                                                    r"\(2, 8\); TFLite Micro needs every input of the output's shape"):
        lower_add_n(LowerCtx(g), op)
    g, op = _add_n_graph(2)
    g = Graph("g", g.tensors[:2] + (Tensor(2, "y", (1, 8), "int8", Quant((1e-9,), (0,))),), g.ops, g.inputs, g.outputs)
    with pytest.raises(UnsupportedModelError, match=r"^ADD_N \(op 6\): output scale 1e-09 is too small for the "
                                                    r"input scale 0.02 \(TFLite's output multiplier must be below 1\)"):
        lower_add_n(LowerCtx(g), op)


def test_prelu_sqdiff_addn_on_qemu_m4(tmp_path, qemu_toolchain):
    """x -> PRELU (per-channel alpha) -> SQUARED_DIFFERENCE with x -> ADD_N with x and the PRELU output."""
    ts = [T((1, 4, 4, 6), "int8", [0.03], [5], name="x"),
          T((6,), "int8", [0.01], [0], data=np.array([-40, -5, 0, 12, 50, 127], np.int8), name="alpha"),
          T((1, 4, 4, 6), "int8", [0.03], [5], name="p"),
          T((1, 4, 4, 6), "int8", [0.03], [5], name="d"),
          T((1, 4, 4, 6), "int8", [0.08], [-20], name="y")]
    ops = [O("PRELU", [0, 1], [2]), O("SQUARED_DIFFERENCE", [0, 2], [3]), O("ADD_N", [0, 2, 3], [4])]
    data = build(M(ts, ops, [0], [4]))
    _run(tmp_path, "arith_m4", data, samples=2, board="qemu-m4", refs=("tflm",))
