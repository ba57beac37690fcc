/*
 * Data movement by strided views (STRIDED_SLICE, SPLIT, SPLIT_V, TILE) and ARG_MAX / ARG_MIN.
 * mcucompile resolves begin/end/stride masks, split offsets and tile multiples at compile time into
 * one strided view of the input per output: out[i0..i5] = in[in_offset + sum_d i_d * in_strides[d]].
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_strided_copy_s8(const mcu_strided_copy_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t last = MCU_MAX_DIMS - 1;
    int32_t outer = 1;
    for (int32_t d = 0; d < last; ++d) {
        outer *= p->out_dims[d];
    }
    const int32_t inner = p->out_dims[last];
    const int32_t inner_stride = p->in_strides[last];
    int32_t idx[MCU_MAX_DIMS - 1] = {0};
    ptrdiff_t base = p->in_offset;
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *src = in + base;
        if (inner_stride == 1) {
            memcpy(out, src, (size_t)inner);
            out += inner;
        } else {
            for (int32_t i = 0; i < inner; ++i) {
                *out++ = src[(ptrdiff_t)i * inner_stride];
            }
        }
        /* next outer index: odometer over dims last-1 .. 0 */
        for (int32_t d = last - 1; d >= 0; --d) {
            base += p->in_strides[d];
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            base -= (ptrdiff_t)p->in_strides[d] * p->out_dims[d];
            idx[d] = 0;
        }
    }
}

void mcu_arg_minmax_s8(const mcu_arg_minmax_params_t *p, const int8_t *in, void *out)
{
    uint8_t *dst = (uint8_t *)out;
    for (int32_t o = 0; o < p->outer; ++o) {
        const int8_t *block = in + (size_t)o * (size_t)p->axis_size * (size_t)p->inner;
        for (int32_t j = 0; j < p->inner; ++j) {
            int8_t best = block[j];
            int32_t best_index = 0;
            for (int32_t i = 1; i < p->axis_size; ++i) {
                const int8_t v = block[(size_t)i * (size_t)p->inner + (size_t)j];
                if (p->is_max ? v > best : v < best) {
                    best = v;
                    best_index = i;
                }
            }
            if (p->index_bytes == 8) {
                const int64_t v64 = best_index;
                memcpy(dst, &v64, sizeof v64);
            } else {
                memcpy(dst, &best_index, sizeof best_index);
            }
            dst += p->index_bytes;
        }
    }
}
