/*
 * EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL on int8 (bool out) and SELECT_V2 on int8,
 * with broadcasting up to MCU_MAX_DIMS dimensions (the compile-time stride plan of ADD, mcu_add.c).
 *
 * TFLite Micro compares int8 inputs after rescaling each: ((q - zero point) << 8) multiplied by the
 * input's own scale as a fixed-point multiplier (comparisons.cc, ComparisonWithScaling). That value is a
 * function of the code alone, so mcucompile computes it for the 256 codes of each input at compile time
 * and the kernel compares table entries.
 */
#include "mcu_nn.h"

static inline uint8_t compare_one(int32_t op, int32_t a, int32_t b)
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

void mcu_compare_s8(const mcu_compare_params_t *p, const int8_t *in1, const int8_t *in2, uint8_t *out)
{
    const int32_t last = p->rank - 1;
    const int32_t n = p->out_dims[last];
    const ptrdiff_t s1 = p->in1_strides[last], s2 = p->in2_strides[last];
    const int32_t *t1 = p->table1 + 128;
    const int32_t *t2 = p->table2 + 128;
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    ptrdiff_t off1 = 0, off2 = 0;
    int32_t outer = 1;
    for (int32_t d = 0; d < last; ++d) {
        outer *= p->out_dims[d];
    }
    for (int32_t r = 0; r < outer; ++r) {
        const int8_t *a = in1 + off1;
        const int8_t *b = in2 + off2;
        for (int32_t i = 0; i < n; ++i) {
            *out++ = compare_one(p->op, t1[a[(ptrdiff_t)i * s1]], t2[b[(ptrdiff_t)i * s2]]);
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

void mcu_select_s8(const mcu_select_params_t *p, const uint8_t *cond, const int8_t *in1, const int8_t *in2,
                   int8_t *out)
{
    const int32_t last = p->rank - 1;
    const int32_t n = p->out_dims[last];
    const ptrdiff_t sc = p->cond_strides[last], s1 = p->in1_strides[last], s2 = p->in2_strides[last];
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    ptrdiff_t offc = 0, off1 = 0, off2 = 0;
    int32_t outer = 1;
    for (int32_t d = 0; d < last; ++d) {
        outer *= p->out_dims[d];
    }
    for (int32_t r = 0; r < outer; ++r) {
        const uint8_t *c = cond + offc;
        const int8_t *a = in1 + off1;
        const int8_t *b = in2 + off2;
        for (int32_t i = 0; i < n; ++i) {
            *out++ = c[(ptrdiff_t)i * sc] ? a[(ptrdiff_t)i * s1] : b[(ptrdiff_t)i * s2];
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            offc += p->cond_strides[d];
            off1 += p->in1_strides[d];
            off2 += p->in2_strides[d];
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            idx[d] = 0;
            offc -= (ptrdiff_t)p->cond_strides[d] * p->out_dims[d];
            off1 -= (ptrdiff_t)p->in1_strides[d] * p->out_dims[d];
            off2 -= (ptrdiff_t)p->in2_strides[d] * p->out_dims[d];
        }
    }
}
