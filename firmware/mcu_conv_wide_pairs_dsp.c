/*
 * The DSP wide engine (mcu_conv_wide_dsp.h) on the pair-interleaved int8 filter (mcu_nn_pairs.h): the 1x1 conv
 * and the im2col conv whose filter rows were re-laid out at compile time so that a pair of output channels
 * reads its weights through one pointer, one word a half group for both channels (WIDE4I_HALF: the weight word
 * and the block's widened words load in one run; the block not doubled, the sums doubled at the end). Same
 * output stages as conv_1x1_wide / conv_im2col_wide on the same doubled sums.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"
#include "mcu_conv_wide_dsp.h"

#if !defined(MCU_NN_REFERENCE) && !defined(MCU_NN_MVE) && defined(MCU_NN_DSP)

/* The 1x1 conv's pixels px0 .. px1 - 1 one at a time: per pair of channels, per group of 4 input channels one
 * input word widened with the input offset (SXTAB16), the pair's two weight words (channels 0, 2 of both, then 1, 3:
 * SXTB16 the pair's first channel, SXTB16 ROR #8 its second) and 4 SMLAD; the sums
 * plus the bias requantised as TFLite does (requant_out). in.c a multiple of 4, out.c even (the variants'
 * conditions). */
void mcu_wide_pairs_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out, int32_t px0, int32_t px1)
{
    const int32_t k = p->in.c, out_c = p->out.c;
    const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u;
    const out_stage_t q = out_stage(p);
    for (int32_t px = px0; px < px1; ++px) {
        const int8_t *const x = in + (size_t)px * (size_t)k;
        int8_t *const o = out + (size_t)px * (size_t)out_c;
        const int8_t *w = filter;
        for (int32_t oc = 0; oc < out_c; oc += 2) {
            int32_t a0 = bias != NULL ? bias[oc] : 0, a1 = bias != NULL ? bias[oc + 1] : 0;
            for (int32_t g = 0; g < k; g += 4, w += 8) {
                const uint32_t xv = mcu_load4(x + g), wa = mcu_load4(w), wb = mcu_load4(w + 4);
                const uint32_t x02 = __sxtab16(off2, xv), x13 = mcu_sxtab16_ror8(off2, xv);
                a0 = __smlad(x02, __sxtb16(wa), a0);
                a1 = __smlad(x02, mcu_sxtb16_ror8(wa), a1);
                a0 = __smlad(x13, __sxtb16(wb), a0);
                a1 = __smlad(x13, mcu_sxtb16_ror8(wb), a1);
            }
            o[oc] = requant_out(&q, a0, oc);
            o[oc + 1] = requant_out(&q, a1, oc + 1);
        }
    }
}

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
