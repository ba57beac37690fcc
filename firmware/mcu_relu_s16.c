/* RELU and RELU6, int16 -> int16 (16x8; TFLite Micro's ReluQuantized / Relu6Quantized on int16): the input
 * requantised to the output (RELU; RELU6 passes an identity multiplier, as TFLite Micro does not rescale it)
 * and clamped to the compiler's bounds. */
#include "mcu_nn.h"

void mcu_relu_s16(const mcu_relu_s16_params_t *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t y = p->output_zero_point + mcu_requant(in[i] - p->input_zero_point, p->mult, p->shift);
        out[i] = (int16_t)mcu_clamp(y, p->act_min, p->act_max);
    }
}
