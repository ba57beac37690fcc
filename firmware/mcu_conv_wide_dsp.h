/*
 * The DSP wide engine (Armv7E-M DSP, not Helium) that mcu_conv_1x1_wide_dsp.c and mcu_conv_im2col_wide_dsp.c
 * specialise: conv_1x1_wide_run, always inlined into one out-of-line function per variant (WIDE_VARIANT), with
 * its inline assembly macros and the helpers it inlines. The helpers it calls out of line live in those two
 * files (mcu_wide4_out_plain, mcu_wide4_finish, mcu_wide_pre_rows; mcu_im2col_cut4, mcu_im2col_widen4).
 */
#ifndef MCU_CONV_WIDE_DSP_H
#define MCU_CONV_WIDE_DSP_H

#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && !defined(MCU_NN_MVE) && defined(MCU_NN_DSP)
/*
 * 1x1, stride 1, no padding, at least 4 pixels, sums known to stay below 2^30 (mcu_rqd_bound_ok), with a
 * scratch of 4 pixels x (in.c rounded down to 4) int16 (4-byte aligned). Per block of 4 pixels (the last
 * block moved back to end at the last pixel: it recomputes up to 3 pixels, same values), the input
 * channels plus the input offset are widened once, doubled (SXTAB16, SADD16), into the scratch: each
 * group of 4 channels as 8 words [p0 p1 p2 p3 channels 0,2 | p0 p1 p2 p3 channels 1,3]. Then 2 output
 * channels at a time, 4 pixels x 2 channels of doubled sums: each weight word widened by one SXTB16 per
 * half feeds 4 SMLADs (inline assembly, 14 registers: 32 instructions per 32 MACs, 4 groups per loop
 * iteration entered by TBH). A pair whose channels both qualify (wide_fast: mcu_rqd_fits and a right
 * shift of at most 22, listed once per call) requantises its doubled sums by mcu_rqd_apply on
 * mcu_rq2_channel's constants (the output offset folded into SMMLAR's accumulator: SMMLAR, SUB, ASR); when
 * moreover in.c is a multiple of 4, there is a bias and the activation range is the whole int8 range,
 * the whole pair runs in one assembly block (bias, products, SMMLAR ... SSAT #8, STRB: the compiler keeps
 * nothing live across it). Otherwise the channels past the last group of 4 and the clamp in plain C
 * (wide4_finish), and pairs with a channel that does not qualify halve their sums into mcu_requant_fast
 * (wide4_out_plain).
 * With the weights pre-widened at compile time (p->wide_filter, mcu_nn.h: conv_1x1_wide_pre / _pre_live; they
 * come doubled, so the block is widened without the SADD16s) a half group is one LDRD of weights, two LDRD of the
 * block and 8 SMLAD (22 instructions per 32 MACs, 8 groups per loop iteration: 3 instructions of loop control
 * per 8 groups);
 * the stream also holds each pair's doubled biases and requantisation constants, so that when every
 * channel qualifies (and in.c is a multiple of 4, the range all of int8) one assembly loop runs all pairs
 * of a block (without the dead-channel hint a pair's channels are neighbours: each pixel's two bytes go
 * out as one STRH, WIDE4P_REQ_PAIR; an odd count's last pair, a channel twice, by the C path); a last 1
 * or 2 pixels past the whole blocks go apart (wide_pre_rows) instead of a block moved back. Without the
 * int8 filter (NULL: in.c a multiple of 4) the scratch-less fallback is wide_pre_rows too (pixel by
 * pixel, two pairs of the stream at a time).
 */
/* The inline assembly needs 14 free registers: GCC with optimisation and without a frame pointer (builds
 * with -fno-omit-frame-pointer define MCU_NN_NO_ASM: the same loop in C) */
#if defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
/* one group of 4 input channels: x at its 8 words (advanced by 32), w0 / w1 at the 4 weights of each row
 * (advanced by 4) */
/* the second half of a group (channels 1, 3 of each weight word: SXTB16 ROR #8) against the block's words
 * 4..7, x already advanced by 32 */
#define WIDE4_ODD_HALF                                                                                \
    "ldr    %[ta], [%[w0]], #4\n\t"                                                                   \
    "ldr    %[tb], [%[w1]], #4\n\t"                                                                   \
    "ldr    %[xv], [%[x], #-16]\n\t"                                                                  \
    "sxtb16 %[ta], %[ta], ror #8\n\t"                                                                 \
    "sxtb16 %[tb], %[tb], ror #8\n\t"                                                                 \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-12]\n\t"                                                                  \
    "smlad  %[a10], %[xv], %[ta], %[a10]\n\t"                                                         \
    "smlad  %[a11], %[xv], %[tb], %[a11]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-8]\n\t"                                                                   \
    "smlad  %[a20], %[xv], %[ta], %[a20]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a21]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-4]\n\t"                                                                   \
    "smlad  %[a30], %[xv], %[ta], %[a30]\n\t"                                                         \
    "smlad  %[a31], %[xv], %[tb], %[a31]\n\t"
#define WIDE4_GROUP                                                                                   \
    "ldr    %[ta], [%[w0]]\n\t"                                                                       \
    "ldr    %[tb], [%[w1]]\n\t"                                                                       \
    "ldr    %[xv], [%[x]], #32\n\t"                                                                   \
    "sxtb16 %[ta], %[ta]\n\t"                                                                         \
    "sxtb16 %[tb], %[tb]\n\t"                                                                         \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-28]\n\t"                                                                  \
    "smlad  %[a10], %[xv], %[ta], %[a10]\n\t"                                                         \
    "smlad  %[a11], %[xv], %[tb], %[a11]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-24]\n\t"                                                                  \
    "smlad  %[a20], %[xv], %[ta], %[a20]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a21]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-20]\n\t"                                                                  \
    "smlad  %[a30], %[xv], %[ta], %[a30]\n\t"                                                         \
    "smlad  %[a31], %[xv], %[tb], %[a31]\n\t"                                                         \
    WIDE4_ODD_HALF
/* the groups of a pair: 4 per iteration, entered (TBH on `entry`: 0..3 the group that leaves a multiple of
 * 4 for the iterations after the first, 4 no group) and left when x reaches xend */
#define WIDE4_LOOP(entry)                                                                             \
    "ldr    %[ta], %[" entry "]\n\t"                                                                  \
    "tbh    [pc, %[ta], lsl #1]\n\t"                                                                  \
    "0:\n\t"                                                                                          \
    ".hword (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2, (4f - 0b) / 2, (5f - 0b) / 2\n\t"               \
    "1:\n\t" WIDE4_GROUP                                                                              \
    "2:\n\t" WIDE4_GROUP                                                                              \
    "3:\n\t" WIDE4_GROUP                                                                              \
    "4:\n\t" WIDE4_GROUP                                                                              \
    "ldr    %[ta], %[xend]\n\t"                                                                       \
    "cmp    %[x], %[ta]\n\t"                                                                          \
    "bne    1b\n\t"                                                                                   \
    "5:\n\t"
/* the first group when a00 / a01 hold the doubled biases: the other accumulators start from them in their
 * first SMLAD (a00, a01 last) */
#define WIDE4_FIRST                                                                                   \
    "ldr    %[ta], [%[w0]]\n\t"                                                                       \
    "ldr    %[tb], [%[w1]]\n\t"                                                                       \
    "ldr    %[xv], [%[x], #4]\n\t"                                                                    \
    "sxtb16 %[ta], %[ta]\n\t"                                                                         \
    "sxtb16 %[tb], %[tb]\n\t"                                                                         \
    "smlad  %[a10], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a11], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #8]\n\t"                                                                    \
    "smlad  %[a20], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #12]\n\t"                                                                   \
    "smlad  %[a30], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a31], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x]], #32\n\t"                                                                   \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    WIDE4_ODD_HALF
/* The pre-widened weights (p->wide_filter, conv_1x1_wide_pre; see mcu_nn.h): per pair of channels, per
 * group of 4 input channels 4 words of int16 pairs [oc (c0,c2)] [oc1 (c0,c2)] [oc (c1,c3)] [oc1 (c1,c3)],
 * so that a half group is one LDRD of weights (ta, tb), two LDRD of the block's words (xv, xw) and 8
 * SMLAD: 22 instructions per 32 MACs (w the stream, advanced by 16 per group; x as above) */
#define WIDE4P_QUAD(ta, tb, o0, o1)                                                                   \
    "ldrd   %[xv], %[xw], " o0 "\n\t"                                                                 \
    "smlad  %[a00], %[xv], %[" ta "], %[a00]\n\t"                                                     \
    "smlad  %[a01], %[xv], %[" tb "], %[a01]\n\t"                                                     \
    "smlad  %[a10], %[xw], %[" ta "], %[a10]\n\t"                                                     \
    "smlad  %[a11], %[xw], %[" tb "], %[a11]\n\t"                                                     \
    "ldrd   %[xv], %[xw], " o1 "\n\t"                                                                 \
    "smlad  %[a20], %[xv], %[" ta "], %[a20]\n\t"                                                     \
    "smlad  %[a21], %[xv], %[" tb "], %[a21]\n\t"                                                     \
    "smlad  %[a30], %[xw], %[" ta "], %[a30]\n\t"                                                     \
    "smlad  %[a31], %[xw], %[" tb "], %[a31]\n\t"
/* the second half of a group: words 4..7, x and w already advanced */
#define WIDE4P_ODD_HALF                                                                               \
    "ldrd   %[ta], %[tb], [%[w], #-8]\n\t"                                                            \
    WIDE4P_QUAD("ta", "tb", "[%[x], #-16]", "[%[x], #-8]")
#define WIDE4P_GROUP                                                                                  \
    "ldrd   %[ta], %[tb], [%[w]], #16\n\t"                                                            \
    WIDE4P_QUAD("ta", "tb", "[%[x]], #32", "[%[x], #-24]")                                            \
    WIDE4P_ODD_HALF
/* the groups of a pair: 8 per iteration, entered (TBH on `entry`: 0..7 the group that leaves a multiple of
 * 8 for the iterations after the first, 8 no group) and left when x reaches xend */
#define WIDE4P_LOOP(entry)                                                                            \
    "ldr    %[ta], %[" entry "]\n\t"                                                                  \
    "tbh    [pc, %[ta], lsl #1]\n\t"                                                                  \
    "0:\n\t"                                                                                          \
    ".hword (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2, (4f - 0b) / 2, (5f - 0b) / 2\n\t"            \
    ".hword (6f - 0b) / 2, (7f - 0b) / 2, (8f - 0b) / 2, (9f - 0b) / 2\n\t"                           \
    "1:\n\t" WIDE4P_GROUP                                                                             \
    "2:\n\t" WIDE4P_GROUP                                                                             \
    "3:\n\t" WIDE4P_GROUP                                                                             \
    "4:\n\t" WIDE4P_GROUP                                                                             \
    "5:\n\t" WIDE4P_GROUP                                                                             \
    "6:\n\t" WIDE4P_GROUP                                                                             \
    "7:\n\t" WIDE4P_GROUP                                                                             \
    "8:\n\t" WIDE4P_GROUP                                                                             \
    "ldr    %[ta], %[xend]\n\t"                                                                       \
    "cmp    %[x], %[ta]\n\t"                                                                          \
    "bne    1b\n\t"                                                                                   \
    "9:\n\t"
/* the first group when a00 / a01 hold the doubled biases: pixels 2, 3 first, then 1 and 0 (a00, a01 last) */
#define WIDE4P_FIRST                                                                                  \
    "ldrd   %[ta], %[tb], [%[w]], #16\n\t"                                                            \
    "ldrd   %[xv], %[xw], [%[x], #8]\n\t"                                                             \
    "smlad  %[a20], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a01]\n\t"                                                         \
    "smlad  %[a30], %[xw], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a31], %[xw], %[tb], %[a01]\n\t"                                                         \
    "ldrd   %[xv], %[xw], [%[x]], #32\n\t"                                                            \
    "smlad  %[a10], %[xw], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a11], %[xw], %[tb], %[a01]\n\t"                                                         \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    WIDE4P_ODD_HALF
/* the output stage of one channel of the pair, its constants next in the stream (w, advanced by 16): m, e, c
 * as mcu_rq2_channel computes them (m = mult, e = -shift, c = kc 2^(e-1)) and the channel's index oc:
 * y0..y3 by mcu_rqd_apply (SMMLAR, SUB, ASR; RQ: WIDE4P_RQ_SUB, or WIDE4P_RQ_NOSUB where the activation's
 * lower bound is at least the output zero point: mcu_rqd_apply_clamped), SSAT #8, stored at o + oc + q os;
 * x is a temporary */
#define WIDE4P_RQ_SUB(y)                                                                              \
    "smmlar %[x], %[" y "], %[xv], %[ta]\n\t"                                                          \
    "sub    %[" y "], %[x], %[" y "], lsr #31\n\t"
#define WIDE4P_RQ_NOSUB(y) "smmlar %[" y "], %[" y "], %[xv], %[ta]\n\t"
#define WIDE4P_REQ(RQ, y0, y1, y2, y3)                                                                \
    "ldrd   %[xv], %[xw], [%[w]], #16\n\t"                                                            \
    "ldrd   %[ta], %[tb], [%[w], #-8]\n\t"                                                            \
    RQ(y0) RQ(y1) RQ(y2) RQ(y3)                                                                       \
    "ldr    %[xv], %[ob]\n\t"                                                                         \
    "asr    %[" y0 "], %[" y0 "], %[xw]\n\t"                                                          \
    "asr    %[" y1 "], %[" y1 "], %[xw]\n\t"                                                          \
    "asr    %[" y2 "], %[" y2 "], %[xw]\n\t"                                                          \
    "asr    %[" y3 "], %[" y3 "], %[xw]\n\t"                                                          \
    "ldr    %[ta], %[os]\n\t"                                                                         \
    "ssat   %[" y0 "], #8, %[" y0 "]\n\t"                                                             \
    "ssat   %[" y1 "], #8, %[" y1 "]\n\t"                                                             \
    "ssat   %[" y2 "], #8, %[" y2 "]\n\t"                                                             \
    "ssat   %[" y3 "], #8, %[" y3 "]\n\t"                                                             \
    "add    %[xv], %[xv], %[tb]\n\t"                                                                  \
    "strb   %[" y0 "], [%[xv]]\n\t"                                                                   \
    "strb   %[" y1 "], [%[xv], %[ta]]\n\t"                                                            \
    "add    %[xv], %[xv], %[ta], lsl #1\n\t"                                                          \
    "strb   %[" y2 "], [%[xv]]\n\t"                                                                   \
    "strb   %[" y3 "], [%[xv], %[ta]]\n\t"
/* The same for both channels of a pair of neighbours (oc1 = oc + 1: conv_1x1_wide_pre without the hint, an
 * even count of pairs), the constants of oc then oc1 next in the stream: each channel's y0..y3 by
 * mcu_rqd_apply and SSAT #8 (WIDE4P_RQ4 on RQ as WIDE4P_REQ's: m in xv, e in xw, c in ta, x a temporary),
 * then per pixel q the two bytes merged (BFI) into one STRH at o + oc + q os: 48 instructions per pair of
 * channels of 4 pixels (WIDE4P_REQ twice: 52) */
#define WIDE4P_RQ4(RQ, y0, y1, y2, y3)                                                                \
    RQ(y0) RQ(y1) RQ(y2) RQ(y3)                                                                       \
    "asr    %[" y0 "], %[" y0 "], %[xw]\n\t"                                                          \
    "asr    %[" y1 "], %[" y1 "], %[xw]\n\t"                                                          \
    "asr    %[" y2 "], %[" y2 "], %[xw]\n\t"                                                          \
    "asr    %[" y3 "], %[" y3 "], %[xw]\n\t"                                                          \
    "ssat   %[" y0 "], #8, %[" y0 "]\n\t"                                                             \
    "ssat   %[" y1 "], #8, %[" y1 "]\n\t"                                                             \
    "ssat   %[" y2 "], #8, %[" y2 "]\n\t"                                                             \
    "ssat   %[" y3 "], #8, %[" y3 "]\n\t"
#define WIDE4P_REQ_PAIR(RQ)                                                                           \
    "ldrd   %[xv], %[xw], [%[w]], #16\n\t"                                                            \
    "ldrd   %[ta], %[tb], [%[w], #-8]\n\t"                                                            \
    WIDE4P_RQ4(RQ, "a00", "a10", "a20", "a30")                                                        \
    "ldrd   %[xv], %[xw], [%[w]], #16\n\t"                                                            \
    "ldr    %[ta], [%[w], #-8]\n\t"                                                                   \
    WIDE4P_RQ4(RQ, "a01", "a11", "a21", "a31")                                                        \
    "ldr    %[x], %[ob]\n\t"                                                                          \
    "ldr    %[xv], %[os]\n\t"                                                                         \
    "bfi    %[a00], %[a01], #8, #8\n\t"                                                               \
    "bfi    %[a10], %[a11], #8, #8\n\t"                                                               \
    "bfi    %[a20], %[a21], #8, #8\n\t"                                                               \
    "bfi    %[a30], %[a31], #8, #8\n\t"                                                               \
    "add    %[x], %[x], %[tb]\n\t"                                                                    \
    "strh   %[a00], [%[x]]\n\t"                                                                       \
    "strh   %[a10], [%[x], %[xv]]\n\t"                                                                \
    "add    %[x], %[x], %[xv], lsl #1\n\t"                                                            \
    "strh   %[a20], [%[x]]\n\t"                                                                       \
    "strh   %[a30], [%[x], %[xv]]\n\t"
#define WIDE4P_OUTPUTS                                                                                \
    : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [a20] "+r"(a20),            \
      [a21] "+r"(a21), [a30] "+r"(a30), [a31] "+r"(a31), [x] "+r"(x), [w] "+r"(wp), [xw] "=&r"(xw),   \
      [ta] "=&r"(ta), [tb] "=&r"(tb), [xv] "=&r"(xv)
#define WIDE4_OUTPUTS                                                                                 \
    : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [a20] "+r"(a20),            \
      [a21] "+r"(a21), [a30] "+r"(a30), [a31] "+r"(a31), [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1),   \
      [ta] "=&r"(ta), [tb] "=&r"(tb), [xv] "=&r"(xv)
/* conv_1x1_wide's output stage in the same assembly: channel %[ch]'s 4 doubled sums y0..y3 by mcu_rqd_apply on
 * mcu_rq2_channel's constants (m = mult[ch] in w0, e = -shift[ch] in w1, c = kc 2^(e-1) in xv: the output
 * offset folded in), SSAT #8, stored at o + ch + q os (ta; os in tb); x is a temporary */
#define WIDE4_REQ_R(rm, re, ch, idx, os_load, y0, y1, y2, y3)                                         \
    "ldr    %[ta], %[mp]\n\t"                                                                        \
    "ldr    %[" idx "], %[" ch "]\n\t"                                                              \
    "ldr    %[" rm "], [%[ta], %[" idx "], lsl #2]\n\t"                                               \
    "ldr    %[ta], %[shp]\n\t"                                                                       \
    "ldr    %[" re "], [%[ta], %[" idx "], lsl #2]\n\t"                                               \
    "ldr    %[ta], %[ob]\n\t"                                                                        \
    "add    %[ta], %[ta], %[" idx "]\n\t"                                                           \
    "ldr    %[" idx "], %[kc]\n\t"                                                                  \
    "mvn    %[xv], %[" re "]\n\t"                                                                     \
    "lsl    %[xv], %[" idx "], %[xv]\n\t"                                                           \
    "rsb    %[" re "], %[" re "], #0\n\t"                                                             \
    os_load                                                                                           \
    "smmlar %[x], %[" y0 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y0 "], %[x], %[" y0 "], lsr #31\n\t"                                                \
    "smmlar %[x], %[" y1 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y1 "], %[x], %[" y1 "], lsr #31\n\t"                                                \
    "smmlar %[x], %[" y2 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y2 "], %[x], %[" y2 "], lsr #31\n\t"                                                \
    "smmlar %[x], %[" y3 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y3 "], %[x], %[" y3 "], lsr #31\n\t"                                                \
    "asr    %[" y0 "], %[" y0 "], %[" re "]\n\t"                                                      \
    "asr    %[" y1 "], %[" y1 "], %[" re "]\n\t"                                                      \
    "asr    %[" y2 "], %[" y2 "], %[" re "]\n\t"                                                      \
    "asr    %[" y3 "], %[" y3 "], %[" re "]\n\t"                                                      \
    "ssat   %[" y0 "], #8, %[" y0 "]\n\t"                                                           \
    "ssat   %[" y1 "], #8, %[" y1 "]\n\t"                                                           \
    "ssat   %[" y2 "], #8, %[" y2 "]\n\t"                                                           \
    "ssat   %[" y3 "], #8, %[" y3 "]\n\t"                                                           \
    "strb   %[" y0 "], [%[ta]]\n\t"                                                                 \
    "strb   %[" y1 "], [%[ta], %[tb]]\n\t"                                                          \
    "add    %[ta], %[ta], %[tb], lsl #1\n\t"                                                         \
    "strb   %[" y2 "], [%[ta]]\n\t"                                                                 \
    "strb   %[" y3 "], [%[ta], %[tb]]\n\t"
#define WIDE4_REQ(ch, idx, os_load, y0, y1, y2, y3) WIDE4_REQ_R("w0", "w1", ch, idx, os_load, y0, y1, y2, y3)
#include "mcu_conv_wide_pairs_dsp.h"      /* WIDE4I_*: the pair-interleaved filter's loop */
#endif

/* The 4 output pixels at o (rows of n bytes, consecutive) get the dead channels' constant row: each word of
 * the row loaded once, stored 4 times (unaligned word accesses are allowed on Armv7E-M). */
static inline void dead_fill4(int8_t *o, const int8_t *row, int32_t n)
{
    const size_t os = (size_t)n;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t v = mcu_load4(row + i);
        memcpy(o + i, &v, 4);
        memcpy(o + os + i, &v, 4);
        memcpy(o + 2 * os + i, &v, 4);
        memcpy(o + 3 * os + i, &v, 4);
    }
    for (; i < n; ++i) {
        o[i] = o[os + i] = o[2 * os + i] = o[3 * os + i] = row[i];
    }
}

/* conv_1x1_wide requantises channel c's doubled sums by mcu_rqd_apply on mcu_rq2_channel's constants (the
 * output offset folded in: e = -shift in [1, 22]) when mcu_rqd_fits holds for its
 * bias and the output offset is in [-128, 127]; other channels' blocks take wide4_out_plain. */
static MCU_ALWAYS_INLINE int wide_fast(const mcu_conv_params_t *p, const int32_t *bias, int32_t c, int32_t k)
{
    const int32_t mult = p->out_mult[c], shift = p->out_shift[c];
    return mcu_rqd_fits(mult, shift, bias != NULL ? bias[c] : 0, k) && shift >= -22 && shift <= -1
           && p->output_offset >= -128 && p->output_offset <= 127;
}

#define WIDE_FAST_WORDS 32                          /* the per-call table of fast channels: up to 1024 */

/* One group of 4 input channels of 4 pixels (words v0..v3, one per pixel) plus the input offset, doubled when
 * dbl (a constant once inlined: the weights widened at run time; the pre-widened stream's are doubled instead),
 * into the 8 words at d: [p0 p1 p2 p3 channels 0,2 | p0 p1 p2 p3 channels 1,3]. */
static MCU_ALWAYS_INLINE uint32_t widen_dbl(uint32_t t, int dbl)
{
    return dbl ? (uint32_t)__sadd16(t, t) : t;
}

static MCU_ALWAYS_INLINE void widen_group4(uint32_t *d, uint32_t off2, uint32_t v0, uint32_t v1, uint32_t v2,
                                           uint32_t v3, int dbl)
{
    uint32_t t0 = __sxtab16(off2, v0), t1 = __sxtab16(off2, v1);
    uint32_t t2 = __sxtab16(off2, v2), t3 = __sxtab16(off2, v3);
    d[0] = widen_dbl(t0, dbl);
    d[1] = widen_dbl(t1, dbl);
    d[2] = widen_dbl(t2, dbl);
    d[3] = widen_dbl(t3, dbl);
    t0 = mcu_sxtab16_ror8(off2, v0);
    t1 = mcu_sxtab16_ror8(off2, v1);
    t2 = mcu_sxtab16_ror8(off2, v2);
    t3 = mcu_sxtab16_ror8(off2, v3);
    d[4] = widen_dbl(t0, dbl);
    d[5] = widen_dbl(t1, dbl);
    d[6] = widen_dbl(t2, dbl);
    d[7] = widen_dbl(t3, dbl);
}

#define WIDE_CUT_BYTES 64               /* im2col_cut4: window rows of up to 64 elements */

/* im2col_widen4's common cases, inlined into the block loop (the general gather sets up more than this costs): the 4
 * pixels px .. px + 3 in one output row with all their window rows inside the input: when their columns and the
 * run4 bytes of each window row are inside too, widened row by row straight from it, otherwise (run4 <=
 * WIDE_CUT_BYTES) by im2col_cut4. Returns 0 (nothing written) for the other blocks. */
static MCU_ALWAYS_INLINE int im2col_row4(const mcu_conv_params_t *p, const int8_t *in, int32_t px, uint32_t *wide,
                                         uint32_t off2, int dbl)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c, kh = p->filter.h, kw = p->filter.w;
    const int32_t out_w = p->out.w, run4 = (kw * in_c + 3) & ~3;
    const int32_t t = px / out_w, ox = px - t * out_w, oy = t % p->out.h, b = t / p->out.h;
    const int32_t ix = ox * p->stride_w - p->pad_left, iy = oy * p->stride_h - p->pad_top;
    const ptrdiff_t row_step = (ptrdiff_t)in_w * in_c, st = (ptrdiff_t)p->stride_w * in_c;    /* pixel to pixel */
    const ptrdiff_t at = ((ptrdiff_t)(b * in_h + iy) * in_w + ix) * in_c;
    if (ox + 4 > out_w || iy < 0 || iy + kh > in_h) {
        return 0;
    }
    if (ix < 0 || ix + 3 * p->stride_w + kw > in_w
        || at + (kh - 1) * row_step + 3 * st + run4 > (ptrdiff_t)p->in.n * in_h * row_step) {
        if (run4 > WIDE_CUT_BYTES) {
            return 0;
        }
        mcu_im2col_cut4(p, in, at, ix, wide, off2, dbl);
        return 1;
    }
    const int8_t *s = in + at;
    uint32_t *d = wide;
    for (int32_t ky = 0; ky < kh; ++ky, s += row_step) {
        for (int32_t j = 0; j < run4; j += 4, d += 8) {
            widen_group4(d, off2, mcu_load4(s + j), mcu_load4(s + st + j), mcu_load4(s + 2 * st + j),
                         mcu_load4(s + 3 * st + j), dbl);
        }
    }
    return 1;
}

/* The need bytes a conv without planned scratch borrows from the end of its own output (out_bytes at out,
 * written by nothing else while it runs), 4-aligned; 0 when they do not fit or input and output overlap. */
static inline uintptr_t own_output_scratch(const int8_t *in, size_t in_bytes, int8_t *out, size_t out_bytes,
                                           size_t need)
{
    if (need > out_bytes
        || ((uintptr_t)in < (uintptr_t)out + out_bytes && (uintptr_t)out < (uintptr_t)in + in_bytes)) {
        return 0;
    }
    const uintptr_t wide = ((uintptr_t)out + out_bytes - need) & ~(uintptr_t)3;
    return wide < (uintptr_t)out ? 0 : wide;
}

/* conv_1x1_wide_pairs's last 1 or 2 pixels px0 .. px1 - 1 (a block moved back would compute 4), pixel by pixel on
 * the pair-interleaved filter (mcu_conv_wide_pairs_dsp.c) */
void mcu_wide_pairs_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out, int32_t px0, int32_t px1);

/* hinted: 0, the channels in order (n_live = out.c); 1, the dead-channel hint's live channels (see
 * conv_1x1_wide: one copy of this body each, so the unhinted one has no channel look-ups). im2col: 0, the
 * 1x1 conv (k = in.c); 1, any conv with dilation 1 and in.c a multiple of 4, each block's 4 output
 * pixels' windows (k = kh kw in.c) gathered by im2col_widen4 (conv_im2col_wide); 2, a conv with dilation 1
 * and in.c % 4 != 0 on the pre-widened stream, its window rows padded to whole groups (k = kh run4, run4 =
 * kw in.c rounded up to a multiple of 4: conv_im2col_rows) */
static MCU_ALWAYS_INLINE void conv_1x1_wide_run(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                                const int32_t *bias, int8_t *out, uint32_t *wide, const int hinted,
                                                const int im2col, const int pre, const int inter)
{
    /* inter (not pre, not hinted, k a multiple of 4, out.c even): the int8 filter pair-interleaved (WIDE4I_HALF) */
    const int32_t pixels = im2col ? p->out.n * p->out.h * p->out.w : p->in.n * p->in.h * p->in.w;
    const int32_t k = im2col == 2 ? p->filter.h * ((p->filter.w * p->in.c + 3) & ~3)
                      : im2col ? p->filter.h * p->filter.w * p->in.c : p->in.c;
    const int32_t out_c = p->out.c, k4 = k & ~3;
    const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u;
    const size_t os = (size_t)out_c;
    /* bit c of fast: channel c takes the folded requantisation (wide_fast), when out_c <= 32 WIDE_FAST_WORDS;
     * all: every channel does */
    uint32_t fast[WIDE_FAST_WORDS];
    const int nbits = out_c <= 32 * WIDE_FAST_WORDS;
    int all = 1;
    for (int32_t c = 0; c < out_c; c += 32) {
        uint32_t word = 0;
        for (int32_t j = 0; j < 32 && c + j < out_c; ++j) {
            word |= (uint32_t)wide_fast(p, bias, c + j, k) << j;
        }
        all &= word == (c + 32 <= out_c ? 0xFFFFFFFFu : ((uint32_t)1 << (out_c - c)) - 1u);
        if (nbits) {
            fast[c >> 5] = word;
        }
    }
    const int8_t *const dead_out = p->dead_out;
    const uint16_t *const live = p->live;
    const int32_t n_live = hinted ? p->live_c : out_c;
    if (hinted) {                                   /* only the live channels count */
        all = 1;
        for (int32_t i = 0; i < n_live; ++i) {
            const int32_t c = live[i];
            all &= nbits ? (int)((fast[c >> 5] >> (c & 31)) & 1u) : wide_fast(p, bias, c, k);
        }
    }
#if defined(WIDE4_GROUP)
    const int32_t *const mult = p->out_mult, *const shift = p->out_shift;
    const int32_t kc = 2 * p->output_offset + 1;    /* mcu_rq2_channel's c = 2^(e-1) + o_off 2^e = kc 2^(e-1) */
    const int full = p->act_min == -128 && p->act_max == 127;   /* the clamp is SSAT #8 */
    const int32_t entry = (4 - (k4 >> 2)) & 3;      /* WIDE4_LOOP's entry for k4 / 4 groups */
    const int32_t entry1 = k4 == 4 ? 4 : (5 - (k4 >> 2)) & 3;   /* and for all but the first (WIDE4_FIRST) */
    const int32_t entry8 = (8 - (k4 >> 2)) & 7;     /* WIDE4P_LOOP's (8 groups per iteration) */
    const int32_t entry81 = k4 == 4 ? 8 : (9 - (k4 >> 2)) & 7;
    const uint32_t *const xend = wide + 2 * k4;     /* the end of the widened block */
    const int simple = full && k == k4 && bias != NULL;   /* the pairs wide_fast takes go all in assembly */
    const int simple_pre = full && k == k4;         /* pre: the stream holds the (doubled) biases, 0 without */
    /* the output stage's SUB changes nothing when the activation's lower bound is at least the output zero point
     * (mcu_rqd_apply_clamped) */
    const int nosub = p->act_min >= p->output_offset;
    /* pre: the end of the stream (n_live rounded up to pairs of k4 + 10 words: mcu_nn.h) */
    const uint32_t *const wend = pre ? p->wide_filter + (size_t)((n_live + 1) >> 1) * (size_t)(k4 + 10) : NULL;
    /* and of its pairs of neighbours (without the hint: an odd count's last pair is a channel twice) */
    const uint32_t *const wend_even = pre ? p->wide_filter + (size_t)(n_live >> 1) * (size_t)(k4 + 10) : NULL;
    /* inter: the end of the pair-interleaved filter (out.c / 2 pairs of 2 k bytes: WIDE4I_ALL) */
    const int8_t *const wend_inter = inter ? filter + (size_t)out_c * (size_t)k : NULL;
#endif
    /* pre: 1 or 2 pixels past the last whole block go apart (wide_pre_rows) */
    const int32_t tail = (pre || inter) && !im2col && (pixels & 3) <= 2 ? pixels & 3 : 0;
    /* the block's words doubled (the sums doubled for mcu_rqd_apply): not with the pre-widened weights (doubled
     * instead) nor the pair-interleaved filter (its sums doubled after the products: WIDE4I_DBL) */
    const int dbl = !pre && !inter;
    for (int32_t px = 0; px < pixels - tail; px += 4) {
        if (px + 4 > pixels) {
            px = pixels - 4;                        /* the last block ends at the last pixel */
        }
        /* the 1x1 block's first pixel (im2col: k == k4, wide4_finish reads no input) */
        const int8_t *const x0 = im2col ? in : in + (size_t)px * (size_t)k;
        if (im2col) {
            if (!im2col_row4(p, in, px, wide, off2, dbl)) {
                mcu_im2col_widen4(p, in, px, wide, off2, dbl);
            }
        } else {                                    /* the 4 pixels' groups of 4 channels, 8 words each */
            uint32_t *d = wide;
            const int8_t *xg = x0;
            for (const int8_t *const xg_end = x0 + k4; xg != xg_end; xg += 4, d += 8) {
                widen_group4(d, off2, mcu_load4(xg), mcu_load4(xg + k), mcu_load4(xg + 2 * k),
                             mcu_load4(xg + 3 * k), dbl);
            }
        }
        int8_t *const o = out + (size_t)px * os;
        if (hinted) {
            dead_fill4(o, dead_out, out_c);         /* the dead channels' constants; live ones follow */
        }
        int32_t i0 = 0;                             /* the first pair left to the loop below */
#if defined(WIDE4_GROUP)
        if (pre && all && simple_pre && n_live > (hinted ? 0 : 1)) {  /* pairs in one assembly loop over the stream */
            /* (the pair loop's label 10: WIDE4P_LOOP takes 0..9) */
            int32_t a00, a01, a10, a11, a20, a21, a30, a31;
            const uint32_t *x, *wp = p->wide_filter;
            uint32_t ta, tb, xv, xw;
            /* the pair loop over the stream up to WEND, OUT the output stage of a pair (RQ: WIDE4P_RQ_NOSUB where
             * nosub, see WIDE4P_REQ) */
#define WIDE4P_ALL(OUT, WEND)                                                                          \
            __asm__ volatile("10:\n\t"                                                                  \
                             "ldrd   %[a00], %[a01], [%[w]], #8\n\t"                                  \
                             "ldr    %[x], %[xbeg]\n\t"                                               \
                             WIDE4P_FIRST                                                             \
                             WIDE4P_LOOP("entry81")                                                   \
                             OUT                                                                      \
                             "ldr    %[ta], %[wend]\n\t"                                               \
                             "cmp    %[w], %[ta]\n\t"                                                  \
                             "bne    10b\n\t"                                                          \
                             : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),\
                               [a20] "=&r"(a20), [a21] "=&r"(a21), [a30] "=&r"(a30), [a31] "=&r"(a31),\
                               [x] "=&r"(x), [w] "+r"(wp), [xw] "=&r"(xw), [ta] "=&r"(ta),            \
                               [tb] "=&r"(tb), [xv] "=&r"(xv)                                         \
                             : [ob] "m"(o), [os] "m"(os), [xbeg] "m"(wide), [xend] "m"(xend),         \
                               [entry81] "m"(entry81), [wend] "m"(WEND)                               \
                             : "memory", "cc")
#define WIDE4P_APART(RQ) WIDE4P_REQ(RQ, "a00", "a10", "a20", "a30") WIDE4P_REQ(RQ, "a01", "a11", "a21", "a31")
            if (hinted) {                           /* any two live channels: their bytes apart */
                if (nosub) {
                    WIDE4P_ALL(WIDE4P_APART(WIDE4P_RQ_NOSUB), wend);
                } else {
                    WIDE4P_ALL(WIDE4P_APART(WIDE4P_RQ_SUB), wend);
                }
                continue;
            }
            /* channels 2j, 2j + 1: neighbours, one STRH per pixel; an odd count's last pair (oc1 = oc) below */
            if (nosub) {
                WIDE4P_ALL(WIDE4P_REQ_PAIR(WIDE4P_RQ_NOSUB), wend_even);
            } else {
                WIDE4P_ALL(WIDE4P_REQ_PAIR(WIDE4P_RQ_SUB), wend_even);
            }
#undef WIDE4P_ALL
#undef WIDE4P_APART
            if ((n_live & 1) == 0) {
                continue;
            }
            i0 = n_live - 1;
        }
        if (inter && all && simple) {               /* the pair-interleaved filter: every pair in one loop */
            int32_t a00, a01, a10, a11, a20, a21, a30, a31;
            const uint32_t *x;
            const int8_t *wq = filter, *wsave;
            const int32_t *bq = bias, *mq = mult, *sq = shift;
            int8_t *oq = o;
            uint32_t ta, tb, xv, xw;
            __asm__ volatile(WIDE4I_ALL
                             : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
                               [a20] "=&r"(a20), [a21] "=&r"(a21), [a30] "=&r"(a30), [a31] "=&r"(a31),
                               [x] "=&r"(x), [w] "+r"(wq), [xw] "=&r"(xw), [ta] "=&r"(ta), [tb] "=&r"(tb),
                               [xv] "=&r"(xv), [bp] "+m"(bq), [mp] "+m"(mq), [shp] "+m"(sq), [ob] "+m"(oq),
                               [wsave] "=m"(wsave)
                             : [xbeg] "m"(wide), [os] "m"(os), [kc] "m"(kc), [xend] "m"(xend),
                               [entry81] "m"(entry81), [wend] "m"(wend_inter)
                             : "memory", "cc");
            continue;
        }
#endif
        for (int32_t i = i0; i < n_live; i += 2) {  /* a pair of live channels (odd count: the last twice) */
            const int32_t oc = hinted ? live[i] : i;
            const int32_t oc1 = i + 1 < n_live ? (hinted ? live[i + 1] : i + 1) : oc;
            /* the int8 rows (pre: read past the groups only, NULL when the filter was left out: k == k4) */
            const int8_t *w0 = pre && filter == NULL ? NULL : filter + (size_t)oc * (size_t)k;
            const int8_t *w1 = pre && filter == NULL ? NULL : inter ? w0 + 4 : filter + (size_t)oc1 * (size_t)k;
            const int fastpair = all || (nbits ? (fast[oc >> 5] >> (oc & 31)) & (fast[oc1 >> 5] >> (oc1 & 31)) & 1u
                                               : wide_fast(p, bias, oc, k) && wide_fast(p, bias, oc1, k));
            /* pre: the pair's pre-widened weights (past its 2 bias words) */
            const uint32_t *wp = pre ? p->wide_filter + (size_t)(i >> 1) * (size_t)(k4 + 10) + 2 : NULL;
#if defined(WIDE4_GROUP)
            if (inter && fastpair && simple) {              /* the same on the pair-interleaved filter */
                int32_t a00, a01, a10, a11, a20, a21, a30, a31;
                const uint32_t *x = wide;
                uint32_t ta, tb, xv, xw;
                __asm__ volatile("ldr    %[ta], %[bp]\n\t"
                                 "ldr    %[tb], %[oc]\n\t"
                                 "ldr    %[a00], [%[ta], %[tb], lsl #2]\n\t"
                                 "ldr    %[tb], %[oc1]\n\t"
                                 "ldr    %[a01], [%[ta], %[tb], lsl #2]\n\t"
                                 WIDE4I_FIRST
                                 WIDE4I_LOOP("entry81")
                                 WIDE4I_DBL
                                 WIDE4_REQ_R("w", "xw", "oc", "tb", "ldr    %[tb], %[os]\n\t", "a00", "a10", "a20", "a30")
                                 WIDE4_REQ_R("w", "xw", "oc1", "a00", "", "a01", "a11", "a21", "a31")
                                 : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
                                   [a20] "=&r"(a20), [a21] "=&r"(a21), [a30] "=&r"(a30), [a31] "=&r"(a31),
                                   [x] "+r"(x), [w] "+r"(w0), [xw] "=&r"(xw), [ta] "=&r"(ta), [tb] "=&r"(tb),
                                   [xv] "=&r"(xv)
                                 : [bp] "m"(bias), [mp] "m"(mult), [shp] "m"(shift), [kc] "m"(kc), [ob] "m"(o),
                                   [os] "m"(os), [oc] "m"(oc), [oc1] "m"(oc1), [xend] "m"(xend), [entry81] "m"(entry81)
                                 : "memory", "cc");
                continue;
            }
            if (!pre && fastpair && simple) {               /* all in assembly: bias, products, output stage */
                int32_t a00, a01, a10, a11, a20, a21, a30, a31;
                const uint32_t *x = wide;
                uint32_t ta, tb, xv;
                __asm__ volatile("ldr    %[ta], %[bp]\n\t"
                                 "ldr    %[tb], %[oc]\n\t"
                                 "ldr    %[a00], [%[ta], %[tb], lsl #2]\n\t"
                                 "ldr    %[tb], %[oc1]\n\t"
                                 "ldr    %[a01], [%[ta], %[tb], lsl #2]\n\t"
                                 "add    %[a00], %[a00], %[a00]\n\t"
                                 "add    %[a01], %[a01], %[a01]\n\t"
                                 WIDE4_FIRST
                                 WIDE4_LOOP("entry1")
                                 WIDE4_REQ("oc", "tb", "ldr    %[tb], %[os]\n\t", "a00", "a10", "a20", "a30")
                                 WIDE4_REQ("oc1", "a00", "", "a01", "a11", "a21", "a31")
                                 : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
                                   [a20] "=&r"(a20), [a21] "=&r"(a21), [a30] "=&r"(a30), [a31] "=&r"(a31),
                                   [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [ta] "=&r"(ta), [tb] "=&r"(tb),
                                   [xv] "=&r"(xv)
                                 : [bp] "m"(bias), [mp] "m"(mult), [shp] "m"(shift), [kc] "m"(kc), [ob] "m"(o),
                                   [os] "m"(os), [oc] "m"(oc), [oc1] "m"(oc1), [xend] "m"(xend), [entry1] "m"(entry1)
                                 : "memory", "cc");
                continue;
            }
#endif
            int32_t a00 = 0, a01 = 0;               /* twice the bias (wrapping: see below; inter: once) */
            if (bias != NULL) {
                a00 = (int32_t)((2u - (uint32_t)inter) * (uint32_t)bias[oc]);
                a01 = (int32_t)((2u - (uint32_t)inter) * (uint32_t)bias[oc1]);
            }
            int32_t a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
            const uint32_t *x = wide;
#if defined(WIDE4_GROUP)
            if (pre) {
                uint32_t ta, tb, xv, xw;
                __asm__(WIDE4P_LOOP("entry8") WIDE4P_OUTPUTS : [xend] "m"(xend), [entry8] "m"(entry8) : "memory", "cc");
            } else if (inter) {
                uint32_t ta, tb, xv, xw;
                __asm__(WIDE4I_LOOP("entry8") WIDE4I_DBL WIDE4I_OUTPUTS : [xend] "m"(xend), [entry8] "m"(entry8)
                        : "memory", "cc");
            } else {
                uint32_t ta, tb, xv;
                __asm__(WIDE4_LOOP("entry") WIDE4_OUTPUTS : [xend] "m"(xend), [entry] "m"(entry) : "memory", "cc");
            }
#else
            for (int32_t g = 0; pre && g < k4; g += 4, x += 8, wp += 4) {   /* the same sums, pre-widened */
                a00 = __smlad(x[0], wp[0], a00);
                a01 = __smlad(x[0], wp[1], a01);
                a10 = __smlad(x[1], wp[0], a10);
                a11 = __smlad(x[1], wp[1], a11);
                a20 = __smlad(x[2], wp[0], a20);
                a21 = __smlad(x[2], wp[1], a21);
                a30 = __smlad(x[3], wp[0], a30);
                a31 = __smlad(x[3], wp[1], a31);
                a00 = __smlad(x[4], wp[2], a00);
                a01 = __smlad(x[4], wp[3], a01);
                a10 = __smlad(x[5], wp[2], a10);
                a11 = __smlad(x[5], wp[3], a11);
                a20 = __smlad(x[6], wp[2], a20);
                a21 = __smlad(x[6], wp[3], a21);
                a30 = __smlad(x[7], wp[2], a30);
                a31 = __smlad(x[7], wp[3], a31);
            }
            for (int32_t g = 0; inter && g < k4; g += 4, x += 8, w0 += 8) {  /* one word a half group */
                const uint32_t wa = mcu_load4(w0), wb = mcu_load4(w0 + 4);
                uint32_t ta = __sxtb16(wa), tb = mcu_sxtb16_ror8(wa);
                a00 = __smlad(x[0], ta, a00);
                a01 = __smlad(x[0], tb, a01);
                a10 = __smlad(x[1], ta, a10);
                a11 = __smlad(x[1], tb, a11);
                a20 = __smlad(x[2], ta, a20);
                a21 = __smlad(x[2], tb, a21);
                a30 = __smlad(x[3], ta, a30);
                a31 = __smlad(x[3], tb, a31);
                ta = __sxtb16(wb);
                tb = mcu_sxtb16_ror8(wb);
                a00 = __smlad(x[4], ta, a00);
                a01 = __smlad(x[4], tb, a01);
                a10 = __smlad(x[5], ta, a10);
                a11 = __smlad(x[5], tb, a11);
                a20 = __smlad(x[6], ta, a20);
                a21 = __smlad(x[6], tb, a21);
                a30 = __smlad(x[7], ta, a30);
                a31 = __smlad(x[7], tb, a31);
            }
            if (inter) {                            /* the sums doubled (wrapping) */
                a00 = (int32_t)(2u * (uint32_t)a00);
                a01 = (int32_t)(2u * (uint32_t)a01);
                a10 = (int32_t)(2u * (uint32_t)a10);
                a11 = (int32_t)(2u * (uint32_t)a11);
                a20 = (int32_t)(2u * (uint32_t)a20);
                a21 = (int32_t)(2u * (uint32_t)a21);
                a30 = (int32_t)(2u * (uint32_t)a30);
                a31 = (int32_t)(2u * (uint32_t)a31);
            }
            for (int32_t g = 0; !pre && !inter && g < k4; g += 4, x += 8, w0 += 4, w1 += 4) {
                const uint32_t wa = mcu_load4(w0), wb = mcu_load4(w1);
                uint32_t ta = __sxtb16(wa), tb = __sxtb16(wb);
                a00 = __smlad(x[0], ta, a00);
                a01 = __smlad(x[0], tb, a01);
                a10 = __smlad(x[1], ta, a10);
                a11 = __smlad(x[1], tb, a11);
                a20 = __smlad(x[2], ta, a20);
                a21 = __smlad(x[2], tb, a21);
                a30 = __smlad(x[3], ta, a30);
                a31 = __smlad(x[3], tb, a31);
                ta = mcu_sxtb16_ror8(wa);
                tb = mcu_sxtb16_ror8(wb);
                a00 = __smlad(x[4], ta, a00);
                a01 = __smlad(x[4], tb, a01);
                a10 = __smlad(x[5], ta, a10);
                a11 = __smlad(x[5], tb, a11);
                a20 = __smlad(x[6], ta, a20);
                a21 = __smlad(x[6], tb, a21);
                a30 = __smlad(x[7], ta, a30);
                a31 = __smlad(x[7], tb, a31);
            }
#endif
            const int32_t acc[8] = {a00, a10, a20, a30, a01, a11, a21, a31};
            if (k == k4 && !fastpair) {
                mcu_wide4_out_plain(p, acc, bias, oc, oc1, o);
            } else {
                mcu_wide4_finish(p, bias, acc, x0 + k4, pre && w0 != NULL ? w0 + k4 : w0,
                                 pre && w1 != NULL ? w1 + k4 : w1, oc, oc1, o, fastpair, !im2col);
            }
        }
    }
    if (tail != 0 && inter) {                       /* (inter: the pair-interleaved filter, pixel by pixel) */
        mcu_wide_pairs_rows(p, in, filter, bias, out, pixels - tail, pixels);
    } else if (tail != 0) {
        mcu_wide_pre_rows(p, in, filter, bias, out, pixels - tail, pixels, n_live, all);
    }
}
/* The specialisations of conv_1x1_wide_run (its last three arguments constants: one copy of the body
 * each, kept out of line so that profiles name them):
 * conv_1x1_wide           every channel in order (no dead-channel hint);
 * conv_1x1_wide_pre       the same on the pre-widened weights (p->wide_filter);
 * conv_1x1_wide_live      with the dead-channel hint (p->dead_out != NULL): each block of 4 pixels first
 *                         gets the dead channels' constant row, then the live channels in pairs (two live
 *                         channels, not necessarily neighbours);
 * conv_1x1_wide_pre_live  the same on the pre-widened weights (pairs of live channels);
 * conv_im2col_wide        any conv with dilation 1, in.c a multiple of 4 and at least 4 output pixels,
 *                         through the same machinery on the im2col-gathered windows (k = kh kw in.c;
 *                         scratch 8 k bytes); every channel in order (the dead-channel hint's constants
 *                         are what the dead channels compute anyway);
 * conv_im2col_wide_pre    the same on the pre-widened weights (over the whole window);
 * conv_im2col_rows        a conv with dilation 1 and in.c % 4 != 0 (a network's first conv, typically), on the
 *                         pre-widened stream whose window rows are padded to whole groups of 4 (mcu_nn.h):
 *                         each row of 4 pixels' windows widened straight from the input (no byte copy). */
#if defined(__GNUC__) && !defined(__clang__)
#define WIDE_NOINLINE __attribute__((noinline))
#else
#define WIDE_NOINLINE
#endif
#define WIDE_VARIANT(linkage, name, hinted, im2col, pre)                                                \
    WIDE_NOINLINE linkage void name(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, \
                                    const int32_t *bias, int8_t *out, uint32_t *wide)                   \
    {                                                                                                   \
        conv_1x1_wide_run(p, in, filter, bias, out, wide, hinted, im2col, pre, 0);                      \
    }
/* the same on the pair-interleaved int8 filter (mcu_nn_pairs.h; not hinted, not pre) */
#define WIDE_VARIANT_PAIRS(name, im2col)                                                                \
    WIDE_NOINLINE static void name(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,  \
                                   const int32_t *bias, int8_t *out, uint32_t *wide)                    \
    {                                                                                                   \
        conv_1x1_wide_run(p, in, filter, bias, out, wide, 0, im2col, 0, 1);                             \
    }
#endif /* !MCU_NN_REFERENCE && !MCU_NN_MVE && MCU_NN_DSP */

#endif /* MCU_CONV_WIDE_DSP_H */
