/*
 * Fully connected, symmetric int8 weights, with the input offset folded at compile time
 * (mcu_fully_connected_s8_mve, firmware/mcu_nn_helium.h): kernel_sum[o] = bias[o] + input_offset *
 * sum_k w[o][k], so the run time adds the plain dot products sum_k x[k] w[o][k] only (int32 sums wrap
 * alike in either order: the reference results).
 *
 * Helium: 4 output rows per pass share each 16-byte input load (VMLADAVA.S8 per row), the last 1..15
 * inputs by a predicated load (VCTP), rows past the last output repeat it (their lanes are not stored);
 * requantised 4 lanes at once (mcu_mve_requant4). Without Helium: the same sums in plain C.
 */
#include "mcu_simd.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

/* [sum_k x[k] w_j[k]]_j + acc, k < n, for 4 rows (pointer-stepped: one post-incremented load each) */
static inline int32x4_t fc_mve_dot4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                    const int8_t *w3, int32_t n, int32x4_t acc)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t blocks = n >> 4; blocks > 0; --blocks) {
        const int8x16_t xv = vldrbq_s8(x);
        a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0));
        a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1));
        a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2));
        a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3));
        x += 16;
        w0 += 16;
        w1 += 16;
        w2 += 16;
        w3 += 16;
    }
    if (n & 15) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n & 15));
        const int8x16_t xv = vldrbq_z_s8(x, pr);
        a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0, pr));
        a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1, pr));
        a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2, pr));
        a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3, pr));
    }
    acc = vsetq_lane_s32(vgetq_lane_s32(acc, 0) + a0, acc, 0);
    acc = vsetq_lane_s32(vgetq_lane_s32(acc, 1) + a1, acc, 1);
    acc = vsetq_lane_s32(vgetq_lane_s32(acc, 2) + a2, acc, 2);
    return vsetq_lane_s32(vgetq_lane_s32(acc, 3) + a3, acc, 3);
}

void mcu_fully_connected_s8_mve(const mcu_fc_params_t *p, const int8_t *in, const int8_t *weights,
                                const int32_t *kernel_sum, int8_t *out)
{
    const int32_t depth = p->accum_depth, out_depth = p->out_depth;
    const size_t stride = (size_t)depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = in + (size_t)b * stride;
        int8_t *y = out + (size_t)b * (size_t)out_depth;
        for (int32_t o = 0; o < out_depth; o += 4) {
            const int32_t lanes = out_depth - o < 4 ? out_depth - o : 4;
            const mve_pred16_t pr = vctp32q((uint32_t)lanes);
            const int8_t *w0 = weights + (size_t)o * stride;                 /* rows past the end: */
            const int8_t *w1 = w0 + (lanes > 1 ? stride : 0);                 /* the last one again */
            const int8_t *w2 = w0 + (size_t)(lanes > 2 ? 2 : lanes - 1) * stride;
            const int8_t *w3 = w0 + (size_t)(lanes - 1) * stride;
            const int32x4_t acc = fc_mve_dot4(x, w0, w1, w2, w3, depth, vldrwq_z_s32(kernel_sum + o, pr));
            const int32x4_t mult = p->per_channel ? vldrwq_z_s32(p->out_mult + o, pr) : vdupq_n_s32(p->out_mult[0]);
            const int32x4_t shift = p->per_channel ? vldrwq_z_s32(p->out_shift + o, pr)
                                                   : vdupq_n_s32(p->out_shift[0]);
            vstrbq_p_s32(y + o, mcu_mve_requant4(acc, mult, shift, p->output_offset, p->act_min, p->act_max), pr);
        }
    }
}

#else

void mcu_fully_connected_s8_mve(const mcu_fc_params_t *p, const int8_t *in, const int8_t *weights,
                                const int32_t *kernel_sum, int8_t *out)
{
    const int32_t depth = p->accum_depth, out_depth = p->out_depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = in + (size_t)b * (size_t)depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *w = weights + (size_t)o * (size_t)depth;
            uint32_t acc = (uint32_t)kernel_sum[o];                   /* wrapping, as the int32 sums */
            for (int32_t k = 0; k < depth; ++k) {
                acc += (uint32_t)((int32_t)x[k] * (int32_t)w[k]);
            }
            const int32_t ch = p->per_channel ? o : 0;
            const int32_t v = mcu_requant_fast((int32_t)acc, p->out_mult[ch], p->out_shift[ch]) + p->output_offset;
            out[(size_t)b * (size_t)out_depth + (size_t)o] = (int8_t)mcu_clamp(v, p->act_min, p->act_max);
        }
    }
}

#endif
