/*
 * Fully connected, int8 (TFLite reference arithmetic).
 *
 * Fast path (filter_offset 0, i.e. symmetric int8 weights; define MCU_NN_REFERENCE to build the
 * reference loop only): two output neurons per pass, sharing each input value (mcu_dot_1x2_offset in
 * mcu_simd.h). With the Armv7E-M DSP extension (Cortex-M4, M7, M33) 4 input values per load, widened
 * with SXTB16, offset with SADD16 and accumulated with SMLAD; with Helium (Cortex-M55) 16 per VMLADAVA;
 * plain C elsewhere. Exact int32 sums: the reference results.
 */
#include "mcu_simd.h"

static inline int8_t fc_out(const mcu_fc_params_t *p, int32_t acc, const int32_t *bias, int32_t o)
{
    if (bias != NULL) {
        acc += bias[o];
    }
    const int32_t ch = p->per_channel ? o : 0;
    acc = mcu_requant_fast(acc, p->out_mult[ch], p->out_shift[ch]) + p->output_offset;
    return (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
}

void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *in, const int8_t *weights,
                            const int32_t *bias, int8_t *out)
{
    const int32_t depth = p->accum_depth;
#if !defined(MCU_NN_REFERENCE)
#if defined(MCU_NN_MVE)
    if (p->filter_offset == 0) {                /* Helium: 4 output neurons per pass, requantised together */
        for (int32_t b = 0; b < p->batches; ++b) {
            const int8_t *x = in + (size_t)b * (size_t)depth;
            int8_t *y = out + (size_t)b * (size_t)p->out_depth;
            for (int32_t o = 0; o < p->out_depth; o += 4) {
                const int32_t lanes = p->out_depth - o < 4 ? p->out_depth - o : 4;
                const mve_pred16_t pr = vctp32q((uint32_t)lanes);
                const int8_t *w0 = weights + (size_t)o * (size_t)depth;            /* rows past the end: */
                const int8_t *w1 = w0 + (lanes > 1 ? (size_t)depth : 0);            /* the last one again */
                const int8_t *w2 = w0 + (size_t)(lanes > 2 ? 2 : lanes - 1) * (size_t)depth;
                const int8_t *w3 = w0 + (size_t)(lanes - 1) * (size_t)depth;
                int32x4_t acc = bias != NULL ? vldrwq_z_s32(bias + o, pr) : vdupq_n_s32(0);
                acc = vaddq_s32(acc, vmulq_n_s32(mcu_mve_sum4(w0, w1, w2, w3, depth, vdupq_n_s32(0)),
                                                 p->input_offset));
                acc = mcu_mve_dot4(x, w0, w1, w2, w3, depth, acc);
                const int32x4_t mult = p->per_channel ? vldrwq_z_s32(p->out_mult + o, pr) : vdupq_n_s32(p->out_mult[0]);
                const int32x4_t shift = p->per_channel ? vldrwq_z_s32(p->out_shift + o, pr)
                                                       : vdupq_n_s32(p->out_shift[0]);
                vstrbq_p_s32(y + o, mcu_mve_requant4(acc, mult, shift, p->output_offset, p->act_min, p->act_max), pr);
            }
        }
        return;
    }
#endif
    if (p->filter_offset == 0) {
        const int32_t off = p->input_offset;
        for (int32_t b = 0; b < p->batches; ++b) {
            const int8_t *x = in + (size_t)b * (size_t)depth;
            int8_t *y = out + (size_t)b * (size_t)p->out_depth;
            for (int32_t o = 0; o < p->out_depth; o += 2) {
                const int32_t o1 = o + 1 < p->out_depth ? o + 1 : o;   /* odd count: the last row twice */
                const int8_t *w0 = weights + (size_t)o * (size_t)depth;
                const int8_t *w1 = weights + (size_t)o1 * (size_t)depth;
                int32_t acc[2] = {0, 0};
                mcu_dot_1x2_offset(x, w0, w1, depth, off, acc);
                y[o] = fc_out(p, acc[0], bias, o);
                y[o1] = fc_out(p, acc[1], bias, o1);
            }
        }
        return;
    }
#endif
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = in + (size_t)b * (size_t)depth;
        for (int32_t o = 0; o < p->out_depth; ++o) {
            const int8_t *w = weights + (size_t)o * (size_t)depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; ++d) {
                acc += ((int32_t)x[d] + p->input_offset) * ((int32_t)w[d] + p->filter_offset);
            }
            out[(size_t)b * (size_t)p->out_depth + (size_t)o] = fc_out(p, acc, bias, o);
        }
    }
}
