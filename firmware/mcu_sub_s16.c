/* SUB, int16 (16x8): ADD's arithmetic (left shift 15, rescale to twice the larger input scale) on in1 - in2,
 * as TFLite Micro's reference_ops::Sub / BroadcastQuantSubSlow on int16. */
#include "mcu_broadcast_s16.h"

static int16_t sub_one(const void *params, int32_t a, int32_t b)
{
    const mcu_sub_params_t *p = (const mcu_sub_params_t *)params;
    const int32_t x1 = (a + p->in1_offset) * ((int32_t)1 << p->left_shift);
    const int32_t x2 = (b + p->in2_offset) * ((int32_t)1 << p->left_shift);
    const int32_t s1 = mcu_requant(x1, p->in1_mult, p->in1_shift);
    const int32_t s2 = mcu_requant(x2, p->in2_mult, p->in2_shift);
    const int32_t y = mcu_requant(s1 - s2, p->out_mult, p->out_shift) + p->output_offset;
    return (int16_t)mcu_clamp(y, p->act_min, p->act_max);
}

void mcu_sub_s16(const mcu_sub_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *out)
{
    mcu_broadcast_pairs_s16(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, sub_one, p);
}
