"""The DSP depthwise groups' padded map (firmware/mcu_dwconv_groups.c dwg_padded): a depthwise conv of depth
multiplier 1, 3x3 or 5x5, dilation 1, stride 1, whose padded map (out.h - 1 + k rows of pitch words; pitch 8 for
3x3 maps up to 8 words wide that fit, else 2 ceil(out.w / 2) - 1 + k) takes at most DWG_PAD_WORDS = 256 words
copies each group of 4 channels into that map on the stack (padded with the input zero point) and runs every
output pixel there: two at a time (DWG_PAIRS), the odd last pixel of a row alone (dwg_sums: no partner window
computed and thrown away). Since the limit went from 128 to 256 words, 3x3 maps of up to 14 x 14 take it, except
those mcu_dwconv_k3v takes (at least 8 rows, at most 13 columns: tests/test_dw_k3v.py).

Single-op int8 models made with TensorFlow (tests/single_op.py's make_model), compared bit-exactly with
TFLite Micro on qemu-m4 (the profile says whether dwg_padded_groups ran, as the limit predicts) and, for some,
on the host (plain C). Edges: the limit (256 words taken, 272 not), odd widths (the single last pixel, 3x3 and
5x5), odd channel counts (the channels past the last group of 4 by mcu_depthwise_fast), fewer than 4 channels,
SAME and VALID, stride 2 and a depth multiplier of 2 (not taken: the other paths), a 1 x 1 map, input zero
points at both ends, ReLU / ReLU6, huge weights."""

from __future__ import annotations

import pytest
from conftest import need_tools
from single_op import Case, case_models, run_case

PAD_WORDS = 256          # firmware/mcu_dwconv_groups.c DWG_PAD_WORDS
PAD_PITCH = 8            # DWG_PAD_PITCH

CASES = [
    # a 7 x 5 map (SAME, ReLU): 9 rows of 8 words, the odd last pixel of each row alone (kws_ref_model's 25 x 5
    # maps take mcu_dwconv_k3v now: at least 8 rows)
    Case("dwp_3x3_c12_7x5_relu", "dw", (7, 5, 12), kernel=3, padding="same", act="relu"),
    # the limit (maps 14 wide: mcu_dwconv_k3v takes up to 13): 16 rows of 16 words (256) taken, 17 (272) not
    Case("dwp_3x3_c8_limit_14x14", "dw", (14, 14, 8), kernel=3, padding="same"),
    Case("dwp_3x3_c8_over_15x14", "dw", (15, 14, 8), kernel=3, padding="same", act="relu6"),
    # odd widths with channel tails (3 and 1 channels past the groups), zero points at both ends
    Case("dwp_3x3_c7_odd_7x7_zp_min", "dw", (7, 7, 7), kernel=3, padding="same", data_range=(0.2, 3.0)),
    Case("dwp_3x3_c5_valid_9x9_zp_max", "dw", (9, 9, 5), kernel=3, data_range=(-4.0, -0.5), act="relu"),
    # 5x5: an odd width SAME (the single pixel's 5 rows of 5), VALID with ReLU6
    Case("dwp_5x5_c8_odd_7x9", "dw", (7, 9, 8), kernel=5, padding="same"),
    Case("dwp_5x5_c6_valid_9x11_relu6", "dw", (9, 11, 6), kernel=5, act="relu6"),
    # fewer than 4 channels (no group), a 1 x 1 map, a 1-pixel-wide map (every row a single pixel)
    Case("dwp_3x3_c3_5x5", "dw", (5, 5, 3), kernel=3, padding="same"),
    Case("dwp_3x3_c8_1x1", "dw", (1, 1, 8), kernel=3, padding="same", act="relu"),
    Case("dwp_3x3_c4_7x1_zp_max", "dw", (7, 1, 4), kernel=3, padding="same", data_range=(-4.0, -0.5)),
    # not taken: stride 2, depth multiplier 2, a tall 2-wide map (mcu_dwconv_k3v); huge weights
    Case("dwp_3x3_c8_s2_9x9", "dw", (9, 9, 8), kernel=3, strides=2, padding="same"),
    Case("dwp_m2_c4_7x5", "dw", (7, 5, 4), kernel=3, padding="same", depth_multiplier=2),
    Case("dwp_3x3_c8_tall_70x2", "dw", (70, 2, 8), kernel=3, padding="same", act="relu6"),
    Case("dwp_3x3_c9_big_6x5", "dw", (6, 5, 9), kernel=3, padding="same", weight_scale=1e3),
]
HOST = ("dwp_3x3_c12_7x5_relu", "dwp_3x3_c7_odd_7x7_zp_min", "dwp_5x5_c8_odd_7x9", "dwp_3x3_c4_7x1_zp_max")


def padded_words(case: Case) -> int | None:
    """The words of dwg_padded's map for this case (dwg_layer), None where the map is not considered (not
    3x3 / 5x5, stride 2, depth multiplier > 1)."""
    k, (h, w, _c) = case.kernel, case.in_shape
    if k not in (3, 5) or case.strides != 1 or case.depth_multiplier != 1:
        return None
    out_h, out_w = (h, w) if case.padding == "same" else (h - k + 1, w - k + 1)
    wp, hp = 2 * ((out_w + 1) // 2) - 1 + k, out_h - 1 + k
    pitch = PAD_PITCH if k == 3 and wp <= PAD_PITCH and hp * PAD_PITCH <= PAD_WORDS else wp
    return pitch * hp


def takes_padded(case: Case) -> bool:
    """dwg_padded_groups runs (with fewer than 4 channels it only fills the map; a group whose channels fail
    mcu_rq2_channel or the sum bound takes dwg_run_rq from there)."""
    h, w, c = case.in_shape
    out_h, out_w = (h, w) if case.padding == "same" else (h - case.kernel + 1, w - case.kernel + 1)
    if case.kernel == 3 and case.strides == 1 and case.depth_multiplier == 1 and c >= 4 and out_w <= 13 \
            and out_h >= 8:
        return False                                    # mcu_dwconv_k3v (tests/test_dw_k3v.py)
    words = padded_words(case)
    return words is not None and words <= PAD_WORDS


@pytest.fixture(scope="module")
def dwp_dir(tmp_path_factory):
    return case_models(tmp_path_factory, "dw_padded_models", CASES)


def test_cases_are_what_they_claim():
    """The limit cases sit on both sides of DWG_PAD_WORDS; a 5-wide map fits with the 8-word pitch."""
    by = {c.id: c for c in CASES}
    assert padded_words(by["dwp_3x3_c8_limit_14x14"]) == 256
    assert padded_words(by["dwp_3x3_c8_over_15x14"]) == 272
    assert padded_words(by["dwp_3x3_c12_7x5_relu"]) == 9 * PAD_PITCH
    assert sum(takes_padded(c) for c in CASES) == 10


@pytest.mark.parametrize("cid", HOST)
def test_dw_padded_cases_on_host(dwp_dir, cid):
    """The host's plain-C loops: bit-exact with TFLite Micro."""
    run_case(dwp_dir / f"{cid}.tflite", next(c for c in CASES if c.id == cid), None)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_dw_padded_on_m4(dwp_dir, case):
    """qemu-m4, --wide-weights off: bit-exact with TFLite Micro; dwg_padded_groups runs exactly where the
    padded map fits DWG_PAD_WORDS (and the group takes the doubled-sum requantisation)."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    r = run_case(dwp_dir / f"{case.id}.tflite", case, "qemu-m4", wide_weights="off")
    funcs = r.extra["instructions_by_function"]
    ran = any(f.startswith("dwg_padded_groups") for f in funcs)
    assert ran == takes_padded(case), (case.id, sorted(funcs))
    assert r.guard_violations == 0
