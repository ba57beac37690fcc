"""The DSP depthwise 3x3 stride-1 kernel on vertical pairs of input rows (firmware/mcu_dwconv_k3v_dsp.c,
mcu_dwconv_k3v_s8_dsp / _tail): depth multiplier 1, 3x3, stride 1, dilation 1, at least 4 channels, out.w + 2 <=
K3V_MAX_WP (15) and out.h >= K3V_MIN_H (8) on the DSP cores (kernels/conv.py choose); each group of 4 channels
widened into 2 slots of padded row pairs on the stack, SMLAD / SMLABT / SMLATB on (row, row + 1) lanes, a loop in
inline assembly over an output row pair's columns; the channels past the last group of 4 by mcu_depthwise_fast.

Single-op int8 models made with TensorFlow (tests/single_op.py's make_model), compared bit-exactly with
TFLite Micro on qemu-m4 (the profile says whether k3v_group ran, as choose predicts) and on the host (which takes
the plain loops). Edges: kws_ref_model's 25 x 5 (an odd last row: its second row to a spare word), the width limit
(13 taken, 14 not), the height limit (8 taken, 7 not), odd channel counts (tails of 1 and 3), 3 channels (not
taken), SAME and VALID, 1-pixel-wide maps, input zero points at both ends, ReLU / ReLU6 (the SUB left out where
act_min >= the output zero point) and no activation (with it), huge weights, stride 2 (not taken)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import need_tools
from single_op import Case, case_models, run_case

CASES = [
    Case("k3v_c12_kws_25x5_relu", "dw", (25, 5, 12), kernel=3, padding="same", act="relu"),
    Case("k3v_c8_w13_limit", "dw", (8, 13, 8), kernel=3, padding="same"),
    Case("k3v_c8_w14_over", "dw", (8, 14, 8), kernel=3, padding="same"),
    Case("k3v_c8_h7_under", "dw", (7, 6, 8), kernel=3, padding="same", act="relu6"),
    Case("k3v_c5_valid_12x9_zp_max", "dw", (12, 9, 5), kernel=3, data_range=(-4.0, -0.5), act="relu"),
    Case("k3v_c7_odd_9x7_zp_min", "dw", (9, 7, 7), kernel=3, padding="same", data_range=(0.2, 3.0)),
    Case("k3v_c16_relu6_11x6", "dw", (11, 6, 16), kernel=3, padding="same", act="relu6"),
    Case("k3v_c4_w1_9x1", "dw", (9, 1, 4), kernel=3, padding="same"),
    Case("k3v_c3_10x4", "dw", (10, 4, 3), kernel=3, padding="same"),
    Case("k3v_c9_big_13x5", "dw", (13, 5, 9), kernel=3, padding="same", weight_scale=1e3),
    Case("k3v_c8_s2_17x9", "dw", (17, 9, 8), kernel=3, strides=2, padding="same"),
]
HOST = ("k3v_c12_kws_25x5_relu", "k3v_c7_odd_9x7_zp_min", "k3v_c9_big_13x5")


def taken(case: Case) -> bool:
    h, w, c = case.in_shape
    out_h, out_w = (h, w) if case.padding == "same" else (h - 2, w - 2)
    return case.strides == 1 and c >= 4 and out_w + 2 <= 15 and out_h >= 8


@pytest.fixture(scope="module")
def k3v_dir(tmp_path_factory):
    return case_models(tmp_path_factory, "dw_k3v_models", CASES)


def test_choose_takes_k3v_within_its_limits():
    """choose: the DSP cores only (not --optimise size or the host), the _tail form for out.c % 4, and
    exactly the limits above."""
    from mcucompile.kernels.conv import choose

    def pick(h, w, c, simd="dsp", k=3, stride=1, mult=1, dil=1):
        a = SimpleNamespace(stride_h=stride, stride_w=stride, dilation_h=dil, dilation_w=dil, depth_multiplier=mult)
        oh, ow = -(-h // stride), -(-w // stride)
        return choose((1, h, w, c), (1, k, k, c * mult), (1, oh, ow, c * mult), a, True, simd).name

    assert pick(25, 5, 64) == "mcu_dwconv_k3v_s8_dsp"
    assert pick(8, 13, 6) == "mcu_dwconv_k3v_tail_s8_dsp"
    assert pick(8, 14, 8).startswith("mcu_dwconv_groups_k3")
    assert pick(7, 6, 8).startswith("mcu_dwconv_groups_k3")
    assert pick(10, 4, 3).startswith("mcu_dwconv_groups_k3")
    assert pick(17, 9, 8, stride=2).startswith("mcu_dwconv_groups_k3")
    assert pick(12, 12, 8, dil=2).startswith("mcu_dwconv_groups")
    assert pick(12, 12, 8, k=5).startswith("mcu_dwconv_groups_k5")
    for simd in ("none", "dsp-size"):
        assert "k3v" not in pick(25, 5, 64, simd=simd), simd


def test_cases_are_what_they_claim():
    assert [c.id for c in CASES if taken(c)] == [
        "k3v_c12_kws_25x5_relu", "k3v_c8_w13_limit", "k3v_c5_valid_12x9_zp_max", "k3v_c7_odd_9x7_zp_min",
        "k3v_c16_relu6_11x6", "k3v_c4_w1_9x1", "k3v_c9_big_13x5"]


@pytest.mark.parametrize("cid", HOST)
def test_k3v_cases_on_host(k3v_dir, cid):
    """The host's plain-C loops: bit-exact with TFLite Micro."""
    run_case(k3v_dir / f"{cid}.tflite", next(c for c in CASES if c.id == cid), None, wide_weights="off")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_k3v_on_m4(k3v_dir, case):
    """qemu-m4, --wide-weights off: bit-exact with TFLite Micro; k3v_group runs exactly where choose takes the
    variant; nothing outside the arena touched."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    r = run_case(k3v_dir / f"{case.id}.tflite", case, "qemu-m4", wide_weights="off")
    funcs = r.extra["instructions_by_function"]
    assert ("k3v_group" in funcs) == taken(case), (case.id, sorted(funcs))
    assert r.guard_violations == 0
