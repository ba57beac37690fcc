/* L2_NORMALIZATION (int8, over the last axis) with TFLite Micro's integer arithmetic
 * (reference_integer_ops::L2Normalization): per row the int32 sum of (q - zp)^2, its inverse square root as
 * a multiplier and shift (GetInvSqrtQuantizedMultiplierExp, Newton-Raphson in gemmlowp fixed point), then
 * (q - zp) times it with 7 more bits of left shift: the output in scale 1/128, zero point 0. */
#include "mcu_nn.h"

/* 1/sqrt(v) as multiplier * 2^(shift - 31), shift a left shift (TFLite's kReverseShift convention) */
static void inv_sqrt_multiplier(int32_t v, int32_t *multiplier, int32_t *shift)
{
    if (v <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t s = 11;
    while (v >= (1 << 29)) {
        v /= 4;
        ++s;
    }
    const int32_t pairs = (mcu_clz32((uint32_t)v) - 1) / 2 - 1;
    s -= pairs;
    v <<= 2 * pairs;
    const int32_t half_input = mcu_rdbpot(v >> 1, 1);          /* Q3.28 */
    const int32_t half_three = (1 << 28) + (1 << 27);          /* 1.5 in Q3.28 */
    int32_t x = 1 << 28;                                       /* 1 in Q3.28 */
    for (int i = 0; i < 5; ++i) {
        const int32_t x3 = mcu_sat_shl(mcu_srdhm(mcu_srdhm(x, x), x), 6);
        x = mcu_sat_shl(mcu_wrap_sub(mcu_srdhm(half_three, x), mcu_srdhm(half_input, x3)), 3);
    }
    x = mcu_srdhm(x, 1518500250);                              /* times sqrt(2) / 2 */
    if (s < 0) {
        x = (int32_t)((uint32_t)x << -s);
        s = 0;
    }
    *multiplier = x;
    *shift = -s;
}

void mcu_l2norm_s8(const mcu_l2norm_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < p->rows; ++r, in += p->depth, out += p->depth) {
        int32_t acc = 0;
        for (int32_t i = 0; i < p->depth; ++i) {
            const int32_t v = in[i] - p->input_zero_point;
            acc += v * v;
        }
        int32_t mult, shift;
        inv_sqrt_multiplier(acc, &mult, &shift);
        for (int32_t i = 0; i < p->depth; ++i) {
            out[i] = (int8_t)mcu_clamp(mcu_requant(in[i] - p->input_zero_point, mult, shift + 7), -128, 127);
        }
    }
}
