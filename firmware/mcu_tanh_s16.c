/* TANH, int16 -> int16 (16x8; TFLite's reference_integer_ops::Tanh on int16): the input rescaled by the
 * compiler's multiplier and shift (the power-of-two input scale cases folded in), then tanh(x) =
 * 2 sigmoid(2x) - 1 from the interpolated table of mcu_sigmoid_s16.h; output scale 2^-15. */
#include "mcu_sigmoid_s16.h"

void mcu_tanh_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = mcu_tanh_s16_one(in[i], p->input_multiplier, p->input_shift);
    }
}
