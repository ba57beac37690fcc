/*
 * SignalFftAutoScale (TFLite Micro signal library, fft_auto_scale.cc): the largest magnitude m of the frame
 * (kept in int16 as there, so a -32768 sample wraps it negative and no scaling happens), the shift
 * bits = 15 - msb(m) (at least 0), and every sample multiplied by 2^bits (int16, low bits kept).
 */
#include "mcu_nn.h"

void mcu_signal_fft_auto_scale_s16(int32_t size, const int16_t *in, int16_t *out, int32_t *out_bits)
{
    int16_t m = 0;
    for (int32_t i = 0; i < size; i++) {
        const int32_t v = in[i];
        if (v > m) {
            m = (int16_t)v;
        } else if (-v > m) {
            m = (int16_t)(uint16_t)(uint32_t)(-v);     /* -(-32768) wraps to -32768 */
        }
    }
    int32_t bits = 16 - (int32_t)mcu_msb32((uint32_t)(int32_t)m) - 1;
    if (bits < 0) {
        bits = 0;
    }
    for (int32_t i = 0; i < size; i++) {
        out[i] = (int16_t)(uint16_t)((uint32_t)(int32_t)in[i] << bits);
    }
    *out_bits = bits;
}
