/*
 * The DSP wide engine (mcu_conv_wide_dsp.h) on the pair-interleaved int8 filter (mcu_nn_pairs.h): the 1x1 conv
 * and the im2col conv whose filter rows were re-laid out at compile time so that a pair of output channels
 * reads its weights through one pointer (WIDE4I_HALF: the freed register lets the block's widened words load
 * two at a time). Same sums, same output stages as conv_1x1_wide / conv_im2col_wide.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"
#include "mcu_conv_wide_dsp.h"

#if !defined(MCU_NN_REFERENCE) && !defined(MCU_NN_MVE) && defined(MCU_NN_DSP)

WIDE_VARIANT_PAIRS(conv_1x1_wide_pairs, 0)
WIDE_VARIANT_PAIRS(conv_im2col_wide_pairs, 1)

/* 1x1 stride-1 unpadded, in.c a multiple of 4, out.c even, no dead-channel hint, at least 4 pixels */
void mcu_conv_1x1_wide_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                    const int32_t *bias, int8_t *out, int16_t *scratch)
{
    conv_1x1_wide_pairs(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
}

/* dilation 1, in.c a multiple of 4, out.c even, kh kw in.c < 32000, at least 4 output pixels */
void mcu_conv_im2col_wide_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                       const int32_t *bias, int8_t *out, int16_t *scratch)
{
    conv_im2col_wide_pairs(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
}

/* The same two without planned scratch, the block of 4 pixels' widened windows (8 k bytes) on the stack: taken
 * where k <= MCU_PAIRS_STACK_BYTES / 8 (mcu_nn_pairs.h; the planner leaves the scratch out where it would raise
 * the arena's peak) */
void mcu_conv_1x1_stack_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                     const int32_t *bias, int8_t *out, int16_t *scratch)
{
    uint32_t wide[MCU_PAIRS_STACK_BYTES / 4];
    (void)scratch;
    conv_1x1_wide_pairs(p, in, filter, bias, out, wide);
}

void mcu_conv_im2col_stack_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                        const int32_t *bias, int8_t *out, int16_t *scratch)
{
    uint32_t wide[MCU_PAIRS_STACK_BYTES / 4];
    (void)scratch;
    conv_im2col_wide_pairs(p, in, filter, bias, out, wide);
}

#endif /* !MCU_NN_REFERENCE && !MCU_NN_MVE && MCU_NN_DSP */

MCU_NO_SCRATCH(mcu_conv_1x1_stack_pairs_s8_dsp)

MCU_NO_SCRATCH(mcu_conv_im2col_stack_pairs_s8_dsp)

int32_t mcu_conv_1x1_wide_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_SCRATCH_BYTES(p->in.c);
}

int32_t mcu_conv_im2col_wide_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_WINDOW_SCRATCH_BYTES(p->filter.h, p->filter.w, p->in.c);
}
