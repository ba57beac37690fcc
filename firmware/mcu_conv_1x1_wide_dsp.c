/*
 * The 1x1 conv on the DSP cores (not Helium) with a scratch: conv_1x1_wide and its variants on the pre-widened
 * weights and with the dead-channel hint (the engine: mcu_conv_wide_dsp.h), their output stages out of line
 * (mcu_wide4_out_plain, mcu_wide4_finish: the im2col variants' too), the pre-widened stream pixel by pixel
 * (mcu_wide_pre_rows), and the 1x1 conv without planned scratch (own_output).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"
#include "mcu_conv_wide_dsp.h"

#if !defined(MCU_NN_REFERENCE) && !defined(MCU_NN_MVE) && defined(MCU_NN_DSP)

/* conv_1x1_wide's outputs of channels oc, oc1 of 4 pixels from acc[4j + q] = 2 (bias + products) (wrapped;
 * 2 * products is an int32) by the plain requantisation */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void mcu_wide4_out_plain(const mcu_conv_params_t *p, const int32_t acc[8], const int32_t *bias, int32_t oc,
                         int32_t oc1, int8_t *o)
{
    const out_stage_t q = out_stage(p);
    for (int32_t i = 0; i < 8; ++i) {
        const int32_t c = i < 4 ? oc : oc1, b = bias != NULL ? bias[c] : 0;
        const int32_t s = ((int32_t)((uint32_t)acc[i] - 2u * (uint32_t)b) >> 1) + b;
        o[(size_t)(i & 3) * (size_t)p->out.c + (size_t)c] = requant_out(&q, s, c);
    }
}

/* conv_1x1_wide's pair of channels oc, oc1 of 4 pixels past the groups of 4 input channels: acc[4j + q] the
 * doubled sums so far, xt the input's channels k4.. of the block's first pixel, w0 / w1 the weights past the
 * groups; the 1..3 channels left, then the output stage (fast: wide_fast holds for both channels) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void mcu_wide4_finish(const mcu_conv_params_t *p, const int32_t *bias, const int32_t acc[8], const int8_t *xt,
                      const int8_t *w0, const int8_t *w1, int32_t oc, int32_t oc1, int8_t *o, int fastpair,
                      int tail)
{
    /* tail: a 1x1 conv's channels past the groups are left (the im2col paths have none: k == k4 there) */
    const int32_t k = p->in.c, k4 = tail ? k & ~3 : k, off = p->input_offset, lo = p->act_min, hi = p->act_max;
    const int32_t kc = 2 * p->output_offset + 1, *mult = p->out_mult, *shift = p->out_shift;
    const int full = lo == -128 && hi == 127;
    const size_t os = (size_t)p->out.c;
    int32_t a00 = acc[0], a10 = acc[1], a20 = acc[2], a30 = acc[3];
    int32_t a01 = acc[4], a11 = acc[5], a21 = acc[6], a31 = acc[7];
    const int8_t *const x0 = xt - k4;
    for (int32_t j = k4; j < k; ++j) {      /* the 1..3 channels past the groups of 4 */
        const int32_t wa = w0[j - k4], wb = w1[j - k4];
        const int8_t *xj = x0 + j;
        int32_t v = 2 * ((int32_t)xj[0] + off);
        a00 += v * wa;
        a01 += v * wb;
        v = 2 * ((int32_t)xj[k] + off);
        a10 += v * wa;
        a11 += v * wb;
        v = 2 * ((int32_t)xj[2 * k] + off);
        a20 += v * wa;
        a21 += v * wb;
        v = 2 * ((int32_t)xj[3 * k] + off);
        a30 += v * wa;
        a31 += v * wb;
    }
    int8_t *const oo = o + oc, *const oo1 = o + oc1;
    if (fastpair) {
        /* mcu_rq2_channel's constants: e = -shift, c = kc 2^(e-1) */
        const int32_t e0 = -shift[oc], e1 = -shift[oc1];
        const mcu_rqd_t r0 = {mult[oc], (int32_t)((uint32_t)kc << (e0 - 1)), e0};
        const mcu_rqd_t r1 = {mult[oc1], (int32_t)((uint32_t)kc << (e1 - 1)), e1};
        int32_t y00 = mcu_rqd_apply(&r0, a00), y10 = mcu_rqd_apply(&r0, a10);
        int32_t y20 = mcu_rqd_apply(&r0, a20), y30 = mcu_rqd_apply(&r0, a30);
        int32_t y01 = mcu_rqd_apply(&r1, a01), y11 = mcu_rqd_apply(&r1, a11);
        int32_t y21 = mcu_rqd_apply(&r1, a21), y31 = mcu_rqd_apply(&r1, a31);
        if (full) {                         /* SSAT #8 */
            y00 = __ssat(y00, 8);
            y10 = __ssat(y10, 8);
            y20 = __ssat(y20, 8);
            y30 = __ssat(y30, 8);
            y01 = __ssat(y01, 8);
            y11 = __ssat(y11, 8);
            y21 = __ssat(y21, 8);
            y31 = __ssat(y31, 8);
        } else {
            y00 = mcu_clamp(y00, lo, hi);
            y10 = mcu_clamp(y10, lo, hi);
            y20 = mcu_clamp(y20, lo, hi);
            y30 = mcu_clamp(y30, lo, hi);
            y01 = mcu_clamp(y01, lo, hi);
            y11 = mcu_clamp(y11, lo, hi);
            y21 = mcu_clamp(y21, lo, hi);
            y31 = mcu_clamp(y31, lo, hi);
        }
        oo1[0] = (int8_t)y01;
        oo[0] = (int8_t)y00;
        oo1[os] = (int8_t)y11;
        oo[os] = (int8_t)y10;
        oo1[2 * os] = (int8_t)y21;
        oo[2 * os] = (int8_t)y20;
        oo1[3 * os] = (int8_t)y31;
        oo[3 * os] = (int8_t)y30;
    } else {                                /* the plain requantisation, out of line */
        const int32_t sums[8] = {a00, a10, a20, a30, a01, a11, a21, a31};
        mcu_wide4_out_plain(p, sums, bias, oc, oc1, o);
    }
}

/* conv_1x1 on the pre-widened stream (see mcu_nn.h) for pixels px0 .. px1 - 1: conv_1x1_wide_pre's last 1
 * or 2 pixels (a block moved back would compute 4) and, the int8 filter left out, the fallback without
 * scratch (filter NULL: k == k4). Pixel by pixel, two pairs of the stream at a time (the second k4 + 10
 * words on; a last odd pair alone, walked twice), the input widened with its offset (SXTAB16, not doubled)
 * against the stream's (doubled) int16 words, so that the sums come doubled, 2 s: per group of 4 input channels
 * LDR, 2 SXTAB16, 4 LDRD, 8 SMLAD for 16 MACs (inline assembly, 2 groups per iteration: 16 instructions per 16
 * MACs). The channels past the groups come from the int8 filter. The output stage: fast (every live channel
 * passes wide_fast), 2 s plus the stream's doubled bias by mcu_rqd_apply on the stream's m, c, e (the output
 * offset folded in), then the clamp; otherwise the plain requantisation of s + bias (out of line, as are
 * the channels past the groups). When moreover k == k4 and the range is all of int8 (SSAT #8), a pixel's
 * pairs run two at a time in one assembly loop: per two pairs 11 instructions of set-up, 16 per group, 9
 * for the biases, 8 per channel (WIDE_PRE2_REQ) and 3 of loop control. */
/* wide_pre_rows' outputs of one pair of the stream (b: its 2 doubled biases, r: its constants m, e, c, oc
 * for each channel) for the pixel at x (doubled sums s0, s1 over the groups; output row o): the channels past
 * the groups and the plain requantisation out of line */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void wide_pre_out_slow(const out_stage_t *q, const int8_t *filter, const int32_t *bias, const uint32_t *b,
                              const uint32_t *r, const int8_t *x, int8_t *o, int32_t s0, int32_t s1, int32_t k,
                              int32_t off, int fast)
{
    const int32_t oc = (int32_t)r[3], oc1 = (int32_t)r[7];
    s0 >>= 1;                                       /* the stream's weights are doubled: exact halves */
    s1 >>= 1;
    for (int32_t c = k & ~3; c < k; ++c) {          /* the 1..3 channels past the groups */
        const int32_t u = (int32_t)x[c] + off;
        s0 += u * filter[(size_t)oc * (size_t)k + (size_t)c];
        s1 += u * filter[(size_t)oc1 * (size_t)k + (size_t)c];
    }
    if (fast) {
        const mcu_rqd_t r0 = {(int32_t)r[0], (int32_t)r[2], (int32_t)r[1]};
        const mcu_rqd_t r1 = {(int32_t)r[4], (int32_t)r[6], (int32_t)r[5]};
        o[oc1] = (int8_t)mcu_clamp(mcu_rqd_apply(&r1, (int32_t)(b[1] + 2u * (uint32_t)s1)), q->lo, q->hi);
        o[oc] = (int8_t)mcu_clamp(mcu_rqd_apply(&r0, (int32_t)(b[0] + 2u * (uint32_t)s0)), q->lo, q->hi);
    } else {
        o[oc1] = requant_out(q, s1 + (bias != NULL ? bias[oc1] : 0), oc1);   /* an odd count: oc1 == oc */
        o[oc] = requant_out(q, s0 + (bias != NULL ? bias[oc] : 0), oc);
    }
}

/* the same, inline for the usual case: fast, no channels past the groups */
static MCU_ALWAYS_INLINE void wide_pre_out(const out_stage_t *q, const int8_t *filter, const int32_t *bias,
                                           const uint32_t *b, const uint32_t *r, const int8_t *x, int8_t *o,
                                           int32_t s0, int32_t s1, int32_t k, int32_t off, int fast)
{
    if (!fast || (k & 3) != 0) {
        wide_pre_out_slow(q, filter, bias, b, r, x, o, s0, s1, k, off, fast);
        return;
    }
    const mcu_rqd_t r0 = {(int32_t)r[0], (int32_t)r[2], (int32_t)r[1]};
    const mcu_rqd_t r1 = {(int32_t)r[4], (int32_t)r[6], (int32_t)r[5]};
    int32_t y1 = mcu_rqd_apply(&r1, (int32_t)(b[1] + (uint32_t)s1));     /* s0, s1 doubled already */
    int32_t y0 = mcu_rqd_apply(&r0, (int32_t)(b[0] + (uint32_t)s0));
    if (fast == 2) {                                /* the range all of int8: SSAT #8 */
        y1 = __ssat(y1, 8);
        y0 = __ssat(y0, 8);
    } else {
        y1 = mcu_clamp(y1, q->lo, q->hi);
        y0 = mcu_clamp(y0, q->lo, q->hi);
    }
    o[(int32_t)r[7]] = (int8_t)y1;                  /* an odd count: oc1 == oc */
    o[(int32_t)r[3]] = (int8_t)y0;
}

#if defined(WIDE4_GROUP)
/* wide_pre_rows' group of 4 input channels (xg, advanced by 4) of one pixel against two pairs of the stream
 * (u, v, advanced by 16): LDR, 2 SXTAB16, 4 LDRD, 8 SMLAD */
#define WIDE_PRE2_GROUP                                                                               \
    "ldr     %[x02], [%[xg]], #4\n\t"                                                                  \
    "ldrd    %[t0], %[t1], [%[u]], #16\n\t"                                                            \
    "sxtab16 %[x13], %[off2], %[x02], ror #8\n\t"                                                      \
    "sxtab16 %[x02], %[off2], %[x02]\n\t"                                                              \
    "smlad   %[a0], %[x02], %[t0], %[a0]\n\t"                                                          \
    "smlad   %[a1], %[x02], %[t1], %[a1]\n\t"                                                          \
    "ldrd    %[t0], %[t1], [%[v]], #16\n\t"                                                            \
    "smlad   %[c0], %[x02], %[t0], %[c0]\n\t"                                                          \
    "smlad   %[c1], %[x02], %[t1], %[c1]\n\t"                                                          \
    "ldrd    %[t0], %[t1], [%[u], #-8]\n\t"                                                            \
    "smlad   %[a0], %[x13], %[t0], %[a0]\n\t"                                                          \
    "smlad   %[a1], %[x13], %[t1], %[a1]\n\t"                                                          \
    "ldrd    %[t0], %[t1], [%[v], #-8]\n\t"                                                            \
    "smlad   %[c0], %[x13], %[t0], %[c0]\n\t"                                                          \
    "smlad   %[c1], %[x13], %[t1], %[c1]\n\t"
/* the groups from xg to xe, 2 per iteration (an odd count entered at the second) */
#define WIDE_PRE2_LOOP                                                                                \
    "sub     %[t0], %[xe], %[xg]\n\t"                                                                  \
    "tst     %[t0], #4\n\t"                                                                            \
    "bne     2f\n\t"                                                                                   \
    "1:\n\t" WIDE_PRE2_GROUP                                                                          \
    "2:\n\t" WIDE_PRE2_GROUP                                                                          \
    "cmp     %[xg], %[xe]\n\t"                                                                         \
    "bne     1b\n\t"
/* the output stage of channel y (y its sum s plus the doubled bias: 2 (s + bias)), its constants m, e, c,
 * oc at r (advanced by 16): mcu_rqd_apply (SMMLAR, SUB, ASR), SSAT #8, STRB at xg + oc: 8 instructions */
#define WIDE_PRE2_REQ(y, r)                                                                           \
    "ldrd    %[x02], %[x13], [%[" r "]], #16\n\t"                                                      \
    "ldr     %[t0], [%[" r "], #-8]\n\t"                                                               \
    "smmlar  %[t0], %[" y "], %[x02], %[t0]\n\t"                                                       \
    "sub     %[" y "], %[t0], %[" y "], lsr #31\n\t"                                                   \
    "asr     %[" y "], %[" y "], %[x13]\n\t"                                                           \
    "ldr     %[t1], [%[" r "], #-4]\n\t"                                                               \
    "ssat    %[" y "], #8, %[" y "]\n\t"                                                               \
    "strb    %[" y "], [%[xg], %[t1]]\n\t"
#endif
/* fast: every live channel passes wide_fast (see wide_pre_out) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void mcu_wide_pre_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                       int8_t *out, int32_t px0, int32_t px1, int32_t n_live, int fast)
{
    const out_stage_t q = out_stage(p);
    const int32_t k = p->in.c, k4 = k & ~3, out_c = p->out.c, off = p->input_offset;
    const int32_t pairs = (n_live + 1) >> 1;
    fast = fast && q.lo == -128 && q.hi == 127 ? 2 : fast;   /* 2: the clamp is SSAT #8 */
    const size_t pw = (size_t)k4 + 10u;             /* a pair's words in the stream */
    const uint32_t off2 = ((uint32_t)off & 0xFFFFu) * 0x10001u;
#if defined(WIDE4_GROUP)
    /* the assembly loop's bytes from a pair to the next, from a pair to its constants, and its end (the last
     * of an even count of pairs) */
    const uint32_t pwb = 4u * (uint32_t)pw, kb = 8u + 4u * (uint32_t)k4;
    const uint32_t *const wend2 = p->wide_filter + (size_t)(pairs & ~1) * pw;
#endif
    for (int32_t px = px0; px < px1; ++px) {
        const int8_t *const x = in + (size_t)px * (size_t)k, *const xe = x + k4;
        int8_t *const o = out + (size_t)px * (size_t)out_c;
        if (p->dead_out != NULL) {                  /* the dead channels' constants; live ones follow */
            memcpy(o, p->dead_out, (size_t)out_c);
        }
        const uint32_t *w = p->wide_filter;
        int32_t j = 0;
#if defined(WIDE4_GROUP)
        if (fast == 2 && k == k4 && k4 > 0 && pairs >= 2) {   /* every two pairs in one assembly loop */
            int32_t a0, a1, c0, c1;
            const int8_t *xg;
            const uint32_t *u, *v = w;
            uint32_t x02, x13, t0, t1;
            __asm__ volatile("10:\n\t"
                             "add     %[u], %[v], #8\n\t"
                             "ldr     %[t0], %[pwb]\n\t"
                             "add     %[v], %[u], %[t0]\n\t"
                             "ldr     %[xg], %[x]\n\t"
                             "mov     %[a0], #0\n\t"
                             "mov     %[a1], #0\n\t"
                             "mov     %[c0], #0\n\t"
                             "mov     %[c1], #0\n\t"
                             WIDE_PRE2_LOOP
                             "ldr     %[t0], %[kb]\n\t"
                             "sub     %[t1], %[u], %[t0]\n\t"
                             "ldrd    %[x02], %[x13], [%[t1]]\n\t"
                             "add     %[a0], %[x02], %[a0]\n\t"
                             "add     %[a1], %[x13], %[a1]\n\t"
                             "sub     %[t1], %[v], %[t0]\n\t"
                             "ldrd    %[x02], %[x13], [%[t1]]\n\t"
                             "add     %[c0], %[x02], %[c0]\n\t"
                             "add     %[c1], %[x13], %[c1]\n\t"
                             "ldr     %[xg], %[o]\n\t"
                             WIDE_PRE2_REQ("a0", "u")
                             WIDE_PRE2_REQ("a1", "u")
                             WIDE_PRE2_REQ("c0", "v")
                             WIDE_PRE2_REQ("c1", "v")
                             "ldr     %[t0], %[wend]\n\t"
                             "cmp     %[v], %[t0]\n\t"
                             "bne     10b\n\t"
                             : [a0] "=&r"(a0), [a1] "=&r"(a1), [c0] "=&r"(c0), [c1] "=&r"(c1), [xg] "=&r"(xg),
                               [u] "=&r"(u), [v] "+r"(v), [x02] "=&r"(x02), [x13] "=&r"(x13), [t0] "=&r"(t0),
                               [t1] "=&r"(t1)
                             : [xe] "r"(xe), [off2] "r"(off2), [x] "m"(x), [o] "m"(o), [pwb] "m"(pwb),
                               [kb] "m"(kb), [wend] "m"(wend2)
                             : "memory", "cc");
            j = pairs & ~1;
            w = v;
        }
#endif
        for (; j < pairs; j += 2, w += 2 * pw) {   /* pairs j (a), j + 1 (c; a last odd j: j again) */
            const int second = j + 1 < pairs;
            int32_t a0 = 0, a1 = 0, c0 = 0, c1 = 0;
            const uint32_t *u = w + 2, *v = second ? w + pw + 2 : w + 2;
            const int8_t *xg = x;
#if defined(WIDE4_GROUP)
            if (xg != xe) {     /* 2 groups per iteration (an odd count entered at the second): 16 per group */
                uint32_t x02, x13, t0, t1;
                __asm__(WIDE_PRE2_LOOP
                        : [a0] "+r"(a0), [a1] "+r"(a1), [c0] "+r"(c0), [c1] "+r"(c1), [xg] "+r"(xg), [u] "+r"(u),
                          [v] "+r"(v), [x02] "=&r"(x02), [x13] "=&r"(x13), [t0] "=&r"(t0), [t1] "=&r"(t1)
                        : [xe] "r"(xe), [off2] "r"(off2)
                        : "memory", "cc");
            }
#else
            for (; xg != xe; xg += 4, u += 4, v += 4) {
                const uint32_t xv = mcu_load4(xg);
                const uint32_t x02 = __sxtab16(off2, xv), x13 = mcu_sxtab16_ror8(off2, xv);
                a0 = __smlad(x02, u[0], a0);
                a1 = __smlad(x02, u[1], a1);
                c0 = __smlad(x02, v[0], c0);
                c1 = __smlad(x02, v[1], c1);
                a0 = __smlad(x13, u[2], a0);
                a1 = __smlad(x13, u[3], a1);
                c0 = __smlad(x13, v[2], c0);
                c1 = __smlad(x13, v[3], c1);
            }
#endif
            wide_pre_out(&q, filter, bias, w, u, x, o, a0, a1, k, off, fast);
            if (second) {
                wide_pre_out(&q, filter, bias, w + pw, v, x, o, c0, c1, k, off, fast);
            }
        }
    }
}

/* wide_pre_rows for the pixels px0 .. px1 - 1 of a conv that did not check its channels (wide_fast for each
 * live one: the fast output stage or not); filter: the int8 filter for the channels past the groups of 4, or
 * NULL where the stream holds the whole filter */
void mcu_wide_pre_rows_any(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                           int8_t *out, int32_t px0, int32_t px1)
{
    const int32_t n_live = p->dead_out != NULL ? p->live_c : p->out.c;
    int fast = 1;
    for (int32_t i = 0; i < n_live && fast; ++i) {
        fast = wide_fast(p, bias, p->dead_out != NULL ? p->live[i] : i, p->in.c);
    }
    mcu_wide_pre_rows(p, in, filter, bias, out, px0, px1, n_live, fast);
}

/* conv_1x1_wide_run's 1x1 specialisations (see mcu_conv_wide_dsp.h) */
WIDE_VARIANT(static, conv_1x1_wide, 0, 0, 0)
WIDE_VARIANT(static, conv_1x1_wide_pre, 0, 0, 1)
WIDE_VARIANT(static, conv_1x1_wide_live, 1, 0, 0)
WIDE_VARIANT(static, conv_1x1_wide_pre_live, 1, 0, 1)
#undef WIDE_VARIANT
#undef WIDE_NOINLINE

/* conv_1x1_wide on the int8 filter, with or without the dead-channel hint */
static void wide_int8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                      int8_t *out, uint32_t *wide)
{
    if (p->dead_out != NULL) {
        conv_1x1_wide_live(p, in, filter, bias, out, wide);
    } else {
        conv_1x1_wide(p, in, filter, bias, out, wide);
    }
}

/* conv_1x1_wide on the pre-widened weights (wide_filter), with or without the dead-channel hint */
static void wide_pre(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                     int8_t *out, uint32_t *wide)
{
    if (p->dead_out != NULL) {
        conv_1x1_wide_pre_live(p, in, filter, bias, out, wide);
    } else {
        conv_1x1_wide_pre(p, in, filter, bias, out, wide);
    }
}

typedef void (*wide_fn_t)(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                          int8_t *out, uint32_t *wide);

/* The pixels px0 .. pixels - 1 without the widened block: the 2 x 2 blocks on the int8 filter */
static void rest_int8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                      int8_t *out, int32_t px0, int32_t pixels)
{
    mcu_conv_params_t q = *p;
    q.in.n = q.out.n = 1;
    q.in.h = q.out.h = 1;
    q.in.w = q.out.w = pixels - px0;
    mcu_conv_1x1(&q, in + (size_t)px0 * (size_t)p->in.c, filter, bias, out + (size_t)px0 * (size_t)p->out.c);
}

/* The same on the pre-widened weights, row by row of the stream */
static void rest_pre(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                     int8_t *out, int32_t px0, int32_t pixels)
{
    mcu_wide_pre_rows_any(p, in, filter, bias, out, px0, pixels);
}

typedef void (*rest_fn_t)(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                          int8_t *out, int32_t px0, int32_t pixels);

/*
 * The 1x1 conv without a planned scratch (the planner leaves it out where it would raise the arena's
 * peak): conv_1x1_wide borrows the last bytes of the conv's own output, which nothing else holds while
 * it runs, for the pixels whose outputs all lie before them, then `rest` writes the others over the
 * borrowed bytes. Where input and output overlap or fewer than 4 pixels come first, `rest` takes them all.
 */
static void own_output(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                       int8_t *out, wide_fn_t run, rest_fn_t rest)
{
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const size_t in_bytes = (size_t)pixels * (size_t)p->in.c, out_bytes = (size_t)pixels * (size_t)p->out.c;
    const uintptr_t wide = own_output_scratch(in, in_bytes, out, out_bytes, 8u * (size_t)(p->in.c & ~3));
    const int32_t head = wide != 0 ? (int32_t)((wide - (uintptr_t)out) / (size_t)p->out.c) : 0;
    if (head < 4) {                                 /* (outputs before `wide`) */
        rest(p, in, filter, bias, out, 0, pixels);
        return;
    }
    mcu_conv_params_t q = *p;
    q.in.n = q.out.n = 1;
    q.in.h = q.out.h = 1;
    q.in.w = q.out.w = head;
    run(&q, in, filter, bias, out, (uint32_t *)(void *)wide);
    if (head < pixels) {
        rest(p, in, filter, bias, out, head, pixels);
    }
}

/* 1x1 stride-1 unpadded, 4 <= in.c < 32000, at least 4 pixels: 4 pixels widened into the scratch; the int8
 * filter */
void mcu_conv_1x1_wide_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out, int16_t *scratch)
{
    wide_int8(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
}

/* The same on the pre-widened weights (wide_filter; filter NULL where they hold the whole filter) */
void mcu_conv_1x1_wide_pre_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                  const int32_t *bias, int8_t *out, int16_t *scratch)
{
    wide_pre(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
}

/* mcu_conv_1x1_wide_s8_dsp without scratch (any number of pixels): the end of the conv's own output borrowed */
void mcu_conv_1x1_own_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                             const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    own_output(p, in, filter, bias, out, wide_int8, rest_int8);
}

/* mcu_conv_1x1_wide_pre_s8_dsp without scratch (any number of pixels) */
void mcu_conv_1x1_own_pre_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                 const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    own_output(p, in, filter, bias, out, wide_pre, rest_pre);
}

#endif /* !MCU_NN_REFERENCE && !MCU_NN_MVE && MCU_NN_DSP */

int32_t mcu_conv_1x1_wide_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_SCRATCH_BYTES(p->in.c);
}

int32_t mcu_conv_1x1_wide_pre_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_SCRATCH_BYTES(p->in.c);
}

MCU_NO_SCRATCH(mcu_conv_1x1_own_pre_s8_dsp)

MCU_NO_SCRATCH(mcu_conv_1x1_own_s8_dsp)
