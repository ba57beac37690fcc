/* Patch-based inference helpers: tile copies, and PAD on a patch. */
#include <string.h>

#include "mcu_nn.h"

void mcu_tile_copy_s8(const mcu_tile_copy_params_t *p, const int8_t *src, int8_t *dst)
{
    const size_t row_bytes = (size_t)p->cols * (size_t)p->channels;
    for (int32_t r = 0; r < p->rows; ++r) {
        memcpy(dst + p->dst_offset + (size_t)r * (size_t)p->dst_row_stride,
               src + p->src_offset + (size_t)r * (size_t)p->src_row_stride, row_bytes);
    }
}

void mcu_pad_tile_s8(const mcu_pad_tile_params_t *p, const int8_t *in, int8_t *out)
{
    const size_t c = (size_t)p->channels;
    const size_t row_bytes = (size_t)p->cols * c;
    const int32_t x0 = p->real_x0, x1 = p->real_x1 > p->real_x0 ? p->real_x1 : p->real_x0;
    for (int32_t r = 0; r < p->rows; ++r) {
        int8_t *dst = out + (size_t)r * row_bytes;
        if (r < p->real_y0 || r >= p->real_y1 || x1 == x0) {
            memset(dst, p->pad_value, row_bytes);
            continue;
        }
        const int8_t *src = in + (size_t)(r - p->real_y0) * (size_t)p->in_row_stride;
        memset(dst, p->pad_value, (size_t)x0 * c);
        memcpy(dst + (size_t)x0 * c, src, (size_t)(x1 - x0) * c);
        memset(dst + (size_t)x1 * c, p->pad_value, (size_t)(p->cols - x1) * c);
    }
}
