/* REDUCE_MAX / REDUCE_MIN (int8, any axes): the max / min of the raw codes over the reduced axes, as TFLite
 * Micro's reference_ops::ReduceGeneric computes them (input and output share one quantisation). The input
 * is walked once in order; out_strides maps each input index to its output element (0 on reduced axes). */
#include "mcu_nn.h"

void mcu_reduce_minmax_s8(const mcu_reduce_minmax_params_t *p, const int8_t *in, int8_t *out)
{
    const int8_t init = p->is_max ? (int8_t)-128 : (int8_t)127;
    for (int32_t i = 0; i < p->out_size; ++i) {
        out[i] = init;
    }
    const int32_t last = MCU_MAX_DIMS - 1;
    const int32_t n = p->in_dims[last];
    const ptrdiff_t step = p->out_strides[last];
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    int32_t outer = 1;
    for (int32_t d = 0; d < last; ++d) {
        outer *= p->in_dims[d];
    }
    ptrdiff_t off = 0;
    for (int32_t r = 0; r < outer; ++r) {
        int8_t *o = out + off;
        if (p->is_max) {
            for (int32_t i = 0; i < n; ++i, ++in) {
                if (*in > o[(ptrdiff_t)i * step]) {
                    o[(ptrdiff_t)i * step] = *in;
                }
            }
        } else {
            for (int32_t i = 0; i < n; ++i, ++in) {
                if (*in < o[(ptrdiff_t)i * step]) {
                    o[(ptrdiff_t)i * step] = *in;
                }
            }
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            off += p->out_strides[d];
            if (++idx[d] < p->in_dims[d]) {
                break;
            }
            idx[d] = 0;
            off -= (ptrdiff_t)p->out_strides[d] * p->in_dims[d];
        }
    }
}
