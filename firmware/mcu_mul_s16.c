/* MUL, int16 (16x8, zero points 0): the int32 product requantised by s1 * s2 / s_out
 * (reference_integer_ops::MulElementwise / BroadcastMul6DSlow on int16) and clamped. */
#include "mcu_broadcast_s16.h"

static int16_t mul_one(const void *params, int32_t a, int32_t b)
{
    const mcu_mul_params_t *p = (const mcu_mul_params_t *)params;
    const int32_t prod = (a + p->in1_offset) * (b + p->in2_offset);     /* |prod| <= 2^30 */
    const int32_t y = mcu_requant(prod, p->out_mult, p->out_shift) + p->output_offset;
    return (int16_t)mcu_clamp(y, p->act_min, p->act_max);
}

void mcu_mul_s16(const mcu_mul_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *out)
{
    mcu_broadcast_pairs_s16(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, mul_one, p);
}
