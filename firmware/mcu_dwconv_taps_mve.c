/*
 * Helium (Cortex-M55) depthwise conv, depth multiplier 1, for narrow outputs (mcu_dwconv_taps_s8_mve; the
 * codegen takes it where mcu_dwconv_groups_s8_mve's 4-pixel row blocks find fewer than 4 output columns
 * whose taps are all inside, e.g. DS-CNN's 25 x 5 maps). One output pixel at a time: a table of its valid
 * taps (input and filter pointers) made once, then per 16 channels one pass over the taps, 4 int32
 * accumulators of 4 lanes each, per tap 4 widening loads of input and filter (VLDRB.S32), the input offset
 * added, VMUL and VADD (MVE has no lane-by-lane multiply-accumulate). At pixels whose taps are all inside
 * the input offset is folded into the starting sums instead (bias + input_offset * the channel's weight
 * sum, made once per call on the stack when at least 3 pixels are such and there are at most DWT_KS_MAX
 * channels): no add per tap, the taps read through one per-call table of offsets from the window's first
 * and the filter rows walked in order. Channels past the last 16 by predicated passes of 4. Requantised 4
 * lanes at a time (mcu_mve_requant4). Padded taps are skipped.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

#define DWT_TAPS 64                     /* the largest window kh kw (the codegen's MVE_DWT_TAPS) */

#define DWT_KS_MAX 256                  /* the most channels whose folded kernel sums the stack holds */

typedef struct {
    const int32_t *mult, *shift;
    int32_t offset, lo, hi, off;
} dwt_rq_t;

/* 4 lanes requantised with the channels' multipliers and shifts (a whole 4: unpredicated loads) */
__attribute__((always_inline)) static inline int32x4_t dwt_rq(const dwt_rq_t *r, int32x4_t acc, int32_t ch)
{
    return mcu_mve_requant4(acc, vldrwq_s32(r->mult + ch), vldrwq_s32(r->shift + ch), r->offset, r->lo, r->hi);
}

/* one pass of 16 channels over the n taps at xp[t] + ch, fp[t] + ch (absolute pointers); fold: the input
 * offset is in the starting sums a (every tap inside), else added to each input */
__attribute__((always_inline)) static inline void dwt_pass16(const dwt_rq_t *r, const int8_t *const *xp,
                                                             const int8_t *const *fp, int32_t n, int32_t ch,
                                                             const int32_t *start, int8_t *o, int fold)
{
    int32x4_t a0, a1, a2, a3;
    if (start != NULL) {
        a0 = vldrwq_s32(start + ch);
        a1 = vldrwq_s32(start + ch + 4);
        a2 = vldrwq_s32(start + ch + 8);
        a3 = vldrwq_s32(start + ch + 12);
    } else {
        a0 = a1 = a2 = a3 = vdupq_n_s32(0);
    }
    const int32_t off = r->off;
    for (int32_t t = 0; t < n; ++t) {
        const int8_t *xt = xp[t] + ch, *ft = fp[t] + ch;
        if (fold) {
            a0 = vaddq_s32(a0, vmulq_s32(vldrbq_s32(xt), vldrbq_s32(ft)));
            a1 = vaddq_s32(a1, vmulq_s32(vldrbq_s32(xt + 4), vldrbq_s32(ft + 4)));
            a2 = vaddq_s32(a2, vmulq_s32(vldrbq_s32(xt + 8), vldrbq_s32(ft + 8)));
            a3 = vaddq_s32(a3, vmulq_s32(vldrbq_s32(xt + 12), vldrbq_s32(ft + 12)));
        } else {
            a0 = vaddq_s32(a0, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt), off), vldrbq_s32(ft)));
            a1 = vaddq_s32(a1, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt + 4), off), vldrbq_s32(ft + 4)));
            a2 = vaddq_s32(a2, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt + 8), off), vldrbq_s32(ft + 8)));
            a3 = vaddq_s32(a3, vmulq_s32(vaddq_n_s32(vldrbq_s32(xt + 12), off), vldrbq_s32(ft + 12)));
        }
    }
    vstrbq_s32(o + ch, dwt_rq(r, a0, ch));
    vstrbq_s32(o + ch + 4, dwt_rq(r, a1, ch + 4));
    vstrbq_s32(o + ch + 8, dwt_rq(r, a2, ch + 8));
    vstrbq_s32(o + ch + 12, dwt_rq(r, a3, ch + 12));
}

/* one pass of 16 channels at a pixel whose taps are all inside: tap t at x + xrel[t] (x: the window's first
 * tap, channel ch), the filter rows one after the other; the starting sums ks hold the input offset */
static inline void dwt_full16(const dwt_rq_t *r, const int8_t *x, const int32_t *xrel, const int8_t *f, int32_t n,
                              int32_t c, int32_t ch, const int32_t *ks, int8_t *o)
{
    int32x4_t a0 = vldrwq_s32(ks + ch), a1 = vldrwq_s32(ks + ch + 4);
    int32x4_t a2 = vldrwq_s32(ks + ch + 8), a3 = vldrwq_s32(ks + ch + 12);
    for (int32_t t = 0; t < n; ++t, f += c) {
        const int8_t *xt = x + xrel[t];
        a0 = vaddq_s32(a0, vmulq_s32(vldrbq_s32(xt), vldrbq_s32(f)));
        a1 = vaddq_s32(a1, vmulq_s32(vldrbq_s32(xt + 4), vldrbq_s32(f + 4)));
        a2 = vaddq_s32(a2, vmulq_s32(vldrbq_s32(xt + 8), vldrbq_s32(f + 8)));
        a3 = vaddq_s32(a3, vmulq_s32(vldrbq_s32(xt + 12), vldrbq_s32(f + 12)));
    }
    vstrbq_s32(o + ch, dwt_rq(r, a0, ch));
    vstrbq_s32(o + ch + 4, dwt_rq(r, a1, ch + 4));
    vstrbq_s32(o + ch + 8, dwt_rq(r, a2, ch + 8));
    vstrbq_s32(o + ch + 12, dwt_rq(r, a3, ch + 12));
}

/* the outputs along one axis whose taps are all inside the input */
static int32_t dwt_full(int32_t n_out, int32_t stride, int32_t pad, int32_t k, int32_t dil, int32_t n_in)
{
    int32_t full = 0;
    for (int32_t o = 0; o < n_out; ++o) {
        const int32_t i0 = o * stride - pad;
        full += i0 >= 0 && i0 + (k - 1) * dil < n_in;
    }
    return full;
}

void mcu_dwconv_taps_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                            const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    const int32_t in_h = p->in.h, in_w = p->in.w, c = p->in.c, kh = p->filter.h, kw = p->filter.w;
    const int32_t off = p->input_offset, c16 = c & ~15, out_h = p->out.h, out_w = p->out.w;
    const int32_t stride_h = p->stride_h, stride_w = p->stride_w, dil_h = p->dilation_h, dil_w = p->dilation_w;
    const int32_t pad_top = p->pad_top, pad_left = p->pad_left;
    const dwt_rq_t r = {p->out_mult, p->out_shift, p->output_offset, p->act_min, p->act_max, off};
    const int8_t *xp[DWT_TAPS], *fp[DWT_TAPS];
    /* bias + input_offset * the channel's weight sum: the start of the pixels whose taps are all inside */
    int32_t ks[DWT_KS_MAX];
    /* worth its set-up (kh kw loads and adds per 4 channels, each full pixel saving as many): 3 full pixels */
    const int fold = c16 > 0 && c16 <= DWT_KS_MAX &&
                     p->in.n * dwt_full(out_h, stride_h, pad_top, kh, dil_h, in_h) *
                             dwt_full(out_w, stride_w, pad_left, kw, dil_w, in_w) >= 3;
    int32_t xrel[DWT_TAPS];                 /* a full window's taps relative to its first */
    if (fold) {
        for (int32_t ky = 0; ky < kh; ++ky) {
            for (int32_t kx = 0; kx < kw; ++kx) {
                xrel[ky * kw + kx] = (ky * dil_h * in_w + kx * dil_w) * c;
            }
        }
        for (int32_t ch = 0; ch < c16; ch += 4) {
            int32x4_t s = vdupq_n_s32(0);
            for (int32_t t = 0; t < kh * kw; ++t) {
                s = vaddq_s32(s, vldrbq_s32(filter + t * c + ch));
            }
            s = vmulq_n_s32(s, off);
            vstrwq_s32(ks + ch, bias != NULL ? vaddq_s32(s, vldrwq_s32(bias + ch)) : s);
        }
    }
    int8_t *o = out;
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * stride_h - pad_top;
            for (int32_t ox = 0; ox < out_w; ++ox, o += c) {
                const int32_t ix0 = ox * stride_w - pad_left;
                int32_t n = 0;
                for (int32_t ky = 0; ky < kh; ++ky) {
                    const int32_t iy = iy0 + ky * dil_h;
                    if (iy < 0 || iy >= in_h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < kw; ++kx) {
                        const int32_t ix = ix0 + kx * dil_w;
                        if (ix >= 0 && ix < in_w) {
                            xp[n] = in_b + (iy * in_w + ix) * c;
                            fp[n++] = filter + (ky * kw + kx) * c;
                        }
                    }
                }
                int32_t ch = 0;
                if (fold && n == kh * kw) {
                    const int8_t *x0 = in_b + (iy0 * in_w + ix0) * c;
                    for (; ch < c16; ch += 16) {
                        dwt_full16(&r, x0 + ch, xrel, filter + ch, n, c, ch, ks, o);
                    }
                } else {
                    for (; ch < c16; ch += 16) {
                        dwt_pass16(&r, xp, fp, n, ch, bias, o, 0);
                    }
                }
                for (; ch < c; ch += 4) {                      /* the last 1..15 channels, 4 at a time */
                    const mve_pred16_t pr = vctp32q((uint32_t)(c - ch));
                    int32x4_t a = bias != NULL ? vldrwq_z_s32(bias + ch, pr) : vdupq_n_s32(0);
                    for (int32_t t = 0; t < n; ++t) {
                        a = vaddq_s32(a, vmulq_s32(vaddq_n_s32(vldrbq_z_s32(xp[t] + ch, pr), off),
                                                   vldrbq_z_s32(fp[t] + ch, pr)));
                    }
                    a = mcu_mve_requant4(a, vldrwq_z_s32(r.mult + ch, pr), vldrwq_z_s32(r.shift + ch, pr),
                                         r.offset, r.lo, r.hi);
                    vstrbq_p_s32(o + ch, a, pr);
                }
            }
        }
    }
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_dwconv_taps_s8_mve)
