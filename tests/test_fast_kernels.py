"""The fast conv / depthwise / fully-connected paths (firmware/mcu_conv*.c, mcu_dwconv*.c, mcu_fc.c) across the edges of
their run-time selectors: single-op int8 models made with TensorFlow, compiled, and compared bit-exactly
with TFLite Micro on the host (plain-C blocking) and under QEMU on a Cortex-M4 (SXTB16/SMLAD inner loops).

Selector edges covered: 1x1 stride-1 unpadded conv (the blocked matrix multiply) with odd pixel counts, odd
output-channel counts and input channels not a multiple of 4; 1x1 conv that must not take that path
(stride 2, batch of pixels via SAME on a 1x1 kernel); 3x3 / 5x5 convs padded on every side and
asymmetrically; depthwise with channel counts leaving 1, 2 and 3 channels after the blocks of 4; fully
connected with odd output counts and depths not a multiple of 4; input zero points at both ends of the
int8 range (inputs all negative or all positive) and a huge filter scale (large multipliers).

Since the Helium (MVE) paths for the Cortex-M55, every case also runs on qemu-m55; the depthwise path
takes depth multipliers > 1 (4-lane blocks whose input channel is output channel / multiplier: one
shared input for multipliers divisible by 4, any lane pattern otherwise); multiplier 1 goes by channel
groups (DSP: 4 channels, interior 3x3 / 5x5 windows unrolled, the doubled-sum requantisation
mcu_rqd_apply (mcu_rq2_channel) where the group allows it; Helium: 4 lanes x 4 pixels, the last group predicated); the
two-pixel conv rows pair neighbours whose valid taps agree (so padding on the left and right breaks
pairs, odd widths leave single pixels). mcu_requant_fast (the one-rounding-step form of
TFLite's requantisation all fast paths use) is checked against an independent Python model of TFLite's
arithmetic.

On the DSP cores the 1x1 path widens 4 input pixels (plus the input offset) to int16 once into a planned
scratch and runs 4 pixels x 2 output channels over groups of 4 pre-widened (doubled) input channels,
requantising the doubled sums with SMMLAR, the output offset folded in (mcu_rq2_channel), where a channel's
bias keeps every sum below 2^30 and its right shift is at most 22 (pw_c8_tiny_channel, pw_c9_tiny_channel_odd:
one channel beyond); whole pairs in assembly when in.c is a multiple of 4 and the activation range all of
int8 (pw_c7_relu6_zp_max, pw_c12_relu6_zp_min: the clamp in C); the
pw_c* cases cover channel counts with no tail, tails of 1..3, a single group of 4, and fewer than 4
channels (no scratch, the plain blocking); pixel counts not a multiple of 4 (the last block moved back) and
below 4 (the plain blocking); pw_big_bias_c12 a channel beyond mcu_rqd's bound (its blocks requantised
plainly), pw_big_weights left shifts.

The im2col_* cases: on the DSP cores any other conv with dilation 1 and in.c a multiple of 4 runs the same
machinery on 4 output pixels' whole windows gathered into a scratch of 8 kh kw in.c bytes (padding taps as
0 words), or, without planned scratch, in the end of its own output for the rows before it (the rest by the
conv rows).

The pw_dead_* cases have output channels whose weights are all zero (the converter gives them biases near
+-2^30): the codegen's dead-channel hint (constant outputs, the list of live channels) lets the 1x1 paths
compute live channels only (pairs of non-adjacent live channels on the DSP cores, gathered passes of 4 on
Helium) and fill the dead ones from the constant row: some dead with an odd live count, all but one dead,
all dead.

Window kernels (win_* cases): convs with input channels not a multiple of 4 and depthwise convs with a
depth multiplier > 1 and at most 4 input channels gather each output pixel's whole window (padding taps as
the zero point); DSP: widened once, 2 pixels x 2 channels of SMLAD, mcu_rqd where a channel allows it;
Helium: mcu_mve_dot4 over the window, 4 channels at a time."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from conftest import need_tools
from single_op import Case, case_models, run_case

CASES = [
    # 1x1 stride 1 unpadded: the 2x2 blocked matrix multiply
    Case("pw_odd_pixels_odd_channels", "conv", (3, 5, 7), units=5),
    Case("pw_zp_min", "conv", (3, 3, 13), units=6, data_range=(0.5, 4.0)),       # input zero point -128
    Case("pw_zp_max", "conv", (3, 3, 13), units=6, data_range=(-5.0, -1.0), act="relu6"),  # zero point 127
    Case("pw_big_weights", "conv", (2, 3, 9), units=3, weight_scale=1e3),
    # DSP cores: the scratch-widened 1x1 path (4 pixels x 2 channels over groups of 8 and 4 input channels,
    # then 1..3 left over); fewer than 4 input channels take the plain 1x1 blocking
    Case("pw_c16_even", "conv", (2, 4, 16), units=8, act="relu"),
    Case("pw_c4_odd_units_zp_max", "conv", (3, 3, 4), units=3, data_range=(-5.0, -1.0)),
    # without planned scratch (--scratch free where it raises the peak) the DSP 1x1 conv borrows the end of
    # its own output: the pixels before it on the wide path, the rest plain (odd counts: a partial block)
    Case("pw_own_output_c12", "conv", (6, 8, 12), units=8),
    Case("pw_own_output_odd", "conv", (5, 7, 20), units=7, data_range=(0.5, 4.0)),
    Case("pw_c6_zp_min_big", "conv", (1, 5, 6), units=4, data_range=(0.5, 4.0), weight_scale=1e3),
    Case("pw_c3_narrow", "conv", (3, 2, 3), units=5),
    # 4 pixels x 2 channels per block, the last block moved back; a channel whose bias is too large for the
    # doubled sums takes the plain requantisation (its block only); fewer than 4 pixels: the plain blocking
    Case("pw_big_bias_c12", "conv", (3, 3, 12), units=5, big_bias=90.0),
    Case("pw_c8_2px", "conv", (1, 2, 8), units=4),
    # 1x1 with dead output channels (all weights zero: a constant output each, from the dead-channel hint):
    # an odd number of live channels not adjacent, out.c not a multiple of 4, 15 pixels; one live channel;
    # none live; a single group of 4 input channels with the input zero point at the top
    Case("pw_dead_some_c16", "conv", (3, 5, 16), units=9, dead=(0, 2, 3, 7)),
    Case("pw_dead_all_but_one", "conv", (3, 3, 12), units=6, dead=(0, 1, 2, 4, 5), act="relu"),
    Case("pw_dead_all", "conv", (2, 3, 8), units=5, dead=(0, 1, 2, 3, 4), act="relu6"),
    Case("pw_dead_c4_zp_max", "conv", (3, 3, 4), units=8, dead=(1, 6), data_range=(-5.0, -1.0)),
    # the folded output offset (mcu_rq2_channel's constant) straight into SSAT and the stores when in.c is a
    # multiple of 4 and the activation range is all of int8; otherwise the tail channels and the clamp out of
    # line; channels with a right shift beyond 22 or a left shift take the plain requantisation (their
    # pair's block only)
    Case("pw_c5_odd_units", "conv", (2, 3, 5), units=7),
    Case("pw_c7_relu6_zp_max", "conv", (3, 2, 7), units=3, data_range=(-5.0, -1.0), act="relu6"),
    Case("pw_c12_relu6_zp_min", "conv", (2, 3, 12), units=5, data_range=(0.5, 4.0), act="relu6"),
    Case("pw_c8_big_weights", "conv", (1, 5, 8), units=3, weight_scale=1e3),
    Case("pw_c8_tiny_channel", "conv", (2, 2, 8), units=4, tiny_channel=1e-6),
    Case("pw_c9_tiny_channel_odd", "conv", (2, 4, 9), units=5, tiny_channel=1e-6, act="relu"),
    # the pre-widened weight stream (--wide-weights, DSP cores): 7 groups of 4 (every TBH entry is taken by
    # some case), 9 groups and a tail of 1 on 9 pixels (blocks at 0, 4, 5), an odd live count among dead
    # channels with the input zero point at the top, no bias (the stream's bias words 0)
    Case("pw_wide_c28_odd_units_zp_min", "conv", (2, 5, 28), units=7, data_range=(0.5, 4.0)),
    Case("pw_wide_c37_tail_relu", "conv", (3, 3, 37), units=6, act="relu"),
    Case("pw_wide_dead_odd_live_c24", "conv", (2, 6, 24), units=10, dead=(1, 4, 5, 8, 9), data_range=(-5.0, -1.0)),
    Case("pw_wide_c8_no_bias", "conv", (3, 3, 8), units=5, use_bias=False),
    # the last 1 or 2 pixels past the blocks (wide_pre_rows): two pairs of the stream at a time, 16 groups
    # with a clamp (C output stage), 9 groups in one assembly loop per pixel (the whole int8 range) with an
    # odd channel count (blocks: STRH pairs of neighbours, the last pair in C; pixel loop: the last pair,
    # a channel twice, alone), 2 pixels of 8 groups and 3 pairs (the last alone)
    Case("pw_wide_c64_relu6_tail1", "conv", (3, 3, 64), units=12, act="relu6"),
    Case("pw_wide_c36_odd_units_tail1", "conv", (3, 3, 36), units=9),
    Case("pw_wide_c32_tail2", "conv", (2, 3, 32), units=6),
    # other convs: per-pixel rows of valid taps
    Case("pw_stride2", "conv", (5, 5, 6), strides=2, units=3),
    Case("conv3x3_same_odd", "conv", (5, 7, 5), kernel=3, padding="same", units=3, act="relu"),
    Case("conv3x1_zp_min", "conv", (6, 5, 9), kernel=(3, 1), padding="same", units=5, data_range=(0.1, 2.0)),
    # two-pixel rows: pairs inside, singles at padded borders and at the end of odd rows
    Case("conv3x3_pairs_odd_width", "conv", (4, 9, 6), kernel=3, padding="same", units=4),
    Case("conv5x5_s2_pairs", "conv", (9, 11, 3), kernel=5, strides=2, padding="same", units=3),
    Case("conv3x3_valid_c17_zp_max", "conv", (5, 8, 17), kernel=3, units=5, data_range=(-3.0, -0.2)),
    Case("conv2x2_dil2_big", "conv", (6, 7, 4), kernel=2, dilation=2, units=3, weight_scale=1e3),
    Case("pw_c33_odd", "conv", (1, 3, 33), units=7),
    # DSP cores, in.c a multiple of 4: any conv with dilation 1 through the 1x1 path's machinery on 4 output
    # pixels' windows gathered (im2col, padding as widened 0 words) into a scratch of 8 kh kw in.c bytes;
    # odd output widths (blocks wrapping rows, the last block moved back), padding on every side, strides
    # 1 and 2, extreme input zero points, a channel beyond mcu_rqd's bound, left shifts, a 1x1 stride 2;
    # fewer than 4 output pixels: no scratch, the conv rows
    Case("im2col_3x3_c4_same", "conv", (5, 7, 4), kernel=3, padding="same", units=5),
    Case("im2col_3x3_c8_s2_zp_min", "conv", (9, 7, 8), kernel=3, strides=2, padding="same", units=6,
         data_range=(0.5, 4.0)),
    Case("im2col_3x3_c12_s2_zp_max", "conv", (6, 9, 12), kernel=3, strides=2, padding="same", units=3,
         data_range=(-5.0, -1.0), act="relu6"),
    Case("im2col_3x3_c8_zp_max", "conv", (4, 5, 8), kernel=3, padding="same", units=4, data_range=(-5.0, -1.0)),
    Case("im2col_5x5_c4_valid", "conv", (7, 9, 4), kernel=5, units=4, act="relu"),
    Case("im2col_3x3_c8_big_bias", "conv", (5, 5, 8), kernel=3, padding="same", units=5, big_bias=90.0),
    Case("im2col_3x3_c4_big_weights", "conv", (3, 5, 4), kernel=3, padding="same", units=3, weight_scale=1e3),
    Case("im2col_pw_s2_c8", "conv", (5, 5, 8), strides=2, units=3),
    Case("im2col_3x3_c4_1px", "conv", (3, 3, 4), kernel=3, units=3),
    # without planned scratch: the scratch borrowed from the end of the conv's own output, the rows before
    # it through the im2col path, the rest by the conv rows (shifted down: stride 2 with padding on top)
    Case("im2col_own_output_c4", "conv", (8, 9, 4), kernel=3, padding="same", units=16),
    Case("im2col_own_output_s2_c8", "conv", (11, 11, 8), kernel=3, strides=2, padding="same", units=24,
         data_range=(0.5, 4.0)),
    # depthwise, multiplier 1: blocks of 4 channels and the 1..3 left over
    Case("dw_c7_s2", "dw", (7, 6, 7), kernel=3, strides=2, padding="same", act="relu6"),
    Case("dw_c6_zp_max", "dw", (4, 5, 6), kernel=3, padding="same", data_range=(-4.0, -0.5)),
    Case("dw_c1_5x5", "dw", (6, 6, 1), kernel=5, padding="same"),
    # depthwise 3x3, multiplier 1: the unrolled window inside, the general taps on every border
    Case("dw3x3_c8_odd_width", "dw", (5, 7, 8), kernel=3, padding="same"),
    Case("dw3x3_c12_valid_zp_min", "dw", (6, 5, 12), kernel=3, data_range=(0.2, 3.0), act="relu"),
    Case("dw3x3_c9_s2_big", "dw", (7, 7, 9), kernel=3, strides=2, padding="same", weight_scale=1e3),
    Case("dw3x3_c4_dil2", "dw", (8, 7, 4), kernel=3, padding="same", dilation=2),
    # depthwise, multiplier 1, channel groups outside (DSP: groups of 4 + the old path for 1..3 left over and
    # for filters over 25 taps; Helium: 4 lanes, the tail predicated), interior pixels unrolled (DSP 3x3 and
    # 5x5) or 4 at a time (Helium), borders over their valid taps (interior-only windows: dw3x3_c12_valid_zp_min,
    # dilation: dw3x3_c4_dil2, the plain loops of groups mcu_rq2_channel can't take: dw3x3_c9_s2_big)
    Case("dw5x5_c8_interior", "dw", (7, 9, 8), kernel=5, padding="same", act="relu"),
    Case("dw7x7_c5_big_filter", "dw", (8, 8, 5), kernel=7, padding="same"),
    Case("dw3x3_c16_s2_zp_max", "dw", (9, 18, 16), kernel=3, strides=2, padding="same", data_range=(-4.0, -0.5)),
    # DSP: 2 interior pixels per pass (DWG_PAIRS: 3x3 / 5x5, stride 1 or 2, dilation 1), odd interior widths
    # leaving one pixel to the single path, padding on every side or none, channel tails, extreme zero points;
    # the 5x5 with huge weights takes the groups' plain requantisation (no pairs)
    Case("dw3x3_c12_pairs_odd", "dw", (6, 9, 12), kernel=3, padding="same", act="relu6"),
    Case("dw3x3_c6_s2_pairs_zp_min", "dw", (9, 13, 6), kernel=3, strides=2, padding="same",
         data_range=(0.2, 3.0)),
    Case("dw3x3_c8_pairs_valid_even", "dw", (5, 10, 8), kernel=3, act="relu"),
    Case("dw5x5_c8_pairs_zp_max", "dw", (8, 11, 8), kernel=5, padding="same", data_range=(-4.0, -0.5)),
    Case("dw5x5_c5_s2_pairs_valid", "dw", (9, 16, 5), kernel=5, strides=2, act="relu6"),
    Case("dw5x5_c10_s2_pairs_same", "dw", (11, 15, 10), kernel=5, strides=2, padding="same"),
    Case("dw5x5_c4_pairs_big", "dw", (7, 10, 4), kernel=5, padding="same", weight_scale=1e3),
    # DSP: vertical pairs (dwg_vpairs: 3x3, stride_h 1, the first / last output column with one filter column cut
    # off, two rows a pass): tiny maps (2 columns: both sides; 1 column: none; 1 or 2 inside rows), odd inside
    # row counts, stride_w 2 with the padding on the right only (even width) or both sides, channel tails,
    # extreme zero points, huge weights (the plain requantisation: no pairs)
    Case("dw3x3_c8_vpairs_w2", "dw", (4, 2, 8), kernel=3, padding="same", act="relu6"),
    Case("dw3x3_c4_vpairs_w1", "dw", (6, 1, 4), kernel=3, padding="same"),
    Case("dw3x3_c12_vpairs_3x3", "dw", (3, 3, 12), kernel=3, padding="same", data_range=(-4.0, -0.5)),
    Case("dw3x3_c6_vpairs_4x4_zp_min", "dw", (4, 4, 6), kernel=3, padding="same", data_range=(0.2, 3.0)),
    Case("dw3x3_c8_vpairs_odd_rows", "dw", (7, 5, 8), kernel=3, padding="same", act="relu"),
    Case("dw3x3_c8_vpairs_s12_right", "dw", (5, 8, 8), kernel=3, strides=(1, 2), padding="same"),
    Case("dw3x3_c7_vpairs_s12_both", "dw", (6, 9, 7), kernel=3, strides=(1, 2), padding="same", act="relu6"),
    Case("dw3x3_c4_vpairs_big", "dw", (6, 6, 4), kernel=3, padding="same", weight_scale=1e3),
    # the maps above at stride 1 are small enough for the padded copy (below); these are not: a tall 2-column map
    # (mcu_dwconv_k3v since it takes maps of at least 8 rows and at most 13 columns, tests/test_dw_k3v.py) and one
    # that keeps dwg_vpairs (padded map over 256 words, 16 columns): odd inside rows, a channel tail
    Case("dw3x3_c8_vpairs_w2_tall", "dw", (70, 2, 8), kernel=3, padding="same", act="relu6"),
    Case("dw3x3_c6_vpairs_17x16_zp_min", "dw", (17, 16, 6), kernel=3, padding="same", data_range=(0.2, 3.0)),
    # DSP: small maps at stride 1 (padded map of at most 256 words: dwg_padded, every pixel a DWG_PAIRS window
    # in a copy padded with the input zero point): 1 pixel, 1-3 pixel wide maps, odd widths (the odd last
    # pixel alone), SAME and VALID, 5x5, channel tails, extreme zero points, the size limit (14x14: 256 words,
    # taken; 15x14: 272, not), huge weights (the plain requantisation: not taken); more in test_dw_padded.py
    Case("dw3x3_c8_pad_1x1", "dw", (1, 1, 8), kernel=3, padding="same", act="relu6"),
    Case("dw3x3_c6_pad_2x3_zp_min", "dw", (2, 3, 6), kernel=3, padding="same", data_range=(0.2, 3.0)),
    Case("dw3x3_c9_pad_5x1_zp_max", "dw", (5, 1, 9), kernel=3, padding="same", data_range=(-4.0, -0.5)),
    Case("dw3x3_c12_pad_7x5", "dw", (7, 5, 12), kernel=3, padding="same", act="relu6"),
    Case("dw3x3_c8_pad_valid_4x7_zp_max", "dw", (4, 7, 8), kernel=3, data_range=(-4.0, -0.5), act="relu"),
    Case("dw3x3_c4_pad_valid_3x3", "dw", (3, 3, 4), kernel=3),
    Case("dw3x3_c8_pad_limit_14x14", "dw", (14, 14, 8), kernel=3, padding="same"),
    Case("dw3x3_c8_pad_over_15x14", "dw", (15, 14, 8), kernel=3, padding="same", act="relu6"),
    Case("dw5x5_c10_pad_3x4", "dw", (3, 4, 10), kernel=5, padding="same"),
    Case("dw5x5_c4_pad_valid_6x7_zp_min", "dw", (6, 7, 4), kernel=5, data_range=(0.2, 3.0)),
    Case("dw3x3_c4_pad_big", "dw", (3, 5, 4), kernel=3, padding="same", weight_scale=1e3),
    # depthwise, multiplier > 1: shared input (multiple of 4), any lane pattern, tails of 1..3 lanes
    Case("dw_m8_c1", "dw", (9, 6, 1), kernel=3, padding="same", depth_multiplier=8),
    Case("dw_m4_c3_s2", "dw", (7, 6, 3), kernel=(3, 2), strides=2, padding="same", depth_multiplier=4),
    Case("dw_m2_c3", "dw", (5, 5, 3), kernel=3, padding="same", depth_multiplier=2, act="relu6"),
    Case("dw_m3_c5_zp_max", "dw", (4, 6, 5), kernel=3, depth_multiplier=3, data_range=(-4.0, -0.5)),
    Case("dw_m5_c2_5x5", "dw", (6, 6, 2), kernel=5, padding="same", depth_multiplier=5),
    # DSP window kernels: convs with in.c % 4 != 0 and kh*kw*in.c in [4, 96] (n % 4 = 1..3: zero widened
    # weights past n), depthwise with multiplier > 1 and in.c <= 4; chunks of up to 16 channels as the
    # widened weights fit (n <= 40: 16, n <= 80: 8, more: 6; an odd last channel paired with itself); pixel
    # pairs (odd widths: the last pixel twice), windows inside (runs copied, pairs at once) or cut by SAME padding
    # on any side (tap by tap), dilation, doubled-sum requantisation or the plain one (huge / tiny
    # multipliers, a channel beyond the bias bound), full int8 range (SSAT) or a clamp (relu6)
    Case("win_conv_c1_s2", "conv", (9, 11, 1), kernel=3, strides=2, padding="same", units=5),
    Case("win_conv_c2_same", "conv", (5, 7, 2), kernel=3, padding="same", units=4, act="relu6"),
    Case("win_conv_c3_s2_vww", "conv", (11, 13, 3), kernel=3, strides=2, padding="same", units=8,
         data_range=(0.5, 4.0)),
    Case("win_conv_c3_zp_max_big", "conv", (6, 5, 3), kernel=3, padding="same", units=3, weight_scale=1e3,
         data_range=(-5.0, -1.0)),
    Case("win_conv_c5_tiny_mult", "conv", (5, 6, 5), kernel=(2, 3), padding="same", units=6, weight_scale=1e-5),
    Case("win_conv_c3_dil2", "conv", (8, 9, 3), kernel=3, dilation=2, padding="same", units=3),
    Case("win_conv_c3_big_bias", "conv", (6, 7, 3), kernel=3, strides=2, units=5, big_bias=90.0),
    Case("win_conv_c1_1x3_n3", "conv", (4, 7, 1), kernel=(1, 3), padding="same", units=3),
    Case("win_conv_c5_5x5_n125", "conv", (6, 7, 5), kernel=5, padding="same", units=3),
    Case("win_conv_c7_4x4_s3", "conv", (10, 11, 7), kernel=(3, 4), strides=(3, 2), padding="same", units=9),
    Case("win_conv_c1_10x4_kws_c21", "conv", (15, 10, 1), kernel=(10, 4), strides=2, padding="same", units=21),
    Case("win_conv_c3_n84_c13", "conv", (7, 9, 3), kernel=(4, 7), padding="same", units=13),
    Case("win_dw_m17_c1_s1", "dw", (6, 9, 1), kernel=3, padding="same", depth_multiplier=17),
    Case("win_dw_m2_c1_5x5", "dw", (7, 9, 1), kernel=5, padding="same", depth_multiplier=2, act="relu6"),
    Case("win_dw_m3_c2_s2", "dw", (8, 9, 2), kernel=3, strides=2, padding="same", depth_multiplier=3),
    Case("win_dw_m4_c1_10x8", "dw", (13, 12, 1), kernel=(10, 8), strides=2, padding="same", depth_multiplier=4),
    Case("win_dw_m5_c3_zp_min", "dw", (5, 7, 3), kernel=3, padding="same", depth_multiplier=5,
         data_range=(0.5, 4.0)),
    Case("win_dw_m6_c1_big", "dw", (6, 7, 1), kernel=3, strides=2, padding="same", depth_multiplier=6,
         weight_scale=1e3),
    Case("win_dw_m7_c2_zp_max", "dw", (5, 6, 2), kernel=(2, 3), padding="same", depth_multiplier=7,
         data_range=(-5.0, -1.0)),
    Case("win_dw_m8_c3_dil2", "dw", (9, 8, 3), kernel=3, dilation=2, padding="same", depth_multiplier=8),
    Case("win_dw_m8_c1_big_bias", "dw", (7, 7, 1), kernel=3, strides=2, padding="same", depth_multiplier=8,
         big_bias=90.0),
    Case("win_dw_m4_c2_1x1", "dw", (3, 5, 2), kernel=1, depth_multiplier=4),
    Case("win_dw_m2_c4_valid", "dw", (6, 7, 4), kernel=3, depth_multiplier=2),
    Case("win_dw_m2_c5_not_taken", "dw", (5, 5, 5), kernel=3, padding="same", depth_multiplier=2),
    # DSP, in.c % 4 != 0 with the pre-widened stream (conv_im2col_rows: window rows padded to groups of 4, taken
    # where that is at most 4/3 of the window; the win_* convs above with dilation 1 and at least 4 output pixels
    # take it too): blocks of 4 pixels in one row inside the input, blocks cut on the left and right
    # (im2col_cut4; a 4-wide map: both ends), blocks wrapping rows and rows cut by padding (the general gather),
    # rows over 64 elements (the general gather for every block), a depthwise conv of one input channel as the
    # conv of its transposed filter, extreme zero points; not taken below 4 output pixels or with too much
    # padding (1x1 of one channel: 4 elements for 1)
    Case("rows_c23_3x3_generic", "conv", (6, 7, 23), kernel=3, padding="same", units=5),
    Case("rows_c3_w4_both_cut", "conv", (6, 4, 3), kernel=3, padding="same", units=6, act="relu6"),
    Case("rows_c1_5x3_s2_zp_max", "conv", (13, 14, 1), kernel=(5, 3), strides=2, padding="same", units=7,
         data_range=(-5.0, -1.0)),
    Case("rows_c6_2x2_s2_zp_min", "conv", (8, 10, 6), kernel=2, strides=2, units=4, data_range=(0.5, 4.0)),
    Case("rows_dw_m5_c1_zp_min", "dw", (10, 9, 1), kernel=3, strides=2, padding="same", depth_multiplier=5,
         data_range=(0.5, 4.0)),
    Case("rows_c1_1x1_s2_not_taken", "conv", (6, 6, 1), kernel=1, strides=2, units=3),
    Case("rows_c2_1px_not_taken", "conv", (3, 3, 2), kernel=3, units=3),
    # fully connected: 4 rows per pass on DSP cores (groups of 4 inputs two per loop pass, an odd one
    # first), then rows in pairs (an odd last row twice), 4 inputs per load
    Case("fc_odd", "fc", (13,), units=7),
    Case("fc_even_zp_min", "fc", (64,), units=10, data_range=(0.0, 6.0)),
    Case("fc_depth3_rows4", "fc", (3,), units=4),
    Case("fc_odd_groups_zp_max_big", "fc", (36,), units=9, data_range=(-5.0, -1.0), weight_scale=1e3),
]



@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return case_models(tmp_path_factory, "fast_kernel_models", CASES)


def test_input_zero_points_reach_both_ends(model_dir):
    """The extreme-zero-point cases really have input zero points -128 and +127 (or next to them)."""
    from mcucompile.frontend.tflite_reader import read_tflite

    for cid, lo, hi in (("pw_zp_min", -128, -127), ("pw_zp_max", 126, 127), ("fc_even_zp_min", -128, -127)):
        g = read_tflite(model_dir / f"{cid}.tflite")
        zp = int(g.tensors[g.ops[0].inputs[0]].zero_point)
        assert lo <= zp <= hi, (cid, zp)


# one case per fast path runs on the host in the quick suite; the rest there are marked slow (what they
# add is mostly their QEMU runs)
HOST_QUICK = {"pw_odd_pixels_odd_channels", "pw_zp_min", "pw_c6_zp_min_big", "pw_dead_some_c16", "pw_dead_all",
              "conv3x3_same_odd", "conv3x3_pairs_odd_width", "im2col_3x3_c8_s2_zp_min",
              "dw_c7_s2", "dw3x3_c8_odd_width", "dw5x5_c8_interior", "dw_m8_c1", "dw_m3_c5_zp_max",
              "fc_odd", "fc_even_zp_min", "win_conv_c3_s2_vww", "win_dw_m3_c2_s2"}


@pytest.mark.parametrize("case", [c if c.id in HOST_QUICK else pytest.param(c, marks=pytest.mark.slow)
                                  for c in CASES], ids=lambda c: c.id)
def test_host_plain_path(model_dir, case):
    run_case(model_dir / f"{case.id}.tflite", case, None)


def test_pointwise_scratch_is_planned(model_dir, tmp_path):
    """On the DSP cores (qemu-m4, nrf52840dk: M4; qemu-m7: M7) a 1x1 stride-1 conv can use 4 pixels x
    (input channels rounded down to 4) int16 of scratch, handed to the 1x1 variant (NULL below 4 input
    channels and for other convs; conv2x2_dil2_big: no DSP path of a conv with scratch). With --scratch always it is
    planned; with the default (free) it is
    not where it would raise the peak, as in these one-op models (input, output and scratch all live at
    once): the call gets NULL and the arena stays the minimal one. Everywhere else (the host without a
    board, Cortex-M0+, the Helium kernels of the M55) nothing is planned either way."""
    from mcucompile.api import Options, compile_model
    from mcucompile.frontend.tflite_reader import read_tflite
    from mcucompile.passes.liveness import align_up, buffers

    for cid, in_c in (("pw_c16_even", 16), ("pw_c6_zp_min_big", 6), ("pw_c3_narrow", 3),
                      ("conv2x2_dil2_big", None)):
        g = read_tflite(model_dir / f"{cid}.tflite")
        want = 4 * (in_c // 4 * 4) * 2 if in_c else 0
        for simd, planned in (("none", 0), ("mve", 0), ("dsp", want)):
            scratch = [b for b in buffers(g, simd=simd) if b.kind == "scratch"]
            assert sum(b.size for b in scratch) == planned, (cid, simd)
        x, y = g.tensors[g.ops[0].inputs[0]], g.tensors[g.ops[0].outputs[0]]
        tensors = align_up(x.nbytes, 4) + align_up(y.nbytes, 4)
        for (board, planned), policy in itertools.product(
                ((None, 0), ("rpi-pico", 0), ("qemu-m55", 0), ("qemu-m4", want), ("nrf52840dk", want),
                 ("qemu-m7", want)), ("always", "free")):
            planned = planned if policy == "always" else 0
            c = compile_model(model_dir / f"{cid}.tflite", tmp_path / f"{cid}_{board}_{policy}", board=board,
                              options=Options(scratch=policy))
            # one op: input, output and the scratch are all live at once
            assert c.arena_bytes == tensors + planned, (cid, board, policy, c.arena_bytes)
            call = next(line for f, text in c.files.items() if f == f"{g.name}.c"
                        for line in text.splitlines() if re.search(r"\bmcu_conv_\w+\(", line))
            assert call.rstrip().endswith("NULL);") == (planned == 0), (cid, board, policy, call)


def test_im2col_scratch_is_planned(model_dir, tmp_path):
    """On the DSP cores any other conv with dilation 1, in.c a multiple of 4 and at least 4 output pixels
    gets 8 kh kw in.c bytes of scratch (4 output pixels' windows widened to int16, firmware/mcu_conv_im2col_wide_dsp.c
    conv_im2col_wide; optional like the 1x1's: planned with --scratch always, not with free where it
    would raise the peak); none for fewer than 4 output pixels, dilation, or other targets. Convs with in.c
    not a multiple of 4 (conv3x3_same_odd, pw_stride2) get the larger of conv_im2col_rows' (window rows padded to
    groups of 4, MCU_CONV_ROWS_SCRATCH_BYTES) and the window kernels' (MCU_WIN_SCRATCH_BYTES(kh kw in.c, out.c):
    test_window_scratch_is_planned)."""
    from mcucompile.api import Options, compile_model
    from mcucompile.frontend.tflite_reader import read_tflite
    from mcucompile.kernels.conv import win_scratch_bytes
    from mcucompile.passes.liveness import align_up, buffers

    odd = {cid: max(win_scratch_bytes(*_window(read_tflite(model_dir / f"{cid}.tflite"))),
                    _c_rows_scratch_bytes(read_tflite(model_dir / f"{cid}.tflite"), tmp_path))
           for cid in ("conv3x3_same_odd", "pw_stride2")}
    for cid, want in (("im2col_3x3_c4_same", 8 * 9 * 4), ("im2col_3x3_c12_s2_zp_max", 8 * 9 * 12),
                      ("im2col_5x5_c4_valid", 8 * 25 * 4), ("im2col_pw_s2_c8", 8 * 8),
                      ("im2col_3x3_c4_1px", 0), ("conv3x3_same_odd", odd["conv3x3_same_odd"]),
                      ("pw_stride2", odd["pw_stride2"]),
                      ("conv2x2_dil2_big", 0)):
        g = read_tflite(model_dir / f"{cid}.tflite")
        for simd, planned in (("none", 0), ("mve", 0), ("dsp", want)):
            scratch = [b for b in buffers(g, simd=simd) if b.kind == "scratch"]
            assert sum(b.size for b in scratch) == planned, (cid, simd)
        x, y = g.tensors[g.ops[0].inputs[0]], g.tensors[g.ops[0].outputs[0]]
        tensors = align_up(x.nbytes, 4) + align_up(y.nbytes, 4)
        for policy in ("always", "free"):
            planned = want if policy == "always" else 0
            c = compile_model(model_dir / f"{cid}.tflite", tmp_path / f"{cid}_{policy}", board="qemu-m4",
                              options=Options(scratch=policy))
            assert c.arena_bytes == tensors + planned, (cid, policy, c.arena_bytes)
            call = next(line for f, text in c.files.items() if f == f"{g.name}.c"
                        for line in text.splitlines() if re.search(r"\bmcu_conv_\w+\(", line))
            assert call.rstrip().endswith("NULL);") == (planned == 0), (cid, policy, call)


def test_pointwise_scratch_in_patch_schedules(shared_models):
    """The patch search and the patched plan see the target's scratch too: on vww_96_int8 with --patch auto
    every 1x1 stride-1 conv holds 8 x (input channels rounded down to 4) bytes for a DSP core and none
    otherwise, and both plans are sound."""
    from mcucompile import api
    from mcucompile.codegen.generate import Options, compile_graph
    from mcucompile.passes.memory_plan import check_plan

    g = api.load(shared_models / "vww_96_int8.tflite")
    want = {}
    for op in g.ops:
        x, w = g.tensors[op.inputs[0]], (g.tensors[op.inputs[1]] if len(op.inputs) > 1 else None)
        if (op.kind == "CONV_2D" and tuple(w.shape[1:3]) == (1, 1)
                and (op.attrs.stride_h, op.attrs.stride_w) == (1, 1) and x.shape[3] >= 4):
            want[-(op.index + 1)] = 8 * (x.shape[3] // 4 * 4)
    assert want
    for simd, planned in (("none", {}), ("dsp", want)):
        c = compile_graph(g, Options(patch_mode="auto", simd=simd, scratch="always"))
        assert c.stages and not check_plan(c.plan), simd
        assert {b.id: b.size for b in c.plan.buffers if b.kind == "scratch" and b.id in want} == planned, simd


def test_selector_cases_are_what_they_claim(model_dir):
    """The models really have the multipliers, dilations and strides their cases name."""
    from mcucompile.frontend.tflite_reader import read_tflite

    for case in CASES:
        op = read_tflite(model_dir / f"{case.id}.tflite").ops[0]
        if case.kind == "dw":
            assert op.attrs.depth_multiplier == case.depth_multiplier, case.id
        if case.kind in ("dw", "conv"):
            d = case.dilation if isinstance(case.dilation, tuple) else (case.dilation, case.dilation)
            assert (op.attrs.dilation_h, op.attrs.dilation_w) == d, case.id
        if case.id.startswith("win_"):      # the DSP window kernels' selectors (Helium: also n < 4 convs)
            g = read_tflite(model_dir / f"{case.id}.tflite")
            _, kh, kw, _ = g.tensors[op.inputs[1]].shape
            in_c = g.tensors[op.inputs[0]].shape[3]
            taken = (in_c % 4 != 0 and 4 <= kh * kw * in_c <= 96 if case.kind == "conv"
                     else case.depth_multiplier >= 2 and in_c <= 4 and kh * kw <= 96)
            assert taken == ("not_taken" not in case.id and "_n3" not in case.id and "_n125" not in case.id), case.id
        if case.big_bias:                   # beyond mcu_rqd_fits's bound (|bias| < 2^30 - in.c * 32640)
            g = read_tflite(model_dir / f"{case.id}.tflite")
            k = int(g.tensors[op.inputs[1]].shape[1] * g.tensors[op.inputs[1]].shape[2]
                    * g.tensors[op.inputs[0]].shape[3])       # the window: kh kw in.c
            assert abs(int(g.tensors[op.inputs[2]].data[0])) >= 2**30 - k * 32640, case.id
        if case.tiny_channel:               # channel 0's multiplier below 2^-23: a right shift beyond 22
            g = read_tflite(model_dir / f"{case.id}.tflite")
            x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
            real = float(x.quant.scale[0]) * float(w.quant.scale[0]) / float(y.quant.scale[0])
            assert real < 2.0**-23, (case.id, real)


def test_dead_channel_hint(model_dir, monkeypatch):
    """The 1x1 convs' dead-channel hint (mcu_conv_params_t dead_out / live / live_c) lists as live exactly the
    output channels with a nonzero weight, its constants are what TFLite Micro outputs for the dead channels
    at every pixel, convs without dead channels get no hint (no flash), and the memory plan is the one
    compiled without the hint."""
    import numpy as np

    from mcucompile import api
    from mcucompile.codegen.generate import Options, compile_graph
    from mcucompile.codegen.ops import conv
    from mcucompile.sim.reference import run_reference

    for case in CASES:
        if case.kind != "conv":
            continue
        g = api.load(model_dir / f"{case.id}.tflite")
        c = compile_graph(g, Options())
        fields = dict(next(k.params for k in c.calls if k.params is not None).fields)
        consts = {k.name: np.asarray(k.values) for k in c.consts}
        w = g.tensors[g.ops[0].inputs[1]]
        zero = set(np.flatnonzero(~w.data.reshape(w.shape[0], -1).any(axis=1)).tolist())
        assert zero == set(case.dead), case.id
        if not case.dead:
            assert not {"dead_out", "live", "live_c"} & set(fields), case.id
            continue
        live = sorted(set(range(case.units)) - zero)
        assert int(fields["live_c"]) == len(live), case.id
        assert (consts[fields["live"]].tolist() if live else fields["live"]) == (live or "NULL"), case.id
        row = consts[fields["dead_out"]]
        assert row.dtype == np.int8 and row.shape == (case.units,), case.id
        inputs = api.random_inputs(g, 4, seed=3)
        ref = run_reference("tflm", model_dir / f"{case.id}.tflite", inputs, 1)
        assert ref.outputs is not None, ref.error
        out = ref.outputs[0].reshape(4, -1, case.units)
        for ch in sorted(zero):
            assert (out[..., ch] == row[ch]).all(), (case.id, ch, row[ch], np.unique(out[..., ch]))
        for simd in ("none", "dsp", "mve"):          # the plan does not see the hint
            with_hint = compile_graph(g, Options(simd=simd)).plan
            with monkeypatch.context() as m:
                m.setattr(conv, "dead_channels", lambda w: np.zeros(0, dtype=np.int64))
                without = compile_graph(g, Options(simd=simd)).plan
            assert (with_hint.arena_bytes, with_hint.offsets) == (without.arena_bytes, without.offsets), case.id


def test_dead_channel_hint_on_vww(shared_models):
    """vww_96_int8's 1x1 convs with all-zero filter rows (ops 10..26, e.g. 109 of 128 channels in ops 18 and
    20) carry the hint, listing as live exactly the rows with a nonzero weight; person_detect has none."""
    import numpy as np

    from mcucompile import api
    from mcucompile.codegen.generate import Options, compile_graph

    for model, want in (("vww_96_int8", {10: 4, 12: 21, 14: 71, 16: 98, 18: 109, 20: 109, 22: 101, 24: 224,
                                         26: 234}),
                        ("person_detect", {})):
        g = api.load(shared_models / f"{model}.tflite")
        c = compile_graph(g, Options(simd="dsp"))
        consts = {k.name: np.asarray(k.values) for k in c.consts}
        got = {}
        for call in c.calls:
            fields = dict(call.params.fields) if call.params is not None else {}
            if "dead_out" not in fields:
                continue
            w = g.tensors[g.ops[call.op_index].inputs[1]]
            live = np.flatnonzero(w.data.reshape(w.shape[0], -1).any(axis=1))
            assert consts[fields["live"]].tolist() == live.tolist(), call.op_index
            got[call.op_index] = int(w.shape[0]) - int(fields["live_c"])
        assert got == want, model


@pytest.mark.slow
@pytest.mark.parametrize("board", ["qemu-m4", "qemu-m55"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_qemu_fast_paths(model_dir, case, board):
    """qemu-m4: the DSP (SXTB16/SMLAD) paths; qemu-m55: the Helium (MVE) paths."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    # the DSP paths with the pre-widened weights (--wide-weights on: auto widens a conv only where it pays
    # for its flash, tests/test_flash_budget.py)
    wide = {"wide_weights": "on"} if board == "qemu-m4" and case.id.startswith(("win_", "rows_")) else {}
    r = run_case(model_dir / f"{case.id}.tflite", case, board, **wide)
    assert r.extra["instructions"] > 0
    if board == "qemu-m4" and case.id.startswith(("win_", "rows_")):
        # with their planned scratch (--scratch always) and the pre-widened weights (on) the convs with dilation
        # 1, in.c % 4 != 0 (and depthwise convs of one input channel) take conv_im2col_rows where wide_path says
        # so, the DSP window kernels the others they serve
        from mcucompile import api

        funcs = r.extra["instructions_by_function"]
        rows = _wide_kind(api.load(model_dir / f"{case.id}.tflite")) == "rows"
        if case.id.startswith("rows_"):
            assert rows == ("not_taken" not in case.id), case.id
        assert any(f.startswith("mcu_conv_im2col_rows") for f in funcs) == rows, sorted(funcs)
        from mcucompile.kernels.conv import win_window

        g = api.load(model_dir / f"{case.id}.tflite")
        op = g.ops[0]
        x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        taken = not rows and win_window(x.shape, w.shape, y.shape, op.attrs, case.kind == "dw") is not None
        assert (("mcu_conv_win" if case.kind == "conv" else "mcu_depthwise_win") in funcs) == taken, sorted(funcs)
        assert r.extra["stack_used"] < 1024, r.extra["stack_used"]       # their buffers are in the arena


@pytest.mark.slow
@pytest.mark.parametrize("cid", ["win_conv_c1_s2", "win_conv_c3_zp_max_big", "win_conv_c5_tiny_mult",
                                 "win_conv_c1_10x4_kws_c21", "win_dw_m17_c1_s1", "win_dw_m8_c1_big_bias"])
def test_window_kernels_without_wide_weights_on_m4(model_dir, cid):
    """With --wide-weights off (no stream: no conv_im2col_rows) the window kernels take these convs with their
    planned scratch, bit-exact; but for the one whose window rows pad to groups of 4 within 4/3 and whose out.c
    is even (win_conv_c5_tiny_mult): the rows pairs on its row-padded int8 filter (tests/test_rows_pairs.py)."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    case = next(c for c in CASES if c.id == cid)
    r = run_case(model_dir / f"{cid}.tflite", case, "qemu-m4", wide_weights="off")
    funcs = r.extra["instructions_by_function"]
    rows_pairs = cid == "win_conv_c5_tiny_mult"
    assert (("mcu_conv_win" if case.kind == "conv" else "mcu_depthwise_win") in funcs) != rows_pairs, sorted(funcs)
    assert ("conv_im2col_rows_pairs" in funcs) == rows_pairs, sorted(funcs)
    assert not any(f.startswith("mcu_conv_im2col_rows") and "pairs" not in f for f in funcs), sorted(funcs)


# ---- mcu_requant_fast against TFLite's arithmetic, modelled in Python ----------------------------------

def _tflite_requant(x: int, mult: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier as TFLite's reference code computes it (Python integers)."""
    left, right = max(shift, 0), max(-shift, 0)
    a = ((x << left) + 2**31) % 2**32 - 2**31                   # int32 wrap of x * 2^left
    if a == -2**31 and mult == -2**31:
        high = 2**31 - 1
    else:
        ab = a * mult
        nudge = 2**30 if ab >= 0 else 1 - 2**30
        q = abs(ab + nudge) // 2**31                             # C division truncates toward zero
        high = q if ab + nudge >= 0 else -q
    mask = (1 << right) - 1
    rem = high & mask
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> right) + (1 if rem > threshold else 0)


def test_requant_fast_matches_tflite(tmp_path):
    import random
    import shutil
    import subprocess

    from mcucompile import FIRMWARE_DIR

    cc = shutil.which("gcc")
    if cc is None:
        pytest.fail("gcc not found")
    rng = random.Random(5)
    edges_x = [0, 1, -1, 2**31 - 1, -2**31, -2**31 + 1, 2**30, -2**30, 12345, -12345]
    edges_m = [0, 1, 2**30, 2**30 + 1, 2**31 - 1, 1518500250]
    cases = []
    for i in range(20000):
        x = (rng.choice(edges_x) if i % 4 == 0 else rng.randint(-2**31, 2**31 - 1) if i % 2
             else rng.randint(-10**6, 10**6))
        m = rng.choice(edges_m) if i % 3 == 0 else rng.randint(2**30, 2**31 - 1) if i % 5 else rng.randint(0, 2**31 - 1)
        sh = rng.randint(-31, 8)
        cases.append((x, m, sh))
    for i in range(5000):                        # mcu_rqd's range: sums near +-2^30, multiplier 0 with shift 0
        x = rng.choice([2**30 - 1, -2**30 + 1, rng.randint(-2**30 + 1, 2**30 - 1), rng.randint(-5000, 5000)])
        m = rng.choice([0, 2**30, 2**31 - 1, rng.randint(2**30, 2**31 - 1)])
        cases.append((x, m, 0 if m == 0 and i % 2 else rng.randint(-31, -1)))
    (tmp_path / "cases.txt").write_text("".join(f"{x} {m} {s}\n" for x, m, s in cases))
    (tmp_path / "t.c").write_text('''#include <stdio.h>
#include "mcu_simd.h"
int main(void)
{
    long x, m, s;
    while (scanf("%ld %ld %ld", &x, &m, &s) == 3) {
        const mcu_rq_t r = mcu_rq_channel((int32_t)m, (int32_t)s);
        /* mcu_rqd: doubled sums below 2^30 in magnitude, its channels only (else the plain value) */
        const int rqd = x > -(1L << 30) && x < (1L << 30) && mcu_rqd_ok((int32_t)m, (int32_t)s);
        const mcu_rqd_t d = mcu_rqd_channel((int32_t)m, (int32_t)s);
        printf("%ld %ld %ld %ld\\n", (long)mcu_requant_fast((int32_t)x, (int32_t)m, (int32_t)s),
               (long)mcu_requant((int32_t)x, (int32_t)m, (int32_t)s), (long)mcu_rq_apply(&r, (int32_t)x),
               rqd ? (long)mcu_rqd_apply(&d, 2 * (int32_t)x) : (long)mcu_requant((int32_t)x, (int32_t)m, (int32_t)s));
    }
    return 0;
}
''')
    exe = tmp_path / "t"
    subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fwrapv", "-I", str(FIRMWARE_DIR),
                    str(tmp_path / "t.c"), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], input=(tmp_path / "cases.txt").read_text(), capture_output=True,
                         text=True, check=True).stdout.split("\n")
    bad = []
    for (x, m, sh), line in zip(cases, out):
        fast, ref, split, rqd = (int(v) for v in line.split())
        want = _tflite_requant(x, m, sh)
        if fast != want or ref != want or split != want or rqd != want:
            bad.append((x, m, sh, fast, ref, split, rqd, want))
    assert len(out) >= len(cases)
    assert not bad, bad[:5]


def _rq2_program(tmp_path, cases, apply: str) -> list[tuple[int, int]]:
    """(ok, value) per case (x, mult, shift, offset): mcu_rq2_channel's verdict and, where it accepts the channel,
    apply(&r, 2x) (mcu_rqd_apply or mcu_rqd_apply_clamped), by the host compiler."""
    import shutil
    import subprocess

    from mcucompile import FIRMWARE_DIR

    cc = shutil.which("gcc")
    if cc is None:
        pytest.fail("gcc not found")
    (tmp_path / "cases.txt").write_text("".join(f"{x} {m} {s} {o}\n" for x, m, s, o in cases))
    (tmp_path / "t.c").write_text('''#include <stdio.h>
#include "mcu_simd.h"
int main(void)
{
    long x, m, s, o;
    while (scanf("%ld %ld %ld %ld", &x, &m, &s, &o) == 4) {
        mcu_rqd_t r;
        const int ok = mcu_rq2_channel((int32_t)m, (int32_t)s, (int32_t)o, &r);
        printf("%d %ld\\n", ok, ok ? (long)APPLY(&r, (int32_t)(2 * x)) : 0L);
    }
    return 0;
}
''')
    exe = tmp_path / "t"
    subprocess.run([cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-DAPPLY={apply}", "-I", str(FIRMWARE_DIR),
                    str(tmp_path / "t.c"), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], input=(tmp_path / "cases.txt").read_text(), capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert len(out) >= len(cases)
    return [tuple(int(v) for v in line.split()) for line in out[:len(cases)]]


def test_requant_doubled_matches_tflite(tmp_path):
    """mcu_rqd_apply with mcu_rq2_channel's constants (requantisation of a doubled sum, the depthwise channel
    groups' form) equals TFLite's
    requantisation plus the offset wherever mcu_rq2_channel accepts the channel and |x| < 2^30, and
    mcu_rq2_channel accepts exactly multipliers >= 0 with shifts in [-22, -1] (offsets in [-255, 255]: the
    depthwise groups pass output offset - act_min)."""
    import random

    rng = random.Random(7)
    cases = []
    for i in range(20000):
        if i % 5 == 0:
            x = rng.choice([0, 1, -1, 2**30 - 1, -2**30 + 1, 511, -512])
        else:
            x = rng.randint(-2**30 + 1, 2**30 - 1) if i % 2 else rng.randint(-10**5, 10**5)
        m = rng.choice([0, 1, 2**30, 2**31 - 1]) if i % 7 == 0 else rng.randint(2**30, 2**31 - 1)
        cases.append((x, m, rng.randint(-24, 2), rng.randint(-255, 255)))
    out = _rq2_program(tmp_path, cases, "mcu_rqd_apply")
    bad = []
    for (x, m, sh, o), (ok, got) in zip(cases, out):
        if ok != (-22 <= sh <= -1) or (ok and got != _tflite_requant(x, m, sh) + o):
            bad.append((x, m, sh, o, ok, got))
    assert not bad, bad[:5]


def test_requant_clamped_matches_tflite(tmp_path):
    """mcu_rqd_apply_clamped (mcu_rqd_apply without its SUB: the wide 1x1 / im2col output stage and the 3x3
    depthwise pairs where the activation's lower bound is at least the output zero point) equals TFLite's
    requantisation plus the offset after the clamp to any lower bound lo >= the offset; with lo below the offset
    it does not always (the SUB is needed there: some of these cases differ)."""
    import random

    rng = random.Random(11)
    cases = []
    for i in range(20000):
        x = (rng.choice([0, -1, -2, 2**30 - 1, -2**30 + 1, -511, -512]) if i % 5 == 0
             else rng.randint(-2**30 + 1, 2**30 - 1) if i % 2 else rng.randint(-10**5, 10**4))
        m = rng.choice([0, 1, 2**30, 2**31 - 1]) if i % 7 == 0 else rng.randint(2**30, 2**31 - 1)
        cases.append((x, m, rng.randint(-22, -1), rng.randint(-255, 255)))
    out = _rq2_program(tmp_path, cases, "mcu_rqd_apply_clamped")
    bad, below = [], 0
    for (x, m, sh, o), (ok, got) in zip(cases, out):
        assert ok, (x, m, sh, o)
        want = _tflite_requant(x, m, sh) + o
        for lo in (o, o + 1, o + rng.randint(0, 300)):
            if max(got, lo) != max(want, lo):
                bad.append((x, m, sh, o, lo, got, want))
        below += max(got, o - 1) != max(want, o - 1)
    assert not bad, bad[:5]
    assert below > 0            # the SUB matters when the clamp does not hide it


# ---- every build variant of the kernel library compiles warning-free ------------------------------------

BUILDS = {
    "m55-helium": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m55", "-mfloat-abi=hard"],
    "m7-dsp": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"],
    "m4-dsp-no-asm": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m4", "-DMCU_NN_NO_ASM"],   # the C twins
    "m0plus-plain": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m0plus"],
    "m4-reference": ["arm-none-eabi-gcc", "-mthumb", "-mcpu=cortex-m4", "-DMCU_NN_REFERENCE"],
    "host-reference": ["gcc", "-DMCU_NN_REFERENCE"],
}


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_kernel_library_builds_warning_free(build, tmp_path):
    """The Helium, DSP, plain and reference variants (chosen by the preprocessor) all build with -Werror,
    and the MVE build really contains Helium code (VMLADAVA) while the M0+ build has none of it."""
    import shutil
    import subprocess

    from mcucompile import FIRMWARE_DIR

    cc = BUILDS[build]
    if shutil.which(cc[0]) is None:
        pytest.fail(f"{cc[0]} not found")
    for src in sorted(FIRMWARE_DIR.glob("*.c")):
        obj = tmp_path / (src.stem + ".o")
        subprocess.run([*cc, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(FIRMWARE_DIR), "-c",
                        str(src), "-o", str(obj)], check=True)
    if build in ("m55-helium", "m0plus-plain"):
        from mcucompile.kernels.conv import VARIANTS
        asm = "".join(subprocess.run([*cc, "-std=c99", "-O2", "-S", "-o", "-", "-I", str(FIRMWARE_DIR),
                                      str(FIRMWARE_DIR / f)], check=True, capture_output=True, text=True).stdout
                      for f in sorted({f for v in VARIANTS.values() for f in v.sources}))
        assert ("vmladava" in asm) == (build == "m55-helium")
        assert ("vqrdmulh" in asm) == (build == "m55-helium")


def test_generated_project_carries_the_internal_header(tmp_path):
    """The conv files include mcu_simd.h and mcu_conv_internal.h (and the DSP wide variants mcu_conv_wide_dsp.h):
    the renderer copies them with them, and only the files of the variants the model calls."""
    from mcucompile import FIRMWARE_DIR
    from mcucompile.api import compile_model
    from mcucompile.kernels.conv import VARIANTS

    c = compile_model(Path(__file__).resolve().parents[1] / "examples" / "tiny_cnn_int8.tflite", tmp_path / "p",
                      board="qemu-m4")
    called = {k.func for k in c.calls if k.func in VARIANTS}
    # (its first conv, 3 input channels: the rows pairs on the int8 filter, padded rows)
    assert called & {"mcu_conv_win_s8_dsp", "mcu_conv_im2col_rows_s8_dsp", "mcu_conv_im2col_rows_pairs_s8_dsp"}, called
    conv_files = {f for v in VARIANTS.values() for f in v.sources}
    assert {f for f in c.files if f in conv_files} == {f for v in called for f in VARIANTS[v].sources}
    assert "mcu_conv_mve.c" not in c.files and "mcu_conv_ref.c" not in c.files
    for h in ("mcu_conv_internal.h", "mcu_conv_wide_dsp.h"):
        assert c.files[h] == (FIRMWARE_DIR / h).read_text()
        assert (tmp_path / "p" / h).exists()
    assert c.files["mcu_simd.h"] == (FIRMWARE_DIR / "mcu_simd.h").read_text()
    assert (tmp_path / "p" / "mcu_simd.h").exists()


@pytest.mark.parametrize("cid", ["pw_own_output_c12", "pw_own_output_odd", "pw_c16_even"])
def test_pointwise_without_planned_scratch_on_m4(model_dir, cid):
    """--scratch free leaves the one-op 1x1 models without planned scratch; on qemu-m4 the wide path then
    runs in the end of the conv's own output (conv_1x1_wide shows in the profile) when at least 4 pixels'
    outputs lie before it, else the plain 1x1 blocking; bit-exact either way, and nothing outside the
    arena is touched (the simulation checks that)."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    case = next(c for c in CASES if c.id == cid)
    # (the pre-widened weights, --wide-weights on: without them the even channel counts take the stack pairs)
    r = run_case(model_dir / f"{cid}.tflite", case, "qemu-m4", scratch="free", wide_weights="on")
    wide = any(f.startswith("conv_1x1_wide") for f in r.extra["instructions_by_function"])
    in_c, pixels = case.in_shape[2], case.in_shape[0] * case.in_shape[1]
    out_bytes = pixels * case.units
    head = ((out_bytes - 8 * (in_c // 4 * 4)) & ~3) // case.units   # (the arena's buffers are 4-aligned)
    assert wide == (head >= 4), (cid, head, sorted(r.extra["instructions_by_function"]))
    assert r.guard_violations == 0


@pytest.mark.parametrize("cid", ["im2col_own_output_c4", "im2col_own_output_s2_c8", "im2col_3x3_c4_same"])
def test_im2col_without_planned_scratch_on_m4(model_dir, cid):
    """--scratch free leaves the one-op convs without planned scratch; on qemu-m4 a conv that could take the
    im2col path then borrows 8 kh kw in.c bytes from the end of its own output: the output rows wholly
    before them through conv_im2col_wide (in the profile) when they hold at least 4 pixels, the rows left
    by the conv rows; bit-exact either way, nothing outside the arena touched."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    case = next(c for c in CASES if c.id == cid)
    r = run_case(model_dir / f"{cid}.tflite", case, "qemu-m4", scratch="free", wide_weights="on")
    wide = any(f.startswith("conv_im2col_wide") for f in r.extra["instructions_by_function"])
    s = case.strides
    out_h, out_w = -(-case.in_shape[0] // s), -(-case.in_shape[1] // s)      # SAME
    row_bytes = out_w * case.units
    rows = max((out_h * row_bytes - 8 * 9 * case.in_shape[2]) & ~3, -1) // row_bytes
    assert wide == (rows * out_w >= 4), (cid, rows, sorted(r.extra["instructions_by_function"]))
    assert r.guard_violations == 0


# ---- the DSP window kernels' scratch ----------------------------------------------------------------

def _window(g):
    """(n, total) of a one-op model's window path: n values a window, total channels to chunk."""
    op = g.ops[0]
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    n = int(w.shape[1] * w.shape[2]) * (int(x.shape[3]) if op.kind == "CONV_2D" else 1)
    return n, int(y.shape[3]) if op.kind == "CONV_2D" else int(op.attrs.depth_multiplier)


def _c_win_scratch_bytes(pairs, tmp_path):
    """MCU_WIN_SCRATCH_BYTES(n, total) of firmware/mcu_nn.h for each (n, total), by the host compiler."""
    return _c_macro([f"MCU_WIN_SCRATCH_BYTES({n}, {t})" for n, t in pairs], tmp_path)


def _c_rows_scratch_bytes(g, tmp_path):
    """MCU_CONV_ROWS_SCRATCH_BYTES(kh, kw, in.c) of firmware/mcu_nn.h for a one-op model (a depthwise conv of one
    channel: in.c 1), by the host compiler."""
    op = g.ops[0]
    x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
    return _c_macro([f"MCU_CONV_ROWS_SCRATCH_BYTES({w.shape[1]}, {w.shape[2]}, {x.shape[3]})"], tmp_path)[0]


def _c_macro(exprs, tmp_path):
    """The int values of C expressions over firmware/mcu_nn.h's macros, by the host compiler."""
    import subprocess

    from mcucompile import FIRMWARE_DIR

    need_tools("gcc")
    src = tmp_path / "win_bytes.c"
    src.write_text("#include <stdio.h>\n#include \"mcu_nn.h\"\nint main(void) {\n"
                   + "".join(f'    printf("%d\\n", (int)({e}));\n' for e in exprs)
                   + "    return 0;\n}\n")
    exe = tmp_path / "win_bytes"
    subprocess.run(["gcc", "-std=c99", "-DMCU_NN_REFERENCE", "-I", str(FIRMWARE_DIR), str(src), "-o", str(exe)],
                   check=True)
    return [int(v) for v in subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()]


def test_window_scratch_is_planned(model_dir, tmp_path):
    """On the DSP cores the window kernels' work memory (the chunk's output-stage constants, two pixels'
    windows: firmware/mcu_conv_win_dsp.c mcu_conv_win, mcu_depthwise_win; their widened weights are win_w) is
    planned scratch of MCU_WIN_SCRATCH_BYTES(n, total) bytes (mcu_nn.h; the planner's win_scratch_bytes gives the
    same for every window size and channel count), for exactly the ops the window path takes, or
    MCU_CONV_ROWS_SCRATCH_BYTES where conv_im2col_rows can take the op and needs more; optional like the
    other conv scratch: with --scratch always the call gets it, with free (one op: input, output and
    scratch all live at once) NULL and the minimal arena. None on the host, M0+ and Helium targets."""
    from mcucompile.api import Options, compile_model
    from mcucompile.frontend.tflite_reader import read_tflite
    from mcucompile.kernels.conv import win_scratch_bytes
    from mcucompile.passes.liveness import align_up, buffers

    grid = [(n, t) for n in (1, 3, 4, 5, 8, 9, 27, 40, 41, 80, 81, 84, 96) for t in (1, 2, 3, 5, 6, 16, 17, 64)]
    assert _c_win_scratch_bytes(grid, tmp_path) == [win_scratch_bytes(n, t) for n, t in grid]

    wins = [c for c in CASES if c.id.startswith("win_")]
    taken = {c.id: "not_taken" not in c.id and "_n3" not in c.id and "_n125" not in c.id for c in wins}
    models = {c.id: read_tflite(model_dir / f"{c.id}.tflite") for c in wins}
    want = dict(zip([c.id for c in wins if taken[c.id]],
                    _c_win_scratch_bytes([_window(models[c.id]) for c in wins if taken[c.id]], tmp_path)))
    for c in wins:                      # conv_im2col_rows' scratch where the pre-widened stream can serve: the larger
        if _wide_kind(models[c.id]) == "rows":
            want[c.id] = max(want.get(c.id, 0), _c_rows_scratch_bytes(models[c.id], tmp_path))
    for case in wins:
        g = models[case.id]
        for simd, planned in (("none", 0), ("mve", 0), ("dsp", want.get(case.id, 0))):
            scratch = [b for b in buffers(g, simd=simd) if b.kind == "scratch"]
            assert sum(b.size for b in scratch) == planned, (case.id, simd)
    func = {"conv": r"\bmcu_conv_\w+\(", "dw": r"\bmcu_dwconv_\w+\("}
    for cid in ("win_conv_c3_s2_vww", "win_dw_m3_c2_s2", "win_dw_m2_c5_not_taken"):
        case = next(c for c in CASES if c.id == cid)
        g = models[cid]
        x, y = g.tensors[g.ops[0].inputs[0]], g.tensors[g.ops[0].outputs[0]]
        tensors = align_up(x.nbytes, 4) + align_up(y.nbytes, 4)
        for board, policy in itertools.product(("qemu-m4", "qemu-m55", None), ("always", "free")):
            planned = want.get(cid, 0) if (board, policy) == ("qemu-m4", "always") else 0
            c = compile_model(model_dir / f"{cid}.tflite", tmp_path / f"{cid}_{board}_{policy}", board=board,
                              options=Options(scratch=policy))
            assert c.arena_bytes == tensors + planned, (cid, board, policy, c.arena_bytes)
            call = next(line for f, text in c.files.items() if f == f"{g.name}.c"
                        for line in text.splitlines() if re.search(func[case.kind], line))
            assert call.rstrip().endswith("NULL);") == (planned == 0), (cid, board, policy, call)
            params = c.files[f"{g.name}.c"]
            # (with planned scratch and an even out.c the conv's first layer runs the rows pairs on its
            # int8 filter instead of a window kernel: no win_w)
            emitted = taken[cid] and ((board == "qemu-m4" and "_rows_pairs_" not in call)
                                      or (board == "qemu-m55" and case.kind == "dw"))
            assert (".win_w" in params) == emitted, (cid, board, policy)


def _win_weights_loop(w, depthwise, m):
    """win_w as firmware/mcu_conv_win_dsp.c used to widen it at run time (win_channels), loop by loop."""
    import numpy as np

    w = np.asarray(w, dtype=np.int64)
    out_c = int(w.shape[3] if depthwise else w.shape[0])
    n = int(w.size // out_c)
    groups = (n + 3) // 4

    def weight(oc, t):
        return int(w.reshape(-1, out_c)[t, oc] if depthwise else w.reshape(out_c, -1)[oc, t])

    def sxtb16(v, ror):
        v = ((v >> ror) | (v << (32 - ror))) & 0xFFFFFFFF if ror else v
        lo, hi = v & 0xFF, (v >> 16) & 0xFF
        return ((lo | (0xFF00 if lo & 0x80 else 0)) | ((hi | (0xFF00 if hi & 0x80 else 0)) << 16)) & 0xFFFFFFFF

    words = []
    per = m if depthwise else out_c
    for base in range(0, out_c, per):
        for c in range(0, per, 2):
            c1 = c + 1 if c + 1 < per else c
            for g in range(groups):
                for ch in (c, c1):
                    v = 0
                    for i in (3, 2, 1, 0):
                        t = 4 * g + i
                        v = (v << 8) | (weight(base + ch, t) & 0xFF if t < n else 0)
                    words += [sxtb16(v, 0), sxtb16(v, 8)]
    return words


def test_window_weights_match_the_kernel_layout():
    """win_weights (the DSP window kernels' compile-time widened weights, mcu_conv_params_t.win_w) gives
    exactly what firmware/mcu_conv_win_dsp.c's win_channels built at run time: pairs of channels (odd counts: the
    last with itself; a depthwise conv's within each input channel), zero weights past n, SXTB16 lanes."""
    import numpy as np

    from mcucompile.codegen.ops.conv import win_weights

    rng = np.random.default_rng(0)
    for shape, depthwise, m in (((5, 3, 3, 3), False, 0), ((21, 10, 4, 1), False, 0), ((13, 4, 7, 3), False, 0),
                                ((1, 10, 8, 8), True, 8), ((1, 3, 3, 6), True, 3), ((1, 2, 3, 14), True, 7),
                                ((1, 1, 1, 8), True, 4), ((1, 3, 3, 17), True, 17)):
        w = rng.integers(-128, 128, size=shape).astype(np.int8)
        w.flat[0], w.flat[-1] = -128, 127
        assert win_weights(w, depthwise, m).tolist() == _win_weights_loop(w, depthwise, m), shape


@pytest.mark.parametrize("cid", ["win_conv_c3_s2_vww", "win_conv_c3_dil2", "win_dw_m3_c2_s2", "win_dw_m8_c3_dil2"])
def test_window_without_planned_scratch_on_m4(model_dir, cid):
    """--scratch free leaves the one-op window models without planned scratch (it would raise the peak):
    on qemu-m4 the call gets NULL and the window kernels hold their work memory (at most 904 B: the
    widened weights are win_w, in flash) on the stack (win_stack): the window kernel still runs, bit-exact,
    nothing outside the arena touched, the stack within 2 KB (planned: under 1 KB, test_qemu_fast_paths)."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    case = next(c for c in CASES if c.id == cid)
    r = run_case(model_dir / f"{cid}.tflite", case, "qemu-m4", scratch="free")
    funcs = r.extra["instructions_by_function"]
    assert ("mcu_conv_win" if case.kind == "conv" else "mcu_depthwise_win") in funcs, sorted(funcs)
    assert r.guard_violations == 0
    assert r.extra["stack_used"] < 2048, r.extra["stack_used"]
# ---- the pre-widened 1x1 weights (mcu_conv_params_t.wide_filter, --wide-weights) ------------------------

WIDE_CASES = ["pw_odd_pixels_odd_channels", "pw_c16_even", "pw_c4_odd_units_zp_max", "pw_own_output_odd",
              "pw_big_bias_c12", "pw_dead_some_c16", "pw_dead_all_but_one", "pw_dead_all", "pw_c7_relu6_zp_max",
              "pw_c8_big_weights", "pw_c8_tiny_channel", "pw_wide_c28_odd_units_zp_min", "pw_wide_c37_tail_relu",
              "pw_wide_dead_odd_live_c24", "pw_wide_c8_no_bias", "pw_wide_c64_relu6_tail1",
              "pw_wide_c36_odd_units_tail1", "pw_wide_c32_tail2", "pw_c3_narrow", "pw_stride2",
              "im2col_3x3_c8_s2_zp_min", "im2col_3x3_c8_big_bias", "im2col_pw_s2_c8", "im2col_own_output_c4",
              "im2col_3x3_c4_1px", "im2col_5x5_c4_valid", "im2col_3x3_c4_big_weights", "conv3x3_same_odd",
              "win_conv_c1_s2", "win_conv_c3_s2_vww", "rows_c23_3x3_generic", "rows_c3_w4_both_cut",
              "win_dw_m17_c1_s1", "rows_dw_m5_c1_zp_min", "dw_m8_c1", "rows_c1_1x1_s2_not_taken"]


def _wide_kind(g):
    """Which DSP wide path a one-conv model's conv can take: "1x1" (conv_1x1_wide: 1x1, stride 1,
    unpadded, at least 4 input channels and 4 pixels), "im2col" (conv_im2col_wide: dilation 1, in.c a
    multiple of 4, at least 4 output pixels), "rows" (conv_im2col_rows: dilation 1, in.c % 4 != 0 or a
    depthwise conv of one input channel, at least 4 output pixels, kh run4 <= 4/3 kh kw in.c) or None;
    checked here against the rule, then taken from the lowering's wide_path."""
    import numpy as np

    from mcucompile.kernels.conv import wide_path

    op = g.ops[0]
    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    in_c, kh, kw = int(x.shape[3]), int(w.shape[1]), int(w.shape[2])
    a = op.attrs
    dw = op.kind == "DEPTHWISE_CONV_2D"
    if dw:
        want = ("rows" if in_c == 1 and (a.dilation_h, a.dilation_w) == (1, 1) and int(np.prod(y.shape[:3])) >= 4
                and 3 * kh * ((kw + 3) // 4 * 4) <= 4 * kh * kw else None)
    elif (kh, kw) == (1, 1) and (a.stride_h, a.stride_w) == (1, 1) and tuple(x.shape[1:3]) == tuple(y.shape[1:3]):
        want = "1x1" if in_c >= 4 and int(np.prod(x.shape[:3])) >= 4 else None
    elif (a.dilation_h, a.dilation_w) != (1, 1) or int(np.prod(y.shape[:3])) < 4:
        want = None
    elif in_c % 4 == 0:
        want = "im2col" if kh * kw * in_c < 32000 else None
    else:
        want = "rows" if 3 * kh * ((kw * in_c + 3) // 4 * 4) <= 4 * kh * kw * in_c else None
    got = wide_path(x.shape, w.shape, y.shape, a, dw)
    assert got == want, (g.name, got, want)
    return got


def _rows_filter(g):
    """A "rows" conv's filter as the stream holds it: [Cout, kh run4], each filter row's kw in.c weights then
    zeros up to a multiple of 4 (a depthwise conv of one channel: its filter transposed)."""
    import numpy as np

    op = g.ops[0]
    w = g.tensors[op.inputs[1]].data.astype(np.int64)
    if op.kind == "DEPTHWISE_CONV_2D":
        w = w.transpose(3, 1, 2, 0)
    cout, kh = w.shape[0], w.shape[1]
    rows = w.reshape(cout, kh, -1)
    run4 = (rows.shape[2] + 3) // 4 * 4
    out = np.zeros((cout, kh, run4), dtype=np.int64)
    out[:, :, :rows.shape[2]] = rows
    return out.reshape(cout, -1)


def _decode_stream(words, k4: int):
    """mcu_nn.h's wide_filter stream back to (doubled biases, int16 (doubled) weights [pair, 2, k4], m, e, c,
    channels)."""
    import numpy as np

    s = np.asarray(words, dtype=np.uint32).reshape(-1, k4 + 10).astype(np.int64)
    lo = ((s & 0xFFFF) ^ 0x8000) - 0x8000
    hi = ((s >> 16) ^ 0x8000) - 0x8000
    g = np.arange(k4 // 4)
    w = np.zeros((len(s), 2, k4), dtype=np.int64)
    for j in range(2):                               # [oc (c0,c2)] [oc1 (c0,c2)] [oc (c1,c3)] [oc1 (c1,c3)]
        w[:, j, 4 * g] = lo[:, 2 + 4 * g + j]
        w[:, j, 4 * g + 2] = hi[:, 2 + 4 * g + j]
        w[:, j, 4 * g + 1] = lo[:, 2 + 4 * g + 2 + j]
        w[:, j, 4 * g + 3] = hi[:, 2 + 4 * g + 2 + j]
    signed = (s ^ 0x80000000) - 0x80000000
    t = signed[:, 2 + k4:].reshape(-1, 2, 4)
    return signed[:, :2], w, t[..., 0], t[..., 1], t[..., 2], t[..., 3]


def test_wide_weights_stream(model_dir):
    """Options.simd "dsp" (the M4/M7 boards) with wide_weights on (auto: where it chooses) gives every conv a
    DSP wide path can take (1x1 stride 1 with at least 4 input channels and 4 pixels; im2col: dilation 1, in.c
    a multiple of 4; rows: dilation 1, in.c % 4 != 0 or a depthwise conv of one channel, the window rows padded) the
    pre-widened stream: the pairs the kernels walk (the live channels with the dead-channel hint, an
    odd count ending with the last channel twice), the doubled weights of the k & ~3 first window elements (rows:
    of the padded rows, zeros past each row's kw in.c), the doubled biases and mcu_rq2_channel's constants; the
    int8 filter is left out (NULL) exactly for the 1x1 convs with in.c a multiple of 4. Other targets,
    wide_weights off and other convs get neither change; the rows convs get no stream without their planned
    scratch (the one-op models with --scratch free)."""
    import numpy as np

    from mcucompile import api
    from mcucompile.codegen.generate import Options, compile_graph

    for cid in WIDE_CASES:
        case = next(c for c in CASES if c.id == cid)
        g = api.load(model_dir / f"{cid}.tflite")
        op = g.ops[0]
        x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        in_c, kind, nout = int(x.shape[3]), _wide_kind(g), int(y.shape[3])
        filt = _rows_filter(g) if kind == "rows" else w.data.reshape(nout, -1).astype(np.int64)
        k = filt.shape[1]
        wants = kind is not None
        if kind == "rows":      # conv_im2col_rows runs only with its scratch: no stream where none is planned
            c = compile_graph(g, Options(simd="dsp", wide_weights="on", scratch="free"))
            assert "wide_filter" not in dict(next(k for k in c.calls if k.params is not None).params.fields), cid
        for simd, mode in itertools.product(("none", "dsp", "mve"), ("auto", "on", "off")):
            c = compile_graph(g, Options(simd=simd, wide_weights=mode, scratch="always"))
            call = next(k for k in c.calls if k.params is not None)
            fields = dict(call.params.fields)
            # auto: the convs kernels/wide_cost.py chooses (tests/test_flash_budget.py tests the choice)
            chosen = mode == "on" or (mode == "auto" and c.wide is not None and op.index in c.wide.widened)
            on = wants and simd == "dsp" and chosen and len(case.dead) < case.units
            assert ("wide_filter" in fields) == on, (cid, simd, mode)
            # NULL also where the 2 x 2 blocks take the live rows only and no channel is live
            none_live = call.func == "mcu_conv_1x1_s8" and len(case.dead) == case.units
            assert (call.args[2] == "NULL") == ((on and kind == "1x1" and in_c % 4 == 0) or none_live), \
                (cid, simd, mode)
            if not on:
                continue
            consts = {k.name: np.asarray(k.values) for k in c.consts}
            k4 = k & ~3
            b2, ww, m, e, cc, ch = _decode_stream(consts[fields["wide_filter"]], k4)
            live = [ch for ch in range(nout) if ch not in case.dead]
            pairs = live + live[-1:] if len(live) % 2 else live
            assert ch.ravel().tolist() == pairs, cid
            assert (ww.reshape(-1, k4) == 2 * filt[pairs, :k4]).all(), cid     # doubled weights
            bias = (np.zeros(nout, dtype=np.int64) if len(op.inputs) < 3 or op.inputs[2] < 0
                    else g.tensors[op.inputs[2]].data.astype(np.int64))
            assert (b2.ravel() == (2 * bias[pairs] + 2**31) % 2**32 - 2**31).all(), cid
            mults = consts[fields["out_mult"]].astype(np.int64)
            shifts = consts[fields["out_shift"]].astype(np.int64)
            assert (m.ravel() == mults[pairs]).all() and (e.ravel() == -shifts[pairs]).all(), cid
            kc = 2 * int(y.zero_point) + 1
            for ci, ei in zip(cc.ravel().tolist(), e.ravel().tolist()):
                assert ci == (((kc << (ei - 1)) + 2**31) % 2**32 - 2**31 if 1 <= ei <= 22 else 0), cid


@pytest.mark.slow
@pytest.mark.parametrize("wide", ["on", "off"])
@pytest.mark.parametrize("cid", WIDE_CASES)
def test_wide_weights_on_m4(model_dir, cid, wide):
    """qemu-m4 bit-exact with and without the pre-widened weights (the stream's assembly loop over all
    pairs, the pair-by-pair path where a channel takes the plain requantisation or the clamp / tail is in
    C, the last 1 or 2 pixels and the int8-free fallback without planned scratch: wide_pre_rows; the
    im2col convs) and the old widening loop (off)."""
    from mcucompile import api

    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    case = next(c for c in CASES if c.id == cid)
    kind = _wide_kind(api.load(model_dir / f"{cid}.tflite"))
    for scratch in ("always", "free"):
        r = run_case(model_dir / f"{cid}.tflite", case, "qemu-m4", scratch=scratch, wide_weights=wide)
        funcs = r.extra["instructions_by_function"]
        pre = any(f.startswith(("conv_1x1_wide_pre", "conv_im2col_wide_pre", "mcu_conv_im2col_rows"))
                  and "_pairs" not in f for f in funcs)       # (the rows pairs run the int8 filter)
        if scratch == "always" and kind is not None and len(case.dead) < case.units:
            assert pre == (wide == "on"), (cid, wide, sorted(funcs))


def test_dsp_code_refuses_another_core(model_dir):
    """The generated code of a DSP target calls the DSP variants by name: built for the host it stops at the
    model's own #error (what it was compiled for and what to do), not at a link error."""
    from mcucompile import api
    from mcucompile.errors import BuildError

    need_tools("gcc")
    opts = api.Options(scratch="always", simd="dsp")
    with pytest.raises(BuildError, match="compiled for a core with the Armv7E-M DSP extension"):
        api.simulate(str(model_dir / "pw_c16_even.tflite"), samples=1, references=("tflm",), options=opts)


def test_wide_weights_auto_follows_the_flash(shared_models, monkeypatch):
    """wide_weights auto on a DSP board keeps its choice while the model fits the board's flash; when it would
    not, it chooses again within the flash the int8 build leaves free (fewer convs widened, the model fits),
    and where even the int8 build does not fit it compiles without the stream (the int8 filters back,
    --wide-weights off's flash); on keeps it and the fit check then fails with its usual message."""
    from dataclasses import replace

    from mcucompile import api, boards
    from mcucompile.boards.firmware import FitError, fit_check, require_fit

    g = api.load(shared_models / "person_detect.tflite")
    real = boards.get_board("qemu-m4")
    on = api.compile_for_board(g, api.Options(), "qemu-m4")
    off = api.compile_for_board(g, api.Options(wide_weights="off"), "qemu-m4")
    assert on.options.wide_weights == "auto" and off.options.wide_weights == "off"
    f_on, f_off = fit_check(on, real), fit_check(off, real)
    assert f_on.weights > f_off.weights and f_on.fits

    def board_of(flash_bytes: int):
        return replace(real, flash=replace(real.flash, length=flash_bytes + real.flash_reserved))

    small = board_of(f_on.flash_needed - 1)         # (auto's choice no longer fits; a smaller one does)
    monkeypatch.setattr(boards, "get_board", lambda name: small)
    c = api.compile_for_board(g, api.Options(), "qemu-m4")
    assert c.options.wide_weights == "auto" and fit_check(c, small).fits
    assert 0 < c.wide.extra_bytes <= c.options.flash_budget < on.wide.budget
    assert c.wide.widened < on.wide.widened
    tiny = board_of(f_off.flash_needed - 1)
    monkeypatch.setattr(boards, "get_board", lambda name: tiny)
    c = api.compile_for_board(g, api.Options(), "qemu-m4")
    assert c.options.wide_weights == "off" and c.wide is None
    assert not any("wide_filter" in dict(k.params.fields) for k in c.calls if k.params is not None)
    monkeypatch.setattr(boards, "get_board", lambda name: small)
    c = api.compile_for_board(g, api.Options(wide_weights="on"), "qemu-m4")
    with pytest.raises(FitError, match="flash needs"):
        require_fit(c, small)
