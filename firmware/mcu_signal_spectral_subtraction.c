/*
 * SignalFilterBankSpectralSubtraction (TFLite Micro signal library, filter_bank_spectral_subtraction.cc):
 * per channel, a smoothed noise estimate
 *   noise = (x << smoothing_bits) x smoothing + noise x (1 - smoothing)   (uint64, >> subtraction bits)
 * (odd channels use the alternate smoothing), then the signal minus the estimate (the estimate capped at
 * the signal, and the noise itself clamped too when `clamping`), floored at x x min_signal_remaining.
 * Outputs: the subtracted signal and a copy of the noise estimate.
 *
 * The estimate (num_channels uint32) is TFLite Micro's persistent state: it lives in the model's persistent
 * state region and carries over from one call to the next (zero after <model>_reset(), as after TFLite
 * Micro's reset), so consecutive frames stream as in TFLite Micro's micro_speech example.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_signal_spectral_subtraction_u32(const mcu_signal_spectral_subtraction_params_t *p, const uint32_t *in,
                                         uint32_t *noise, uint32_t *out, uint32_t *noise_out)
{
    for (int32_t i = 0; i < p->num_channels; i++) {
        const uint32_t s = (i & 1) ? p->alt_smoothing : p->smoothing;
        const uint32_t oms = (i & 1) ? p->alt_one_minus_smoothing : p->one_minus_smoothing;
        const uint32_t up = in[i] << p->smoothing_bits;
        noise[i] = (uint32_t)(((uint64_t)up * s + (uint64_t)noise[i] * oms) >> p->spectral_subtraction_bits);
        uint32_t est = noise[i];
        if (est > up) {
            est = up;
            if (p->clamping) {
                noise[i] = est;
            }
        }
        const uint32_t floor = (uint32_t)(((uint64_t)in[i] * p->min_signal_remaining) >> p->spectral_subtraction_bits);
        const uint32_t sub = (up - est) >> p->smoothing_bits;
        out[i] = sub > floor ? sub : floor;
    }
    memcpy(noise_out, noise, (size_t)p->num_channels * sizeof(uint32_t));
}
