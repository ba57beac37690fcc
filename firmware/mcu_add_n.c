/* ADD_N (int8, 2..MCU_ADD_N_MAX_INPUTS inputs of one shape and one quantisation) with TFLite Micro's
 * arithmetic (reference_ops::AddN): every input shifted left by 20 and halved (multiplier 1/2), summed in
 * int32 together with one extra term for the value -zero point (TFLite starts its sum there), rescaled to
 * the output. The int32 sum wraps as TFLite's does on two's-complement targets. */
#include "mcu_nn.h"

static inline int32_t add_n_scaled(const mcu_add_n_params_t *p, int32_t q)
{
    return mcu_requant((q + p->input_offset) * (1 << p->left_shift), p->in_mult, p->in_shift);
}

void mcu_add_n_s8(const mcu_add_n_params_t *p, const int8_t *in0, const int8_t *in1, const int8_t *in2,
                  const int8_t *in3, const int8_t *in4, const int8_t *in5, const int8_t *in6, const int8_t *in7,
                  int8_t *out)
{
    const int8_t *in[MCU_ADD_N_MAX_INPUTS] = {in0, in1, in2, in3, in4, in5, in6, in7};
    const int32_t start = add_n_scaled(p, 0);
    for (int32_t i = 0; i < p->size; ++i) {
        uint32_t acc = (uint32_t)start;
        for (int32_t k = 0; k < p->n; ++k) {
            acc += (uint32_t)add_n_scaled(p, in[k][i]);
        }
        const int32_t y = mcu_requant((int32_t)acc, p->out_mult, p->out_shift) + p->output_offset;
        out[i] = (int8_t)mcu_clamp(y, p->act_min, p->act_max);
    }
}
