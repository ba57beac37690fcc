/*
 * SignalPCAN (TFLite Micro signal library, pcan_argc_fixed.cc): per-channel energy normalisation. The gain
 * comes from the model's gain table by the noise estimate n: n <= 2 indexes it directly, else the segment
 * of msb(n) (4 entries from 4 msb(n) - 6: offset, slope, curvature) is evaluated at the next 10 bits of n
 * in Q15 with rounding. snr = (x x gain) >> snr_shift (uint64, kept to 32 bits), then the shrink:
 * snr^2 >> 20 below 2 << 12, else (snr >> 6) - 64. (12 SNR bits, 6 output bits, as TFLite Micro.)
 */
#include "mcu_nn.h"

#define PCAN_SNR_BITS 12
#define PCAN_OUTPUT_BITS 6

static int16_t pcan_gain(uint32_t n, const int16_t *lut)
{
    if (n <= 2u) {
        return lut[n];
    }
    const int32_t seg = (int32_t)mcu_msb32(n);
    const int16_t *c = lut + 4 * seg - 6;
    const uint32_t bits = seg < 11 ? n << (11 - seg) : n >> (seg - 11);
    const int32_t frac = (int32_t)(int16_t)(bits & 0x3FFu);
    int32_t r = ((int32_t)c[2] * frac) >> 5;
    r = (int32_t)((uint32_t)r + ((uint32_t)(int32_t)c[1] << 5));
    r = (int32_t)((uint32_t)r * (uint32_t)frac);                   /* int32 product, low bits as there */
    r = (int32_t)((uint32_t)r + (1u << 14)) >> 15;
    r += c[0];
    return (int16_t)(uint16_t)(uint32_t)r;
}

static uint32_t pcan_shrink(uint32_t x)
{
    if (x < (2u << PCAN_SNR_BITS)) {
        return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
    }
    return (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}

void mcu_signal_pcan_u32(int32_t channels, int32_t snr_shift, const int16_t *gain_lut, const uint32_t *in,
                         const uint32_t *noise, uint32_t *out)
{
    for (int32_t i = 0; i < channels; i++) {
        const uint32_t gain = (uint32_t)(int32_t)pcan_gain(noise[i], gain_lut);
        const uint32_t snr = (uint32_t)(((uint64_t)in[i] * gain) >> snr_shift);
        out[i] = pcan_shrink(snr);
    }
}
