/* Patch-based inference helpers. */
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
