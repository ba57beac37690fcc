/*
 * Conv variants in C, 2 pixels x 2 output channels per pass (dot_2x2: SMLAD on the DSP cores, in inline
 * assembly unless MCU_NN_NO_ASM; plain C elsewhere), on every core: the 1x1 conv (mcu_conv_1x1_s8) and any
 * conv with dilation_w 1 (mcu_conv_rows_s8). The DSP wide variants fall back on mcu_conv_1x1 / mcu_conv_rows.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE)

/*
 * acc[i*2+j] += sum_k (x_i[k] + offset) * w_j[k], k < n, where x_1 = x_0 + xs and w_1 = w_0 + ws: a 2 x 2
 * block of a matrix multiply (always inlined: its callers' strides stay in registers). DSP: per 4 values
 * 2 input loads widened with the offset added (SXTAB16 x 4), 2 weight loads widened (SXTB16 x 4), 8 SMLAD
 * and the offset reloaded: 21 instructions per 16 MACs, in inline assembly (14 registers; GCC spilled
 * the C loop's pointers, ~40 per 16) unless MCU_NN_NO_ASM (builds with -fno-omit-frame-pointer).
 */
#if defined(MCU_NN_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
#define DOT2X2_GROUP                                                                                  \
    "ldr    %[xb13], [%[x], %[xs]]\n\t"                                                               \
    "ldr    %[xa13], [%[x]], #4\n\t"                                                                  \
    "ldr    %[wr], %[off2]\n\t"                                                                       \
    "sxtab16 %[xa02], %[wr], %[xa13]\n\t"                                                             \
    "sxtab16 %[xa13], %[wr], %[xa13], ror #8\n\t"                                                     \
    "sxtab16 %[xb02], %[wr], %[xb13]\n\t"                                                             \
    "sxtab16 %[xb13], %[wr], %[xb13], ror #8\n\t"                                                     \
    "ldr    %[wr], [%[w]], #4\n\t"                                                                    \
    "sxtb16 %[t], %[wr]\n\t"                                                                          \
    "smlad  %[a00], %[xa02], %[t], %[a00]\n\t"                                                        \
    "smlad  %[a10], %[xb02], %[t], %[a10]\n\t"                                                        \
    "sxtb16 %[wr], %[wr], ror #8\n\t"                                                                 \
    "smlad  %[a00], %[xa13], %[wr], %[a00]\n\t"                                                       \
    "smlad  %[a10], %[xb13], %[wr], %[a10]\n\t"                                                       \
    "ldr    %[wr], [%[w], %[ws4]]\n\t"                                                                \
    "sxtb16 %[t], %[wr]\n\t"                                                                          \
    "smlad  %[a01], %[xa02], %[t], %[a01]\n\t"                                                        \
    "smlad  %[a11], %[xb02], %[t], %[a11]\n\t"                                                        \
    "sxtb16 %[wr], %[wr], ror #8\n\t"                                                                 \
    "smlad  %[a01], %[xa13], %[wr], %[a01]\n\t"                                                       \
    "smlad  %[a11], %[xb13], %[wr], %[a11]\n\t"
#endif
static MCU_ALWAYS_INLINE void dot_2x2(const int8_t *x, size_t xs, const int8_t *w, size_t ws, int32_t n,
                                      int32_t offset, int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    int32_t k = 0;
#if defined(MCU_NN_DSP)
    const uint32_t off2 = ((uint32_t)offset & 0xFFFFu) * 0x10001u;
#if defined(DOT2X2_GROUP)
    if (n >= 4) {                                   /* groups of 4 values, two per loop pass (an odd one first) */
        const int32_t n4 = n & ~3, odd = n4 & 4;
        const int8_t *const x_end = x + n4;
        const int8_t *xp = x, *wp = w;
        const int32_t ws4 = (int32_t)ws - 4;        /* row 1 from row 0's pointer after its post-increment */
        uint32_t xa02, xa13, xb02, xb13, wr, t;
        __asm__(MCU_ASM_GROUPS_BY_2(DOT2X2_GROUP)
                : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [x] "+r"(xp), [w] "+r"(wp),
                  [xa02] "=&r"(xa02), [xa13] "=&r"(xa13), [xb02] "=&r"(xb02), [xb13] "=&r"(xb13), [wr] "=&r"(wr),
                  [t] "=&r"(t)
                : [xs] "r"(xs), [ws4] "r"(ws4), [off2] "m"(off2), [end] "m"(x_end), [odd] "m"(odd)
                : "memory", "cc");
        k = n4;
    }
#else
    for (; k + 4 <= n; k += 4) {
        const uint32_t xa = mcu_load4(x + k), xb = mcu_load4(x + xs + k);
        const uint32_t xa02 = __sxtab16(off2, xa), xa13 = mcu_sxtab16_ror8(off2, xa);   /* + offset */
        const uint32_t xb02 = __sxtab16(off2, xb), xb13 = mcu_sxtab16_ror8(off2, xb);
        const uint32_t wa = mcu_load4(w + k);
        const uint32_t wa02 = __sxtb16(wa), wa13 = mcu_sxtb16_ror8(wa);
        a00 = __smlad(xa02, wa02, a00);
        a00 = __smlad(xa13, wa13, a00);
        a10 = __smlad(xb02, wa02, a10);
        a10 = __smlad(xb13, wa13, a10);
        const uint32_t wb = mcu_load4(w + ws + k);
        const uint32_t wb02 = __sxtb16(wb), wb13 = mcu_sxtb16_ror8(wb);
        a01 = __smlad(xa02, wb02, a01);
        a01 = __smlad(xa13, wb13, a01);
        a11 = __smlad(xb02, wb02, a11);
        a11 = __smlad(xb13, wb13, a11);
    }
#endif
#endif
    for (; k < n; ++k) {
        const int32_t xa = (int32_t)x[k] + offset, xb = (int32_t)x[xs + k] + offset;
        const int32_t wa = w[k], wb = w[ws + k];
        a00 += xa * wa;
        a01 += xa * wb;
        a10 += xb * wa;
        a11 += xb * wb;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* 1x1, stride 1, no padding: out[pixel][oc] = requant(bias[oc] + sum_k (x[pixel][k] + off) w[oc][k]) */
void mcu_conv_1x1(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                  int8_t *out)
{
    const out_stage_t q = out_stage(p);
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const int32_t k = p->in.c, out_c = p->out.c;
    const uint16_t *const live = p->dead_out != NULL ? p->live : NULL;
    const int32_t n_live = p->dead_out != NULL ? p->live_c : out_c;
    if (p->dead_out != NULL) {                      /* the dead channels' constants; live ones follow */
        for (int32_t px = 0; px < pixels; ++px) {
            memcpy(out + (size_t)px * (size_t)out_c, p->dead_out, (size_t)out_c);
        }
    }
    for (int32_t i = 0; i < n_live; i += 2) {      /* a pair of live channels (odd count: the last twice) */
        const int32_t oc = live != NULL ? live[i] : i;
        const int32_t oc1 = i + 1 < n_live ? (live != NULL ? live[i + 1] : i + 1) : oc;
        /* the filter rows: channel oc's, or with filter_live_rows the i-th row (the live rows only) */
        const int32_t r0 = live != NULL && p->filter_live_rows ? i : oc;
        const int32_t r1 = live != NULL && p->filter_live_rows ? (i + 1 < n_live ? i + 1 : i) : oc1;
        const int8_t *w0 = filter + (size_t)r0 * (size_t)k;
        const size_t ws = (size_t)(r1 - r0) * (size_t)k;
        const int32_t b0 = (bias != NULL ? bias[oc] : 0) + p->input_offset * mcu_sum_s8(w0, k);
        const int32_t b1 = (bias != NULL ? bias[oc1] : 0) + p->input_offset * mcu_sum_s8(w0 + ws, k);
        int32_t px = 0;
        for (; px + 2 <= pixels; px += 2) {         /* rows px, px + 1 of the input; filter rows oc, oc1 */
            int32_t acc[4] = {b0, b1, b0, b1};
            dot_2x2(in + (size_t)px * (size_t)k, (size_t)k, w0, ws, k, 0, acc);
            int8_t *o = out + (size_t)px * (size_t)out_c;
            o[oc1] = requant_out(&q, acc[1], oc1);
            o[oc] = requant_out(&q, acc[0], oc);
            o[out_c + oc1] = requant_out(&q, acc[3], oc1);
            o[out_c + oc] = requant_out(&q, acc[2], oc);
        }
        if (px < pixels) {                          /* a last odd pixel: computed twice */
            int32_t acc[4] = {b0, b1, b0, b1};
            dot_2x2(in + (size_t)px * (size_t)k, 0, w0, ws, k, 0, acc);
            int8_t *o = out + (size_t)px * (size_t)out_c;
            o[oc1] = requant_out(&q, acc[1], oc1);
            o[oc] = requant_out(&q, acc[0], oc);
        }
    }
}

/* Any conv with dilation_w 1: a filter row's valid taps are one contiguous run in input and filter. */
void mcu_conv_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                   int8_t *out)
{
    const out_stage_t q = out_stage(p);
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const size_t filter_stride = (size_t)kh * (size_t)kw * (size_t)in_c;
    const size_t pixel_step = (size_t)p->stride_w * (size_t)in_c;

    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
            const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
            for (int32_t ox = 0; ox < out_w;) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int32_t kx0 = first_tap(ix0, 1, kw);
                const int32_t kx1 = end_tap(ix0, 1, kw, in_w);
                /* two pixels when the next one has the same valid taps (the run shifted by one stride) */
                const int32_t pair = ox + 1 < out_w && first_tap(ix0 + p->stride_w, 1, kw) == kx0
                                     && end_tap(ix0 + p->stride_w, 1, kw, in_w) == kx1;
                const size_t xs = pair ? pixel_step : 0;
                const int32_t run = (kx1 - kx0) * in_c;
                int8_t *o = out + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox)
                                  * (size_t)out_c;
                for (int32_t oc = 0; oc < out_c; oc += 2) {
                    const int32_t oc1 = oc + 1 < out_c ? oc + 1 : oc;
                    const int8_t *f0 = filter + (size_t)oc * filter_stride;
                    const size_t ws = (size_t)(oc1 - oc) * filter_stride;
                    int32_t acc[4] = {0, 0, 0, 0};
                    if (bias != NULL) {
                        acc[0] = acc[2] = bias[oc];
                        acc[1] = acc[3] = bias[oc1];
                    }
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        const int8_t *x = in_b + ((size_t)iy * (size_t)in_w + (size_t)(ix0 + kx0)) * (size_t)in_c;
                        const size_t f = ((size_t)ky * (size_t)kw + (size_t)kx0) * (size_t)in_c;
                        if (pair) {
                            dot_2x2(x, xs, f0 + f, ws, run, p->input_offset, acc);
                        } else {                    /* one pixel: 1 x 2 (the 2 x 2 block would do it twice) */
                            mcu_dot_1x2_offset(x, f0 + f, f0 + f + ws, run, p->input_offset, acc);
                        }
                    }
                    o[oc1] = requant_out(&q, acc[1], oc1);
                    o[oc] = requant_out(&q, acc[0], oc);
                    if (pair) {
                        o[out_c + oc1] = requant_out(&q, acc[3], oc1);
                        o[out_c + oc] = requant_out(&q, acc[2], oc);
                    }
                }
                ox += pair ? 2 : 1;
            }
        }
    }
}
void mcu_conv_1x1_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                     int8_t *out, int16_t *scratch)
{
    (void)scratch;
    mcu_conv_1x1(p, in, filter, bias, out);
}

void mcu_conv_rows_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                      int8_t *out, int16_t *scratch)
{
    (void)scratch;
    mcu_conv_rows(p, in, filter, bias, out);
}

#endif /* !MCU_NN_REFERENCE */

MCU_NO_SCRATCH(mcu_conv_1x1_s8)

MCU_NO_SCRATCH(mcu_conv_rows_s8)
