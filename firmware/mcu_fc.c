/* Fully connected, int8 (TFLite reference arithmetic). */
#include "mcu_nn.h"

void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *in, const int8_t *weights,
                            const int32_t *bias, int8_t *out)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = in + (size_t)b * (size_t)p->accum_depth;
        for (int32_t o = 0; o < p->out_depth; ++o) {
            const int8_t *w = weights + (size_t)o * (size_t)p->accum_depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < p->accum_depth; ++d) {
                acc += ((int32_t)x[d] + p->input_offset) * ((int32_t)w[d] + p->filter_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            const int32_t ch = p->per_channel ? o : 0;
            acc = mcu_requant(acc, p->out_mult[ch], p->out_shift[ch]) + p->output_offset;
            out[(size_t)b * (size_t)p->out_depth + (size_t)o] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
        }
    }
}
