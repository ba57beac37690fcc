/* Broadcast walk of the int16 binary kernels (ADD, SUB, MUL): out[i] = fn(params, in1[...], in2[...]) over a
 * broadcast plan (rank, dims, per-input element strides, 0 on broadcast dimensions), the last dimension
 * innermost; mcu_broadcast.h's walk on int16 elements. */
#ifndef MCU_BROADCAST_S16_H
#define MCU_BROADCAST_S16_H

#include "mcu_nn.h"

typedef int16_t (*mcu_pair16_fn)(const void *params, int32_t a, int32_t b);

static inline void mcu_broadcast_pairs_s16(int32_t rank, const int32_t *dims, const int32_t *st1,
                                           const int32_t *st2, const int16_t *in1, const int16_t *in2,
                                           int16_t *out, mcu_pair16_fn fn, const void *params)
{
    const int32_t last = rank - 1;
    const int32_t n = dims[last];
    const ptrdiff_t s1 = st1[last], s2 = st2[last];
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    ptrdiff_t off1 = 0, off2 = 0;
    int32_t outer = 1;
    for (int32_t d = 0; d < last; ++d) {
        outer *= dims[d];
    }
    for (int32_t r = 0; r < outer; ++r) {
        const int16_t *a = in1 + off1;
        const int16_t *b = in2 + off2;
        for (int32_t i = 0; i < n; ++i) {
            *out++ = fn(params, a[(ptrdiff_t)i * s1], b[(ptrdiff_t)i * s2]);
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            off1 += st1[d];
            off2 += st2[d];
            if (++idx[d] < dims[d]) {
                break;
            }
            idx[d] = 0;
            off1 -= (ptrdiff_t)st1[d] * dims[d];
            off2 -= (ptrdiff_t)st2[d] * dims[d];
        }
    }
}

#endif
