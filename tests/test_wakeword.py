"""The MLPerf Tiny streaming wake-word twin (tests/wakeword_twin.py: str_ww_ref_model's layer shapes, input
[1, 30, 1, 40], depthwise convs (3,1) (5,1) (10,1) (15,1) along time, pointwise 40 -> 128 -> 128 -> 128 -> 32,
Flatten 32 -> Dense 3 -> softmax; built with TensorFlow in a session fixture, nothing saved in the repository)
bit-exact with TFLite Micro on the host and on qemu-m55 (mps3-an547), and the Helium depthwise kernel it takes
along time, mcu_dwconv_seq_s8_mve (firmware/mcu_dwconv_seq_mve.c), on single-op edge cases: k = 2, 3, 8, 9,
15, 16 (windows up to the whole 16-byte load), lengths of whole 8-step gathers and not, outputs a multiple of
4 and not (the predicated last scatter), along the columns, stride 2, dilation 2 and 3 (a 16-step span), 7
channels, zero points at both ends of int8, ReLU6, huge weights (left shifts), no bias; and the choice (SAME
padding, 17 taps, a span over 16, 2-D maps, fewer than 4 outputs keep the other kernels).
"""

from __future__ import annotations

import pytest
from conftest import need_module, need_tools
from single_op import dw_model, models_dir, run_single_op, simulate_tflm


@pytest.fixture(scope="session")
def twin(tmp_path_factory):
    need_module("tensorflow")
    import wakeword_twin

    path = tmp_path_factory.mktemp("wakeword") / "str_ww_twin.tflite"
    path.write_bytes(wakeword_twin.str_ww_twin())
    return path


def test_twin_has_the_wakeword_shapes(twin):
    from mcucompile.frontend.tflite_reader import read_tflite

    g = read_tflite(twin)
    kinds = [op.kind for op in g.ops]
    assert kinds == ["DEPTHWISE_CONV_2D", "CONV_2D"] * 4 + ["FULLY_CONNECTED", "SOFTMAX"]
    shapes = [tuple(g.tensors[op.outputs[0]].shape) for op in g.ops]
    assert shapes[:8] == [(1, 28, 1, 40), (1, 28, 1, 128), (1, 24, 1, 128), (1, 24, 1, 128),
                          (1, 15, 1, 128), (1, 15, 1, 128), (1, 1, 1, 128), (1, 1, 1, 32)]
    assert shapes[8:] == [(1, 3), (1, 3)]
    assert [tuple(g.tensors[i].shape) for i in g.ops[8].inputs] == [(1, 1, 1, 32), (3, 32), (3,)]
    assert tuple(g.tensors[g.ops[0].inputs[0]].shape) == (1, 30, 1, 40)
    assert [g.tensors[op.inputs[1]].shape[1] for op in g.ops[:8:2]] == [3, 5, 10, 15]


def test_twin_bit_exact_on_host(twin):
    need_tools("gcc", "make")
    simulate_tflm(twin)


def test_twin_bit_exact_on_m55(twin):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    r = simulate_tflm(twin, "qemu-m55")
    funcs = r.extra["instructions_by_function"]
    assert "mcu_dwconv_seq_s8_mve" in funcs, sorted(funcs)
    assert "mcu_conv_1x1_g3_s8_mve" in funcs and "mcu_conv_im2col_s8_mve" in funcs, sorted(funcs)
    assert "mcu_dwconv_taps_s8_mve" in funcs, sorted(funcs)          # the last depthwise: 1 output


# (id, input shape, kernel, strides, dilation, data range, weight scale, act, bias)
SEQ_CASES = [
    ("seq_k3_c40_t49", (49, 1, 40), (3, 1), 1, 1, (-1.0, 3.0), 1.0, "relu", True),
    ("seq_k2_c16_zp_min", (11, 1, 16), (2, 1), 1, 1, (0.5, 4.0), 1.0, None, True),
    ("seq_k8_c7_zp_max_relu6", (13, 1, 7), (8, 1), 1, 1, (-5.0, -1.0), 1.0, "relu6", True),
    ("seq_k9_c24_big_no_bias", (32, 1, 24), (9, 1), 1, 1, (-1.0, 3.0), 1e3, None, False),
    ("seq_k16_c33", (21, 1, 33), (16, 1), 1, 1, (-2.0, 2.0), 1.0, None, True),
    ("seq_k15_c128_t34", (34, 1, 128), (15, 1), 1, 1, (-1.0, 3.0), 1.0, "relu", True),
    ("seq_cols_k5_c20", (1, 23, 20), (1, 5), 1, 1, (-1.0, 3.0), 1.0, None, True),
    ("seq_k3_s2_c12", (19, 1, 12), (3, 1), 2, 1, (-1.0, 3.0), 1.0, None, True),
    ("seq_k4_d2_c9", (17, 1, 9), (4, 1), 1, 2, (-1.0, 3.0), 1.0, None, True),
    ("seq_k6_d3_c5_span16", (20, 1, 5), (6, 1), 1, 3, (-1.0, 3.0), 1.0, None, True),
    ("seq_k10_four_outputs", (13, 1, 16), (10, 1), 1, 1, (-1.0, 3.0), 1.0, None, True),
]


def _seq_model(in_shape, kernel, strides, dilation, data_range, w_scale, act, use_bias) -> bytes:
    return dw_model(in_shape, kernel, strides, "valid", dilation, data_range, act, use_bias, w_scale)


@pytest.fixture(scope="module")
def seq_models(tmp_path_factory):
    return models_dir(tmp_path_factory, "helium_seq", _seq_model, SEQ_CASES)


@pytest.mark.parametrize("case", SEQ_CASES, ids=lambda c: c[0])
def test_dwconv_seq_mve_bit_exact_on_m55(seq_models, case):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    run_single_op(seq_models / f"{case[0]}.tflite", "DEPTHWISE_CONV_2D", "qemu-m55", "mcu_dwconv_seq_s8_mve")


def test_dwconv_seq_mve_choice():
    """Helium depthwise, multiplier 1, on a 1-D map with every window inside, a span of at most 16 steps and
    at least 4 outputs: the seq kernel; SAME padding that reaches outside, 17 taps, a 2-D map, fewer outputs
    (the taps kernel: the wake-word's last depthwise) or another target: not."""
    from types import SimpleNamespace

    from mcucompile.kernels.conv import choose, seq_taps

    def attrs(padding="VALID", stride=1, dilation=1):
        return SimpleNamespace(stride_h=stride, stride_w=stride, dilation_h=dilation, dilation_w=dilation,
                               padding=padding, pads=None, depth_multiplier=1)

    def pick(x, k, y, a=None, simd="mve"):
        return choose(x, (1, *k, x[3]), y, a or attrs(), True, simd).name

    assert pick((1, 49, 1, 40), (3, 1), (1, 47, 1, 40)) == "mcu_dwconv_seq_s8_mve"
    assert pick((1, 1, 49, 40), (1, 16), (1, 1, 34, 40)) == "mcu_dwconv_seq_s8_mve"
    assert pick((1, 49, 1, 40), (17, 1), (1, 33, 1, 40)) != "mcu_dwconv_seq_s8_mve"
    assert pick((1, 49, 1, 40), (6, 1), (1, 39, 1, 40), attrs(dilation=2)) == "mcu_dwconv_seq_s8_mve"   # spans 11
    assert pick((1, 49, 1, 40), (6, 1), (1, 29, 1, 40), attrs(dilation=4)) != "mcu_dwconv_seq_s8_mve"   # spans 21
    assert pick((1, 513, 1, 8), (3, 1), (1, 511, 1, 8)) != "mcu_dwconv_seq_s8_mve"     # longer than the row
    assert pick((1, 49, 1, 40), (3, 1), (1, 49, 1, 40), attrs("SAME")) != "mcu_dwconv_seq_s8_mve"
    assert pick((1, 49, 2, 40), (3, 1), (1, 47, 2, 40)) != "mcu_dwconv_seq_s8_mve"
    assert pick((1, 15, 1, 128), (15, 1), (1, 1, 1, 128)) == "mcu_dwconv_taps_s8_mve"    # under 4 outputs
    assert pick((1, 7, 1, 16), (4, 1), (1, 4, 1, 16)) == "mcu_dwconv_seq_s8_mve"
    assert pick((1, 49, 1, 40), (3, 1), (1, 47, 1, 40), simd="dsp") != "mcu_dwconv_seq_s8_mve"
    assert seq_taps((1, 49, 1, 40), (1, 1, 1, 40), (1, 49, 1, 40), attrs("SAME")) == 1     # SAME 1 tap: inside
    assert seq_taps((1, 49, 1, 40), (1, 3, 1, 40), (1, 24, 1, 40), attrs(stride=2)) == 3
    assert seq_taps((1, 49, 1, 9400), (1, 3, 1, 9400), (1, 47, 1, 9400), attrs()) is None   # offsets 7 in.c past 2^16
