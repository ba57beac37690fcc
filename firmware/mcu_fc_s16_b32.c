/*
 * FULLY_CONNECTED 16x8 with an int32 bias: int16 activations (zero point 0), int8 symmetric weights, as TFLite
 * Micro's reference FullyConnected / FullyConnectedPerChannel with an int32 accumulator (the form it takes
 * for an int32 bias): int32 sums (wrapping: summed in int64, the total wrapped to 32 bits), the int32
 * double-rounding MultiplyByQuantizedMultiplier (out_mult / out_shift as the int8 kernel takes them), clamp.
 */
#include "mcu_nn.h"

void mcu_fully_connected_s16_b32(const mcu_fc_params_t *p, const int16_t *in, const int8_t *weights,
                                 const int32_t *bias, int16_t *out)
{
    const int32_t depth = p->accum_depth, out_depth = p->out_depth;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int16_t *x = in + (size_t)b * (size_t)depth;
        int16_t *o = out + (size_t)b * (size_t)out_depth;
        for (int32_t oc = 0; oc < out_depth; ++oc) {
            const int8_t *w = weights + (size_t)oc * (size_t)depth;
            int64_t acc = 0;
            for (int32_t k = 0; k < depth; ++k) {
                acc += (int64_t)((int32_t)w[k] * (int32_t)x[k]);
            }
            if (bias != NULL) {
                acc += bias[oc];
            }
            const int32_t c = p->per_channel ? oc : 0;
            const int32_t r = mcu_requant((int32_t)(uint32_t)(uint64_t)acc, p->out_mult[c], p->out_shift[c]);
            o[oc] = (int16_t)mcu_clamp(r, p->act_min, p->act_max);
        }
    }
}
