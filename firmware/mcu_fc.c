/*
 * Fully connected, int8 (TFLite reference arithmetic).
 *
 * Fast path (filter_offset 0, i.e. symmetric int8 weights; define MCU_NN_REFERENCE to build the
 * reference loop only): two output neurons per pass, sharing each input value. With the Armv7E-M DSP
 * extension (Cortex-M4, M7, M33, M55) 4 input values per load, widened with SXTB16, offset with
 * SADD16 and accumulated with SMLAD; plain C elsewhere. Exact int32 sums: the reference results.
 */
#include "mcu_nn.h"

#include <string.h>

#if defined(__ARM_FEATURE_DSP) && !defined(MCU_NN_REFERENCE)
#include <arm_acle.h>
#define MCU_FC_DSP 1
#endif

#if defined(MCU_FC_DSP)
static inline uint32_t load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);            /* one unaligned LDR */
    return v;
}

/* bytes 1 and 3 of x, sign-extended to two int16 lanes: SXTB16 with ROR #8 */
static inline uint32_t sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#endif

/*
 * mcu_requant with a shorter rounding step, equal for every multiplier but INT32_MIN (which TFLite's
 * multipliers, in [2^30, 2^31) or 0, never are): for any int64 product ab, TFLite's
 * (ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31, rounded toward zero, is floor((ab + 2^30) / 2^31).
 */
static inline int32_t requant_fast(int32_t x, int32_t mult, int32_t shift)
{
    if (mult == INT32_MIN) {
        return mcu_requant(x, mult, shift);
    }
    const int32_t left = shift > 0 ? shift : 0;
    const int64_t ab = (int64_t)(int32_t)((uint32_t)x << left) * (int64_t)mult;
    const int32_t high = (int32_t)((ab + ((int64_t)1 << 30)) >> 31);
    return mcu_rdbpot(high, shift > 0 ? 0 : -shift);
}

static inline int8_t fc_out(const mcu_fc_params_t *p, int32_t acc, const int32_t *bias, int32_t o)
{
    if (bias != NULL) {
        acc += bias[o];
    }
    const int32_t ch = p->per_channel ? o : 0;
    acc = requant_fast(acc, p->out_mult[ch], p->out_shift[ch]) + p->output_offset;
    return (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
}

void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *in, const int8_t *weights,
                            const int32_t *bias, int8_t *out)
{
    const int32_t depth = p->accum_depth;
#if !defined(MCU_NN_REFERENCE)
    if (p->filter_offset == 0) {
        const int32_t off = p->input_offset;
        for (int32_t b = 0; b < p->batches; ++b) {
            const int8_t *x = in + (size_t)b * (size_t)depth;
            int8_t *y = out + (size_t)b * (size_t)p->out_depth;
            for (int32_t o = 0; o < p->out_depth; o += 2) {
                const int32_t o1 = o + 1 < p->out_depth ? o + 1 : o;   /* odd count: the last row twice */
                const int8_t *w0 = weights + (size_t)o * (size_t)depth;
                const int8_t *w1 = weights + (size_t)o1 * (size_t)depth;
                int32_t a0 = 0, a1 = 0, d = 0;
#if defined(MCU_FC_DSP)
                const uint32_t off2 = ((uint32_t)off & 0xFFFFu) * 0x10001u;
                for (; d + 4 <= depth; d += 4) {
                    const uint32_t xv = load4(x + d);
                    const uint32_t x02 = __sadd16(__sxtb16(xv), off2), x13 = __sadd16(sxtb16_ror8(xv), off2);
                    const uint32_t wa = load4(w0 + d), wb = load4(w1 + d);
                    a0 = __smlad(x02, __sxtb16(wa), a0);
                    a0 = __smlad(x13, sxtb16_ror8(wa), a0);
                    a1 = __smlad(x02, __sxtb16(wb), a1);
                    a1 = __smlad(x13, sxtb16_ror8(wb), a1);
                }
#endif
                for (; d < depth; ++d) {
                    const int32_t xv = (int32_t)x[d] + off;
                    a0 += xv * w0[d];
                    a1 += xv * w1[d];
                }
                y[o] = fc_out(p, a0, bias, o);
                y[o1] = fc_out(p, a1, bias, o1);
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
