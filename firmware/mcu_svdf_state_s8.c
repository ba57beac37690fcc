/*
 * SVDF with int8 input, output, feature and time weights and an int8 activation state, int32 bias: TFLite
 * Micro's integer SVDF for int8 time weights (kernels/svdf_common.cc, the reference), bit-exact.
 *
 * As mcu_svdf_s8.c with int8 in place of int16 for the time weights and the state: the state moves one slot
 * towards the oldest, each filter's newest slot takes its feature value requant(sum_i w_feature[f, i] (x[i] -
 * x_zp)) clamped to int8 and then plus the state's zero point (wrapped to int8, as TFLite Micro's store does),
 * the time dot products sum_m w_time[f, m] (state[f, m] - state_zp) are summed over the `rank` filters of a
 * unit with the unit's bias and requantised to the int8 output. No fused activation is applied (as there).
 *
 * The state, batch x filters x memory int8, is the model's variable tensor: it lives in the persistent state
 * region and carries over from one invoke to the next, as TFLite Micro's (after <model>_reset() every byte the
 * state's zero point, as TFLite Micro's reset of an int8 variable tensor). No scratch.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_svdf_state_s8(const mcu_svdf_state_s8_params_t *p, const int8_t *in, int8_t *state, int8_t *out)
{
    const int32_t B = p->batch, I = p->input_dim, F = p->filters, M = p->memory;
    const int32_t n = B * F * M;
    if (n > 1) {                                    /* the step's shift: every value one slot older */
        memmove(state, state + 1, (size_t)(n - 1));
    }
    for (int32_t b = 0; b < B; b++) {               /* the newest slot of each filter: the feature value */
        const int8_t *x = in + b * I;
        for (int32_t f = 0; f < F; f++) {
            const int8_t *w = p->w_feature + f * I;
            int32_t acc = 0;
            for (int32_t i = 0; i < I; i++) {
                acc += (int32_t)w[i] * ((int32_t)x[i] + p->input_offset);
            }
            acc = mcu_clamp(mcu_requant(acc, p->feature_mult, p->feature_shift), -128, 127);
            state[(b * F + f) * M + M - 1] = (int8_t)(uint8_t)(p->state_zero_point + acc);
        }
    }
    for (int32_t b = 0; b < B; b++) {               /* time dot products, summed per unit over its rank */
        const int8_t *s = state + b * F * M;
        for (int32_t u = 0; u < p->units; u++) {
            int32_t acc = p->bias[u];
            for (int32_t r = 0; r < p->rank; r++) {
                const int32_t f = u * p->rank + r;
                const int8_t *wt = p->w_time + f * M, *sf = s + f * M;
                int32_t dot = 0;
                for (int32_t m = 0; m < M; m++) {
                    dot += (int32_t)wt[m] * ((int32_t)sf[m] - p->state_zero_point);
                }
                acc += dot;
            }
            const int32_t v = mcu_requant(acc, p->output_mult, p->output_shift) + p->output_zero_point;
            out[b * p->units + u] = (int8_t)mcu_clamp(v, -128, 127);
        }
    }
}
