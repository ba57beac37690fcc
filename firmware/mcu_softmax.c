/* Softmax over the last axis, int8 in, int8 out (scale 1/256, zero point -128).
 *
 * TFLite's reference quantised softmax: input differences to the row maximum are scaled into Q5.26,
 * exponentiated with gemmlowp's fixed-point exp_on_negative_values, summed in Q12.19, and the reciprocal
 * of the sum comes from gemmlowp's Newton-Raphson one_over_one_plus_x_for_x_in_0_1. The helpers below
 * are our own C versions of those fixed-point functions (scalar int32 only). Additions that gemmlowp
 * does in plain int32 are done through uint32 so they wrap instead of being undefined.
 */
#include "mcu_nn.h"

#define SM_SCALED_DIFF_INT_BITS 5     /* input of exp(): Q5.26              */
#define SM_ACCUM_INT_BITS 12          /* sum of exps: Q12.19                */

static inline int32_t fx_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t fx_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* fixed-point product: SaturatingRoundingDoublingHighMul, integer bits add up */
static inline int32_t fx_mul(int32_t a, int32_t b) { return mcu_srdhm(a, b); }

/* SaturatingRoundingMultiplyByPOT with a positive exponent: saturating left shift */
static inline int32_t fx_sat_shl(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* RoundingHalfSum: (a + b) / 2 rounded to nearest, ties away from zero */
static inline int32_t fx_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* exp(a) for a in [-1/4, 0), a and result in Q0.31 */
static int32_t fx_exp_on_interval_neg_quarter_to_0(int32_t a)
{
    const int32_t constant_term = 1895147668;     /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;  /* 1/3       */
    const int32_t x = fx_add(a, (int32_t)1 << 28);  /* a + 1/8 */
    const int32_t x2 = fx_mul(x, x);
    const int32_t x3 = fx_mul(x2, x);
    const int32_t x4 = fx_mul(x2, x2);
    const int32_t x4_over_4 = mcu_rdbpot(x4, 2);
    const int32_t poly = mcu_rdbpot(fx_add(fx_mul(fx_add(x4_over_4, x3), constant_1_over_3), x2), 1);
    return fx_add(constant_term, fx_mul(constant_term, fx_add(x, poly)));
}

/* exp(a) for a <= 0; a in Q5.26, result in Q0.31 */
static int32_t fx_exp_on_negative_values(int32_t a)
{
    const int32_t frac_bits = 31 - SM_SCALED_DIFF_INT_BITS;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_one_quarter = fx_sub(a & mask, one_quarter);
    /* Rescale Q5.26 -> Q0.31 */
    int32_t result = fx_exp_on_interval_neg_quarter_to_0(
        fx_sat_shl(a_mod_quarter_minus_one_quarter, SM_SCALED_DIFF_INT_BITS));
    const int32_t remainder = fx_sub(a_mod_quarter_minus_one_quarter, a);

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

/* 1 / (1 + a) for a in [0, 1); a and result in Q0.31, intermediates in Q2.29 */
static int32_t fx_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int32_t half_denominator = fx_rounding_half_sum(a, INT32_MAX);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = fx_add(constant_48_over_17, fx_mul(half_denominator, constant_neg_32_over_17));
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = fx_mul(half_denominator, x);
        const int32_t one_minus = fx_sub(one_q2, half_denominator_times_x);
        /* product is Q4.27; Rescale to Q2.29 */
        x = fx_add(x, fx_sat_shl(fx_mul(x, one_minus), 2));
    }
    /* x / 2 as Q1.30, then Rescale to Q0.31 */
    return fx_sat_shl(x, 1);
}

static inline int32_t count_leading_zeros_u32(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
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
                sum_of_exps = fx_add(sum_of_exps,
                                     mcu_rdbpot(fx_exp_on_negative_values(scaled), SM_ACCUM_INT_BITS));
            }
        }

        /* reciprocal of the sum (GetReciprocal) */
        const int32_t headroom_plus_one = count_leading_zeros_u32((uint32_t)sum_of_exps);
        const int32_t num_bits_over_unit = SM_ACCUM_INT_BITS - headroom_plus_one;
        const int32_t shifted_sum_minus_one =
            (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
        const int32_t shifted_scale = fx_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);

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
