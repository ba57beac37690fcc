/*
 * SignalWindow (TFLite Micro signal library, window.cc): each sample times its window coefficient, in
 * int32, shifted right (arithmetic) by `shift` and saturated to int16. The window repeats over the frames.
 */
#include "mcu_nn.h"

void mcu_signal_window_s16(const mcu_signal_window_params_t *p, const int16_t *in, int16_t *out)
{
    for (int32_t base = 0; base < p->size; base += p->window_size) {
        for (int32_t i = 0; i < p->window_size; i++) {
            int32_t v = ((int32_t)in[base + i] * (int32_t)p->window[i]) >> p->shift;
            v = v < -32768 ? -32768 : (v > 32767 ? 32767 : v);
            out[base + i] = (int16_t)v;
        }
    }
}
