"""The rows pairs (firmware/mcu_conv_rows_pairs_dsp.c, mcu_conv_im2col_rows_pairs_s8_dsp): with
--wide-weights off a conv
whose window rows are not whole groups of 4 (in.c % 4 != 0, kw in.c % 4 != 0; the rows padded to run4 at most 4/3
of the window: kernels/conv.py wide_path "rows"), an even out.c, dilation 1, at least 4 output pixels and planned
scratch runs the pair-interleaved wide engine on its int8 filter with each row of kw in.c weights padded with
zeros to a multiple of 4 (codegen/ops/conv.py pair_interleaved row_pad) instead of the window kernels (whose
widened win_w copy then stays out of flash). The elements past a window row are widened from whatever the input
holds there, or the zero point in padded blocks (mcu_im2col_cut4, mcu_im2col_widen4), and meet zero weights.

Single-op int8 models made with TensorFlow (tests/single_op.py's make_model), compiled for qemu-m4 and
compared bit-exactly with TFLite Micro; the profile names conv_im2col_rows_pairs. Edges: 1, 2, 3 input channels
(run 3, 6, 9), stride 2 with SAME padding on odd and even sizes, VALID, ReLU / ReLU6, input zero points at both
ends, no bias, output pixel counts not a multiple of 4, a channel past mcu_rqd's bound."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_tools
from single_op import Case, case_models, run_case

CASES = [
    # a network's first conv: 3 channels 3x3 SAME (padding on every side), 35 output pixels
    Case("rp_3x3_c3_same", "conv", (5, 7, 3), kernel=3, padding="same", units=8),
    # stride 2 SAME on odd sizes, ReLU, the input zero point at the top (person_detect's first conv in small)
    Case("rp_3x3_c1_s2_relu_zp_max", "conv", (9, 11, 1), kernel=3, strides=2, padding="same", units=4,
         act="relu", data_range=(-5.0, -1.0)),
    # 2 channels (run 6 -> 8), stride 2 SAME on even sizes (bottom / right padding only), ReLU6, zero point -128
    Case("rp_3x3_c2_s2_relu6_zp_min", "conv", (8, 10, 2), kernel=3, strides=2, padding="same", units=6,
         act="relu6", data_range=(0.5, 4.0)),
    # VALID, no bias, 3 channels, 5x5 (run 15 -> 16), 2 x 5 output pixels
    Case("rp_5x5_c3_valid_no_bias", "conv", (6, 9, 3), kernel=5, units=2, use_bias=False),
    # a channel past mcu_rqd's bound (its pair's plain requantisation), left shifts
    Case("rp_3x3_c3_tiny_channel", "conv", (6, 6, 3), kernel=3, padding="same", units=4, tiny_channel=1e-6),
    Case("rp_3x3_c3_big_weights", "conv", (4, 5, 3), kernel=3, units=4, weight_scale=1e3),
]


@pytest.fixture(scope="module")
def rp_dir(tmp_path_factory):
    return case_models(tmp_path_factory, "rows_pairs_models", CASES)


def test_choose_takes_the_rows_pairs_only_where_they_apply():
    """In.c % 4 != 0 with kw in.c % 4 != 0 on the DSP cores without the pre-widened weights, planned scratch and an
    even out.c: the rows pairs; kw in.c a multiple of 4 keeps the im2col pairs; rows beyond 4/3 of the window, an
    odd out.c or no scratch: the window kernels; the pre-widened weights: conv_im2col_rows."""
    from types import SimpleNamespace

    from mcucompile.kernels.conv import choose

    a = SimpleNamespace(stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, depth_multiplier=1)

    def pick(in_c, out_c, k, scratch=True, wide=False, kw=None):
        kw = k if kw is None else kw
        return choose((1, 8, 8, in_c), (out_c, k, kw, in_c), (1, 8, 8, out_c), a, False, "dsp", scratch=scratch,
                      wide=wide, win=True).name

    assert pick(3, 16, 3) == "mcu_conv_im2col_rows_pairs_s8_dsp"
    assert pick(1, 8, 3) == "mcu_conv_im2col_rows_pairs_s8_dsp"
    assert pick(2, 6, 2) == "mcu_conv_im2col_wide_pairs_s8_dsp"
    assert pick(1, 8, 5) == "mcu_conv_win_s8_dsp"             # run 5 -> 8: more than 4/3
    assert pick(3, 7, 3) == "mcu_conv_win_s8_dsp"
    assert pick(3, 16, 3, scratch=False) == "mcu_conv_win_stack_s8_dsp"
    assert pick(3, 16, 3, wide=True) == "mcu_conv_im2col_rows_s8_dsp"


def test_row_padded_pair_interleaved_layout():
    """pair_interleaved(row_pad=True) is pair_interleaved of the filter whose rows of kw in.c weights were padded
    with zeros to a multiple of 4: the same bytes plus zeros."""
    from mcucompile.codegen.ops.conv import pair_interleaved

    rng = np.random.default_rng(2)
    w = rng.integers(-128, 128, size=(4, 3, 3, 3), dtype=np.int8)
    padded = np.pad(w.reshape(4, 3, 9), ((0, 0), (0, 0), (0, 3)))
    got = pair_interleaved(w, row_pad=True)
    assert np.array_equal(got, pair_interleaved(padded.reshape(4, 3, 4, 3)))
    assert got.size == 4 * 3 * 12 and sorted(got[got != 0].tolist()) == sorted(w[w != 0].ravel().tolist())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rows_pairs_on_m4(rp_dir, case):
    """qemu-m4, --wide-weights off: conv_im2col_rows_pairs runs (profile), bit-exact with TFLite Micro, nothing
    outside the arena touched."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    r = run_case(rp_dir / f"{case.id}.tflite", case, "qemu-m4", scratch="always", wide_weights="off")
    funcs = r.extra["instructions_by_function"]
    assert "conv_im2col_rows_pairs" in funcs, (case.id, sorted(funcs))
    assert r.guard_violations == 0
