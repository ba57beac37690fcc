/* SQUARED_DIFFERENCE (int8, broadcasting) with TFLite Micro's arithmetic: both inputs shifted left by 7
 * and rescaled to twice the larger input scale, the difference squared in int32, rescaled to the output. */
#include "mcu_broadcast.h"

static int8_t sqdiff_one(const void *params, int32_t a, int32_t b)
{
    const mcu_squared_diff_params_t *p = (const mcu_squared_diff_params_t *)params;
    const int32_t sa = mcu_requant((a + p->in1_offset) * (1 << p->left_shift), p->in1_mult, p->in1_shift);
    const int32_t sb = mcu_requant((b + p->in2_offset) * (1 << p->left_shift), p->in2_mult, p->in2_shift);
    const int32_t d = sa - sb;
    const int32_t y = mcu_requant(d * d, p->out_mult, p->out_shift) + p->output_offset;
    return (int8_t)mcu_clamp(y, -128, 127);
}

void mcu_squared_diff_s8(const mcu_squared_diff_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    mcu_broadcast_pairs(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, sqdiff_one, p);
}
