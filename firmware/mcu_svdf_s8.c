/*
 * SVDF with int8 input, output and feature weights, int16 time weights and an int16 activation state, int32
 * bias: TFLite Micro's integer SVDF (kernels/svdf_common.cc, the reference), bit-exact.
 *
 * One invoke is one time step. The state holds, per batch row and filter, the last `memory` feature values;
 * it moves one place towards the oldest, the newest slot takes the filter's feature value
 * requant(sum_i w_feature[f, i] (x[i] - x_zp)) clamped to int16 (plus the state's zero point), then each
 * filter's time dot product sum_m w_time[f, m] (state[f, m] - state_zp) is summed over the `rank` filters of
 * a unit, with the unit's bias, and requantised to the int8 output. TFLite Micro's integer kernel applies no
 * fused activation. The time dot products and their sum are int32 sums that wrap as TFLite Micro's do: a
 * state carried over many invokes can take them past the int32 range.
 *
 * The state, batch x filters x memory int16, is the model's variable tensor: it lives in the persistent state
 * region and carries over from one invoke to the next, as TFLite Micro's (all zero bytes after
 * <model>_reset()). No scratch.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_svdf_s8(const mcu_svdf_params_t *p, const int8_t *in, int16_t *state, int8_t *out)
{
    const int32_t B = p->batch, I = p->input_dim, F = p->filters, M = p->memory;
    const int32_t n = B * F * M;
    if (n > 1) {                                    /* the step's shift: every value one slot older */
        memmove(state, state + 1, (size_t)(n - 1) * sizeof(int16_t));
    }
    for (int32_t b = 0; b < B; b++) {               /* the newest slot of each filter: the feature value */
        const int8_t *x = in + b * I;
        for (int32_t f = 0; f < F; f++) {
            const int8_t *w = p->w_feature + f * I;
            int32_t acc = 0;
            for (int32_t i = 0; i < I; i++) {
                acc += (int32_t)w[i] * ((int32_t)x[i] + p->input_offset);
            }
            acc = mcu_clamp(mcu_requant(acc, p->feature_mult, p->feature_shift), -32768, 32767);
            state[(b * F + f) * M + M - 1] = (int16_t)(p->state_zero_point + acc);
        }
    }
    for (int32_t b = 0; b < B; b++) {               /* time dot products, summed per unit over its rank */
        const int16_t *s = state + b * F * M;
        for (int32_t u = 0; u < p->units; u++) {
            int32_t acc = p->bias[u];
            for (int32_t r = 0; r < p->rank; r++) {
                const int32_t f = u * p->rank + r;
                const int16_t *wt = p->w_time + f * M, *sf = s + f * M;
                int32_t dot = 0;            /* int32 sums that wrap, as TFLite Micro's on every core */
                for (int32_t m = 0; m < M; m++) {
                    dot = mcu_wrap_add(dot, (int32_t)wt[m] * ((int32_t)sf[m] - p->state_zero_point));
                }
                acc = mcu_wrap_add(acc, dot);
            }
            const int32_t v = mcu_requant(acc, p->output_mult, p->output_shift) + p->output_zero_point;
            out[b * p->units + u] = (int8_t)mcu_clamp(v, -128, 127);
        }
    }
}
