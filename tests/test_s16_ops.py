"""16x8 quantisation (int16 activations, int8 weights, int64 bias): CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED, TRANSPOSE_CONV, QUANTIZE / DEQUANTIZE with int16 and the data-movement ops (PAD,
CONCATENATION, STRIDED_SLICE, SLICE, TRANSPOSE, PACK, UNPACK, RESHAPE), bit-exact with TFLite Micro.

The models are single ops (or short chains of data movement) converted by TensorFlow with
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 (tests/tfgen.py int16x8_tflite), built once per
module; the shared SEANet conv layer (../shared/models/tflm_examples/seanet_conv0.tflite) runs on the host
and on qemu-m4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from conftest import need_module

from mcucompile import api
from mcucompile.codegen.ops.s16_conv import reduced_multiplier
from mcucompile.frontend.tflite_reader import read_tflite
from mcucompile.ir.quant import quantize_multiplier

SEANET = "tflm_examples/seanet_conv0.tflite"


@dataclass(frozen=True)
class Case:
    id: str
    fn: object
    shape: tuple
    kinds: tuple                   # the op kinds the converter must give (the case tests what it says)
    float_io: bool = False
    act: str | None = None         # the fused activation of the first op, when it matters
    bias32: bool = False           # int32 bias (TFLite Micro's int32-accumulator form) instead of int64


def _w(seed, shape, scale=0.5):
    return np.random.default_rng(seed).normal(0.0, scale, size=shape).astype(np.float32)


def _cases() -> list[Case]:
    import tensorflow as tf

    def conv(stride, pad, dil=1, act=None, seed=0, cin=3, cout=5, k=3):
        w, b = _w(seed, (k, k, cin, cout)), _w(seed + 100, (cout,), 0.3)

        def f(x):
            y = tf.nn.conv2d(x, w, strides=stride, padding=pad, dilations=dil) + b
            return act(y) if act else y
        return f

    def dw(stride, pad, mult=1, dil=1, act=None, seed=0, c=4, k=3):
        w, b = _w(seed, (k, k, c, mult)), _w(seed + 100, (c * mult,), 0.3)

        def f(x):
            y = tf.nn.depthwise_conv2d(x, w, strides=[1, stride, stride, 1], padding=pad,
                                       dilations=[dil, dil]) + b
            return act(y) if act else y
        return f

    def fc(n_in, n_out, act=None, seed=0, batch=1):
        w, b = _w(seed, (n_in, n_out), 0.3), _w(seed + 100, (n_out,), 0.3)

        def f(x):
            y = tf.matmul(tf.reshape(x, (batch, n_in)), w) + b
            return act(y) if act else y
        return f

    def tconv(stride, pad, out_hw, seed=0, cin=4, cout=3, k=3, bias=False):
        w, b = _w(seed, (k, k, cout, cin)), _w(seed + 100, (cout,), 0.3)

        def f(x):
            y = tf.nn.conv2d_transpose(x, w, output_shape=(1, *out_hw, cout), strides=stride, padding=pad)
            return y + b if bias else y
        return f

    def moves(x):
        p = tf.pad(x, [[0, 0], [1, 2], [0, 1], [0, 0]])
        s = p[:, 1:9:2, :, 1:3]
        c = tf.concat([s, p[:, 0:4, :, 0:1]], axis=3)
        t = tf.transpose(c, [0, 2, 1, 3])
        u = tf.unstack(t, axis=1)
        k = tf.stack([u[0], u[3]], axis=2)
        return tf.reshape(k, (1, -1)), tf.slice(t, [0, 1, 1, 0], [1, 3, 2, 2])

    C, D, F = ("CONV_2D",), ("DEPTHWISE_CONV_2D",), ("FULLY_CONNECTED",)
    relu, relu6 = tf.nn.relu, tf.nn.relu6
    return [
        Case("conv_s1_same", conv(1, "SAME"), (1, 7, 6, 3), C, act="NONE"),
        Case("conv_s2_same_relu", conv(2, "SAME", act=relu, seed=1), (1, 9, 8, 3), C, act="RELU"),
        Case("conv_s2_valid_relu6", conv(2, "VALID", act=relu6, seed=2, k=5), (1, 11, 10, 3), C, act="RELU6"),
        Case("conv_dil2_same", conv(1, "SAME", dil=2, seed=3, cin=2, cout=4), (1, 8, 8, 2), C),
        Case("conv_1x1", conv(1, "VALID", seed=4, cin=6, cout=7, k=1), (1, 5, 5, 6), C),
        Case("conv_bias32_s2_relu", conv(2, "SAME", act=relu, seed=6), (1, 9, 8, 3), C, act="RELU", bias32=True),
        Case("conv_float_io", conv(1, "VALID", seed=5), (1, 6, 6, 3), ("QUANTIZE", "CONV_2D", "DEQUANTIZE"),
             float_io=True),
        Case("dw_s1_same", dw(1, "SAME"), (1, 7, 7, 4), D, act="NONE"),
        Case("dw_s2_valid_mult2_relu", dw(2, "VALID", mult=2, act=relu, seed=1), (1, 9, 9, 4), D, act="RELU"),
        Case("dw_dil2_relu6", dw(1, "SAME", dil=2, act=relu6, seed=2, c=3), (1, 8, 8, 3), D, act="RELU6"),
        Case("dw_mult3_s2_same", dw(2, "SAME", mult=3, seed=3, c=2, k=5), (1, 10, 9, 2), D),
        Case("fc", fc(24, 10), (1, 2, 3, 4), ("RESHAPE", "FULLY_CONNECTED")),
        Case("fc_relu", fc(16, 7, act=relu, seed=1), (1, 16), F, act="RELU"),
        Case("fc_bias32", fc(20, 6, seed=3), (1, 20), F, bias32=True),
        Case("fc_relu6_batch2", fc(12, 5, act=relu6, seed=2, batch=2), (2, 12), F, act="RELU6"),
        Case("tconv_s2_same", tconv(2, "SAME", (12, 10)), (1, 6, 5, 4), ("TRANSPOSE_CONV",)),
        Case("tconv_s1_valid", tconv(1, "VALID", (8, 9), seed=1, cin=2, cout=5), (1, 6, 7, 2), ("TRANSPOSE_CONV",)),
        Case("tconv_bias_s2_same", tconv(2, "SAME", (8, 8), seed=3, bias=True), (1, 4, 4, 4), ("TRANSPOSE_CONV",)),
        Case("tconv_s2_valid", tconv(2, "VALID", (11, 9), seed=2, k=3), (1, 5, 4, 4), ("TRANSPOSE_CONV",)),
        Case("data_movement", moves, (1, 8, 8, 4),
             ("PAD", "STRIDED_SLICE", "STRIDED_SLICE", "QUANTIZE", "QUANTIZE", "CONCATENATION", "TRANSPOSE",
              "SLICE", "UNPACK", "QUANTIZE", "QUANTIZE", "PACK", "RESHAPE")),
        Case("data_movement_float_io", moves, (1, 8, 8, 4),
             ("QUANTIZE", "PAD", "STRIDED_SLICE", "STRIDED_SLICE", "QUANTIZE", "QUANTIZE", "CONCATENATION",
              "TRANSPOSE", "SLICE", "UNPACK", "QUANTIZE", "QUANTIZE", "PACK", "RESHAPE", "DEQUANTIZE",
              "DEQUANTIZE"), float_io=True),
    ]


CASE_IDS = ["conv_s1_same", "conv_s2_same_relu", "conv_s2_valid_relu6", "conv_dil2_same", "conv_1x1",
            "conv_bias32_s2_relu", "fc_bias32", "conv_float_io", "dw_s1_same", "dw_s2_valid_mult2_relu",
            "dw_dil2_relu6", "dw_mult3_s2_same", "fc", "fc_relu", "fc_relu6_batch2", "tconv_s2_same",
            "tconv_bias_s2_same", "tconv_s1_valid", "tconv_s2_valid", "data_movement", "data_movement_float_io"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    need_module("tensorflow")
    from tfgen import int16x8_tflite, uniform_samples
    d = tmp_path_factory.mktemp("s16_models")
    cases = {c.id: c for c in _cases()}
    assert sorted(cases) == sorted(CASE_IDS)
    for c in cases.values():
        rep = uniform_samples([c.shape], [(-2.0, 2.0)], 32)
        (d / f"{c.id}.tflite").write_bytes(int16x8_tflite(c.fn, rep, specs=[c.shape], float_io=c.float_io,
                                                          bias32=c.bias32))
    return d, cases


def _exact(r):
    tflm = r.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error      # the oracle really ran
    assert tflm.mismatches == 0, tflm
    assert r.ok, r.as_dict()
    assert any(len(np.unique(o)) > 8 for o in r.outputs)                 # outputs move: a real comparison


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_16x8_bit_exact_vs_tflm(models, case_id):
    d, cases = models
    c = cases[case_id]
    path = d / f"{case_id}.tflite"
    g = read_tflite(path)
    assert tuple(op.kind for op in g.ops) == c.kinds
    first = g.ops[1 if c.float_io else 0]
    if c.act is not None:
        assert first.attrs.activation == c.act
    if first.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"):
        x = g.tensors[first.inputs[2 if first.kind == "TRANSPOSE_CONV" else 0]]
        w = g.tensors[first.inputs[1]]
        assert x.dtype == "int16" and w.dtype == "int8"
        if first.kind != "TRANSPOSE_CONV" or len(first.inputs) > 3:
            assert g.tensors[first.inputs[-1]].dtype == ("int32" if c.bias32 else "int64")
    # the float-io models' random inputs: floats over the calibrated range; the others: random int16 codes
    inputs = None
    if c.float_io:
        inputs = [np.random.default_rng(1).uniform(-2.5, 2.5, (6, *c.shape)).astype(np.float32)]
    r = api.simulate(str(path), inputs=inputs, samples=6, seed=0, references=("tflm",))
    _exact(r)


def test_16x8_chain_on_qemu_m4(models, qemu_toolchain):
    d, _ = models
    for case_id in ("dw_s2_valid_mult2_relu", "conv_bias32_s2_relu", "data_movement_float_io"):
        r = api.simulate(str(d / f"{case_id}.tflite"), samples=2, seed=3, references=("tflm",), board="qemu-m4")
        tflm = r.comparisons[0]
        assert tflm.available and tflm.mismatches == 0, (case_id, tflm)
        assert r.ok


# ---- the shared SEANet conv layer -----------------------------------------------------------------------

def test_seanet_conv_bit_exact_on_host(shared_models):
    path = shared_models / SEANET
    g = api.load(path)
    op, = g.ops
    assert op.kind == "CONV_2D"
    assert [g.tensors[t].dtype for t in op.inputs] == ["int16", "int8", "int64"]
    r = api.simulate(str(path), samples=12, seed=3, references=("tflm", "litert_ref"))
    tflm, litert = r.comparisons
    assert tflm.available and tflm.mismatches == 0, tflm
    assert litert.available and litert.mismatches == 0, litert
    assert r.ok and len(np.unique(r.outputs[0])) > 8
    # the arena counts bytes: int16 input 8 x 166 x 2 and output 2 x 160 x 8, two bytes each
    assert r.arena_bytes == 2 * (8 * 166 * 2 + 2 * 160 * 8)


def test_seanet_conv_on_qemu_m4(shared_models, qemu_toolchain):
    r = api.simulate(str(shared_models / SEANET), samples=2, seed=4, references=("tflm", "litert_ref"),
                     board="qemu-m4")
    tflm, litert = r.comparisons
    assert tflm.available and tflm.mismatches == 0, tflm
    assert litert.available and litert.mismatches == 0, litert
    assert r.ok


def test_seanet_runs_layer_by_layer_under_patch_search(shared_models):
    """Patch stages are int8 (their tile kernels): a 16x8 op is not patchable, so the search finds no stage
    (the model runs layer by layer), never a wrong one; the same conv with int8 tensors would be one."""
    import dataclasses

    from mcucompile.passes.patch_plan import stage_candidates
    from mcucompile.passes.regions import patchable
    g = api.load(shared_models / SEANET)
    assert not patchable(g, g.ops[0]) and stage_candidates(g) == []
    as_int8 = dataclasses.replace(g, tensors=tuple(dataclasses.replace(t, dtype="int8") if t.dtype == "int16"
                                                   else t for t in g.tensors))
    assert patchable(as_int8, as_int8.ops[0])
    # asked to fit below the layer-by-layer peak, the search says why it cannot patch
    from mcucompile.errors import McuCompileError
    from mcucompile.passes.patch_plan import search
    with pytest.raises(McuCompileError, match=r"10,432 B.*16x8 ops \(int16 activations\) run layer by layer only"):
        search(g, sram_limit=4000)


# ---- compile-time arithmetic ----------------------------------------------------------------------------

def test_reduced_multiplier_is_tflites_int64_form():
    """MultiplyByQuantizedMultiplier(int64 x, q, shift) = (x * m + 2^(s-1)) >> s with m = q rounded to 16
    bits (0x7FFF at the top) and s = 15 - shift: checked against the 32-bit multiplier's exact value."""
    for real in (0.0007, 0.3, 0.77, 1.7, 2.0 ** -20):
        q, shift = quantize_multiplier(real)
        m, s = reduced_multiplier(q, shift)
        assert 0 < m <= 0x7FFF and s == 15 - shift
        assert abs(m * 2.0 ** -s - real) <= 2.0 ** (-s - 1) + real * 2.0 ** -30
    assert reduced_multiplier(0x7FFF0000, 0) == (0x7FFF, 15)         # saturates rather than reaching 2^15
    assert reduced_multiplier((1 << 30) + (1 << 15), -3) == ((1 << 14) + 1, 18)


# ---- PADV2 with an int16 constant (built directly: the converter gives a float32 constant, which TFLite
# Micro refuses, as we do) ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [-12345, 301])
def test_int16_padv2_bit_exact_vs_tflm(tmp_path, value):
    from tflite_builder import M, O, T, build
    s = 0.001
    ts = [T((1, 3, 4, 2), "int16", [s], [0], name="x"),
          T((4, 2), "int32", data=np.array([[0, 0], [1, 2], [2, 0], [0, 1]], np.int32), name="pads"),
          T((), "int16", [s], [0], data=np.array(value, np.int16), name="value"),
          T((1, 6, 6, 3), "int16", [s], [0], name="y")]
    path = tmp_path / f"padv2_{value}.tflite"
    path.write_bytes(build(M(ts, [O("PADV2", [0, 1, 2], [3], options=("PadV2Options", {}))], [0], [3])))
    r = api.simulate(str(path), samples=3, seed=1, references=("tflm",))
    _exact(r)
    assert (r.outputs[0][:, 0, 0] == value).all()       # the padding holds the constant


C_REQUANT64 = r"""
#include <stdio.h>
#include "mcu_nn.h"
int main(void) {
    long long x;
    long m, s;
    while (scanf("%lld %ld %ld", &x, &m, &s) == 3) {
        printf("%ld\n", (long)mcu_requant64((int64_t)x, (int32_t)m, (int32_t)s));
    }
    return 0;
}
"""


def test_c_requant64_matches_numpy_twin(tmp_path):
    """mcu_requant64 with the compile-time reduced multiplier = TFLite's int64 MultiplyByQuantizedMultiplier
    (numpy twin, exact integers) over sums in TFLite's range |x| < 2^47 and shifts -31..7."""
    import subprocess

    from mcucompile import FIRMWARE_DIR
    from mcucompile.ir.quant import multiply_by_quantized_multiplier_int64
    rng = np.random.default_rng(0)
    n = 5000
    x = rng.integers(-(1 << 40), 1 << 40, size=n)
    x[:4] = [0, -1, (1 << 47) - 1, -(1 << 47)]
    q = rng.integers(1 << 30, (1 << 31) - 1, size=n)
    q[:3] = [0x7FFF0000, 0x7FFEFFFF, 1 << 30]
    sh = rng.integers(-31, 8, size=n)
    sh[2:4] = [-31, 7]
    red = [reduced_multiplier(int(a), int(b)) for a, b in zip(q, sh)]
    src = tmp_path / "t.c"
    src.write_text(C_REQUANT64)
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fsanitize=undefined",
                    "-fno-sanitize-recover", f"-I{FIRMWARE_DIR}", str(src), "-o", str(exe)], check=True)
    inp = "\n".join(f"{a} {m} {s}" for a, (m, s) in zip(x, red))
    out = subprocess.run([str(exe)], input=inp, capture_output=True, text=True, check=True).stdout
    got = np.array([int(v) for v in out.split()])
    assert np.array_equal(got, multiply_by_quantized_multiplier_int64(x, q, sh))


# ---- no bias: the options' quantized_bias_type picks TFLite Micro's form (built directly) -----------------

@pytest.mark.parametrize("kind,bias_type", [("CONV_2D", 0), ("CONV_2D", 2), ("FULLY_CONNECTED", 2)])
def test_no_bias_form_follows_quantized_bias_type(tmp_path, kind, bias_type):
    """Without a bias TFLite Micro sums in int32 (and requantises with the full multiplier) when the options
    say QuantizedBiasType INT32 (2), else in int64 with the reduced one (FLOAT32 0, INT64 4). Inputs of
    moderate size keep the outputs off saturation, where the two forms differ in the last code of some
    outputs (about 1 in 100 for the conv when this test was written): both are bit-exact here."""
    from tflite_builder import M, O, T, build
    rng = np.random.default_rng(bias_type)
    if kind == "CONV_2D":
        xs, ws, ys = (1, 6, 5, 3), (4, 3, 3, 3), (1, 6, 5, 4)
        opts = ("Conv2DOptions", {"Padding": 0, "StrideH": 1, "StrideW": 1, "DilationHFactor": 1,
                                  "DilationWFactor": 1, "QuantizedBiasType": bias_type})
    else:
        xs, ws, ys = (2, 12), (5, 12), (2, 5)
        opts = ("FullyConnectedOptions", {"QuantizedBiasType": bias_type})
    ts = [T(xs, "int16", [0.0007], [0], name="x"),
          T(ws, "int8", [0.011], [0], rng.integers(-127, 128, ws).astype(np.int8), name="w"),
          T(ys, "int16", [0.0013], [0], name="y")]
    path = tmp_path / f"nobias_{kind}_{bias_type}.tflite"
    path.write_bytes(build(M(ts, [O(kind, [0, 1, -1], [2], options=opts)], [0], [2])))
    g = api.load(path)
    assert g.ops[0].attrs.int32_bias == (bias_type == 2)
    x = np.random.default_rng(5).integers(-400, 400, (8, *xs)).astype(np.int16)
    r = api.simulate(str(path), inputs=[x], references=("tflm",))
    _exact(r)


# ---- built directly: int8 <-> int16 QUANTIZE, per-channel 16x8 FULLY_CONNECTED ---------------------------

def test_int8_int16_requantise_chain_bit_exact_vs_tflm(tmp_path):
    """int8 -> QUANTIZE -> int16 -> QUANTIZE -> int8, both results model outputs (reference_ops::Requantize
    both ways, saturating: the int16 scale is fine enough that large int8 codes overflow it)."""
    from tflite_builder import M, O, T, build
    ts = [T((2, 50), "int8", [0.05], [3], name="x"),
          T((2, 50), "int16", [0.0001], [0], name="y16"),
          T((2, 50), "int8", [0.03], [-2], name="y8")]
    path = tmp_path / "requant_chain.tflite"
    path.write_bytes(build(M(ts, [O("QUANTIZE", [0], [1], options=("QuantizeOptions", {})),
                                  O("QUANTIZE", [1], [2], options=("QuantizeOptions", {}))], [0], [1, 2])))
    g = api.load(path)
    assert [op.kind for op in g.ops] == ["QUANTIZE", "QUANTIZE"]
    r = api.simulate(str(path), samples=4, seed=3, references=("tflm",))
    _exact(r)
    y16 = r.outputs[0]
    assert (np.abs(y16) == 32767).any() and (np.abs(y16) < 32767).any()      # saturated and not


def test_per_channel_fully_connected_16x8_bit_exact_vs_tflm(tmp_path):
    from tflite_builder import M, O, T, build
    rng = np.random.default_rng(4)
    scales = list(rng.uniform(0.002, 0.02, 6))
    ts = [T((3, 10), "int16", [0.0005], [0], name="x"),
          T((6, 10), "int8", scales, [0] * 6, rng.integers(-127, 128, (6, 10)).astype(np.int8), name="w"),
          T((6,), "int64", [0.0005 * s for s in scales], [0] * 6,
            rng.integers(-(1 << 20), 1 << 20, 6).astype(np.int64), name="b"),
          T((3, 6), "int16", [0.0004], [0], name="y")]
    path = tmp_path / "fc_per_channel.tflite"
    path.write_bytes(build(M(ts, [O("FULLY_CONNECTED", [0, 1, 2], [3])], [0], [3])))
    g = api.load(path)
    assert g.tensors[g.ops[0].inputs[1]].quant.per_channel
    x = np.random.default_rng(6).integers(-2000, 2000, (6, 3, 10)).astype(np.int16)
    r = api.simulate(str(path), inputs=[x], references=("tflm",))
    _exact(r)
