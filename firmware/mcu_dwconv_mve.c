/*
 * Helium depthwise conv, depth multiplier 1: channel groups of 4 int32 lanes outside, pixels inside
 * (mcu_depthwise_groups_mve).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)
/*
 * Helium depthwise, depth multiplier 1: channel groups of 4 int32 lanes outside (the tail group
 * predicated), pixels inside. Pixels whose window columns are all inside the input go 4 at a time
 * along the row over the row's valid taps (one loop over a table of their input offsets): per tap one
 * filter load (VLDRB.S32, widening) and 4 input loads into 4 VMUL + VADD (MVE has no lane-by-lane
 * multiply-accumulate), the input offset folded into the bias (offset * the sum of the valid taps);
 * the other pixels one at a time over their valid taps, the offset added to each input.
 * Requantisation 4 lanes at a time, its vectors made once per group.
 */
#define MVE_DWG_TAPS 25                 /* windows up to 25 taps: one loop over a table of input offsets */

typedef struct {
    int32x4_t bias, bias_in, mult, shift;   /* bias_in = bias + input offset * sum of the taps */
    int32x4_t left, right, o_off, lo, hi;   /* mcu_mve_requant4's per-call vectors, made once */
    mve_pred16_t pr;
} mve_dwg_t;

static MCU_ALWAYS_INLINE void mve_dwg_store(const mcu_conv_params_t *p, const mve_dwg_t *g, int32x4_t acc,
                                            int8_t *o, int tail)
{
    (void)p;                            /* mcu_mve_requant4 with its vectors from g */
    int32x4_t y = vqrdmulhq_s32(vshlq_s32(acc, g->left), g->mult);
    y = vrshlq_s32(vqaddq_s32(y, vshrq_n_s32(vandq_s32(y, g->right), 31)), g->right);
    y = vminq_s32(vmaxq_s32(vaddq_s32(y, g->o_off), g->lo), g->hi);
    if (tail) {
        vstrbq_p_s32(o, y, g->pr);
    } else {
        vstrbq_s32(o, y);
    }
}

/* mve_dwg_store for 4 pixels (outputs c bytes apart): the requantisation vectors loaded once */
static MCU_ALWAYS_INLINE void mve_dwg_store4(const mve_dwg_t *g, int32x4_t a0, int32x4_t a1, int32x4_t a2,
                                             int32x4_t a3, int8_t *o, int32_t c, int tail)
{
    int32x4_t acc[4] = {a0, a1, a2, a3};
    const int32x4_t left = g->left, mult = g->mult, right = g->right, o_off = g->o_off, lo = g->lo, hi = g->hi;
    for (int32_t j = 0; j < 4; ++j, o += c) {
        int32x4_t y = vqrdmulhq_s32(vshlq_s32(acc[j], left), mult);
        y = vrshlq_s32(vqaddq_s32(y, vshrq_n_s32(vandq_s32(y, right), 31)), right);
        y = vminq_s32(vmaxq_s32(vaddq_s32(y, o_off), lo), hi);
        if (tail) {
            vstrbq_p_s32(o, y, g->pr);
        } else {
            vstrbq_s32(o, y);
        }
    }
}

static MCU_ALWAYS_INLINE int32x4_t mve_dwg_ld(const int8_t *a, mve_pred16_t pr, int tail)
{
    return tail ? vldrbq_z_s32(a, pr) : vldrbq_s32(a);
}

static MCU_ALWAYS_INLINE void mve_dwg_run(const mcu_conv_params_t *p, const mve_dwg_t *g, const int8_t *in,
                                          const int8_t *filter, int8_t *out, int32_t ch, int tail)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w;
    const int32_t sw = p->stride_w, dw = p->dilation_w, off = p->input_offset;
    const size_t x_step = (size_t)dw * (size_t)c, x_row = (size_t)p->dilation_h * (size_t)in_w * (size_t)c;
    const size_t x_px = (size_t)sw * (size_t)c, f_row = (size_t)kw * (size_t)c;
    const mve_pred16_t pr = g->pr;
    int32_t ox_lo = p->pad_left > 0 ? (p->pad_left + sw - 1) / sw : 0;
    const int32_t last = in_w - 1 - (kw - 1) * dw + p->pad_left;
    int32_t ox_hi = last < 0 ? 0 : last / sw + 1;
    if (ox_hi > out_w) {
        ox_hi = out_w;
    }
    if (ox_lo > ox_hi) {
        ox_lo = ox_hi;
    }
    filter += ch;
    int32_t xoff[MVE_DWG_TAPS];             /* input offsets of the taps from the first valid row's first */
    if (kh * kw <= MVE_DWG_TAPS) {
        for (int32_t t = 0; t < kh * kw; ++t) {
            xoff[t] = (int32_t)((size_t)(t / kw) * x_row + (size_t)(t % kw) * x_step);
        }
    }
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)c + (size_t)ch;
        int8_t *out_b = out + (size_t)b * (size_t)out_h * (size_t)out_w * (size_t)c + (size_t)ch;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
            const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
            int8_t *o = out_b + (size_t)oy * (size_t)out_w * (size_t)c;
            const int8_t *x_row0 = in_b + (ky0 < ky1 ? (size_t)(iy0 + ky0 * p->dilation_h) * (size_t)in_w * (size_t)c : 0);
            const int8_t *f_row0 = filter + (size_t)ky0 * f_row;
            const int32_t nky = ky1 > ky0 ? ky1 - ky0 : 0;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                if (ox == ox_lo && nky > 0) {               /* the columns whose taps are all inside, 4 a pass */
                    const int8_t *x = x_row0 + (size_t)(ox * sw - p->pad_left) * (size_t)c;
                    int32x4_t bias_in = g->bias_in;
                    if (nky < kh) {                         /* offset * the sum of the valid rows' taps */
                        int32x4_t sum = vdupq_n_s32(0);
                        for (int32_t t = 0; t < nky * kw; ++t) {
                            sum = vaddq_s32(sum, mve_dwg_ld(f_row0 + (size_t)t * (size_t)c, pr, tail));
                        }
                        bias_in = vmlaq_n_s32(g->bias, sum, off);
                    }
                    const int32_t ntaps = nky * kw;
                    for (; ox + 4 <= ox_hi; ox += 4, x += 4 * x_px) {
                        int32x4_t a0 = bias_in, a1 = a0, a2 = a0, a3 = a0;
                        if (ntaps <= MVE_DWG_TAPS) {        /* one loop over the taps */
                            const int8_t *ft = f_row0;
                            for (int32_t t = 0; t < ntaps; ++t) {
                                const int8_t *x0 = x + xoff[t];
                                const int8_t *x1 = x0 + x_px, *x2 = x1 + x_px, *x3 = x2 + x_px;
                                const int32x4_t f = mve_dwg_ld(ft, pr, tail);
                                a0 = vaddq_s32(a0, vmulq_s32(mve_dwg_ld(x0, pr, tail), f));
                                a1 = vaddq_s32(a1, vmulq_s32(mve_dwg_ld(x1, pr, tail), f));
                                a2 = vaddq_s32(a2, vmulq_s32(mve_dwg_ld(x2, pr, tail), f));
                                a3 = vaddq_s32(a3, vmulq_s32(mve_dwg_ld(x3, pr, tail), f));
                                ft += c;
                            }
                        } else {
                            const int8_t *xr = x, *fr = f_row0;
                            for (int32_t ky = 0; ky < nky; ++ky) {
                                const int8_t *x0 = xr, *ft = fr;
                                for (int32_t kx = 0; kx < kw; ++kx) {
                                    const int8_t *x1 = x0 + x_px, *x2 = x1 + x_px, *x3 = x2 + x_px;
                                    const int32x4_t f = mve_dwg_ld(ft, pr, tail);
                                    a0 = vaddq_s32(a0, vmulq_s32(mve_dwg_ld(x0, pr, tail), f));
                                    a1 = vaddq_s32(a1, vmulq_s32(mve_dwg_ld(x1, pr, tail), f));
                                    a2 = vaddq_s32(a2, vmulq_s32(mve_dwg_ld(x2, pr, tail), f));
                                    a3 = vaddq_s32(a3, vmulq_s32(mve_dwg_ld(x3, pr, tail), f));
                                    x0 += x_step;
                                    ft += c;
                                }
                                xr += x_row;
                                fr += f_row;
                            }
                        }
                        mve_dwg_store4(g, a0, a1, a2, a3, o + (size_t)ox * (size_t)c, c, tail);
                    }
                    if (ox >= out_w) {
                        break;
                    }
                }
                const int32_t ix0 = ox * sw - p->pad_left;
                const int32_t kx0 = first_tap(ix0, dw, kw), kx1 = end_tap(ix0, dw, kw, in_w);
                const int32_t nkx = kx1 > kx0 ? kx1 - kx0 : 0;
                int32x4_t acc = g->bias;
                if (nkx > 0) {
                    const int8_t *xr = x_row0 + (size_t)(ix0 + kx0 * dw) * (size_t)c;
                    const int8_t *fr = f_row0 + (size_t)kx0 * (size_t)c;
                    for (int32_t ky = 0; ky < nky; ++ky) {
                        const int8_t *xt = xr, *ft = fr;
                        for (int32_t kx = 0; kx < nkx; ++kx) {
                            acc = vaddq_s32(acc, vmulq_s32(vaddq_n_s32(mve_dwg_ld(xt, pr, tail), off), mve_dwg_ld(ft, pr, tail)));
                            xt += x_step;
                            ft += c;
                        }
                        xr += x_row;
                        fr += f_row;
                    }
                }
                mve_dwg_store(p, g, acc, o + (size_t)ox * (size_t)c, tail);
            }
        }
    }
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline))
#endif
static void mve_dwg_full(const mcu_conv_params_t *p, const mve_dwg_t *g, const int8_t *in, const int8_t *filter,
                         int8_t *out, int32_t ch)
{
    mve_dwg_run(p, g, in, filter, out, ch, 0);
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline))
#endif
static void mve_dwg_tail(const mcu_conv_params_t *p, const mve_dwg_t *g, const int8_t *in, const int8_t *filter,
                         int8_t *out, int32_t ch)
{
    mve_dwg_run(p, g, in, filter, out, ch, 1);
}

/* Depth multiplier 1, every channel. */
void mcu_depthwise_groups_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out)
{
    const int32_t c = p->out.c, taps = p->filter.h * p->filter.w;
    for (int32_t ch = 0; ch < c; ch += 4) {
        const int32_t lanes = c - ch < 4 ? c - ch : 4;
        mve_dwg_t g;
        g.pr = vctp32q((uint32_t)lanes);
        g.bias = bias != NULL ? vldrwq_z_s32(bias + ch, g.pr) : vdupq_n_s32(0);
        g.mult = vldrwq_z_s32(p->out_mult + ch, g.pr);
        g.shift = vldrwq_z_s32(p->out_shift + ch, g.pr);
        g.left = vmaxq_s32(g.shift, vdupq_n_s32(0));
        g.right = vminq_s32(g.shift, vdupq_n_s32(0));
        g.o_off = vdupq_n_s32(p->output_offset);
        g.lo = vdupq_n_s32(p->act_min);
        g.hi = vdupq_n_s32(p->act_max);
        int32x4_t sum = vdupq_n_s32(0);
        for (int32_t t = 0; t < taps; ++t) {
            sum = vaddq_s32(sum, vldrbq_z_s32(filter + (size_t)t * (size_t)c + (size_t)ch, g.pr));
        }
        g.bias_in = vmlaq_n_s32(g.bias, sum, p->input_offset);
        if (lanes == 4) {
            mve_dwg_full(p, &g, in, filter, out, ch);
        } else {
            mve_dwg_tail(p, &g, in, filter, out, ch);
        }
    }
}
void mcu_dwconv_groups_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    mcu_depthwise_groups_mve(p, in, filter, bias, out);
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_dwconv_groups_s8_mve)
