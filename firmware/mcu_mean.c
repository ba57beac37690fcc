/* MEAN (and SUM) over any set of axes, int8 (TFLite Micro: reference_ops::QuantizedMeanOrSum; for SUM,
 * compute_sum=true, mult/shift are the plain in/out scale ratio).
 * scratch: one int32 per output element. For MEAN, mult/shift already include the
 * 1/num_elements_reduced factor, exactly as TFLite folds it in (computed at compile time). */
#include "mcu_nn.h"

void mcu_mean_s8(const mcu_mean_params_t *p, int32_t *scratch, const int8_t *in, int8_t *out)
{
    /* dims are right-aligned in MCU_MAX_DIMS with leading 1s; out_strides[d] = 0 on reduced axes */
    int32_t out_strides[MCU_MAX_DIMS];
    int32_t idx[MCU_MAX_DIMS];
    int32_t num_out = 1;
    int32_t num_in = 1;
    for (int32_t d = MCU_MAX_DIMS - 1; d >= 0; --d) {
        idx[d] = 0;
        num_in *= p->in_dims[d];
        if (p->reduce[d]) {
            out_strides[d] = 0;
        } else {
            out_strides[d] = num_out;
            num_out *= p->in_dims[d];
        }
    }
    for (int32_t o = 0; o < num_out; ++o) {
        scratch[o] = 0;
    }
    int32_t o = 0;
    for (int32_t i = 0; i < num_in; ++i) {
        scratch[o] += in[i];
        for (int32_t d = MCU_MAX_DIMS - 1; d >= 0; --d) {
            o += out_strides[d];
            if (++idx[d] < p->in_dims[d]) {
                break;
            }
            o -= out_strides[d] * p->in_dims[d];
            idx[d] = 0;
        }
    }
    const int64_t zp_sum = (int64_t)p->input_zero_point * (int64_t)p->num_elements_reduced;
    for (int32_t k = 0; k < num_out; ++k) {
        const int32_t shifted = (int32_t)((int64_t)scratch[k] - zp_sum);
        const int32_t y = mcu_requant(shifted, p->mult, p->shift) + p->output_zero_point;
        out[k] = (int8_t)mcu_clamp(y, -128, 127);
    }
}
