"""The DSP wide convs on the pair-interleaved int8 filter (firmware/mcu_conv_wide_pairs_dsp.c, mcu_nn_pairs.h): with
--wide-weights off (int8 weights only) a 1x1 conv or a conv of dilation 1 with in.c a multiple of 4 and an even
out.c (1x1: no dead-channel hint) gets its filter re-laid out at compile time (codegen/ops/conv.py
pair_interleaved) and runs the wide engine through one weight pointer per pair of channels; without planned
scratch the _stack_pairs variants hold their block on the stack (8 kh kw in.c <= 1152 bytes). A conv whose in.c
is not a multiple of 4 takes the im2col pairs too where its window rows are whole groups (kw in.c a multiple
of 4), instead of the window kernels (whose widened win_w copy then stays out of flash). The 1x1 conv's last 1
or 2 pixels past the blocks of 4 go pixel by pixel (mcu_wide_pairs_rows; 3 left: the last block moved back).

Single-op int8 models made with TensorFlow (tests/single_op.py's make_model), compiled for qemu-m4 and
compared bit-exactly with TFLite Micro; the profile names the pair functions, so each case is known to run the
new path. Edges: pixel counts not a multiple of 4 (the last block moved back), input zero points at both ends,
ReLU / ReLU6 (the clamp in C), no bias, a channel beyond mcu_rqd's bound (plain requantisation of its pair), left
shifts (huge weights), a right shift beyond 22 (tiny channel), 1..8 groups of 4 (the loop's TBH entries),
padding on every side and asymmetric (stride 2), the stack block at its limit (k = 144). The host runs the
plain-C paths of two of them."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_tools
from single_op import Case, case_models, run_case

CASES = [
    # 1x1: 15 pixels (the last block moved back), ReLU with the input zero point at the top (clamp in C)
    Case("pairs_pw_c8_relu_zp_max", "conv", (3, 5, 8), units=6, act="relu", data_range=(-5.0, -1.0)),
    # 8 groups of 4, the range all of int8 (the whole pair in assembly), 10 channels
    Case("pairs_pw_c32_full", "conv", (4, 4, 32), units=10),
    # no bias: the assembly loop, the output stage in C; 3 groups, input zero point at the bottom
    Case("pairs_pw_c12_no_bias_zp_min", "conv", (2, 3, 12), units=4, use_bias=False, data_range=(0.5, 4.0)),
    # a right shift beyond 22 (channel 0: its pair's plain requantisation); left shifts; a huge bias
    Case("pairs_pw_c8_tiny_channel", "conv", (2, 4, 8), units=4, tiny_channel=1e-6),
    Case("pairs_pw_c20_big_weights", "conv", (2, 5, 20), units=4, weight_scale=1e3),
    Case("pairs_pw_c12_big_bias", "conv", (3, 3, 12), units=6, big_bias=90.0),
    # im2col: padding on every side, 42 output pixels
    Case("pairs_3x3_c4_same", "conv", (6, 7, 4), kernel=3, padding="same", units=6),
    # stride 2, SAME on even sizes (padding on the bottom and right only), zero point at the bottom, ReLU6
    Case("pairs_3x3_c8_s2_asym_zp_min", "conv", (8, 6, 8), kernel=3, strides=2, padding="same", units=4,
         act="relu6", data_range=(0.5, 4.0)),
    # 5x5 VALID, ReLU; and k = 3 * 3 * 16 = 144: the stack block at its limit (1152 bytes)
    Case("pairs_5x5_c4_valid_relu", "conv", (7, 9, 4), kernel=5, units=8, act="relu"),
    Case("pairs_3x3_c16_stack_limit", "conv", (5, 6, 16), kernel=3, padding="same", units=2,
         data_range=(-5.0, -1.0)),
    # in.c not a multiple of 4 but window rows of whole groups (kw in.c = 4, 8): one input channel, a 3 x 4
    # filter at stride 2 padded on every side (kws_ref_model's first conv in small); 2 channels, 2 x 2 VALID
    Case("pairs_rows_c1_3x4_s2", "conv", (9, 10, 1), kernel=(3, 4), strides=2, padding="same", units=8,
         act="relu"),
    Case("pairs_rows_c2_2x4_zp_min", "conv", (5, 7, 2), kernel=(2, 4), units=4, data_range=(0.5, 4.0)),
]
HOST = ("pairs_pw_c8_relu_zp_max", "pairs_3x3_c8_s2_asym_zp_min")


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory):
    return case_models(tmp_path_factory, "wide_pairs_models", CASES)


def test_pair_interleaved_layout():
    """pair_interleaved puts weight (oc, e) of a [Cout, KH, KW, Cin] filter (e its index in the row of k
    values) at byte 2 k (oc // 2) + 8 (e // 4) + 4 (e % 2) + 2 (e % 4 // 2) + oc % 2, as the kernels read it
    (per pair and group of 4: the word of both channels' e0, e2, then the word of their e1, e3)."""
    from mcucompile.codegen.ops.conv import pair_interleaved

    rng = np.random.default_rng(1)
    w = rng.integers(-128, 128, size=(6, 3, 3, 4), dtype=np.int8)
    got = pair_interleaved(w)
    k = 36
    want = np.zeros(6 * k, dtype=np.int8)
    for oc in range(6):
        for e in range(k):
            want[2 * k * (oc // 2) + 8 * (e // 4) + 4 * (e % 2) + 2 * (e % 4 // 2) + oc % 2] = w.reshape(6, k)[oc, e]
    assert got.dtype == np.int8 and np.array_equal(got, want)


def test_choose_takes_the_pairs_only_where_they_apply():
    """The _pairs variants on DSP targets without the pre-widened weights, in.c a multiple of 4, out.c even,
    no dead-channel hint; the _stack_pairs ones without scratch while 8 kh kw in.c <= 1152; the old variants
    otherwise."""
    from types import SimpleNamespace

    from mcucompile.kernels.conv import choose

    a = SimpleNamespace(stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, depth_multiplier=1)

    def pick(in_c, out_c, k, **kw):
        return choose((1, 8, 8, in_c), (out_c, k, k, in_c), (1, 8, 8, out_c), a, False, "dsp", **kw).name

    assert pick(8, 6, 1, scratch=True) == "mcu_conv_1x1_wide_pairs_s8_dsp"
    assert pick(8, 6, 1) == "mcu_conv_1x1_stack_pairs_s8_dsp"
    assert pick(144, 6, 1) == "mcu_conv_1x1_stack_pairs_s8_dsp"
    assert pick(148, 6, 1) == "mcu_conv_1x1_own_s8_dsp"
    assert pick(8, 5, 1, scratch=True) == "mcu_conv_1x1_wide_s8_dsp"
    assert pick(10, 6, 1, scratch=True) == "mcu_conv_1x1_wide_s8_dsp"
    assert pick(8, 6, 1, scratch=True, dead=True) == "mcu_conv_1x1_wide_s8_dsp"
    assert pick(8, 6, 1, scratch=True, wide=True) == "mcu_conv_1x1_wide_pre_s8_dsp"
    assert pick(8, 6, 3, scratch=True) == "mcu_conv_im2col_wide_pairs_s8_dsp"
    assert pick(16, 6, 3) == "mcu_conv_im2col_stack_pairs_s8_dsp"
    assert pick(20, 6, 3) == "mcu_conv_im2col_own_s8_dsp"
    assert pick(8, 7, 3, scratch=True) == "mcu_conv_im2col_wide_s8_dsp"
    assert pick(8, 6, 3, scratch=True, wide=True) == "mcu_conv_im2col_wide_s8_dsp"
    # in.c % 4 != 0: the pairs only where kw in.c is a multiple of 4 (no row padding)
    assert pick(2, 6, 2, scratch=True) == "mcu_conv_im2col_wide_pairs_s8_dsp"
    assert pick(2, 6, 2) == "mcu_conv_im2col_stack_pairs_s8_dsp"
    # (kw in.c % 4 != 0, out.c even, planned scratch: the rows pairs, tests/test_rows_pairs.py)
    assert pick(3, 6, 3, scratch=True, win=True) == "mcu_conv_im2col_rows_pairs_s8_dsp"
    assert pick(3, 5, 3, scratch=True, win=True) == "mcu_conv_win_s8_dsp"
    assert pick(2, 5, 2, scratch=True, win=True) == "mcu_conv_win_s8_dsp"
    assert choose((1, 8, 8, 8), (6, 3, 3, 8), (1, 8, 8, 6), a, False, "dsp-size", scratch=True).name \
        == "mcu_conv_rows_s8"


@pytest.mark.parametrize("cid", HOST)
def test_pairs_cases_on_host(pairs_dir, cid):
    """The same models on the host (the plain-C paths, sanitizers): bit-exact with TFLite Micro."""
    run_case(pairs_dir / f"{cid}.tflite", next(c for c in CASES if c.id == cid), None, wide_weights="off")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pairs_on_m4(pairs_dir, case):
    """qemu-m4, --wide-weights off: with planned scratch (the _wide_pairs variants) and, for the convs whose
    block fits the stack, without (--scratch free: the _stack_pairs variants); the pair functions run (profile)
    and the outputs are bit-exact with TFLite Micro; nothing outside the arena is touched."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    pw = case.kernel == 1
    fn = "conv_1x1_wide_pairs" if pw else "conv_im2col_wide_pairs"
    kh, kw = case.kernel if isinstance(case.kernel, tuple) else (case.kernel, case.kernel)
    k = kh * kw * case.in_shape[2]
    for scratch in ("always", "free") if 8 * k <= 1152 else ("always",):
        r = run_case(pairs_dir / f"{case.id}.tflite", case, "qemu-m4", scratch=scratch, wide_weights="off")
        funcs = r.extra["instructions_by_function"]
        assert fn in funcs, (case.id, scratch, sorted(funcs))
        assert r.guard_violations == 0


def test_pairs_leave_the_window_weights_out(pairs_dir, tmp_path):
    """A conv the window kernels could take (in.c % 4 != 0) that runs the im2col pairs instead carries no
    widened win_w copy: its flash is the int8 filter's, re-laid out (the same bytes)."""
    from mcucompile import api

    g = api.load(pairs_dir / "pairs_rows_c1_3x4_s2.tflite")
    c = api.compile_for_board(g, api.Options(wide_weights="off"), "qemu-m4")
    assert [k.func for k in c.calls] in (["mcu_conv_im2col_wide_pairs_s8_dsp"], ["mcu_conv_im2col_stack_pairs_s8_dsp"])
    names = [a.name for a in c.consts]
    assert not any(n.endswith("_win_w") for n in names), names
    pairs = [a for a in c.consts if a.name.endswith("_pairs_w")]
    w = g.tensors[g.ops[0].inputs[1]].data
    assert len(pairs) == 1 and sorted(pairs[0].values.tolist()) == sorted(np.asarray(w).ravel().tolist())
