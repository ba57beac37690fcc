/*
 * FULLY_CONNECTED 16x8: int16 activations (zero point 0), int8 symmetric weights, int64 bias, as TFLite
 * Micro's reference FullyConnected / FullyConnectedPerChannel for int16 input (int64 sums,
 * MultiplyByQuantizedMultiplier of an int64, clamp).
 */
#include "mcu_nn.h"

void mcu_fully_connected_s16(const mcu_fc_params_t *p, const int16_t *in, const int8_t *weights,
                             const int64_t *bias, int16_t *out)
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
            const int32_t r = mcu_requant64(acc, p->out_mult[c], p->out_shift[c]);
            o[oc] = (int16_t)mcu_clamp(r, p->act_min, p->act_max);
        }
    }
}
