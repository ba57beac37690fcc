/*
 * Convolution 16x8 with an int32 bias: int16 activations (zero point 0), int8 weights, as TFLite Micro's
 * reference ConvPerChannel<int32_t> (the form it takes for an int32 bias): int32 sums (wrapping; the products
 * are summed in int64 and the total wrapped to 32 bits, which equals the wrapped running sum), the int32
 * double-rounding MultiplyByQuantizedMultiplier (out_mult / out_shift as the int8 kernels take them), clamp.
 * Padding is implicit and four-sided: taps outside the input are skipped (the same as zero padding).
 */
#include "mcu_conv_internal.h"

void mcu_conv_s16_b32(const mcu_conv_params_t *p, const int16_t *in, const int8_t *filter, const int32_t *bias,
                      int16_t *out)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const size_t filter_stride = (size_t)kh * (size_t)kw * (size_t)in_c;

    for (int32_t b = 0; b < p->in.n; ++b) {
        const int16_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
            const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int32_t kx0 = first_tap(ix0, p->dilation_w, kw);
                const int32_t kx1 = end_tap(ix0, p->dilation_w, kw, in_w);
                int16_t *o = out + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox)
                                   * (size_t)out_c;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *f_oc = filter + (size_t)oc * filter_stride;
                    int64_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            const int16_t *x = in_b + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c;
                            const int8_t *f = f_oc + ((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)in_c;
                            for (int32_t ic = 0; ic < in_c; ++ic) {
                                acc += (int64_t)((int32_t)f[ic] * (int32_t)x[ic]);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    const int32_t acc32 = (int32_t)(uint32_t)(uint64_t)acc;
                    const int32_t r = mcu_requant(acc32, p->out_mult[oc], p->out_shift[oc]);
                    o[oc] = (int16_t)mcu_clamp(r, p->act_min, p->act_max);
                }
            }
        }
    }
}
