/*
 * SignalFilterBankLog (TFLite Micro signal library, filter_bank_log.cc, log.cc): x << correction bits;
 * 0 when that is <= 1, else its natural log in Q16 scaled by output_scale / 2^16 with rounding, saturated
 * to int16. log2 is msb position + a fraction: the 16-bit mantissa plus a correction interpolated in a
 * 128-segment table of log2(1 + f) - f (computed at compile time, mcucompile/codegen/ops/signal.py).
 */
#include "mcu_nn.h"

static uint32_t log2_fraction(uint32_t x, uint32_t e, const uint16_t *lut)
{
    int32_t frac = (int32_t)(uint32_t)((uint64_t)x - ((uint64_t)1 << e));
    if (e < 16u) {
        frac = (int32_t)((uint32_t)frac << (16u - e));
    } else {
        frac >>= (e - 16u);
    }
    const uint32_t seg = (uint32_t)frac >> 9;                     /* 128 segments of 512 */
    const int32_t c0 = lut[seg], c1 = lut[seg + 1u];
    const int32_t rel = ((c1 - c0) * (frac - (int32_t)(512u * seg))) >> 16;
    return (uint32_t)(frac + c0 + rel);
}

void mcu_signal_filter_bank_log_u32(const mcu_signal_filter_bank_log_params_t *p, const uint32_t *in,
                                    int16_t *out)
{
    for (int32_t i = 0; i < p->channels; i++) {
        const uint32_t x = in[i] << p->input_correction_bits;
        if (x <= 1u) {
            out[i] = 0;
            continue;
        }
        const uint32_t e = mcu_msb32(x) - 1u;
        const uint32_t log2 = (e << 16) + log2_fraction(x, e, p->log_lut);
        const uint32_t loge = (uint32_t)(((uint64_t)p->log_coeff * log2 + 32768u) >> 16);
        const uint32_t v = (p->output_scale * loge + 32768u) >> 16;
        out[i] = (int16_t)(v < 32767u ? v : 32767u);
    }
}
