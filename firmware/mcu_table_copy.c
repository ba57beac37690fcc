/*
 * Copy through per-axis offset tables: GATHER and GATHER_ND with constant indices, MIRROR_PAD.
 * mcucompile resolves every index at compile time into one table per output dimension (the input
 * element offset each index of that dimension contributes); the kernel sums one entry per dimension
 * and copies `inner` contiguous elements from there.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_table_copy_s8(const mcu_table_copy_params_t *p, const int32_t *offsets, const int8_t *in, int8_t *out)
{
    const int32_t rank = p->rank;
    const int32_t last = rank - 1;
    const int32_t inner = p->inner;
    const int32_t *tab[MCU_MAX_DIMS] = {offsets, offsets, offsets, offsets, offsets, offsets};
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    int32_t outer = 1;
    const int32_t *t = offsets;
    for (int32_t d = 0; d < rank; ++d) {
        tab[d] = t;
        t += p->out_dims[d];
        if (d < last) {
            outer *= p->out_dims[d];
        }
    }
    const int32_t n = p->out_dims[last];
    const int32_t *lt = tab[last];
    ptrdiff_t base = 0;                        /* sum of the tables of dims 0 .. last-1 */
    for (int32_t d = 0; d < last; ++d) {
        base += tab[d][0];
    }
    for (int32_t o = 0; o < outer; ++o) {
        if (inner == 1) {
            for (int32_t i = 0; i < n; ++i) {
                *out++ = in[base + lt[i]];
            }
        } else {
            for (int32_t i = 0; i < n; ++i) {
                memcpy(out, in + base + lt[i], (size_t)inner);
                out += inner;
            }
        }
        for (int32_t d = last - 1; d >= 0; --d) {
            base -= tab[d][idx[d]];
            if (++idx[d] < p->out_dims[d]) {
                base += tab[d][idx[d]];
                break;
            }
            idx[d] = 0;
            base += tab[d][0];
        }
    }
}
