/* Data movement: PAD / PADV2, TRANSPOSE, CONCATENATION (int8). Pure copies: no arithmetic except the
 * optional requantisation of a concatenation part. */
#include <string.h>

#include "mcu_nn.h"

#define MCU_LAST (MCU_MAX_DIMS - 1)

void mcu_pad_s8(const mcu_pad_params_t *p, const int8_t *in, int8_t *out)
{
    /* Output rows (all dims but the last) in order; a row is either all padding or
     * [pad_before | one input row | pad_after]. The input is consumed sequentially. */
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t idx[MCU_MAX_DIMS];
    int32_t rows = 1;
    for (int32_t d = 0; d < MCU_MAX_DIMS; ++d) {
        out_dims[d] = p->in_dims[d] + p->pad_before[d] + p->pad_after[d];
        idx[d] = 0;
        if (d < MCU_LAST) {
            rows *= out_dims[d];
        }
    }
    const int8_t value = (int8_t)p->pad_value;
    const size_t row_len = (size_t)out_dims[MCU_LAST];
    const size_t before = (size_t)p->pad_before[MCU_LAST];
    const size_t inner = (size_t)p->in_dims[MCU_LAST];
    const size_t after = (size_t)p->pad_after[MCU_LAST];
    for (int32_t r = 0; r < rows; ++r) {
        int inside = 1;
        for (int32_t d = 0; d < MCU_LAST; ++d) {
            if (idx[d] < p->pad_before[d] || idx[d] >= p->pad_before[d] + p->in_dims[d]) {
                inside = 0;
                break;
            }
        }
        if (inside) {
            memset(out, value, before);
            memcpy(out + before, in, inner);
            memset(out + before + inner, value, after);
            in += inner;
        } else {
            memset(out, value, row_len);
        }
        out += row_len;
        for (int32_t d = MCU_LAST - 1; d >= 0; --d) {
            if (++idx[d] < out_dims[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
}

void mcu_transpose_s8(const mcu_transpose_params_t *p, const int8_t *in, int8_t *out)
{
    /* Walk the output in order; in_off follows the matching input element. */
    int32_t idx[MCU_MAX_DIMS];
    int32_t rows = 1;
    for (int32_t d = 0; d < MCU_MAX_DIMS; ++d) {
        idx[d] = 0;
        if (d < MCU_LAST) {
            rows *= p->out_dims[d];
        }
    }
    const int32_t inner = p->out_dims[MCU_LAST];
    const int32_t inner_stride = p->in_strides[MCU_LAST];
    int32_t in_off = 0;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *src = in + in_off;
        for (int32_t i = 0; i < inner; ++i) {
            out[i] = src[i * inner_stride];
        }
        out += inner;
        for (int32_t d = MCU_LAST - 1; d >= 0; --d) {
            in_off += p->in_strides[d];
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            in_off -= p->in_strides[d] * p->out_dims[d];
            idx[d] = 0;
        }
    }
}

void mcu_concat_part_s8(const mcu_concat_part_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *in_r = in + (size_t)r * (size_t)p->in_row_stride;
        int8_t *out_r = out + (size_t)r * (size_t)p->out_row_stride;
        for (int32_t k = 0; k < p->outer; ++k) {
            const int8_t *src = in_r + (size_t)k * (size_t)p->in_row;
            int8_t *dst = out_r + (size_t)k * (size_t)p->out_row + (size_t)p->out_col;
            if (!p->requant) {
                memcpy(dst, src, (size_t)p->in_row);
            } else {
                for (int32_t i = 0; i < p->in_row; ++i) {
                    const int32_t x = (int32_t)src[i] - p->input_zero_point;
                    const int32_t y = mcu_requant(x, p->mult, p->shift) + p->output_zero_point;
                    dst[i] = (int8_t)mcu_clamp(y, -128, 127);
                }
            }
        }
    }
}
