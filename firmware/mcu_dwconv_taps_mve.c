/*
 * Helium (Cortex-M55) depthwise conv, depth multiplier 1, for narrow outputs (mcu_dwconv_taps_s8_mve; the
 * codegen takes it where mcu_dwconv_groups_s8_mve's 4-pixel row blocks find fewer than 4 output columns
 * whose taps are all inside, e.g. DS-CNN's 25 x 5 maps). One output pixel at a time: a table of its valid
 * taps (input and filter offsets) made once, then per 16 channels one pass over the taps, 4 int32
 * accumulators of 4 lanes each, per tap 4 widening loads of input and filter (VLDRB.S32), the input offset
 * added, VMUL and VADD (MVE has no lane-by-lane multiply-accumulate); channels past the last 16 by
 * predicated passes of 4. Requantised 4 lanes at a time (mcu_mve_requant4). Padded taps are skipped.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

#define DWT_TAPS 64                     /* the largest window kh kw (the codegen's MVE_DWT_TAPS) */

static inline int32x4_t dwt_rq(const mcu_conv_params_t *p, int32x4_t acc, int32_t ch, mve_pred16_t pr)
{
    return mcu_mve_requant4(acc, vldrwq_z_s32(p->out_mult + ch, pr), vldrwq_z_s32(p->out_shift + ch, pr),
                            p->output_offset, p->act_min, p->act_max);
}

void mcu_dwconv_taps_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                            const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    const int32_t in_h = p->in.h, in_w = p->in.w, c = p->in.c, kh = p->filter.h, kw = p->filter.w;
    const int32_t off = p->input_offset, c16 = c & ~15;
    int32_t xo[DWT_TAPS], fo[DWT_TAPS];
    int8_t *o = out;
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)c;
        for (int32_t oy = 0; oy < p->out.h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->out.w; ++ox, o += c) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t n = 0;
                for (int32_t ky = 0; ky < kh; ++ky) {
                    const int32_t iy = iy0 + ky * p->dilation_h;
                    if (iy < 0 || iy >= in_h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < kw; ++kx) {
                        const int32_t ix = ix0 + kx * p->dilation_w;
                        if (ix >= 0 && ix < in_w) {
                            xo[n] = (iy * in_w + ix) * c;
                            fo[n++] = (ky * kw + kx) * c;
                        }
                    }
                }
                int32_t ch = 0;
                for (; ch < c16; ch += 16) {
                    int32x4_t a0, a1, a2, a3;
                    if (bias != NULL) {
                        a0 = vldrwq_s32(bias + ch);
                        a1 = vldrwq_s32(bias + ch + 4);
                        a2 = vldrwq_s32(bias + ch + 8);
                        a3 = vldrwq_s32(bias + ch + 12);
                    } else {
                        a0 = a1 = a2 = a3 = vdupq_n_s32(0);
                    }
                    const int8_t *x = in_b + ch, *f = filter + ch;
                    for (int32_t t = 0; t < n; ++t) {
                        const int8_t *xt = x + xo[t], *ft = f + fo[t];
                        a0 = vaddq_s32(a0, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt), off), vldrbq_s32(ft)));
                        a1 = vaddq_s32(a1, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt + 4), off), vldrbq_s32(ft + 4)));
                        a2 = vaddq_s32(a2, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt + 8), off), vldrbq_s32(ft + 8)));
                        a3 = vaddq_s32(a3, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt + 12), off), vldrbq_s32(ft + 12)));
                    }
                    const mve_pred16_t all = vctp32q(4);
                    vstrbq_s32(o + ch, dwt_rq(p, a0, ch, all));
                    vstrbq_s32(o + ch + 4, dwt_rq(p, a1, ch + 4, all));
                    vstrbq_s32(o + ch + 8, dwt_rq(p, a2, ch + 8, all));
                    vstrbq_s32(o + ch + 12, dwt_rq(p, a3, ch + 12, all));
                }
                for (; ch < c; ch += 4) {                      /* the last 1..15 channels, 4 at a time */
                    const mve_pred16_t pr = vctp32q((uint32_t)(c - ch));
                    int32x4_t a = bias != NULL ? vldrwq_z_s32(bias + ch, pr) : vdupq_n_s32(0);
                    const int8_t *x = in_b + ch, *f = filter + ch;
                    for (int32_t t = 0; t < n; ++t) {
                        a = vaddq_s32(a, vmulq_s32(vaddq_n_s32(vldrbq_z_s32(x + xo[t], pr), off),
                                                   vldrbq_z_s32(f + fo[t], pr)));
                    }
                    vstrbq_p_s32(o + ch, dwt_rq(p, a, ch, pr), pr);
                }
            }
        }
    }
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_dwconv_taps_s8_mve)
