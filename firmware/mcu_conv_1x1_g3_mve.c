/*
 * Helium (Cortex-M55): 1x1 stride-1 unpadded conv with in.c a multiple of 16 and no dead-channel hint
 * (mcu_conv_1x1_g3_s8_mve, firmware/mcu_nn_helium.h; the codegen chooses it). The input pixels are the
 * columns themselves (in.c contiguous bytes each, nothing gathered): two pixels at a time, every group
 * of 3 output channels by dot_2x3 (6 VMLADAVA.S8 per 16 bytes, firmware/mcu_mve_g3.h) with the
 * compile-time interleaved filter and per-group constants (the input offset folded into them).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"
#include "mcu_mve_g3.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

void mcu_conv_1x1_g3_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                            const int32_t *groups, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    const int32_t n = p->in.c, blocks = n >> 4, out_c = p->out.c;
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const size_t group = (size_t)blocks * 48;
    const int32x4_t off = vdupq_n_s32(p->output_offset), lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t last = (out_c - 1) / 3 * 3;
    const mve_pred16_t pr = vctp32q((uint32_t)(out_c - last));
    for (int32_t px = 0; px < pixels; px += 2) {
        const int8_t *c0 = in + (size_t)px * (size_t)n, *c1 = c0 + n;
        int8_t *o0 = out + (size_t)px * (size_t)out_c, *o1 = o0 + out_c;
        if (px + 1 == pixels) {
            c1 = c0;                                             /* an odd last pixel: computed twice */
            o1 = o0;
        }
        const int8_t *w = filter;
        const int32_t *g = groups;
        int32x4_t y0, y1;
        int32_t oc = 0;
        for (; oc < last; oc += 3, w += group, g += 16) {     /* whole stores: lane 3 rewritten next pass */
            dot_2x3(c0, c1, w, blocks, g, &y0, &y1);
            vstrbq_s32(o0 + oc, rq_out(y0, g, off, lo, hi));
            vstrbq_s32(o1 + oc, rq_out(y1, g, off, lo, hi));
        }
        dot_2x3(c0, c1, w, blocks, g, &y0, &y1);              /* the last group: its 1..3 channels */
        vstrbq_p_s32(o0 + oc, rq_out(y0, g, off, lo, hi), pr);
        vstrbq_p_s32(o1 + oc, rq_out(y1, g, off, lo, hi), pr);
    }
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_conv_1x1_g3_s8_mve)
