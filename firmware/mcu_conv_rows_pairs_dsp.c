/*
 * The DSP wide engine (mcu_conv_wide_dsp.h) on the pair-interleaved int8 filter (mcu_nn_pairs.h) for a conv whose
 * window rows are not whole groups of 4 (in.c % 4 != 0 and kw in.c % 4 != 0: a network's first conv, typically):
 * as conv_im2col_rows does on the pre-widened stream, each window row of run = kw in.c elements takes run4 = run
 * rounded up to a multiple of 4, the filter's rows padded alike with zero weights at compile time
 * (codegen/ops/conv.py pair_interleaved, row_pad) before their pair-interleaving; the elements past a run widened
 * from whatever the input holds there (or the zero point) meet those zero weights. The int8 filter's flash plus
 * its padding (kh (run4 - run) bytes per channel), no widened window weights.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"
#include "mcu_conv_wide_dsp.h"

#if !defined(MCU_NN_REFERENCE) && !defined(MCU_NN_MVE) && defined(MCU_NN_DSP)

WIDE_VARIANT_PAIRS(conv_im2col_rows_pairs, 2)

/* dilation 1, in.c % 4 != 0, out.c even, kh run4 < 32000, at least 4 output pixels, planned scratch of
 * MCU_CONV_ROWS_SCRATCH_BYTES: 4 windows widened into it, rows padded to groups of 4 */
void mcu_conv_im2col_rows_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                       const int32_t *bias, int8_t *out, int16_t *scratch)
{
    conv_im2col_rows_pairs(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
}

#endif /* !MCU_NN_REFERENCE && !MCU_NN_MVE && MCU_NN_DSP */

int32_t mcu_conv_im2col_rows_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_ROWS_SCRATCH_BYTES(p->filter.h, p->filter.w, p->in.c);
}
