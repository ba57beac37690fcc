/*
 * BATCH_MATMUL, int8 x int8 -> int8 (TFLite Micro: reference_ops::BatchMatMul<int8_t, int32_t>):
 * out = requant(sum_k (lhs - lhs_zp) * (rhs - rhs_zp)) + out_zp, one per-tensor multiplier.
 * adj_x / adj_y are only strides (no transposed copies); broadcast batch dims have stride 0.
 */
#include "mcu_nn.h"

void mcu_batch_matmul_s8(const mcu_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                         int8_t *out)
{
    for (int32_t b0 = 0; b0 < p->batch_dims[0]; ++b0) {
        for (int32_t b1 = 0; b1 < p->batch_dims[1]; ++b1) {
            for (int32_t b2 = 0; b2 < p->batch_dims[2]; ++b2) {
                const int8_t *l = lhs + (ptrdiff_t)b0 * p->lhs_batch_strides[0]
                                  + (ptrdiff_t)b1 * p->lhs_batch_strides[1]
                                  + (ptrdiff_t)b2 * p->lhs_batch_strides[2];
                const int8_t *r = rhs + (ptrdiff_t)b0 * p->rhs_batch_strides[0]
                                  + (ptrdiff_t)b1 * p->rhs_batch_strides[1]
                                  + (ptrdiff_t)b2 * p->rhs_batch_strides[2];
                for (int32_t i = 0; i < p->rows; ++i) {
                    const int8_t *l_row = l + (ptrdiff_t)i * p->lhs_row_stride;
                    for (int32_t j = 0; j < p->cols; ++j) {
                        const int8_t *r_col = r + (ptrdiff_t)j * p->rhs_col_stride;
                        int32_t acc = 0;
                        for (int32_t k = 0; k < p->depth; ++k) {
                            acc += ((int32_t)l_row[(ptrdiff_t)k * p->lhs_depth_stride] + p->lhs_offset)
                                   * ((int32_t)r_col[(ptrdiff_t)k * p->rhs_depth_stride] + p->rhs_offset);
                        }
                        acc = mcu_requant(acc, p->mult, p->shift) + p->output_offset;
                        *out++ = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
