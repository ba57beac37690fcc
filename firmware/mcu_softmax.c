/* Softmax over the last axis, int8 in, int8 out (scale 1/256, zero point -128).
 *
 * TFLite's reference quantised softmax: input differences to the row maximum are scaled into Q5.26,
 * exponentiated with gemmlowp's fixed-point exp_on_negative_values, summed in Q12.19, and the reciprocal
 * of the sum comes from gemmlowp's Newton-Raphson one_over_one_plus_x_for_x_in_0_1. The helpers below
 * and the shared ones in mcu_nn.h (mcu_wrap_add, mcu_sat_shl, mcu_one_over_one_plus_x, ...) are our own
 * C versions of those fixed-point functions (scalar int32 only). Additions that gemmlowp
 * does in plain int32 are done through uint32 so they wrap instead of being undefined.
 */
#include "mcu_nn.h"

#define SM_SCALED_DIFF_INT_BITS 5     /* input of exp(): Q5.26              */
#define SM_ACCUM_INT_BITS 12          /* sum of exps: Q12.19                */

/* fixed-point product: SaturatingRoundingDoublingHighMul, integer bits add up */
static inline int32_t fx_mul(int32_t a, int32_t b) { return mcu_srdhm(a, b); }

/* exp(a) for a in [-1/4, 0), a and result in Q0.31 */
static int32_t fx_exp_on_interval_neg_quarter_to_0(int32_t a)
{
    const int32_t constant_term = 1895147668;     /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;  /* 1/3       */
    const int32_t x = mcu_wrap_add(a, (int32_t)1 << 28);  /* a + 1/8 */
    const int32_t x2 = fx_mul(x, x);
    const int32_t x3 = fx_mul(x2, x);
    const int32_t x4 = fx_mul(x2, x2);
    const int32_t x4_over_4 = mcu_rdbpot(x4, 2);
    const int32_t poly = mcu_rdbpot(mcu_wrap_add(fx_mul(mcu_wrap_add(x4_over_4, x3), constant_1_over_3), x2), 1);
    return mcu_wrap_add(constant_term, fx_mul(constant_term, mcu_wrap_add(x, poly)));
}

/* exp(a) for a <= 0; a in Q5.26, result in Q0.31 */
static int32_t fx_exp_on_negative_values(int32_t a)
{
    const int32_t frac_bits = 31 - SM_SCALED_DIFF_INT_BITS;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = mcu_wrap_sub(a & mask, one_quarter);
    /* Rescale Q5.26 -> Q0.31 */
    int32_t result = fx_exp_on_interval_neg_quarter_to_0(
        mcu_sat_shl(a_mod_quarter_minus_one_quarter, SM_SCALED_DIFF_INT_BITS));
    const int32_t remainder = mcu_wrap_sub(a_mod_quarter_minus_one_quarter, a);

    /* barrel shifter: multiply by exp(-2^k) for each set bit 2^k of the remainder */
    static const int32_t k_exp_neg_pow2[7] = {
        1672461947,  /* exp(-1/4) */
        1302514674,  /* exp(-1/2) */
        790015084,   /* exp(-1)   */
        290630308,   /* exp(-2)   */
        39332535,    /* exp(-4)   */
        720401,      /* exp(-8)   */
        242,         /* exp(-16)  */
    };
    for (int32_t k = -2; k <= 4; ++k) {
        if (SM_SCALED_DIFF_INT_BITS > k) {
            const int32_t bit = (int32_t)((uint32_t)1 << (frac_bits + k));
            if (remainder & bit) {
                result = fx_mul(result, k_exp_neg_pow2[k + 2]);
            }
        }
    }
    /* (with 5 integer bits no clamp below -32 is needed: the input range ends there) */
    if (a == 0) {
        result = INT32_MAX;  /* one in Q0.31 */
    }
    return result;
}

void mcu_softmax_s8(const mcu_softmax_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t depth = p->depth;
    for (int32_t r = 0; r < p->outer; ++r) {
        const int8_t *x = in + (size_t)r * (size_t)depth;
        int8_t *y = out + (size_t)r * (size_t)depth;

        int32_t max_in_row = -128;
        for (int32_t c = 0; c < depth; ++c) {
            max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
        }

        int32_t sum_of_exps = 0;  /* Q12.19 */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = mcu_srdhm((int32_t)((uint32_t)diff << p->input_left_shift),
                                                 p->input_multiplier);
                /* Rescale Q0.31 -> Q12.19 */
                sum_of_exps = mcu_wrap_add(sum_of_exps,
                                           mcu_rdbpot(fx_exp_on_negative_values(scaled), SM_ACCUM_INT_BITS));
            }
        }

        /* reciprocal of the sum (GetReciprocal) */
        const int32_t headroom_plus_one = mcu_clz32((uint32_t)sum_of_exps);
        const int32_t num_bits_over_unit = SM_ACCUM_INT_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = mcu_one_over_one_plus_x(shifted_sum_minus_one);

        /* TFLite aborts when the exponent leaves [0, 31] (512+ equal maxima); we clamp instead. */
        const int32_t exponent = mcu_clamp(num_bits_over_unit + 31 - 8, 0, 31);

        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t scaled = mcu_srdhm((int32_t)((uint32_t)diff << p->input_left_shift),
                                                 p->input_multiplier);
                const int32_t e = fx_exp_on_negative_values(scaled);
                const int32_t unsat = mcu_rdbpot(fx_mul(shifted_scale, e), exponent);
                y[c] = (int8_t)mcu_clamp(unsat - 128, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
}
