/* QUANTIZE / DEQUANTIZE with int16 activations (16x8 quantisation), TFLite Micro reference arithmetic:
 * float <-> int16 (AffineQuantize / Dequantize) and the integer requantisations int8 <-> int16,
 * int16 -> int16 (reference_ops::Requantize). */
#include "mcu_nn.h"

void mcu_dequantize_s16_f32(const mcu_dequantize_params_t *p, const int16_t *in, float *out)
{
    /* TFLite computes (float)((double)scale * (in - zp)). |in - zp| < 2^17 and scale has 24 significant
     * bits, so the product is exact in double and the float product is the same correctly rounded value. */
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = p->scale * (float)((int32_t)in[i] - p->zero_point);
    }
}

void mcu_quantize_f32_s16(const mcu_quantize_params_t *p, const float *in, int16_t *out)
{
    /* round(in / scale) in float (half away from zero) + zp, saturated; NaN gives -32768 */
    for (int32_t i = 0; i < p->size; ++i) {
        const float q = in[i] / p->scale;
        int32_t r;
        if (q > 100000.0f) {
            r = 100000;
        } else if (q >= -100000.0f) {
            r = (int32_t)q;                      /* truncates toward zero */
            const float frac = q - (float)r;     /* exact: |q| < 2^23 here */
            if (frac >= 0.5f) {
                r += 1;
            } else if (frac <= -0.5f) {
                r -= 1;
            }
        } else {
            r = -100000;                         /* also NaN */
        }
        out[i] = (int16_t)mcu_clamp(r + p->zero_point, -32768, 32767);
    }
}

static int32_t requantize_one(const mcu_requantize_params_t *p, int32_t x)
{
    const int32_t r = mcu_requant(x - p->in_zero_point, p->mult, p->shift) + p->out_zero_point;
    return mcu_clamp(r, p->out_min, p->out_max);
}

void mcu_requantize_s8_s16(const mcu_requantize_params_t *p, const int8_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = (int16_t)requantize_one(p, in[i]);
    }
}

void mcu_requantize_s16_s8(const mcu_requantize_params_t *p, const int16_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = (int8_t)requantize_one(p, in[i]);
    }
}

void mcu_requantize_s16_s16(const mcu_requantize_params_t *p, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = (int16_t)requantize_one(p, in[i]);
    }
}
