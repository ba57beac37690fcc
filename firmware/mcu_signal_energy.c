/*
 * SignalEnergy (TFLite Micro signal library, energy.cc): re^2 + im^2 of each complex int16 bin in
 * [start, end), as uint32 (the int32 sum's bits: 2 x 32768^2 wraps to 2^31 there too). TFLite Micro leaves
 * the other bins unwritten; here they are 0.
 */
#include "mcu_nn.h"

void mcu_signal_energy_s16(int32_t bins, int32_t start, int32_t end, const int16_t *in, uint32_t *out)
{
    for (int32_t i = 0; i < bins; i++) {
        if (i < start || i >= end) {
            out[i] = 0u;
            continue;
        }
        const int32_t re = in[2 * i], im = in[2 * i + 1];
        out[i] = (uint32_t)(re * re) + (uint32_t)(im * im);
    }
}
