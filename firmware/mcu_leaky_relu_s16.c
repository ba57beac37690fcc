/* LEAKY_RELU, int16 -> int16 (16x8; TFLite's reference_ops::QuantizeLeakyRelu on int16): x >= 0 rescaled by
 * input scale / output scale, x < 0 by input scale x alpha / output scale (its magnitude; a negative alpha
 * negates the product), then clamped to int16. */
#include "mcu_nn.h"

void mcu_leaky_relu_s16(const mcu_leaky_relu_s16_params_t *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t x = in[i] - p->input_zero_point;
        int32_t y;
        if (x >= 0) {
            y = mcu_requant(x, p->identity_mult, p->identity_shift);
        } else {
            y = mcu_requant(x, p->alpha_mult, p->alpha_shift);
            y = p->alpha_negative ? -y : y;
        }
        out[i] = (int16_t)mcu_clamp(p->output_zero_point + y, INT16_MIN, INT16_MAX);
    }
}
