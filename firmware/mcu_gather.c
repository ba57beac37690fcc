/*
 * GATHER (any batch_dims) and GATHER_ND, int8, with indices computed at run time (TFLite Micro's
 * reference loops: gather.cc, gather_nd.cc). Indices TFLite rejects or leaves undefined (out of range)
 * write zeros here instead of reading outside the input.
 */
#include <string.h>

#include "mcu_nn.h"

static inline int64_t load_index(const void *indices, int32_t k, int32_t index_bytes)
{
    if (index_bytes == 8) {
        int64_t v;
        memcpy(&v, (const uint8_t *)indices + (size_t)k * 8u, sizeof v);
        return v;
    }
    int32_t v;
    memcpy(&v, (const uint8_t *)indices + (size_t)k * 4u, sizeof v);
    return v;
}

void mcu_gather_s8(const mcu_gather_params_t *p, const int8_t *in, const void *indices, int8_t *out)
{
    const size_t inner = (size_t)p->inner;
    for (int32_t b = 0; b < p->batch; ++b) {
        for (int32_t o = 0; o < p->outer; ++o) {
            const int8_t *block = in + ((size_t)b * (size_t)p->outer + (size_t)o) * (size_t)p->axis_size * inner;
            for (int32_t c = 0; c < p->coord_size; ++c) {
                const int64_t k = load_index(indices, b * p->coord_size + c, p->index_bytes);
                if (k >= 0 && k < p->axis_size) {
                    memcpy(out, block + (size_t)k * inner, inner);
                } else {
                    memset(out, 0, inner);
                }
                out += inner;
            }
        }
    }
}

void mcu_gather_nd_s8(const mcu_gather_nd_params_t *p, const int8_t *in, const int32_t *indices, int8_t *out)
{
    const size_t slice = (size_t)p->slice_size;
    for (int32_t i = 0; i < p->n_slices; ++i) {
        int64_t from = 0;
        for (int32_t j = 0; j < p->index_depth; ++j) {
            from += (int64_t)indices[i * p->index_depth + j] * p->dim_strides[j];
        }
        if (from >= 0 && from + (int64_t)slice <= p->params_size) {
            memcpy(out, in + from, slice);
        } else {
            memset(out, 0, slice);
        }
        out += slice;
    }
}
