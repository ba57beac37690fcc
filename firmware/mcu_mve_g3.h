/*
 * Internal header of the Helium kernels that run groups of 3 output channels over 2 pixels (firmware/
 * mcu_conv_im2col_mve.c, mcu_conv_1x1_g3_mve.c): the filter rows interleaved by 16-byte chunks and 16
 * int32 of constants per group, both laid out at compile time (mcucompile/codegen/ops/conv.py,
 * im2col_mve_filter and im2col_mve_groups; firmware/mcu_nn_helium.h describes them).
 */
#ifndef MCU_MVE_G3_H
#define MCU_MVE_G3_H

#include "mcu_simd.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

/*
 * The sums of 2 columns (c0, c1) with 3 filter rows, blocks x 16 bytes each, plus ks[0..2]: the rows
 * interleaved by 16-byte chunks (chunk k of row j at w + 48 k + 16 j), so per step 2 column loads, 3 weight
 * loads and 6 VMLADAVA (whose accumulators must be even registers: 6 of the 7 there are). *y0: column 0's 3
 * sums (lane 3: 0), *y1: column 1's.
 */
static inline void dot_2x3(const int8_t *c0, const int8_t *c1, const int8_t *w, int32_t blocks, const int32_t *ks,
                           int32x4_t *y0, int32x4_t *y1)
{
    int32_t a0 = ks[0], a1 = ks[1], a2 = ks[2], b0 = a0, b1 = a1, b2 = a2;
    for (; blocks > 0; --blocks) {
        const int8x16_t x0 = vldrbq_s8(c0), x1 = vldrbq_s8(c1);
        int8x16_t v = vldrbq_s8(w);
        a0 = vmladavaq_s8(a0, x0, v);
        b0 = vmladavaq_s8(b0, x1, v);
        v = vldrbq_s8(w + 16);
        a1 = vmladavaq_s8(a1, x0, v);
        b1 = vmladavaq_s8(b1, x1, v);
        v = vldrbq_s8(w + 32);
        a2 = vmladavaq_s8(a2, x0, v);
        b2 = vmladavaq_s8(b2, x1, v);
        c0 += 16;
        c1 += 16;
        w += 48;
    }
    const int32x4_t z = vdupq_n_s32(0);
    *y0 = vsetq_lane_s32(a2, vsetq_lane_s32(a1, vsetq_lane_s32(a0, z, 0), 1), 2);
    *y1 = vsetq_lane_s32(b2, vsetq_lane_s32(b1, vsetq_lane_s32(b0, z, 0), 1), 2);
}

/* 4 lanes requantised (mcu_mve_rq with the shift split at compile time), offset added, clamped */
static inline int32x4_t rq_out(int32x4_t x, const int32_t *g, int32x4_t off, int32x4_t lo, int32x4_t hi)
{
    x = mcu_mve_rq(x, vldrwq_s32(g + 4), vldrwq_s32(g + 8), vldrwq_s32(g + 12));
    return vminq_s32(vmaxq_s32(vaddq_s32(x, off), lo), hi);
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

#endif /* MCU_MVE_G3_H */
