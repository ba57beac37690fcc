/* BATCH_MATMUL of two token maps' transposed product (k^T v: out[i][j] = sum over pixels t of
 * (a[t][i] - a_zp) (b[t][j] - b_zp)), a patch at a time: every patch adds its pixels' products to the
 * int32 acc [a_depth x b_depth] (the first patch starts them at 0), the last patch requantises them as
 * mcu_batch_matmul_s8 does (TFLite Micro's reference BatchMatMul: one multiplier, clamped). Integer
 * sums do not depend on their order, so the result is the whole map's. */
#include "mcu_nn.h"

void mcu_pixel_matmul_s8(const mcu_pixel_matmul_params_t *p, int32_t *acc, const int8_t *a, const int8_t *b,
                         int8_t *out)
{
    const int32_t da = p->a_depth, db = p->b_depth;
    if (p->first) {
        for (int32_t k = 0; k < da * db; ++k) {
            acc[k] = 0;
        }
    }
    for (int32_t y = 0; y < p->rows; ++y) {
        const int8_t *ra = a + (ptrdiff_t)y * p->a_row_stride;
        const int8_t *rb = b + (ptrdiff_t)y * p->b_row_stride;
        for (int32_t x = 0; x < p->cols; ++x) {
            const int8_t *pa = ra + (ptrdiff_t)x * da;
            const int8_t *pb = rb + (ptrdiff_t)x * db;
            int32_t *o = acc;
            for (int32_t i = 0; i < da; ++i) {
                const int32_t va = (int32_t)pa[i] + p->a_offset;
                for (int32_t j = 0; j < db; ++j) {
                    o[j] += va * ((int32_t)pb[j] + p->b_offset);
                }
                o += db;
            }
        }
    }
    if (p->last) {
        for (int32_t k = 0; k < da * db; ++k) {
            const int32_t v = mcu_requant(acc[k], p->mult, p->shift) + p->output_offset;
            out[k] = (int8_t)mcu_clamp(v, p->act_min, p->act_max);
        }
    }
}
