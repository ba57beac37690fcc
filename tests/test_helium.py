"""The Helium (Cortex-M55, MVE) variants with compile-time folded constants (firmware/mcu_nn_helium.h),
bit-exact with TFLite Micro under qemu-m55 (mps3-an547) on single-op int8 models made with TensorFlow.

mcu_fully_connected_s8_mve (firmware/mcu_fc_mve.c): the bias plus the input offset times each row's weight
sum folded into one int32 per output by the codegen (mcucompile/codegen/ops/fc.py, kernel_sums); the kernel
adds the plain dot products, 4 rows x 16 inputs per VMLADAVA step. Edges: depths below 16, exactly 16, 16k + 1
and 16k + 15 (the predicated tail), output counts 1, 5 and 17 (a pass of 1..3 rows repeating the last), the
input zero point at both ends of int8, no bias, ReLU6, huge weights (large multipliers, left shifts).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module, need_tools
from tfgen import int8_tflite, uniform_samples

# (id, input features, units, data range, weight scale, activation, bias)
FC_CASES = [
    ("fc_d7_u5", 7, 5, (-1.0, 3.0), 1.0, None, True),
    ("fc_d16_u17_zp_min", 16, 17, (0.5, 4.0), 1.0, None, True),
    ("fc_d33_u1_zp_max_relu6", 33, 1, (-5.0, -1.0), 1.0, "relu6", True),
    ("fc_d47_u6_big_no_bias", 47, 6, (-1.0, 3.0), 1e3, None, False),
    ("fc_d100_u12_relu", 100, 12, (-2.0, 2.0), 1.0, "relu", True),
]


def _dense_model(depth, units, data_range, weight_scale, act, use_bias, seed=0) -> bytes:
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=(depth,), batch_size=1)
    layer = keras.layers.Dense(units, activation=act, use_bias=use_bias)
    model = keras.Model(inp, layer(inp))
    w = layer.get_weights()
    w[0] = w[0] * weight_scale
    if use_bias:
        w[1] = np.linspace(-0.5, 0.5, units).astype(np.float32)
    layer.set_weights(w)
    return int8_tflite(model, uniform_samples([(1, depth)], [data_range], 16, seed))


@pytest.fixture(scope="module")
def fc_models(tmp_path_factory):
    need_module("tensorflow")
    d = tmp_path_factory.mktemp("helium_fc")
    for cid, *args in FC_CASES:
        (d / f"{cid}.tflite").write_bytes(_dense_model(*args))
    return d


def _run_m55(path):
    from mcucompile import api

    r = api.simulate(str(path), samples=3, seed=0, board="qemu-m55", references=("tflm",))
    tflm = r.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error
    assert tflm.mismatches == 0, f"{path.stem} on qemu-m55: {tflm.mismatches} mismatches"
    assert r.ok
    return r


@pytest.mark.parametrize("case", FC_CASES, ids=lambda c: c[0])
def test_fc_mve_bit_exact_on_m55(fc_models, case):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    from mcucompile.frontend.tflite_reader import read_tflite

    path = fc_models / f"{case[0]}.tflite"
    assert [op.kind for op in read_tflite(path).ops] == ["FULLY_CONNECTED"]
    r = _run_m55(path)
    funcs = r.extra["instructions_by_function"]
    assert "mcu_fully_connected_s8_mve" in funcs, sorted(funcs)


def test_fc_kernel_sums_wrap_like_int32():
    """kernel_sums: bias + input_offset * row sum, wrapped to int32 (an exact int64 model of the wrap)."""
    from mcucompile.codegen.ops.fc import kernel_sums

    w = np.array([[127] * 8, [-128] * 8, [1, -1] * 4], dtype=np.int8)
    bias = np.array([2**31 - 1, -(2**31), 5], dtype=np.int32)
    got = kernel_sums(w, bias, 128, 3)
    exact = [2**31 - 1 + 128 * 127 * 8, -(2**31) - 128 * 128 * 8, 5]
    assert got.dtype == np.int32
    assert got.tolist() == [((v + 2**31) % 2**32) - 2**31 for v in exact]
    assert got.tolist()[2] == 5 and got.tolist()[0] < 0 and got.tolist()[1] > 0
    assert kernel_sums(w, None, -3, 3).tolist() == [-3 * 127 * 8, 3 * 128 * 8, 0]
