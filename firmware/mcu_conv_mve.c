/*
 * Helium (Cortex-M55, MCU_NN_MVE) conv kernels: the 1x1 conv (mcu_conv_1x1_mve, with or without the
 * dead-channel hint) and any conv with dilation_w 1 (mcu_conv_rows_mve), 4 output channels per pass by
 * mcu_mve_dot4. Helium's im2col conv: mcu_conv_im2col_mve.c.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

/* The per-pass constants of 4 output channels [oc, oc + lanes): their filter rows (rows past the end
 * repeat the last), bias, multipliers and shifts. */
typedef struct {
    const int8_t *f0, *f1, *f2, *f3;
    int32x4_t bias, mult, shift;
    mve_pred16_t pr;
} mve_pass_t;

static inline mve_pass_t mve_pass(const mcu_conv_params_t *p, const int8_t *filter, size_t filter_stride,
                                  const int32_t *bias, int32_t oc)
{
    const int32_t lanes = p->out.c - oc < 4 ? p->out.c - oc : 4;
    mve_pass_t s;
    s.pr = vctp32q((uint32_t)lanes);
    s.f0 = filter + (size_t)oc * filter_stride;
    s.f1 = s.f0 + (lanes > 1 ? filter_stride : 0);
    s.f2 = s.f0 + (size_t)(lanes > 2 ? 2 : lanes - 1) * filter_stride;
    s.f3 = s.f0 + (size_t)(lanes - 1) * filter_stride;
    s.bias = bias != NULL ? vldrwq_z_s32(bias + oc, s.pr) : vdupq_n_s32(0);
    s.mult = vldrwq_z_s32(p->out_mult + oc, s.pr);
    s.shift = vldrwq_z_s32(p->out_shift + oc, s.pr);
    return s;
}

/* mve_pass for the live channels live[i .. i + 4) of n (fewer at the end: the last row repeated), their
 * channel numbers in *ch (gathered loads; the outputs are scattered to them). */
static inline mve_pass_t mve_pass_live(const mcu_conv_params_t *p, const int8_t *filter, size_t filter_stride,
                                       const int32_t *bias, const uint16_t *live, int32_t n, int32_t i,
                                       uint32x4_t *ch)
{
    const int32_t lanes = n - i < 4 ? n - i : 4;
    mve_pass_t s;
    s.pr = vctp32q((uint32_t)lanes);
    *ch = vldrhq_z_u32(live + i, s.pr);
    s.f0 = filter + (size_t)live[i] * filter_stride;
    s.f1 = filter + (size_t)live[i + (lanes > 1 ? 1 : 0)] * filter_stride;
    s.f2 = filter + (size_t)live[i + (lanes > 2 ? 2 : lanes - 1)] * filter_stride;
    s.f3 = filter + (size_t)live[i + lanes - 1] * filter_stride;
    s.bias = bias != NULL ? vldrwq_gather_shifted_offset_z_s32(bias, *ch, s.pr) : vdupq_n_s32(0);
    s.mult = vldrwq_gather_shifted_offset_z_s32(p->out_mult, *ch, s.pr);
    s.shift = vldrwq_gather_shifted_offset_z_s32(p->out_shift, *ch, s.pr);
    return s;
}

/* conv_1x1_mve with the dead-channel hint (p->dead_out != NULL): every pixel first gets the dead channels'
 * constant row (16 bytes per store), then the passes run over 4 live channels each: per-pass constants
 * gathered, outputs scattered to the live channels' places (out of line: conv_1x1_mve's own loops stay as
 * they are without the hint). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void conv_1x1_mve_live(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out)
{
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const int32_t k = p->in.c, out_c = p->out.c, n_live = p->live_c;
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t c = 0; c < out_c; c += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(out_c - c));
        const int8x16_t v = vldrbq_z_s8(p->dead_out + c, pr);
        int8_t *o = out + c;
        for (int32_t px = 0; px < pixels; ++px, o += out_c) {
            vstrbq_p_s8(o, v, pr);
        }
    }
    for (int32_t i = 0; i < n_live; i += 4) {
        uint32x4_t ch;
        const mve_pass_t s = mve_pass_live(p, filter, (size_t)k, bias, p->live, n_live, i, &ch);
        const int32x4_t init = vaddq_s32(s.bias, vmulq_n_s32(mcu_mve_sum4(s.f0, s.f1, s.f2, s.f3, k,
                                                                          vdupq_n_s32(0)), p->input_offset));
        const int8_t *x = in;
        int8_t *o = out;
        for (int32_t px = 0; px < pixels; ++px, x += k, o += out_c) {
            const int32x4_t acc = mcu_mve_dot4(x, s.f0, s.f1, s.f2, s.f3, k, init);
            vstrbq_scatter_offset_p_s32(o, ch, mcu_mve_requant4(acc, s.mult, s.shift, off, lo, hi), s.pr);
        }
    }
}

/* Helium, 1x1 stride 1 unpadded: per pass of 4 output channels, every pixel by one mcu_mve_dot4 over the
 * input channels, the input offset folded into the bias once per pass (offset * sum of the weights). */
void mcu_conv_1x1_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                      int8_t *out)
{
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const int32_t k = p->in.c, out_c = p->out.c;
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    if (p->dead_out != NULL) {
        conv_1x1_mve_live(p, in, filter, bias, out);
        return;
    }
    for (int32_t oc = 0; oc < out_c; oc += 4) {
        const mve_pass_t s = mve_pass(p, filter, (size_t)k, bias, oc);
        const int32x4_t init = vaddq_s32(s.bias, vmulq_n_s32(mcu_mve_sum4(s.f0, s.f1, s.f2, s.f3, k,
                                                                          vdupq_n_s32(0)), p->input_offset));
        const int8_t *x = in;
        int8_t *o = out + oc;
        for (int32_t px = 0; px < pixels; ++px, x += k, o += out_c) {
            const int32x4_t acc = mcu_mve_dot4(x, s.f0, s.f1, s.f2, s.f3, k, init);
            vstrbq_p_s32(o, mcu_mve_requant4(acc, s.mult, s.shift, off, lo, hi), s.pr);
        }
    }
}

/*
 * Helium: any conv with dilation_w 1. Per pass of 4 output channels, every output pixel: each filter row's
 * contiguous run of valid taps by mcu_mve_dot4, the input offset added as offset * (sum of the weights
 * under the valid taps): the whole filter's sums, computed once per pass, for windows with every tap
 * valid; the valid runs' sums at the borders. Requantised 4 lanes at a time.
 */
void mcu_conv_rows_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                       int8_t *out)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int32_t off = p->input_offset;
    const size_t filter_stride = (size_t)kh * (size_t)kw * (size_t)in_c;

    for (int32_t oc = 0; oc < out_c; oc += 4) {
        const mve_pass_t s = mve_pass(p, filter, filter_stride, bias, oc);
        const int32x4_t full = vaddq_s32(s.bias, vmulq_n_s32(mcu_mve_sum4(s.f0, s.f1, s.f2, s.f3,
                                                                          (int32_t)filter_stride, vdupq_n_s32(0)), off));
        for (int32_t b = 0; b < p->in.n; ++b) {
            const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
            for (int32_t oy = 0; oy < out_h; ++oy) {
                const int32_t iy0 = oy * p->stride_h - p->pad_top;
                const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
                const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
                int8_t *o = out + ((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w * (size_t)out_c
                            + (size_t)oc;
                for (int32_t ox = 0; ox < out_w; ++ox, o += out_c) {
                    const int32_t ix0 = ox * p->stride_w - p->pad_left;
                    const int32_t kx0 = first_tap(ix0, 1, kw);
                    const int32_t kx1 = end_tap(ix0, 1, kw, in_w);
                    const int32_t run = (kx1 - kx0) * in_c;
                    const int whole = ky0 == 0 && ky1 == kh && kx0 == 0 && kx1 == kw;
                    int32x4_t acc = whole ? full : s.bias;
                    const int8_t *x = in_b + ((size_t)(iy0 + ky0 * p->dilation_h) * (size_t)in_w
                                              + (size_t)(ix0 + kx0)) * (size_t)in_c;
                    size_t f = ((size_t)ky0 * (size_t)kw + (size_t)kx0) * (size_t)in_c;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        acc = mcu_mve_dot4(x, s.f0 + f, s.f1 + f, s.f2 + f, s.f3 + f, run, acc);
                        if (!whole) {
                            acc = vaddq_s32(acc, vmulq_n_s32(mcu_mve_sum4(s.f0 + f, s.f1 + f, s.f2 + f, s.f3 + f,
                                                                          run, vdupq_n_s32(0)), off));
                        }
                        x += (size_t)p->dilation_h * (size_t)in_w * (size_t)in_c;
                        f += (size_t)kw * (size_t)in_c;
                    }
                    vstrbq_p_s32(o, mcu_mve_requant4(acc, s.mult, s.shift, p->output_offset, p->act_min,
                                                     p->act_max), s.pr);
                }
            }
        }
    }
}

void mcu_conv_1x1_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out, int16_t *scratch)
{
    (void)scratch;
    mcu_conv_1x1_mve(p, in, filter, bias, out);
}

void mcu_conv_rows_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                          int8_t *out, int16_t *scratch)
{
    (void)scratch;
    mcu_conv_rows_mve(p, in, filter, bias, out);
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_conv_1x1_s8_mve)

MCU_NO_SCRATCH(mcu_conv_rows_s8_mve)
