/*
 * TRANSPOSE_CONV 16x8: int16 activations (zero point 0), int8 weights, int64 bias, as TFLite Micro's
 * reference TransposeConv for int16 input (int64 sums, MultiplyByQuantizedMultiplier of an int64, clamp).
 * Each output element gathers its taps (as mcu_transpose_conv_s8 does: the same integer sums as
 * TFLite's scatter into an int64 buffer, no scratch). Input pixel (iy, ix) with filter tap (ky, kx)
 * lands on output (iy * stride_h - pad_top + ky, ix * stride_w - pad_left + kx).
 */
#include "mcu_nn.h"

/* Taps k in [0, taps) with (o + pad - k) divisible by stride and (o + pad - k) / stride in
 * [0, in_size): the first such k, and the input index it reads. Returns 0 when there is none. */
static int32_t first_tap(int32_t o, int32_t pad, int32_t stride, int32_t taps, int32_t in_size,
                         int32_t *k0, int32_t *i0)
{
    const int32_t t = o + pad;                   /* = i * stride + k */
    int32_t k = t % stride;                      /* t >= 0 is not guaranteed: fix the sign */
    if (k < 0) {
        k += stride;
    }
    int32_t i = (t - k) / stride;
    if (i >= in_size) {                          /* skip taps whose input index is too large */
        const int32_t skip = i - (in_size - 1);
        k += skip * stride;
        i -= skip;
    }
    if (k >= taps || i < 0) {
        return 0;
    }
    *k0 = k;
    *i0 = i;
    return 1;
}

void mcu_transpose_conv_s16(const mcu_conv_params_t *p, const int16_t *in, const int8_t *filter,
                            const int64_t *bias, int16_t *out)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int32_t sh = p->stride_h, sw = p->stride_w;
    const size_t filter_stride = (size_t)kh * (size_t)kw * (size_t)in_c;

    for (int32_t b = 0; b < p->in.n; ++b) {
        const int16_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            int32_t ky0 = 0, iy0 = 0;
            const int32_t has_y = first_tap(oy, p->pad_top, sh, kh, in_h, &ky0, &iy0);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                int32_t kx0 = 0, ix0 = 0;
                const int32_t has_x = first_tap(ox, p->pad_left, sw, kw, in_w, &kx0, &ix0);
                int16_t *o = out + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox)
                                   * (size_t)out_c;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *f_oc = filter + (size_t)oc * filter_stride;
                    int64_t acc = 0;
                    if (has_y && has_x) {
                        for (int32_t ky = ky0, iy = iy0; ky < kh && iy >= 0; ky += sh, --iy) {
                            for (int32_t kx = kx0, ix = ix0; kx < kw && ix >= 0; kx += sw, --ix) {
                                const int16_t *x = in_b + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c;
                                const int8_t *f = f_oc + ((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)in_c;
                                for (int32_t ic = 0; ic < in_c; ++ic) {
                                    acc += (int64_t)((int32_t)x[ic] * (int32_t)f[ic]);
                                }
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    const int32_t r = mcu_requant64(acc, p->out_mult[oc], p->out_shift[oc]);
                    o[oc] = (int16_t)mcu_clamp(r, p->act_min, p->act_max);
                }
            }
        }
    }
}
