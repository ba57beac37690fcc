/*
 * EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL on int32 or int64 inputs (bool out), with
 * broadcasting up to MCU_MAX_DIMS dimensions (the stride plan of ADD): TFLite compares the raw values
 * (comparisons.cc, ComparisonNoScaling).
 */
#include <string.h>

#include "mcu_nn.h"

static inline int64_t load(const void *base, ptrdiff_t i, int32_t elem_bytes)
{
    if (elem_bytes == 8) {
        int64_t v;
        memcpy(&v, (const uint8_t *)base + i * 8, sizeof v);
        return v;
    }
    int32_t v;
    memcpy(&v, (const uint8_t *)base + i * 4, sizeof v);
    return v;
}

static inline uint8_t compare_one(int32_t op, int64_t a, int64_t b)
{
    switch (op) {
    case MCU_CMP_EQ: return a == b;
    case MCU_CMP_NE: return a != b;
    case MCU_CMP_LT: return a < b;
    case MCU_CMP_LE: return a <= b;
    case MCU_CMP_GT: return a > b;
    default: return a >= b;
    }
}

void mcu_compare_int(const mcu_compare_int_params_t *p, const void *in1, const void *in2, uint8_t *out)
{
    const int32_t last = p->rank - 1;
    const int32_t n = p->out_dims[last];
    const ptrdiff_t s1 = p->in1_strides[last], s2 = p->in2_strides[last];
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    ptrdiff_t off1 = 0, off2 = 0;
    int32_t outer = 1;
    for (int32_t d = 0; d < last; ++d) {
        outer *= p->out_dims[d];
    }
    for (int32_t r = 0; r < outer; ++r) {
        for (int32_t i = 0; i < n; ++i) {
            *out++ = compare_one(p->op, load(in1, off1 + (ptrdiff_t)i * s1, p->elem_bytes),
                                 load(in2, off2 + (ptrdiff_t)i * s2, p->elem_bytes));
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            off1 += p->in1_strides[d];
            off2 += p->in2_strides[d];
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            idx[d] = 0;
            off1 -= (ptrdiff_t)p->in1_strides[d] * p->out_dims[d];
            off2 -= (ptrdiff_t)p->in2_strides[d] * p->out_dims[d];
        }
    }
}
