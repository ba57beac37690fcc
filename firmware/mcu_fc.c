/*
 * Fully connected, int8 (TFLite reference arithmetic).
 *
 * Fast path (filter_offset 0, i.e. symmetric int8 weights; define MCU_NN_REFERENCE to build the
 * reference loop only): output neurons in pairs sharing each input value (mcu_dot_1x2_offset in
 * mcu_simd.h). With the Armv7E-M DSP extension (Cortex-M4, M7, M33) 4 neurons per pass (fc_dot_4rows)
 * and 4 input values per load, widened with the offset added by SXTAB16 and accumulated with SMLAD;
 * with Helium (Cortex-M55) 16 per VMLADAVA; plain C elsewhere. Exact int32 sums: the reference results.
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

#if defined(MCU_NN_DSP) && !defined(MCU_NN_REFERENCE)
/*
 * acc[j] = sum_k (x[k] + offset) * w[j depth + k], k < depth, for 4 consecutive weight rows. Per 4 input
 * values: one load widened twice with the offset added (SXTAB16), then per row one load, two SXTB16 and
 * two SMLAD: 23 instructions per 16 MACs, two groups per loop pass (an odd group first), the 1..3 last
 * values in C. The assembly needs 14 free registers: GCC with optimisation and no frame pointer (builds
 * with -fno-omit-frame-pointer define MCU_NN_NO_ASM: the same loop in C, which spills some).
 */
#if defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
#define FC4_ROW(w, a)                                                                                 \
    "ldr    %[v], [%[" #w "]], #4\n\t"                                                                \
    "sxtb16 %[t], %[v]\n\t"                                                                           \
    "smlad  %[" #a "], %[x02], %[t], %[" #a "]\n\t"                                                   \
    "sxtb16 %[v], %[v], ror #8\n\t"                                                                   \
    "smlad  %[" #a "], %[x13], %[v], %[" #a "]\n\t"
#define FC4_GROUP                                                                                     \
    "ldr    %[t], [%[x]], #4\n\t"                                                                     \
    "sxtab16 %[x02], %[off2], %[t]\n\t"                                                               \
    "sxtab16 %[x13], %[off2], %[t], ror #8\n\t"                                                       \
    FC4_ROW(w0, a0) FC4_ROW(w1, a1) FC4_ROW(w2, a2) FC4_ROW(w3, a3)
#endif

static void fc_dot_4rows(const int8_t *x, const int8_t *w, int32_t depth, int32_t offset, int32_t acc[4])
{
    const uint32_t off2 = ((uint32_t)offset & 0xFFFFu) * 0x10001u;
    const int8_t *w0 = w, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int32_t d4 = depth & ~3;
#if defined(FC4_GROUP)
    if (d4 > 0) {
        const int8_t *const x_end = x + d4;
        const int32_t odd = d4 & 4;                 /* an odd number of groups of 4 */
        uint32_t x02, x13, v, t;
        __asm__("ldr    %[t], %[odd]\n\t"
                "cmp    %[t], #0\n\t"
                "bne    2f\n\t"
                "1:\n\t" FC4_GROUP
                "2:\n\t" FC4_GROUP
                "ldr    %[t], %[end]\n\t"
                "cmp    %[x], %[t]\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w0] "+r"(w0),
                  [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [x02] "=&r"(x02), [x13] "=&r"(x13),
                  [v] "=&r"(v), [t] "=&r"(t)
                : [off2] "r"(off2), [end] "m"(x_end), [odd] "m"(odd)
                : "memory", "cc");
    }
#else
    for (int32_t k = 0; k < d4; k += 4, x += 4, w0 += 4, w1 += 4, w2 += 4, w3 += 4) {
        const uint32_t xv = mcu_load4(x);
        const uint32_t x02 = __sxtab16(off2, xv), x13 = mcu_sxtab16_ror8(off2, xv);
        uint32_t v = mcu_load4(w0);
        a0 = __smlad(x02, __sxtb16(v), a0);
        a0 = __smlad(x13, mcu_sxtb16_ror8(v), a0);
        v = mcu_load4(w1);
        a1 = __smlad(x02, __sxtb16(v), a1);
        a1 = __smlad(x13, mcu_sxtb16_ror8(v), a1);
        v = mcu_load4(w2);
        a2 = __smlad(x02, __sxtb16(v), a2);
        a2 = __smlad(x13, mcu_sxtb16_ror8(v), a2);
        v = mcu_load4(w3);
        a3 = __smlad(x02, __sxtb16(v), a3);
        a3 = __smlad(x13, mcu_sxtb16_ror8(v), a3);
    }
#endif
    for (int32_t k = d4; k < depth; ++k, ++x) {     /* the last 1..3 values */
        const int32_t xv = (int32_t)*x + offset;
        a0 += xv * *w0++;
        a1 += xv * *w1++;
        a2 += xv * *w2++;
        a3 += xv * *w3++;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#undef FC4_ROW
#undef FC4_GROUP
#endif

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
            int32_t o = 0;
#if defined(MCU_NN_DSP)
            for (; o + 4 <= p->out_depth; o += 4) {
                int32_t acc[4];
                fc_dot_4rows(x, weights + (size_t)o * (size_t)depth, depth, off, acc);
                for (int32_t j = 0; j < 4; ++j) {
                    y[o + j] = fc_out(p, acc[j], bias, o + j);
                }
            }
#endif
            for (; o < p->out_depth; o += 2) {
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
