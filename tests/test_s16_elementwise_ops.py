"""16x8 quantisation (int16 activations, zero point 0) of ADD, SUB, MUL, AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX,
LOGISTIC, TANH, LEAKY_RELU, RELU and RELU6: single-op models made with TensorFlow's 16x8 converter (int16
model inputs and outputs, no QUANTIZE) or with tests/tflite_builder.py where the test needs exact scales,
compiled to C, built on the host with sanitizers and compared bit-exactly with TFLite Micro
(mcucompile.api.simulate); one chained model on qemu-m4. The unary ops see every int16 input value."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from test_pool_add_softmax_ops import _set_softmax_beta
from tflite_builder import M, O, T, build

from mcucompile.codegen.ops.s16 import sigmoid_s16_params, softmax_s16_tables
from mcucompile.errors import UnsupportedModelError

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


def int16x8_tflite(fn, specs, ranges, seed: int = 0) -> bytes:
    """TensorFlow's 16x8 conversion (int16 activations, int8 weights) with int16 model inputs and outputs."""
    tf = need_module("tensorflow")
    cf = fn.get_concrete_function(*[tf.TensorSpec(s, tf.float32) for s in specs])
    conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], fn)
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(16):
            yield [rng.uniform(lo, hi, size=s).astype(np.float32) for s, (lo, hi) in zip(specs, ranges)]

    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    conv.inference_input_type = tf.int16
    conv.inference_output_type = tf.int16
    return conv.convert()


def _kinds(data: bytes) -> list[str]:
    from mcucompile.frontend.tflite_reader import parse_tflite
    return [op.kind for op in parse_tflite(data).ops]


def _dtypes(data: bytes) -> set[str]:
    from mcucompile.frontend.tflite_reader import parse_tflite
    g = parse_tflite(data)
    return {g.tensors[t].dtype for t in (*g.inputs, *g.outputs)}


def _simulate(tmp_path, name: str, data: bytes, inputs=None, samples: int = 4, board=None):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    if inputs is None:
        r = api.simulate(str(path), samples=samples, seed=0, references=("tflm",), board=board)
    else:
        r = api.simulate(str(path), inputs=inputs, references=("tflm",), board=board)
    assert r.comparisons and r.comparisons[0].available, r.comparisons
    return r


# ---- compile-time arithmetic (no TensorFlow) -----------------------------------------------------------

def test_sigmoid_s16_params_special_cases():
    # 2^-12: the power-of-two case of both (TFLite's multiplier 0 -> 3 << 0, shift 0)
    assert sigmoid_s16_params(2.0 ** -12, tanh=False) == (3, 0)
    assert sigmoid_s16_params(2.0 ** -12, tanh=True) == (3, 0)
    # 2^-11: a power-of-two case for TANH only (3 << 1); LOGISTIC takes the general path
    assert sigmoid_s16_params(2.0 ** -11, tanh=True) == (6, 0)
    assert sigmoid_s16_params(2.0 ** -11, tanh=False) == (24576, 12)     # 6 doubled 12 times
    # general: 3 * 4096 * scale doubled until above 16383.5, truncated
    m, s = sigmoid_s16_params(1e-4, tanh=False)
    assert 16383.5 < m <= 32767 and m == int(1e-4 * 4096 * 3 * 2 ** s)


def test_softmax_s16_tables_shape():
    exp_lut, inv_lut = softmax_s16_tables()
    assert exp_lut.shape == inv_lut.shape == (513,) and exp_lut.dtype == np.int16
    # exp(0) and 1 / (1 + 0) are 1.0 at the output scale 2 / 65535 ... clamped to int16
    assert exp_lut[-1] == 32767 and inv_lut[0] == 32767
    assert np.all(np.diff(exp_lut.astype(np.int32)) >= 0) and np.all(np.diff(inv_lut.astype(np.int32)) <= 0)


# ---- ADD, SUB, MUL with broadcasting --------------------------------------------------------------------

BINARY_CASES = [  # (op, shape 1, shape 2, float range 1, float range 2)
    ("add", (1, 4, 5, 3), (1, 4, 5, 3), (-1, 1), (-1, 1)),
    ("add", (1, 4, 5, 3), (3,), (-6, 6), (-0.5, 0.5)),
    ("add", (1, 1, 5, 1), (1, 4, 1, 3), (-1, 1), (-3, 1)),
    ("sub", (1, 4, 5, 3), (1, 4, 1, 3), (-1, 1), (-4, 4)),
    ("sub", (2, 3, 4), (3, 1), (-8, 8), (-1, 1)),
    ("mul", (1, 4, 5, 3), (1, 4, 1, 3), (-1, 1), (-4, 4)),
    ("mul", (2, 1, 3, 1, 2, 3), (1, 2, 1, 4, 1, 3), (-3, 3), (-2, 2)),
    ("mul", (16,), (1,), (-10, 10), (-0.2, 0.2)),
]
_OPS = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b}


@pytest.mark.parametrize("kind,s1,s2,r1,r2", BINARY_CASES,
                         ids=[f"{c[0]}_{'x'.join(map(str, c[1]))}_{'x'.join(map(str, c[2]))}" for c in BINARY_CASES])
def test_binary_s16_bit_exact(tmp_path, kind, s1, s2, r1, r2):
    tf = need_module("tensorflow")
    data = int16x8_tflite(tf.function(_OPS[kind]), [s1, s2], [r1, r2])
    assert _kinds(data) == [kind.upper()] and _dtypes(data) == {"int16"}
    r = _simulate(tmp_path, kind, data)
    assert r.mismatches == 0 and r.ok


def test_binary_s16_fused_relu_and_constant_operand_bit_exact(tmp_path):
    tf = need_module("tensorflow")
    const = tf.constant(np.linspace(-1, 1, 8).reshape(1, 1, 1, 8).astype(np.float32))
    fn = tf.function(lambda a, b: (tf.nn.relu(a + b), tf.nn.relu(a * b), a - const))
    data = int16x8_tflite(fn, [(1, 4, 4, 8), (1, 4, 4, 8)], [(-1, 1), (-2, 2)])
    assert sorted(_kinds(data)) == ["ADD", "MUL", "SUB"]
    assert _simulate(tmp_path, "binary_relu", data).mismatches == 0


# ---- pooling --------------------------------------------------------------------------------------------

POOL_CASES = [  # (kind, input HWC, window, strides, padding)
    ("avg", (7, 9, 5), (3, 3), (2, 2), "SAME"),
    ("avg", (8, 8, 3), (2, 2), (2, 2), "VALID"),
    ("avg", (4, 4, 6), (5, 5), (1, 1), "SAME"),      # windows wider than the input: heavy clipping
    ("avg", (6, 6, 4), (6, 6), (1, 1), "VALID"),     # global pooling
    ("max", (7, 9, 5), (3, 3), (2, 2), "SAME"),
    ("max", (10, 3, 2), (2, 3), (2, 1), "VALID"),
]


@pytest.mark.parametrize("kind,hwc,window,strides,padding", POOL_CASES,
                         ids=[f"{c[0]}{'x'.join(map(str, c[1]))}_k{c[2][0]}x{c[2][1]}_s{c[3][0]}x{c[3][1]}_{c[4]}"
                              for c in POOL_CASES])
def test_pool_s16_bit_exact(tmp_path, kind, hwc, window, strides, padding):
    tf = need_module("tensorflow")
    pool = tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d
    data = int16x8_tflite(tf.function(lambda x: pool(x, window, strides, padding)), [(1, *hwc)], [(-2.0, 3.0)])
    assert _kinds(data) == [{"avg": "AVERAGE_POOL_2D", "max": "MAX_POOL_2D"}[kind]] and _dtypes(data) == {"int16"}
    assert _simulate(tmp_path, kind, data).mismatches == 0


def test_pool_s16_fused_activation_bit_exact(tmp_path):
    tf = need_module("tensorflow")
    fn = tf.function(lambda x: (tf.nn.relu(tf.nn.avg_pool2d(x, 3, 2, "SAME")),
                                tf.nn.relu6(tf.nn.max_pool2d(x, 2, 2, "SAME"))))
    data = int16x8_tflite(fn, [(1, 7, 7, 4)], [(-8.0, 8.0)])
    assert sorted(_kinds(data)) == ["AVERAGE_POOL_2D", "MAX_POOL_2D"]
    assert _simulate(tmp_path, "pool_act", data).mismatches == 0


# ---- SOFTMAX --------------------------------------------------------------------------------------------

SOFTMAX_CASES = [  # (input shape, float range, betas to patch in besides 1)
    ((1, 2), (-3, 3), (0.5,)),
    ((1, 10), (-4, 4), (2.0, 0.1)),
    ((1, 3, 4, 7), (-1, 1), ()),
    ((1, 100), (-30, 30), (1.7,)),
]


@pytest.mark.parametrize("shape,rng,betas", SOFTMAX_CASES,
                         ids=[f"{'x'.join(map(str, c[0]))}_r{c[1][1]}" for c in SOFTMAX_CASES])
def test_softmax_s16_bit_exact(tmp_path, shape, rng, betas):
    tf = need_module("tensorflow")
    data = int16x8_tflite(tf.function(lambda x: tf.nn.softmax(x)), [shape], [rng])
    assert _kinds(data) == ["SOFTMAX"] and _dtypes(data) == {"int16"}
    assert _simulate(tmp_path, "softmax", data).mismatches == 0
    for beta in betas:
        assert _simulate(tmp_path, f"softmax_beta{beta}", _set_softmax_beta(data, beta)).mismatches == 0, beta


def test_softmax_s16_scales_and_edge_rows_bit_exact(tmp_path):
    """Input scales from tiny to a multiplier shift of 12, betas below and above 1, on rows that random inputs
    rarely give: ties, constant rows, one-hot rows, the int16 extremes."""
    depth = 16
    rows = np.array([np.full(depth, v) for v in (-32768, 0, 32767)]
                    + [np.where(np.arange(depth) == k, 32767, -32768) for k in (0, 7, 15)]
                    + [np.where(np.arange(depth) < 3, 100, -100), np.arange(depth) * 2000 - 16000,
                       np.arange(depth) * -4369 + 32767, np.tile([32767, 32766], depth // 2)]
                    + list(np.random.default_rng(1).integers(-32768, 32768, size=(6, depth))), dtype=np.int16)
    cases = [(3.0e-6, 1.0), (1.2e-4, 1.0), (1.2e-4, 0.3), (9.2e-4, 2.5), (0.05, 1.0), (0.5, 1.2)]
    tensors, ops = [], []
    for scale, beta in cases:
        k = len(tensors)
        tensors += [T(rows.shape, "int16", [scale], [0]), T(rows.shape, "int16", [2.0 ** -15], [0])]
        ops.append(O("SOFTMAX", [k], [k + 1], options=("SoftmaxOptions", {"Beta": beta})))
    data = build(M(tensors=tensors, ops=ops, inputs=list(range(0, len(tensors), 2)),
                   outputs=list(range(1, len(tensors), 2))))
    r = _simulate(tmp_path, "softmax_edges", data, inputs=[rows[None] for _ in cases])
    assert r.mismatches == 0 and r.ok


# ---- LOGISTIC, TANH, LEAKY_RELU: every int16 input --------------------------------------------------------

def _unary_model(ops: list[tuple[str, float, float, tuple | None]]) -> bytes:
    """One int16 [65536] input per op (its scale), each through its own op to an int16 output."""
    n = ALL_INT16.size
    tensors, model_ops = [], []
    for kind, in_scale, out_scale, options in ops:
        k = len(tensors)
        tensors += [T((1, n), "int16", [in_scale], [0]), T((1, n), "int16", [out_scale], [0])]
        model_ops.append(O(kind, [k], [k + 1], options=options))
    return build(M(tensors=tensors, ops=model_ops, inputs=list(range(0, len(tensors), 2)),
                   outputs=list(range(1, len(tensors), 2))))


def _exhaustive(count: int) -> list[np.ndarray]:
    return [ALL_INT16[None, None] for _ in range(count)]


SIGMOID_SCALES = [
    2.0 ** -12,                 # power of two: v = 3x (both ops)
    2.0 ** -11,                 # power of two: v = 6x for TANH; the general path for LOGISTIC
    2.0 ** -12 * 1.0004,        # within CheckedLog2's 1e-3 of 2^-12: treated as the power of two
    1.8304146942682564e-4,      # what the converter picks for inputs in [-6, 6]
    3.1e-6,                     # small scale: large shift
    1.9,                        # large scale: multiplier 23347, shift 0 (saturates almost everywhere)
]


def test_logistic_tanh_s16_every_input_bit_exact(tmp_path):
    ops = [(kind, s, 2.0 ** -15, None) for kind in ("LOGISTIC", "TANH") for s in SIGMOID_SCALES]
    data = _unary_model(ops)
    r = _simulate(tmp_path, "sigmoid_s16", data, inputs=_exhaustive(len(ops)))
    assert r.mismatches == 0 and r.ok


def test_leaky_relu_s16_every_input_bit_exact(tmp_path):
    ops = [("LEAKY_RELU", 1.83e-4, 1.83e-4, ("LeakyReluOptions", {"Alpha": 0.3})),        # alpha < 1
           ("LEAKY_RELU", 1.83e-4, 3.1e-4, ("LeakyReluOptions", {"Alpha": 1.7})),         # alpha > 1
           ("LEAKY_RELU", 2.0e-4, 1.2e-4, ("LeakyReluOptions", {"Alpha": -0.5})),         # negative alpha
           ("LEAKY_RELU", 1.0e-3, 1.0e-4, ("LeakyReluOptions", {"Alpha": 0.01}))]         # saturating identity
    r = _simulate(tmp_path, "leaky_s16", _unary_model(ops), inputs=_exhaustive(len(ops)))
    assert r.mismatches == 0 and r.ok


def test_relu_relu6_s16_every_input_bit_exact(tmp_path):
    ops = [("RELU", 1.83e-4, 1.83e-4, None), ("RELU", 3.1e-4, 1.2e-4, None),      # rescaled, saturating
           ("RELU", 1.1e-4, 2.9e-4, None),
           ("RELU6", 2.5e-4, 1.83e-4, None),       # six = 24000: the output scale is not used (TFLite Micro)
           ("RELU6", 1.0e-4, 1.0e-4, None)]        # six above int16: clamped to 32767
    r = _simulate(tmp_path, "relu_s16", _unary_model(ops), inputs=_exhaustive(len(ops)))
    assert r.mismatches == 0 and r.ok


def test_converted_unary_s16_bit_exact(tmp_path):
    tf = need_module("tensorflow")
    fn = tf.function(lambda x: (tf.math.sigmoid(x), tf.math.tanh(x), tf.nn.leaky_relu(x, 0.2), tf.nn.relu(x),
                                tf.nn.relu6(x)))
    data = int16x8_tflite(fn, [(1, 64)], [(-8, 8)])
    assert sorted(_kinds(data)) == ["LEAKY_RELU", "LOGISTIC", "RELU", "RELU6", "TANH"] and _dtypes(data) == {"int16"}
    assert _simulate(tmp_path, "unary_conv", data, samples=8).mismatches == 0


# ---- on the target ------------------------------------------------------------------------------------

def test_s16_chain_on_qemu_m4(tmp_path, qemu_toolchain):
    """Every 16x8 kernel of this family in one model, cross-built and run under qemu-m4."""
    tf = need_module("tensorflow")

    def chain(a, b):
        x = tf.nn.relu6(tf.math.sigmoid(a)) * b + b
        x = tf.nn.max_pool2d(x, 2, 2, "SAME") - tf.nn.avg_pool2d(x, 2, 2, "SAME")
        return tf.nn.softmax(tf.nn.relu(tf.math.tanh(tf.nn.leaky_relu(x, 0.3))))

    data = int16x8_tflite(tf.function(chain), [(1, 6, 6, 4), (1, 6, 6, 4)], [(-4, 4), (-2, 2)])
    assert set(_kinds(data)) == {"LOGISTIC", "RELU6", "MUL", "ADD", "MAX_POOL_2D", "AVERAGE_POOL_2D", "SUB",
                                 "LEAKY_RELU", "TANH", "RELU", "SOFTMAX"}
    r = _simulate(tmp_path, "chain_s16", data, samples=3, board="qemu-m4")
    assert r.mismatches == 0 and r.ok


# ---- refusals ------------------------------------------------------------------------------------------

def _compile(data: bytes):
    from mcucompile.codegen.generate import compile_graph
    from mcucompile.frontend.tflite_reader import parse_tflite
    return compile_graph(parse_tflite(data))


def _one(kind, ins: list[T], out: T, options=None) -> bytes:
    return build(M(tensors=[*ins, out], ops=[O(kind, list(range(len(ins))), [len(ins)], options=options)],
                   inputs=list(range(len(ins))), outputs=[len(ins)]))


def test_s16_refusals():
    cases = [
        (_one("ADD", [T((1, 8), "int16", [1e-4], [3]), T((1, 8), "int16", [1e-4], [0])],
              T((1, 8), "int16", [2e-4], [0])), "int16 activations must be symmetric (zero point 0)"),
        (_one("MUL", [T((1, 8), "int16", [1e-4], [0]), T((1, 8), "int16", [1e-4], [0])],
              T((1, 8), "int8", [2e-4], [0])), "every input and output must be int16"),
        (_one("SOFTMAX", [T((1, 8), "int16", [1e-4], [0])], T((1, 8), "int16", [1e-4], [0]),
              ("SoftmaxOptions", {"Beta": 1.0})), "the output scale must be 1/32768"),
        (_one("SOFTMAX", [T((1, 8), "int16", [50.0], [0])], T((1, 8), "int16", [2.0 ** -15], [0]),
              ("SoftmaxOptions", {"Beta": 1.0})), "is too large (multiplier shift"),
        (_one("LOGISTIC", [T((1, 8), "int16", [1e-4], [0])], T((1, 8), "int16", [1.0 / 256], [0])),
         "the output scale must be 2^-15"),
        (_one("TANH", [T((1, 8), "int16", [4.0], [0])], T((1, 8), "int16", [2.0 ** -15], [0])),
         "is outside the range TFLite Micro's int16"),
    ]
    for data, text in cases:
        with pytest.raises(UnsupportedModelError, match=r"\(op 0\)") as e:
            _compile(data)
        assert text in str(e.value), (text, str(e.value))
