/*
 * FILL (one scalar, constant or computed, repeated over the output) and ZEROS_LIKE (raw zeros, whatever
 * the output's quantisation: TFLite writes T(0)), as TFLite Micro's fill.cc / zeros_like.cc.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_fill(const mcu_fill_params_t *p, const void *value, void *out)
{
    const size_t eb = (size_t)p->elem_bytes;
    uint8_t *dst = (uint8_t *)out;
    if (eb == 1u) {
        memset(dst, *(const uint8_t *)value, (size_t)p->size);
        return;
    }
    for (int32_t i = 0; i < p->size; ++i) {
        memcpy(dst + (size_t)i * eb, value, eb);
    }
}
