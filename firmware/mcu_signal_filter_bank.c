/*
 * SignalFilterBank (TFLite Micro signal library, filter_bank.cc): num_channels + 1 overlapping triangular
 * channels; channel i sums weights[k] x in[f] over its bins (uint64, the int16 weight converted as there),
 * and the same bins' unweights start the next channel's sum. Channel 0 only seeds channel 1: the output is
 * channels 1..num_channels.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_signal_filter_bank_u32(const mcu_signal_filter_bank_params_t *p, const uint32_t *in, uint64_t *out)
{
    uint64_t acc = 0u, next = 0u;
    for (int32_t c = 0; c <= p->num_channels; c++) {
        const int32_t f0 = p->freq_starts[c], w0 = p->weight_starts[c];
        for (int32_t j = 0; j < p->widths[c]; j++) {
            const uint64_t x = in[f0 + j];
            acc += (uint64_t)(int64_t)p->weights[w0 + j] * x;
            next += (uint64_t)(int64_t)p->unweights[w0 + j] * x;
        }
        if (c > 0) {
            memcpy(out + (c - 1), &acc, sizeof acc);    /* the arena aligns buffers to 4 bytes only */
        }
        acc = next;
        next = 0u;
    }
}
