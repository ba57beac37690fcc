/*
 * DYNAMIC_UPDATE_SLICE (int8): the operand copied to the output, then the update block written over it at
 * start indices clamped to [0, operand dim - update dim] (as TFLite Micro clamps them).
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_dynamic_update_slice_s8(const mcu_update_slice_params_t *p, const int32_t *start, const int8_t *operand,
                                 const int8_t *update, int8_t *out)
{
    const int32_t pad = 6 - p->rank;
    if (operand != out) {
        memcpy(out, operand, (size_t)p->size);
    }
    ptrdiff_t base = 0;
    for (int32_t d = pad; d < 6; ++d) {
        int32_t s = start[d - pad];
        if (s < 0) {
            s = 0;
        }
        if (s > p->max_start[d]) {
            s = p->max_start[d];
        }
        base += (ptrdiff_t)s * p->out_strides[d];
    }
    const int32_t inner = p->update_dims[5];
    int32_t outer = 1;
    for (int32_t d = 0; d < 5; ++d) {
        outer *= p->update_dims[d];
    }
    int32_t idx[5] = {0, 0, 0, 0, 0};
    ptrdiff_t off = base;
    for (int32_t r = 0; r < outer; ++r) {
        memcpy(out + off, update, (size_t)inner);
        update += inner;
        for (int32_t d = 4; d >= 0; --d) {
            off += p->out_strides[d];
            if (++idx[d] < p->update_dims[d]) {
                break;
            }
            idx[d] = 0;
            off -= (ptrdiff_t)p->out_strides[d] * p->update_dims[d];
        }
    }
}
