/* PRELU (int8, alpha broadcast against the input) with TFLite Micro's two-multiplier arithmetic
 * (reference_ops::BroadcastPrelu4DSlow): x = q + input_offset; x >= 0 ? requant(x, m1, s1)
 * : requant(x * (alpha + alpha_offset), m2, s2); plus the output zero point, clamped to int8. */
#include "mcu_broadcast.h"

static int8_t prelu_one(const void *params, int32_t x, int32_t alpha)
{
    const mcu_prelu_params_t *p = (const mcu_prelu_params_t *)params;
    const int32_t v = x + p->input_offset;
    int32_t y;
    if (v >= 0) {
        y = mcu_requant(v, p->mult_pos, p->shift_pos);
    } else {
        y = mcu_requant(v * (alpha + p->alpha_offset), p->mult_neg, p->shift_neg);
    }
    return (int8_t)mcu_clamp(y + p->output_offset, -128, 127);
}

void mcu_prelu_s8(const mcu_prelu_params_t *p, const int8_t *in, const int8_t *alpha, int8_t *out)
{
    mcu_broadcast_pairs(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in, alpha, out, prelu_one, p);
}
