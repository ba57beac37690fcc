/*
 * Convolution and depthwise convolution, int8 activations and weights, int32 bias
 * (TFLite reference arithmetic: per-output-channel double-rounding requantisation).
 *
 * Padding is implicit: window taps that fall outside the input are skipped, which is the same as
 * padding with the input zero point (their (x + input_offset) term is 0). The window of output
 * (oy, ox) starts at input row oy * stride_h - pad_top and column ox * stride_w - pad_left.
 */
#include "mcu_nn.h"

#include <string.h>

#if defined(__ARM_FEATURE_DSP) && !defined(MCU_NN_REFERENCE)
#include <arm_acle.h>
#define MCU_CONV_DSP 1
#endif

/*
 * Fast paths. mcu_conv2d_s8 and mcu_depthwise_conv2d_s8 pick one at run time from the parameters;
 * shapes no fast path covers take the reference loops. Define MCU_NN_REFERENCE to build the reference
 * loops only. The fast paths only reorder exact int32 sums, so they give the reference results
 * bit for bit:
 *   - 1x1, stride 1, no padding: a matrix multiply (pixels x input channels) x (input channels x
 *     output channels), 2 pixels x 2 output channels per pass, the input offset folded into a
 *     per-output-channel bias (bias + input_offset * sum of the channel's weights);
 *   - any other conv with dilation_w 1: per output pixel, 2 output channels per pass over each
 *     filter row's contiguous run of (valid taps x input channels);
 *   - depthwise with depth_multiplier 1: 4 channels per pass, over the valid taps.
 * With the Armv7E-M DSP extension (Cortex-M4, M7, M33, M55) the inner loops take 4 int8 values per
 * load and use SXTB16 / SADD16 / SMLAD / SMLABB; elsewhere (host, Cortex-M0+) the same blocking
 * in plain C.
 */

/* First tap k in [0, taps) whose coordinate origin + k * dilation is >= 0. */
static int32_t first_tap(int32_t origin, int32_t dilation, int32_t taps)
{
    if (origin >= 0) {
        return 0;
    }
    const int32_t k = (-origin + dilation - 1) / dilation;
    return k < taps ? k : taps;
}

/* One past the last tap k whose coordinate origin + k * dilation is < size. */
static int32_t end_tap(int32_t origin, int32_t dilation, int32_t taps, int32_t size)
{
    if (origin >= size) {
        return 0;
    }
    const int32_t k = (size - origin + dilation - 1) / dilation;
    return k < taps ? k : taps;
}

#if !defined(MCU_NN_REFERENCE)

static inline uint32_t load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);            /* one unaligned LDR on Armv7-M and later */
    return v;
}

#if defined(MCU_CONV_DSP)
/* bytes 1 and 3 of x, sign-extended to two int16 lanes: SXTB16 with ROR #8 (GCC 12's ACLE has no __ror) */
static inline uint32_t sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#endif

/* acc[i*2+j] += sum_k x_i[k] * w_j[k], k < n, where x_1 = x_0 + stride and w_1 = w_0 + stride: the 2 x 2
 * block of a matrix multiply with rows of length stride (one stride register keeps the DSP loop spill-free) */
static void dot_2x2(const int8_t *x, const int8_t *w, size_t stride, int32_t n, int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    int32_t k = 0;
#if defined(MCU_CONV_DSP)
    for (int32_t blocks = n >> 2; blocks > 0; --blocks) {
        const uint32_t xa = load4(x), xb = load4(x + stride);
        const uint32_t xa02 = __sxtb16(xa), xa13 = sxtb16_ror8(xa);
        const uint32_t xb02 = __sxtb16(xb), xb13 = sxtb16_ror8(xb);
        const uint32_t wa = load4(w);
        const uint32_t wa02 = __sxtb16(wa), wa13 = sxtb16_ror8(wa);
        a00 = __smlad(xa02, wa02, a00);
        a00 = __smlad(xa13, wa13, a00);
        a10 = __smlad(xb02, wa02, a10);
        a10 = __smlad(xb13, wa13, a10);
        const uint32_t wb = load4(w + stride);
        const uint32_t wb02 = __sxtb16(wb), wb13 = sxtb16_ror8(wb);
        a01 = __smlad(xa02, wb02, a01);
        a01 = __smlad(xa13, wb13, a01);
        a11 = __smlad(xb02, wb02, a11);
        a11 = __smlad(xb13, wb13, a11);
        x += 4;
        w += 4;
    }
    k = n & ~3;
#endif
    for (; k < n; ++k) {
        const int32_t xa = *x, xb = x[stride], wa = *w, wb = w[stride];
        a00 += xa * wa;
        a01 += xa * wb;
        a10 += xb * wa;
        a11 += xb * wb;
        ++x;
        ++w;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* acc[j] += sum_k (x[k] + offset) * w_j[k], k < n, for two weight rows */
static void dot_1x2_offset(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t offset,
                           int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t k = 0;
#if defined(MCU_CONV_DSP)
    const uint32_t off2 = ((uint32_t)offset & 0xFFFFu) * 0x10001u;
    for (; k + 4 <= n; k += 4) {
        const uint32_t xv = load4(x + k);
        const uint32_t x02 = __sadd16(__sxtb16(xv), off2), x13 = __sadd16(sxtb16_ror8(xv), off2);
        const uint32_t wa = load4(w0 + k), wb = load4(w1 + k);
        a0 = __smlad(x02, __sxtb16(wa), a0);
        a0 = __smlad(x13, sxtb16_ror8(wa), a0);
        a1 = __smlad(x02, __sxtb16(wb), a1);
        a1 = __smlad(x13, sxtb16_ror8(wb), a1);
    }
#endif
    for (; k < n; ++k) {
        const int32_t xv = (int32_t)x[k] + offset;
        a0 += xv * w0[k];
        a1 += xv * w1[k];
    }
    acc[0] = a0;
    acc[1] = a1;
}

/*
 * mcu_requant with a shorter rounding step, equal for every multiplier but INT32_MIN (which TFLite's
 * multipliers, in [2^30, 2^31) or 0, never are): for any int64 product ab, TFLite's
 * (ab + (ab >= 0 ? 2^30 : 1 - 2^30)) / 2^31, rounded toward zero, is floor((ab + 2^30) / 2^31).
 */
static inline int32_t requant_fast(int32_t x, int32_t mult, int32_t shift)
{
    if (mult == INT32_MIN) {
        return mcu_requant(x, mult, shift);
    }
    const int32_t left = shift > 0 ? shift : 0;
    const int64_t ab = (int64_t)(int32_t)((uint32_t)x << left) * (int64_t)mult;
    const int32_t high = (int32_t)((ab + ((int64_t)1 << 30)) >> 31);
    return mcu_rdbpot(high, shift > 0 ? 0 : -shift);
}

/* The output stage's scalars, read once per call (int8 stores may alias the params, so the compiler
 * would otherwise reload them for every output). */
typedef struct {
    const int32_t *mult, *shift;
    int32_t offset, lo, hi;
} out_stage_t;

static inline out_stage_t out_stage(const mcu_conv_params_t *p)
{
    const out_stage_t q = {p->out_mult, p->out_shift, p->output_offset, p->act_min, p->act_max};
    return q;
}

static inline int8_t requant_out(const out_stage_t *q, int32_t acc, int32_t oc)
{
    acc = requant_fast(acc, q->mult[oc], q->shift[oc]) + q->offset;
    return (int8_t)mcu_clamp(acc, q->lo, q->hi);
}

/* 1x1, stride 1, no padding: out[pixel][oc] = requant(bias[oc] + sum_k (x[pixel][k] + off) w[oc][k]) */
static void conv_1x1(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                     int8_t *out)
{
    const out_stage_t q = out_stage(p);
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const int32_t k = p->in.c, out_c = p->out.c;
    for (int32_t oc = 0; oc < out_c; oc += 2) {
        const int32_t oc1 = oc + 1 < out_c ? oc + 1 : oc;     /* odd count: the last pass twice */
        const int8_t *w0 = filter + (size_t)oc * (size_t)k, *w1 = filter + (size_t)oc1 * (size_t)k;
        int32_t sum0 = 0, sum1 = 0;
        for (int32_t i = 0; i < k; ++i) {
            sum0 += w0[i];
            sum1 += w1[i];
        }
        const int32_t b0 = (bias != NULL ? bias[oc] : 0) + p->input_offset * sum0;
        const int32_t b1 = (bias != NULL ? bias[oc1] : 0) + p->input_offset * sum1;
        int32_t px = 0;
        if (oc1 != oc) {
            for (; px + 2 <= pixels; px += 2) {     /* rows px, px + 1 of the input; filter rows oc, oc + 1 */
                int32_t acc[4] = {b0, b1, b0, b1};
                dot_2x2(in + (size_t)px * (size_t)k, w0, (size_t)k, k, acc);
                int8_t *o = out + (size_t)px * (size_t)out_c + (size_t)oc;
                o[0] = requant_out(&q, acc[0], oc);
                o[1] = requant_out(&q, acc[1], oc1);
                o[out_c] = requant_out(&q, acc[2], oc);
                o[out_c + 1] = requant_out(&q, acc[3], oc1);
            }
        }
        for (; px < pixels; ++px) {                 /* a last odd pixel, or every pixel of a last odd channel */
            int32_t acc[2] = {b0, b1};
            dot_1x2_offset(in + (size_t)px * (size_t)k, w0, w1, k, 0, acc);
            int8_t *o = out + (size_t)px * (size_t)out_c;
            o[oc] = requant_out(&q, acc[0], oc);
            o[oc1] = requant_out(&q, acc[1], oc1);
        }
    }
}

/* Any conv with dilation_w 1: a filter row's valid taps are one contiguous run in input and filter. */
static void conv_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                      int8_t *out)
{
    const out_stage_t q = out_stage(p);
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
                const int32_t kx0 = first_tap(ix0, 1, kw);
                const int32_t kx1 = end_tap(ix0, 1, kw, in_w);
                const int32_t run = (kx1 - kx0) * in_c;
                int8_t *o = out + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox)
                                  * (size_t)out_c;
                for (int32_t oc = 0; oc < out_c; oc += 2) {
                    const int32_t oc1 = oc + 1 < out_c ? oc + 1 : oc;
                    const int8_t *f0 = filter + (size_t)oc * filter_stride;
                    const int8_t *f1 = filter + (size_t)oc1 * filter_stride;
                    int32_t acc[2] = {0, 0};
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        const int8_t *x = in_b + ((size_t)iy * (size_t)in_w + (size_t)(ix0 + kx0)) * (size_t)in_c;
                        const size_t f = ((size_t)ky * (size_t)kw + (size_t)kx0) * (size_t)in_c;
                        dot_1x2_offset(x, f0 + f, f1 + f, run, p->input_offset, acc);
                    }
                    if (bias != NULL) {
                        acc[0] += bias[oc];
                        acc[1] += bias[oc1];
                    }
                    o[oc] = requant_out(&q, acc[0], oc);
                    o[oc1] = requant_out(&q, acc[1], oc1);
                }
            }
        }
    }
}

/* Depthwise, depth_multiplier 1: 4 channels per pass over the valid taps. */
static void depthwise_m1(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out)
{
    const out_stage_t q = out_stage(p);
    const int32_t in_h = p->in.h, in_w = p->in.w, c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w;
    const int32_t off = p->input_offset;
    const size_t x_step = (size_t)p->dilation_w * (size_t)c;
    const size_t x_row = (size_t)p->dilation_h * (size_t)in_w * (size_t)c, f_row = (size_t)kw * (size_t)c;
#if defined(MCU_CONV_DSP)
    const uint32_t off2 = ((uint32_t)off & 0xFFFFu) * 0x10001u;
#endif

    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)c;
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
                            + (size_t)(ix0 + kx0 * p->dilation_w)) * (size_t)c;
                    f00 += ((size_t)ky0 * (size_t)kw + (size_t)kx0) * (size_t)c;
                }
                int32_t ch = 0;
                for (; ch + 4 <= c; ch += 4) {
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    const int8_t *xr = x00 + ch, *fr = f00 + ch;
                    for (int32_t ky = 0; ky < nky; ++ky) {
                        const int8_t *x = xr, *f = fr;
                        for (int32_t kx = 0; kx < nkx; ++kx) {
#if defined(MCU_CONV_DSP)
                            const uint32_t xv = load4(x), fv = load4(f);
                            const uint32_t x02 = __sadd16(__sxtb16(xv), off2);
                            const uint32_t x13 = __sadd16(sxtb16_ror8(xv), off2);
                            const uint32_t f02 = __sxtb16(fv), f13 = sxtb16_ror8(fv);
                            a0 = __smlabb(x02, f02, a0);
                            a2 = __smlatt(x02, f02, a2);
                            a1 = __smlabb(x13, f13, a1);
                            a3 = __smlatt(x13, f13, a3);
#else
                            a0 += ((int32_t)x[0] + off) * f[0];
                            a1 += ((int32_t)x[1] + off) * f[1];
                            a2 += ((int32_t)x[2] + off) * f[2];
                            a3 += ((int32_t)x[3] + off) * f[3];
#endif
                            x += x_step;
                            f += c;
                        }
                        xr += x_row;
                        fr += f_row;
                    }
                    if (bias != NULL) {
                        a0 += bias[ch];
                        a1 += bias[ch + 1];
                        a2 += bias[ch + 2];
                        a3 += bias[ch + 3];
                    }
                    o[ch] = requant_out(&q, a0, ch);
                    o[ch + 1] = requant_out(&q, a1, ch + 1);
                    o[ch + 2] = requant_out(&q, a2, ch + 2);
                    o[ch + 3] = requant_out(&q, a3, ch + 3);
                }
                for (; ch < c; ++ch) {                      /* the 1..3 channels after the blocks of 4 */
                    int32_t acc = bias != NULL ? bias[ch] : 0;
                    const int8_t *xr = x00 + ch, *fr = f00 + ch;
                    for (int32_t ky = 0; ky < nky; ++ky) {
                        for (int32_t kx = 0; kx < nkx; ++kx) {
                            acc += ((int32_t)xr[(size_t)kx * x_step] + off) * fr[(size_t)kx * (size_t)c];
                        }
                        xr += x_row;
                        fr += f_row;
                    }
                    o[ch] = requant_out(&q, acc, ch);
                }
            }
        }
    }
}

#endif /* !MCU_NN_REFERENCE */

void mcu_conv2d_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                   const int32_t *bias, int8_t *out)
{
#if !defined(MCU_NN_REFERENCE)
    if (p->filter.h == 1 && p->filter.w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0
        && p->pad_left == 0 && p->out.h == p->in.h && p->out.w == p->in.w) {
        conv_1x1(p, in, filter, bias, out);
        return;
    }
    if (p->dilation_w == 1) {
        conv_rows(p, in, filter, bias, out);
        return;
    }
#endif
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

void mcu_depthwise_conv2d_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                             const int32_t *bias, int8_t *out)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int32_t mult = p->depth_multiplier;

#if !defined(MCU_NN_REFERENCE)
    if (mult == 1 && in_c == out_c) {
        depthwise_m1(p, in, filter, bias, out);
        return;
    }
#endif
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
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    for (int32_t m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
                        int32_t acc = 0;
                        for (int32_t ky = ky0; ky < ky1; ++ky) {
                            const int32_t iy = iy0 + ky * p->dilation_h;
                            for (int32_t kx = kx0; kx < kx1; ++kx) {
                                const int32_t ix = ix0 + kx * p->dilation_w;
                                const int32_t x = in_b[((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c
                                                       + (size_t)ic];
                                const int32_t f = filter[((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)out_c
                                                         + (size_t)oc];
                                acc += f * (x + p->input_offset);
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
}
