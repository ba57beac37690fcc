/* SOFTMAX over the last axis, int16 -> int16 (16x8; TFLite's reference_ops::SoftmaxInt16).
 *
 * Per row: d = x - max rescaled so that [-65535, 0] spans [-10, 0], recentred to int16 and looked up in the
 * exp table (Q0.15, cached in the output row); the sum's reciprocal from the 1 / (1 + x) table after
 * normalising the sum to [1, 2); each exp times the reciprocal, rounded, in [0, 32767]. Both 513-entry
 * tables come from the compiler (TFLite's LUTPopulate, float32). */
#include "mcu_nn.h"

/* TFLite's LUTLookup for int16: 512 segments of 128 values, linear interpolation with rounding */
static inline int16_t softmax_lut16(int32_t value, const int16_t *lut)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7F;
    const int32_t base = lut[index];
    const int32_t slope = lut[index + 1] - lut[index];
    return (int16_t)(base + ((slope * offset + 64) >> 7));
}

void mcu_softmax_s16(const mcu_softmax_s16_params_t *p, const int16_t *in, int16_t *out)
{
    const int32_t depth = p->depth;
    for (int32_t r = 0; r < p->outer; ++r) {
        const int16_t *x = in + (size_t)r * (size_t)depth;
        int16_t *y = out + (size_t)r * (size_t)depth;
        int32_t max = INT16_MIN;
        for (int32_t c = 0; c < depth; ++c) {
            max = x[c] > max ? x[c] : max;
        }
        int32_t sum = 0;    /* Q16.15 */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t scaled = mcu_requant(x[c] - max, p->input_multiplier, p->input_shift);
            const int16_t e = softmax_lut16(mcu_clamp(scaled + 32767, -32768, 32767), p->exp_lut);
            y[c] = e;
            sum += e;
        }
        const int32_t headroom_plus_one = mcu_clz32((uint32_t)sum);
        const int32_t shifted_sum = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        const int32_t sym = mcu_clamp(shifted_sum - ((1 << 15) + (1 << 16)), -32768, 32767);
        const int64_t reciprocal = softmax_lut16(sym, p->one_over_one_plus_x_lut);
        const int32_t right_shift = 31 - headroom_plus_one;
        const int64_t round = (int64_t)1 << (right_shift - 1);
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t v = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
            y[c] = (int16_t)mcu_clamp(v, 0, 32767);
        }
    }
}
