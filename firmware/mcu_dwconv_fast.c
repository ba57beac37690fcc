/*
 * Depthwise conv, any depth multiplier: 4 output channels per pass over the valid taps (mcu_depthwise_fast;
 * dw_taps4: SMLABB / SMLATT on the DSP cores, plain C elsewhere; mve_dw_taps: 4 int32 lanes on Helium), for
 * the channels and shapes the channel groups (mcu_dwconv_groups.c, mcu_dwconv_mve.c) and the window kernels
 * do not take.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE)

#if defined(MCU_NN_MVE)
/* Output channels [oc, oc + lanes) of one output pixel from their int32 sums: bias, requantise, store. */
static inline void mve_out4(const mcu_conv_params_t *p, int32x4_t acc, const int32_t *bias, int32_t oc,
                            int32_t lanes, int8_t *o)
{
    const mve_pred16_t pr = vctp32q((uint32_t)lanes);
    if (bias != NULL) {
        acc = vaddq_s32(acc, vldrwq_z_s32(bias + oc, pr));
    }
    const int32x4_t y = mcu_mve_requant4(acc, vldrwq_z_s32(p->out_mult + oc, pr), vldrwq_z_s32(p->out_shift + oc, pr),
                                         p->output_offset, p->act_min, p->act_max);
    vstrbq_p_s32(o + oc, y, pr);
}
#endif

#if defined(MCU_NN_DSP)
/* one depthwise tap of 4 neighbouring channels, input at x, weights at f, into a0..a3 (off2: the input
 * offset in both 16-bit lanes) */
#define DW_TAP(x, f)                                                                   \
    do {                                                                               \
        const uint32_t xv_ = mcu_load4(x), fv_ = mcu_load4(f);                         \
        const uint32_t x02_ = __sxtab16(off2, xv_), f02_ = __sxtb16(fv_);              \
        a0 = __smlabb(x02_, f02_, a0);                                                 \
        a2 = __smlatt(x02_, f02_, a2);                                                 \
        const uint32_t x13_ = mcu_sxtab16_ror8(off2, xv_), f13_ = mcu_sxtb16_ror8(fv_); \
        a1 = __smlabb(x13_, f13_, a1);                                                 \
        a3 = __smlatt(x13_, f13_, a3);                                                 \
    } while (0)
#endif

enum { DW_ANY, DW_CONSECUTIVE, DW_SHARED };     /* lanes' input channels: any, c..c+3, one for all */

/*
 * a[j] = sum over the nky x nkx valid taps of (x[xo[j]] + off) * f[j], j < 4: 4 output channels of a
 * depthwise conv, x and f at the first valid tap, xo[j] the input channel of lane j relative to x;
 * `mode` (a constant after inlining) says how the lanes' input channels lie.
 */
static MCU_ALWAYS_INLINE void dw_taps4(const int8_t *x, const int8_t *f, int32_t nky, int32_t nkx, size_t x_step,
                                       size_t x_row, size_t f_step, size_t f_row, int32_t off,
                                       const uint32_t xo[4], int mode, int32_t a[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if defined(MCU_NN_DSP)
    const uint32_t off2 = ((uint32_t)off & 0xFFFFu) * 0x10001u;
#endif
    for (int32_t ky = 0; ky < nky; ++ky) {
        const int8_t *xr = x, *fr = f;
        for (int32_t kx = 0; kx < nkx; ++kx) {
#if defined(MCU_NN_DSP)
            if (mode == DW_CONSECUTIVE) {           /* 4 input channels per load */
                DW_TAP(xr, fr);
            } else if (mode == DW_SHARED) {         /* one input for the 4 lanes */
                const uint32_t fv = mcu_load4(fr);
                const uint32_t f02 = __sxtb16(fv), f13 = mcu_sxtb16_ror8(fv);
                const uint32_t xv = (uint32_t)((int32_t)xr[0] + off);
                a0 = __smlabb(xv, f02, a0);
                a2 = __smlabt(xv, f02, a2);
                a1 = __smlabb(xv, f13, a1);
                a3 = __smlabt(xv, f13, a3);
            } else {
                const uint32_t fv = mcu_load4(fr);
                const uint32_t f02 = __sxtb16(fv), f13 = mcu_sxtb16_ror8(fv);
                a0 = __smlabb((uint32_t)((int32_t)xr[xo[0]] + off), f02, a0);
                a2 = __smlabt((uint32_t)((int32_t)xr[xo[2]] + off), f02, a2);
                a1 = __smlabb((uint32_t)((int32_t)xr[xo[1]] + off), f13, a1);
                a3 = __smlabt((uint32_t)((int32_t)xr[xo[3]] + off), f13, a3);
            }
#else
            if (mode == DW_SHARED) {
                const int32_t xv = (int32_t)xr[0] + off;
                a0 += xv * fr[0];
                a1 += xv * fr[1];
                a2 += xv * fr[2];
                a3 += xv * fr[3];
            } else {
                a0 += ((int32_t)xr[xo[0]] + off) * fr[0];
                a1 += ((int32_t)xr[xo[1]] + off) * fr[1];
                a2 += ((int32_t)xr[xo[2]] + off) * fr[2];
                a3 += ((int32_t)xr[xo[3]] + off) * fr[3];
            }
#endif
            xr += x_step;
            fr += f_step;
        }
        x += x_row;
        f += f_row;
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
}

#if defined(MCU_NN_DSP)
#undef DW_TAP
#endif

#if defined(MCU_NN_MVE)
enum { MVE_DW_PLAIN, MVE_DW_PREDICATED, MVE_DW_GATHER };   /* how a tap's 4 input lanes are loaded */

/* Helium: the depthwise sums of 4 int32 lanes; `kind` (a constant once inlined): 4 neighbouring input
 * channels (all lanes active, or `pr` of them) or a gather through the byte offsets `offs`. Inactive
 * lanes load 0 weights. */
static MCU_ALWAYS_INLINE int32x4_t mve_dw_taps(const int8_t *x, const int8_t *f, int32_t nky, int32_t nkx,
                                              size_t x_step, size_t x_row, size_t f_step, size_t f_row,
                                              int32_t off, uint32x4_t offs, mve_pred16_t pr, int kind)
{
    int32x4_t acc = vdupq_n_s32(0);
    for (int32_t ky = 0; ky < nky; ++ky) {
        const int8_t *xr = x, *fr = f;
        for (int32_t kx = 0; kx < nkx; ++kx) {
            int32x4_t xv, fv;
            if (kind == MVE_DW_PLAIN) {
                xv = vldrbq_s32(xr);
                fv = vldrbq_s32(fr);
            } else {
                xv = kind == MVE_DW_GATHER ? vldrbq_gather_offset_z_s32(xr, offs, pr) : vldrbq_z_s32(xr, pr);
                fv = vldrbq_z_s32(fr, pr);
            }
            acc = vaddq_s32(acc, vmulq_s32(vaddq_n_s32(xv, off), fv));
            xr += x_step;
            fr += f_step;
        }
        x += x_row;
        f += f_row;
    }
    return acc;
}
#endif

/* As dw_taps4 for `lanes` (1..4) lanes: Helium's 4 int32 lanes (predicated), else 4 lanes or one by one. */
static void depthwise_taps(const int8_t *x, const int8_t *f, int32_t nky, int32_t nkx, size_t x_step,
                           size_t x_row, size_t f_step, size_t f_row, int32_t off, const uint32_t xo[4],
                           int32_t lanes, int mode, int32_t a[4])
{
#if defined(MCU_NN_MVE)
    const mve_pred16_t pr = vctp32q((uint32_t)lanes);
    const uint32x4_t offs = vld1q_u32(xo);
    int32x4_t acc;
    if (mode == DW_CONSECUTIVE && lanes == 4) {
        acc = mve_dw_taps(x, f, nky, nkx, x_step, x_row, f_step, f_row, off, offs, pr, MVE_DW_PLAIN);
    } else if (mode == DW_CONSECUTIVE) {
        acc = mve_dw_taps(x, f, nky, nkx, x_step, x_row, f_step, f_row, off, offs, pr, MVE_DW_PREDICATED);
    } else {
        acc = mve_dw_taps(x, f, nky, nkx, x_step, x_row, f_step, f_row, off, offs, pr, MVE_DW_GATHER);
    }
    vst1q_s32(a, acc);
#else
    if (lanes == 4 && mode == DW_CONSECUTIVE) {
        dw_taps4(x, f, nky, nkx, x_step, x_row, f_step, f_row, off, xo, DW_CONSECUTIVE, a);
    } else if (lanes == 4 && mode == DW_SHARED) {
        dw_taps4(x, f, nky, nkx, x_step, x_row, f_step, f_row, off, xo, DW_SHARED, a);
    } else if (lanes == 4) {
        dw_taps4(x, f, nky, nkx, x_step, x_row, f_step, f_row, off, xo, DW_ANY, a);
    } else {                                    /* the 1..3 channels after the blocks of 4 */
        a[0] = a[1] = a[2] = a[3] = 0;
        for (int32_t ky = 0; ky < nky; ++ky) {
            for (int32_t kx = 0; kx < nkx; ++kx) {
                for (int32_t j = 0; j < lanes; ++j) {
                    a[j] += ((int32_t)x[(size_t)kx * x_step + xo[j]] + off) * f[(size_t)kx * f_step + (size_t)j];
                }
            }
            x += x_row;
            f += f_row;
        }
    }
#endif
}

/* Depthwise, any depth multiplier: 4 output channels [ch0, c) per pass over the valid taps. */
void mcu_depthwise_fast(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                        const int32_t *bias, int8_t *out, int32_t ch0)
{
#if !defined(MCU_NN_MVE)
    const out_stage_t q = out_stage(p);
#endif
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c, c = p->out.c;
    const int32_t mult = p->depth_multiplier;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w;
    const size_t x_step = (size_t)p->dilation_w * (size_t)in_c;
    const size_t x_row = (size_t)p->dilation_h * (size_t)in_w * (size_t)in_c, f_row = (size_t)kw * (size_t)c;
    const int mode = mult == 1 ? DW_CONSECUTIVE : (mult % 4 == 0 ? DW_SHARED : DW_ANY);

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
                                  * (size_t)c;
                const int32_t nky = ky1 > ky0 ? ky1 - ky0 : 0, nkx = kx1 > kx0 ? kx1 - kx0 : 0;
                const int8_t *x00 = in_b, *f00 = filter;
                if (nky > 0 && nkx > 0) {
                    x00 += ((size_t)(iy0 + ky0 * p->dilation_h) * (size_t)in_w
                            + (size_t)(ix0 + kx0 * p->dilation_w)) * (size_t)in_c;
                    f00 += ((size_t)ky0 * (size_t)kw + (size_t)kx0) * (size_t)c;
                }
                for (int32_t ch = ch0; ch < c; ch += 4) {
                    const int32_t lanes = c - ch < 4 ? c - ch : 4;
                    const int32_t ic0 = mode == DW_CONSECUTIVE ? ch : ch / mult;
                    uint32_t xo[4] = {0, 1, 2, 3};
                    if (mode != DW_CONSECUTIVE || lanes < 4) {  /* lanes past the end repeat the last one */
                        for (int32_t j = 0; j < 4; ++j) {
                            xo[j] = (uint32_t)((ch + (j < lanes ? j : lanes - 1)) / mult - ic0);
                        }
                    }
                    int32_t a[4];
                    depthwise_taps(x00 + ic0, f00 + ch, nky, nkx, x_step, x_row, (size_t)c, f_row,
                                   p->input_offset, xo, lanes, mode, a);
#if defined(MCU_NN_MVE)
                    mve_out4(p, vld1q_s32(a), bias, ch, lanes, o);
#else
                    for (int32_t j = 0; j < lanes; ++j) {
                        o[ch + j] = requant_out(&q, a[j] + (bias != NULL ? bias[ch + j] : 0), ch + j);
                    }
#endif
                }
            }
        }
    }
}

void mcu_dwconv_fast_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                        int8_t *out, int16_t *scratch)
{
    (void)scratch;
    mcu_depthwise_fast(p, in, filter, bias, out, 0);
}

#endif /* !MCU_NN_REFERENCE */

MCU_NO_SCRATCH(mcu_dwconv_fast_s8)
