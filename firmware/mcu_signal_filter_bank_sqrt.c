/*
 * SignalFilterBankSquareRoot (TFLite Micro signal library, filter_bank_square_root.cc): the square root of
 * each uint64 channel rounded to nearest (floor r, plus 1 when x - r^2 > r, unless r is already the largest
 * value of its width: 0xFFFF below 2^32, 0xFFFFFFFF above), shifted right by the FFT's auto-scale bits.
 */
#include <string.h>

#include "mcu_nn.h"

static uint32_t rounded_sqrt(uint64_t x)
{
    uint64_t rest = x, root = 0u, bit = 1u;
    while (bit <= x / 4u && bit < ((uint64_t)1 << 62)) {     /* the highest power of 4 <= x */
        bit <<= 2;
    }
    if (x == 0u) {
        return 0u;
    }
    while (bit != 0u) {
        if (rest >= root + bit) {
            rest -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    const uint64_t top = (x >> 32) == 0u ? 0xFFFFu : 0xFFFFFFFFu;
    if (rest > root && root != top) {
        ++root;
    }
    return (uint32_t)root;
}

void mcu_signal_filter_bank_sqrt_u64(int32_t channels, const uint64_t *in, const int32_t *scale_bits,
                                     uint32_t *out)
{
    const int32_t s = *scale_bits;
    for (int32_t i = 0; i < channels; i++) {
        uint64_t x;
        memcpy(&x, in + i, sizeof x);                    /* the arena aligns buffers to 4 bytes only */
        out[i] = rounded_sqrt(x) >> s;
    }
}
