/* QUANTIZE float -> int8 and DEQUANTIZE int8 -> float (int8 -> int8 QUANTIZE: mcu_lut_s8),
 * TFLite Micro reference arithmetic. */
#include "mcu_nn.h"

void mcu_dequantize_s8_f32(const mcu_dequantize_params_t *p, const int8_t *in, float *out)
{
    /* TFLite computes (float)((double)scale * (in - zp)). |in - zp| <= 255, so the product is exact
     * in double and the float product below is the same single correctly rounded value. */
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = p->scale * (float)((int32_t)in[i] - p->zero_point);
    }
}

void mcu_quantize_f32_s8(const mcu_quantize_params_t *p, const float *in, int8_t *out)
{
    /* reference_ops::AffineQuantize: round(in / scale) in float (half away from zero) + zp, clamp.
     * Values far outside the int8 range saturate (also +-inf); NaN gives -128. */
    for (int32_t i = 0; i < p->size; ++i) {
        const float q = in[i] / p->scale;
        int32_t r;
        if (q > 1000.0f) {
            r = 1000;
        } else if (q >= -1000.0f) {
            r = (int32_t)q;                      /* truncates toward zero */
            const float frac = q - (float)r;     /* exact: |q| < 2^23 here */
            if (frac >= 0.5f) {
                r += 1;
            } else if (frac <= -0.5f) {
                r -= 1;
            }
        } else {
            r = -1000;                           /* also NaN */
        }
        out[i] = (int8_t)mcu_clamp(r + p->zero_point, -128, 127);
    }
}
