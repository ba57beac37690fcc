/*
 * Convolution, int8 activations and weights, int32 bias: TFLite's reference loops
 * (per-output-channel double-rounding requantisation), for any shape. mcucompile calls this variant for
 * --kernels reference and for the shapes no faster variant takes (firmware/mcu_nn.h lists them).
 *
 * Padding is implicit: window taps that fall outside the input are skipped, which is the same as
 * padding with the input zero point (their (x + input_offset) term is 0). The window of output
 * (oy, ox) starts at input row oy * stride_h - pad_top and column ox * stride_w - pad_left.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

void mcu_conv_ref_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                     int8_t *out, int16_t *scratch)
{
    (void)scratch;
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const size_t filter_stride = (size_t)kh * (size_t)kw * (size_t)in_c;

    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
            const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int32_t kx0 = first_tap(ix0, p->dilation_w, kw);
                const int32_t kx1 = end_tap(ix0, p->dilation_w, kw, in_w);
                int8_t *o = out + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox)
                                  * (size_t)out_c;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *f_oc = filter + (size_t)oc * filter_stride;
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            const int8_t *x = in_b + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c;
                            const int8_t *f = f_oc + ((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)in_c;
                            for (int32_t ic = 0; ic < in_c; ++ic) {
                                acc += (int32_t)f[ic] * ((int32_t)x[ic] + p->input_offset);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    acc = mcu_requant(acc, p->out_mult[oc], p->out_shift[oc]) + p->output_offset;
                    o[oc] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

MCU_NO_SCRATCH(mcu_conv_ref_s8)
