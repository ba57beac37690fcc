/* LOG_SOFTMAX over the last axis (int8 in; int8 out with scale 16/256, zero point 127), TFLite Micro's
 * reference_ops::LogSoftmax for int8. Per row: the max; the sum in Q12.19 of exp(q - max) (gemmlowp's
 * exp_on_negative_values, one int32 per difference 0..255, computed at compile time in exp_q12); its log in
 * Q5.26 (TFLite's log_x_for_x_greater_than_or_equal_to_1, fixed point, at run time); then
 * (q - max) in Q5.26 (diff_q5, also per difference) minus that log, rounded to the output. */
#include "mcu_nn.h"

/* SaturatingRoundingMultiplyByPOTParam for an exponent >= 0 */
static inline int32_t sat_pot(int32_t x, int32_t exponent)
{
    return exponent == 0 ? x : mcu_sat_shl(x, exponent);
}

static inline int32_t sat_add(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + b;
    return (int32_t)(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

static inline int32_t sat_sub(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a - b;
    return (int32_t)(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

/* log(x) for x >= 1: x in Q12.19, the result in Q5.26 (accumulated in Q6.25) */
static int32_t log_q5(int32_t z_a)
{
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = mcu_rdbpot(536870912, 6);            /* 1/4 in Q6.25 */
    const int32_t in_bits = 12, accum_bits = 6;

    const int32_t a_headroom_plus_1 = mcu_clz32((uint32_t)z_a);
    const int32_t r_a_tmp = sat_pot(z_a, a_headroom_plus_1 - 1);
    const int32_t r_a = sat_pot(mcu_srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_adj = sat_add(sat_pot(in_bits - a_headroom_plus_1, 31 - accum_bits), shifted_quarter);
    const int32_t z_b = mcu_srdhm(z_a, sqrt_half);
    const int32_t b_headroom = mcu_clz32((uint32_t)z_b) - 1;
    const int32_t r_b = sat_pot(z_a, b_headroom);
    const int32_t z_b_adj = sat_sub(sat_pot(in_bits - b_headroom, 31 - accum_bits), shifted_quarter);
    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t z_adj = z_a_adj > z_b_adj ? z_a_adj : z_b_adj;

    const int32_t p = mcu_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = mcu_wrap_sub(r, sqrt_sqrt_half);
    q = mcu_wrap_add(q, q);
    const int32_t common_sq = mcu_srdhm(q, q);
    const int32_t num = mcu_wrap_add(mcu_srdhm(q, r), mcu_srdhm(mcu_srdhm(q, common_sq), alpha_n));
    const int32_t denom_minus_one = mcu_wrap_add(
        mcu_srdhm(p, mcu_wrap_add(mcu_wrap_add(alpha_i, q), mcu_srdhm(alpha_d, common_sq))), mcu_srdhm(alpha_f, q));
    const int32_t recip_denom = mcu_one_over_one_plus_x(denom_minus_one);
    const int32_t num_scaled = mcu_rdbpot(num, accum_bits);                /* Q0.31 -> Q6.25 */
    const int32_t sum = mcu_wrap_add(mcu_srdhm(z_adj, log_2), mcu_srdhm(num_scaled, recip_denom));
    return mcu_sat_shl(sum, 1);                                            /* Q6.25 -> Q5.26 */
}

void mcu_log_softmax_s8(const mcu_log_softmax_params_t *p, const int32_t *exp_q12, const int32_t *diff_q5,
                        const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < p->rows; ++r, in += p->depth, out += p->depth) {
        int32_t max = -128;
        for (int32_t i = 0; i < p->depth; ++i) {
            max = in[i] > max ? in[i] : max;
        }
        int32_t sum = 0;
        for (int32_t i = 0; i < p->depth; ++i) {
            sum = mcu_wrap_add(sum, exp_q12[max - in[i]]);
        }
        const int32_t log_sum = log_q5(sum);
        int32_t adjusted = mcu_requant(mcu_wrap_add(log_sum, INT32_MIN), p->reverse_mult, p->reverse_shift);
        if (adjusted < p->diff_min - 1) {
            adjusted = p->diff_min - 1;
        }
        for (int32_t i = 0; i < p->depth; ++i) {
            const int32_t d = in[i] - max;
            if (d > adjusted) {
                const int32_t y = mcu_rdbpot(mcu_wrap_sub(diff_q5[-d], log_sum), 22) + 127;
                out[i] = (int8_t)mcu_clamp(y, -128, 127);
            } else {
                out[i] = -128;
            }
        }
    }
}
