/*
 * Helium's window kernel: mcu_depthwise_win_mve (its windows gathered by
 * mcu_conv_win_dsp.c's mcu_win_build, mcu_win_build_inside).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_DSP) && defined(MCU_NN_MVE)
/*
 * Helium: depthwise by windows (multiplier > 1, in.c <= 4; convs take mcu_conv_im2col_mve.c). Each output
 * pixel's window (of one input channel) is gathered as for the DSP window kernels (int8, not widened; taps
 * outside the input hold the zero point), then 4 output channels at a time by mcu_mve_dot4 over the
 * chunk's filter rows (transposed at compile time: p->win_w, n bytes each), the input offset as offset * (sum of the row) in the
 * accumulator's start (so (x + offset) w summed over every tap, padding included, where it is 0),
 * requantised 4 lanes at a time (mcu_mve_requant4).
 */
#define WIN_MVE_CH 16                   /* output channels per chunk */

/* Output channels [oc0, oc0 + nch) (nch <= WIN_MVE_CH) of every output pixel: windows from s (s->tc
 * channels a tap), filter rows w (n bytes each, n apart), accumulator starts init. */
static void win_mve_run(const mcu_conv_params_t *p, const win_src_t *s, const int8_t *w, int32_t n,
                        const int32_t *init, int32_t oc0, int32_t nch, int8_t *out_b)
{
    const int32_t kh = p->filter.h, kw = p->filter.w, out_c = p->out.c;
    const int32_t in_w = p->in.w, in_c = p->in.c, out_h = p->out.h, out_w = p->out.w, row = kw * s->tc;
    const int runs = p->dilation_w == 1 && s->tc == in_c;     /* a filter row's taps: one run of input */
    const size_t step = (size_t)p->dilation_h * (size_t)in_w * (size_t)in_c;
    const size_t last_run = (size_t)(kh - 1) * step + (size_t)((row + 3) & ~3);
    int8_t raw[WIN_MAXN + 8] = {0};
    for (int32_t oy = 0; oy < out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int rows_inside = runs && iy0 >= 0 && iy0 + (kh - 1) * p->dilation_h < p->in.h;
        int8_t *o = out_b + (size_t)oy * (size_t)out_w * (size_t)out_c + (size_t)oc0;
        for (int32_t ox = 0; ox < out_w; ++ox, o += out_c) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            if (rows_inside && ix0 >= 0 && ix0 + kw <= in_w) {
                const int8_t *src = s->src + ((size_t)iy0 * (size_t)in_w + (size_t)ix0) * (size_t)in_c;
                mcu_win_build_inside(s, src, step, kh, row, src + last_run <= s->end, raw, NULL);
            } else {
                mcu_win_build(p, s, iy0, ix0, raw, NULL);
            }
            for (int32_t c = 0; c < nch; c += 4) {
                const int32_t lanes = nch - c < 4 ? nch - c : 4;
                const mve_pred16_t pr = vctp32q((uint32_t)lanes);
                const int8_t *f0 = w + (size_t)c * (size_t)n;        /* lanes past nch repeat the last */
                const int8_t *f1 = f0 + (lanes > 1 ? n : 0), *f2 = f0 + (lanes > 2 ? 2 : lanes - 1) * n;
                const int8_t *f3 = f0 + (lanes - 1) * n;
                const int32x4_t acc = mcu_mve_dot4(raw, f0, f1, f2, f3, n, vldrwq_z_s32(init + c, pr));
                const int32x4_t y = mcu_mve_requant4(acc, vldrwq_z_s32(p->out_mult + oc0 + c, pr),
                                                     vldrwq_z_s32(p->out_shift + oc0 + c, pr),
                                                     p->output_offset, p->act_min, p->act_max);
                vstrbq_p_s32(o + c, y, pr);
            }
        }
    }
}

/* Helium depthwise by windows: the channels' taps transposed at compile time (p->win_w: channel c's n
 * taps at byte c * n), chunks of WIN_MVE_CH of one input channel's, bias + offset * (sum of the taps) as
 * each channel's start. */
void mcu_depthwise_win_mve(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out)
{
    const int32_t kh = p->filter.h, kw = p->filter.w, n = kh * kw, out_c = p->out.c, m = p->depth_multiplier;
    const int32_t in_c = p->in.c;
    const size_t in_size = (size_t)p->in.h * (size_t)p->in.w * (size_t)in_c;
    const size_t out_size = (size_t)p->out.h * (size_t)p->out.w * (size_t)out_c;
    const int8_t *const rows = (const int8_t *)(const void *)p->win_w;
    win_src_t s = {in, in, 1, n, (n + 3) >> 2, 0, (int8_t)(-p->input_offset)};
    int32_t init[WIN_MVE_CH];
    for (int32_t ic = 0; ic < in_c; ++ic) {
        for (int32_t j0 = 0; j0 < m; j0 += WIN_MVE_CH) {
            const int32_t nch = m - j0 < WIN_MVE_CH ? m - j0 : WIN_MVE_CH, oc0 = ic * m + j0;
            const int8_t *const w = rows + (size_t)oc0 * (size_t)n;
            for (int32_t j = 0; j < nch; ++j) {     /* bias + offset * the sum of channel oc0 + j's taps */
                const int32_t sum = mcu_sum_s8(w + (size_t)j * (size_t)n, n);
                init[j] = (int32_t)((uint32_t)(bias != NULL ? bias[oc0 + j] : 0)
                                    + (uint32_t)p->input_offset * (uint32_t)sum);
            }
            for (int32_t b = 0; b < p->in.n; ++b) {
                s.src = in + (size_t)b * in_size + (size_t)ic;
                s.end = in + (size_t)(b + 1) * in_size;
                win_mve_run(p, &s, w, n, init, oc0, nch, out + (size_t)b * out_size);
            }
        }
    }
}
void mcu_dwconv_win_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                           const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)filter;
    (void)scratch;
    mcu_depthwise_win_mve(p, in, bias, out);
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_DSP && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_dwconv_win_s8_mve)
