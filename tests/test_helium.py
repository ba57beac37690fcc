"""The Helium (Cortex-M55, MVE) variants of firmware/mcu_nn_helium.h (fully connected, im2col conv and 1x1 g3
conv with compile-time folded constants, depthwise over each pixel's valid taps), bit-exact with TFLite Micro under
qemu-m55 (mps3-an547) on single-op int8 models made with TensorFlow (one conv with tests/tflite_builder.py).

mcu_fully_connected_s8_mve (firmware/mcu_fc_mve.c): the bias plus the input offset times each row's weight
sum folded into one int32 per output by the codegen (mcucompile/codegen/ops/fc.py, kernel_sums); the kernel
adds the plain dot products, 4 rows x 16 inputs per VMLADAVA step. Edges: depths below 16, exactly 16, 16k + 1
and 16k + 15 (the predicated tail), output counts 1, 5 and 17 (a pass of 1..3 rows repeating the last), the
input zero point at both ends of int8, no bias, ReLU6, huge weights (large multipliers, left shifts).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_tools
from single_op import dw_model, models_dir, run_single_op, simulate_tflm
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
    return models_dir(tmp_path_factory, "helium_fc", _dense_model, FC_CASES)


@pytest.mark.parametrize("case", FC_CASES, ids=lambda c: c[0])
def test_fc_mve_bit_exact_on_m55(fc_models, case):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    run_single_op(fc_models / f"{case[0]}.tflite", "FULLY_CONNECTED", "qemu-m55", "mcu_fully_connected_s8_mve")


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


# mcu_conv_im2col_s8_mve (firmware/mcu_conv_im2col_mve.c): the window gathered per pixel, padded taps set to
# the input zero point, kernel_sum = bias + input_offset * the channel's weight sum folded at compile time.
# (id, input shape, filters, kernel, strides, padding, dilation, data range, channel-0 weight scale, act, bias)
CONV_CASES = [
    ("im2col_3x3_same_c8_u5", (5, 6, 8), 5, 3, 1, "same", 1, (-1.0, 3.0), 1.0, None, True),
    ("im2col_3x3_s2_c16_u8_zp_min", (7, 8, 16), 8, 3, 2, "same", 1, (0.5, 4.0), 1.0, "relu", True),
    ("im2col_3x3_d2_c4_u6_zp_max", (7, 7, 4), 6, 3, 1, "same", 2, (-5.0, -1.0), 1.0, "relu6", True),
    ("im2col_1x1_s2_c12_u7", (5, 5, 12), 7, 1, 2, "valid", 1, (-1.0, 3.0), 1.0, None, False),
    ("im2col_5x5_c20_u17_big_channel", (6, 7, 20), 17, 5, 1, "same", 1, (-2.0, 2.0), 1e3, None, True),
    ("im2col_2x3_valid_c32_u4", (4, 6, 32), 4, (2, 3), (1, 2), "valid", 1, (-1.0, 3.0), 1.0, None, True),
    # 1x1 stride 1 with in.c over 16, not a multiple of 16: the pixel copied into zero-padded columns
    ("im2col_1x1_pointwise_c40_u7", (3, 5, 40), 7, 1, 1, "valid", 1, (-1.0, 3.0), 1.0, "relu", True),
    ("im2col_1x1_pointwise_c17_u4_zp_min", (2, 3, 17), 4, 1, 1, "valid", 1, (0.5, 4.0), 1e3, None, False),
    # 1x1 stride 1 with in.c a multiple of 16: mcu_conv_1x1_g3_s8_mve (the pixels read in place; odd counts)
    ("g3_1x1_c16_u5_odd_pixels", (3, 5, 16), 5, 1, 1, "valid", 1, (-1.0, 3.0), 1.0, None, True),
    ("g3_1x1_c32_u17_zp_min", (2, 3, 32), 17, 1, 1, "valid", 1, (0.5, 4.0), 1e3, "relu", True),
    ("g3_1x1_c48_u3_zp_max_no_bias", (3, 3, 48), 3, 1, 1, "same", 1, (-5.0, -1.0), 1.0, "relu6", False),
]


def _conv_model(in_shape, filters, kernel, strides, padding, dilation, data_range, ch0_scale, act, use_bias,
                seed=0) -> bytes:
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=in_shape, batch_size=1)
    layer = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                                activation=act, use_bias=use_bias)
    model = keras.Model(inp, layer(inp))
    w = layer.get_weights()
    w[0][..., 0] *= ch0_scale                      # one huge channel: its shift far from the others'
    if use_bias:
        w[1] = np.linspace(-0.8, 0.8, filters).astype(np.float32)
    layer.set_weights(w)
    return int8_tflite(model, uniform_samples([(1, *in_shape)], [data_range], 16, seed))


@pytest.fixture(scope="module")
def conv_models(tmp_path_factory):
    return models_dir(tmp_path_factory, "helium_conv", _conv_model, CONV_CASES)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c[0])
def test_conv_im2col_mve_bit_exact_on_m55(conv_models, case):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    want = "mcu_conv_1x1_g3_s8_mve" if case[0].startswith("g3_") else "mcu_conv_im2col_s8_mve"
    run_single_op(conv_models / f"{case[0]}.tflite", "CONV_2D", "qemu-m55", want)


def _mixed_shift_conv(path):
    """A 3x3 SAME conv, 16 -> 6 channels, built directly (tests/tflite_builder.py) with per-channel filter
    scales whose multipliers need left shifts (up to 2^3) and right shifts (down to 2^-12)."""
    from tflite_builder import M, O, T, build

    rng = np.random.default_rng(3)
    w_scales = [0.5, 1e-4, 0.02, 1.2, 3e-3, 0.08]
    tensors = [T((1, 6, 5, 16), "int8", scale=[0.05], zero_point=[3], name="input"),
               T((6, 3, 3, 16), "int8", scale=w_scales, zero_point=[0] * 6,
                 data=rng.integers(-127, 128, size=(6, 3, 3, 16), dtype=np.int8), name="filter"),
               T((6,), "int32", scale=[0.05 * s for s in w_scales], zero_point=[0] * 6,
                 data=rng.integers(-2000, 2000, size=(6,), dtype=np.int32), name="bias"),
               T((1, 6, 5, 6), "int8", scale=[0.01], zero_point=[-5], name="output")]
    opts = ("Conv2DOptions", {"Padding": 0, "StrideW": 1, "StrideH": 1, "DilationWFactor": 1,
                              "DilationHFactor": 1, "FusedActivationFunction": 0})
    path.write_bytes(build(M(tensors, [O("CONV_2D", [0, 1, 2], [3], options=opts)], [0], [3])))


def test_conv_im2col_mve_left_and_right_shifts(tmp_path):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    from mcucompile.frontend.tflite_reader import read_tflite
    from mcucompile.ir.quant import quantize_multiplier

    path = tmp_path / "mixed_shifts.tflite"
    _mixed_shift_conv(path)
    g = read_tflite(path)
    w = g.tensors[g.ops[0].inputs[1]]
    shifts = [quantize_multiplier(0.05 * float(s) / 0.01)[1] for s in w.quant.scale]
    assert min(shifts) <= -10 and max(shifts) >= 2, shifts
    r = simulate_tflm(path, "qemu-m55")
    assert "mcu_conv_im2col_s8_mve" in r.extra["instructions_by_function"]


def test_conv_im2col_mve_choice():
    """Helium: convs whose window kh kw in.c fits the 576-byte column take mcu_conv_im2col_s8_mve (few input
    channels too: fewer instructions than the window kernel on ResNet-8's, KWS's and VWW's first layers); larger
    ones the rows kernel; 1x1 stride 1 the g3 one for in.c a multiple of 16 without the dead-channel hint, the
    im2col one for other in.c over 16 (the pixel copied into zero-padded 16-byte columns), else the plain 1x1
    one."""
    from types import SimpleNamespace

    from mcucompile.kernels.conv import choose

    a = SimpleNamespace(stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, padding="SAME", pads=None,
                        depth_multiplier=1)

    def pick(in_c, k, out_c=8):
        return choose((1, 8, 8, in_c), (out_c, k, k, in_c), (1, 8, 8, out_c), a, False, "mve").name

    assert pick(64, 3) == "mcu_conv_im2col_s8_mve"            # 576 bytes
    assert pick(72, 3) == "mcu_conv_rows_s8_mve"              # 648 bytes
    assert pick(3, 3) == "mcu_conv_im2col_s8_mve"
    assert pick(16, 1) == "mcu_conv_1x1_g3_s8_mve"
    assert pick(24, 1) == "mcu_conv_im2col_s8_mve"            # in.c not a multiple of 16, over 16: padded columns
    assert pick(40, 1, 128) == "mcu_conv_im2col_s8_mve"       # the wake-word's first pointwise conv
    assert pick(8, 1) == "mcu_conv_1x1_s8_mve"                # under one column block
    assert choose((1, 8, 8, 16), (8, 1, 1, 16), (1, 8, 8, 8), a, False, "mve", dead=True).name == "mcu_conv_1x1_s8_mve"
    assert choose((1, 8, 8, 64), (8, 3, 3, 64), (1, 8, 8, 8), a, False, "dsp").name != "mcu_conv_im2col_s8_mve"


# mcu_dwconv_taps_s8_mve (firmware/mcu_dwconv_taps_mve.c): depthwise, multiplier 1, outputs with fewer than 4
# columns whose taps are all inside (DS-CNN's 25 x 5): per pixel its valid taps, 16 channels per pass, the
# last 1..15 channels by predicated passes of 4.
# (id, input shape, kernel, strides, padding, dilation, data range, act[, bias])
DW_CASES = [
    ("dwt_kws_3x3_c64", (9, 5, 64), 3, 1, "same", 1, (-1.0, 3.0), "relu"),
    ("dwt_3x3_c20_zp_min", (6, 4, 20), 3, 1, "same", 1, (0.5, 4.0), None),
    ("dwt_5x5_s2_c7_zp_max", (7, 6, 7), 5, 2, "same", 1, (-5.0, -1.0), "relu6"),
    ("dwt_3x3_d2_c35", (7, 5, 35), 3, 1, "same", 2, (-2.0, 2.0), None),
    ("dwt_3x1_valid_c16", (5, 3, 16), (3, 1), 1, "valid", 1, (-1.0, 3.0), None),
    # the input offset folded into the sums of the pixels whose taps are all inside: not past 256 channels,
    # not under 4 output pixels; without a bias
    ("dwt_3x3_c272_no_fold", (3, 3, 272), 3, 1, "same", 1, (-1.0, 3.0), "relu"),
    ("dwt_3x3_c32_two_pixels", (2, 1, 32), 3, 1, "same", 1, (0.5, 4.0), None),
    ("dwt_3x3_c48_fold_no_bias", (6, 3, 48), 3, 1, "same", 1, (-5.0, -1.0), None, False),
]


@pytest.fixture(scope="module")
def dw_models(tmp_path_factory):
    return models_dir(tmp_path_factory, "helium_dw", dw_model, DW_CASES)


@pytest.mark.parametrize("case", DW_CASES, ids=lambda c: c[0])
def test_dwconv_taps_mve_bit_exact_on_m55(dw_models, case):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    run_single_op(dw_models / f"{case[0]}.tflite", "DEPTHWISE_CONV_2D", "qemu-m55", "mcu_dwconv_taps_s8_mve")


def test_dwconv_taps_mve_choice():
    """Helium depthwise, multiplier 1: the taps kernel where fewer than 4 output columns have every tap inside
    (5 wide with SAME 3x3: 3), the groups kernel's 4-pixel row blocks otherwise (8 wide: 6)."""
    from types import SimpleNamespace

    from mcucompile.kernels.conv import choose

    a = SimpleNamespace(stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, padding="SAME", pads=None,
                        depth_multiplier=1)

    def pick(width, k=3):
        return choose((1, 6, width, 16), (1, k, k, 16), (1, 6, width, 16), a, True, "mve").name

    assert pick(5) == "mcu_dwconv_taps_s8_mve"
    assert pick(8) == "mcu_dwconv_groups_s8_mve"
    assert pick(6) == "mcu_dwconv_groups_s8_mve"              # columns 1..4 inside
    assert pick(5, 9) == "mcu_dwconv_groups_s8_mve"           # 81 taps: beyond the table
    assert choose((1, 6, 5, 16), (1, 3, 3, 16), (1, 6, 5, 16), a, True, "dsp").name != "mcu_dwconv_taps_s8_mve"
