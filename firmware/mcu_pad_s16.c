/* PAD / PADV2 of int16 tensors (16x8 quantisation) with any int16 pad value: mcu_pad_params_t as
 * mcu_pad_s8 takes it (shapes in elements, right-aligned), pad_value the int16 code. */
#include <string.h>

#include "mcu_nn.h"

#define MCU_LAST (MCU_MAX_DIMS - 1)

static void fill16(int16_t *out, int16_t value, size_t n)
{
    for (size_t i = 0; i < n; ++i) {
        out[i] = value;
    }
}

void mcu_pad_s16(const mcu_pad_params_t *p, const int16_t *in, int16_t *out)
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
    const int16_t value = (int16_t)p->pad_value;
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
            fill16(out, value, before);
            memcpy(out + before, in, inner * sizeof(int16_t));
            fill16(out + before + inner, value, after);
            in += inner;
        } else {
            fill16(out, value, row_len);
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
