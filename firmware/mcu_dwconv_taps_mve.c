/*
 * Helium (Cortex-M55) depthwise conv, depth multiplier 1, for narrow outputs (mcu_dwconv_taps_s8_mve; the
 * codegen takes it where mcu_dwconv_groups_s8_mve's 4-pixel row blocks find fewer than 4 output columns
 * whose taps are all inside, e.g. DS-CNN's 25 x 5 maps). One output pixel at a time: a table of its valid
 * taps (input and filter pointers) made once, then per 16 channels one pass over the taps, per tap 2 x 8
 * channels: widening loads of input and filter to int16 lanes (VLDRB.S16), the input offset added, the even
 * and odd lanes' products widened to int32 by VMULLB/VMULLT and added to 4 accumulators (MVE has no
 * lane-by-lane multiply-accumulate); requantised per 8 channels with the multipliers and shifts
 * de-interleaved by VLD2 and stored back in channel order by VMOVNB/VMOVNT. At pixels whose taps are all inside
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

/* 8 channels from ch: the even ones' sums e, the odd ones' o (VMULLB/VMULLT lanes), requantised with the
 * channels' multipliers and shifts (de-interleaved by VLD2) and stored in channel order (VMOVNB/VMOVNT) */
__attribute__((always_inline)) static inline void dwt_store8(const dwt_rq_t *r, int32x4_t e, int32x4_t o, int32_t ch,
                                                             int8_t *out)
{
    const int32x4x2_t m = vld2q_s32(r->mult + ch), s = vld2q_s32(r->shift + ch);
    e = mcu_mve_requant4(e, m.val[0], s.val[0], r->offset, r->lo, r->hi);
    o = mcu_mve_requant4(o, m.val[1], s.val[1], r->offset, r->lo, r->hi);
    vstrbq_s16(out + ch, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), e), o));
}

/* one tap of 16 channels: x, f the tap's input and filter at the pass's first channel; int16 lanes (the
 * input offset added when off_add), widening multiplies of the even and odd lanes into e0/o0 (channels 0-7)
 * and e1/o1 (8-15) */
#define DWT_TAP16(x, f, off_add, off)                                                        \
    do {                                                                                  \
        int16x8_t xa_ = vldrbq_s16(x), wa_ = vldrbq_s16(f);                               \
        if (off_add) xa_ = vaddq_n_s16(xa_, (int16_t)(off));                              \
        e0 = vaddq_s32(e0, vmullbq_int_s16(xa_, wa_));                                    \
        o0 = vaddq_s32(o0, vmulltq_int_s16(xa_, wa_));                                    \
        int16x8_t xb_ = vldrbq_s16((x) + 8), wb_ = vldrbq_s16((f) + 8);                   \
        if (off_add) xb_ = vaddq_n_s16(xb_, (int16_t)(off));                              \
        e1 = vaddq_s32(e1, vmullbq_int_s16(xb_, wb_));                                    \
        o1 = vaddq_s32(o1, vmulltq_int_s16(xb_, wb_));                                    \
    } while (0)

/* one pass of 16 channels over the n taps at xp[t] + ch, fp[t] + ch (absolute pointers), the input offset
 * added to each input; the sums start at the bias (or 0) */
__attribute__((always_inline)) static inline void dwt_pass16(const dwt_rq_t *r, const int8_t *const *xp,
                                                             const int8_t *const *fp, int32_t n, int32_t ch,
                                                             const int32_t *bias, int8_t *o)
{
    int32x4_t e0, o0, e1, o1;
    if (bias != NULL) {
        const int32x4x2_t b0 = vld2q_s32(bias + ch), b1 = vld2q_s32(bias + ch + 8);
        e0 = b0.val[0], o0 = b0.val[1], e1 = b1.val[0], o1 = b1.val[1];
    } else {
        e0 = o0 = e1 = o1 = vdupq_n_s32(0);
    }
    const int32_t off = r->off;
    for (int32_t t = 0; t < n; ++t) {
        DWT_TAP16(xp[t] + ch, fp[t] + ch, 1, off);
    }
    dwt_store8(r, e0, o0, ch, o);
    dwt_store8(r, e1, o1, ch + 8, o);
}

/* one pass of 16 channels at a pixel whose taps are all inside: tap t at x + xrel[t] (x: the window's first
 * tap, channel ch), the filter rows one after the other; the starting sums ks hold the input offset */
static inline void dwt_full16(const dwt_rq_t *r, const int8_t *x, const int32_t *xrel, const int8_t *f, int32_t n,
                              int32_t c, int32_t ch, const int32_t *ks, int8_t *o)
{
    const int32x4x2_t k0 = vld2q_s32(ks + ch), k1 = vld2q_s32(ks + ch + 8);
    int32x4_t e0 = k0.val[0], o0 = k0.val[1], e1 = k1.val[0], o1 = k1.val[1];
    for (int32_t t = 0; t < n; ++t, f += c) {
        DWT_TAP16(x + xrel[t], f, 0, 0);
    }
    dwt_store8(r, e0, o0, ch, o);
    dwt_store8(r, e1, o1, ch + 8, o);
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
                        dwt_pass16(&r, xp, fp, n, ch, bias, o);
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
