/* CUMSUM (int8, one axis, exclusive / reverse) with TFLite Micro's arithmetic (reference_ops::CumSum for
 * int8): every input shifted left by 20 and halved, the running int32 sum started at the scaled value of
 * -zero point (as TFLite starts it) and wrapping as TFLite's does, each partial sum rescaled to the output. */
#include "mcu_nn.h"

static inline int32_t cumsum_scaled(const mcu_cumsum_params_t *p, int32_t q)
{
    return mcu_requant((q + p->input_offset) * (1 << p->left_shift), p->in_mult, p->in_shift);
}

void mcu_cumsum_s8(const mcu_cumsum_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t start = cumsum_scaled(p, 0);
    const ptrdiff_t step = p->after;
    for (int32_t b = 0; b < p->before; ++b) {
        for (int32_t a = 0; a < p->after; ++a) {
            const ptrdiff_t base = (ptrdiff_t)b * p->depth * p->after + a;
            uint32_t acc = (uint32_t)start;
            for (int32_t k = 0; k < p->depth; ++k) {
                const ptrdiff_t i = base + (p->reverse ? (p->depth - 1 - k) : k) * step;
                const uint32_t v = (uint32_t)cumsum_scaled(p, in[i]);
                int32_t s;
                if (p->exclusive) {
                    s = (int32_t)acc;
                    acc += v;
                } else {
                    acc += v;
                    s = (int32_t)acc;
                }
                out[i] = (int8_t)mcu_clamp(mcu_requant(s, p->out_mult, p->out_shift) + p->output_offset, -128, 127);
            }
        }
    }
}
