/*
 * The window kernels of the DSP cores (not Helium) for convs with few input channels and depthwise convs
 * with a depth multiplier > 1 (mcu_conv_win, mcu_depthwise_win; mcu_win_stack without planned scratch), and
 * the window gather (mcu_win_build, mcu_win_build_inside) that Helium's window kernels (mcu_conv_win_mve.c)
 * share.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_DSP)
/*
 * Window kernels (Armv7E-M DSP) for convs with few input channels and depthwise convs with a depth
 * multiplier > 1 and few input channels (typically a network's first layer), where the generic paths
 * dot only a few values per filter row or per tap. Each output pixel's whole window of n = kh * kw *
 * taps_channels values (a conv: every input channel of every tap, in the filter row's order ky, kx, ic;
 * a depthwise conv: one input channel's kh * kw taps) is gathered into a small buffer in the caller's
 * scratch (taps outside the input filled with the input zero point, whose (x + input_offset) is 0), then widened
 * once to int16 pairs plus the input offset (SXTAB16): each group of 4 values k..k+3 as the two words
 * (k, k+2) and (k+1, k+3). The weights of the output channels (a conv's own filter rows; a depthwise
 * conv's taps) come widened the same way at compile time (p->win_w, see mcu_nn.h), zero weights past n,
 * by pairs of channels: per group the two words of the pair's first channel, then the two of its second,
 * as the two pixels' windows are interleaved in x. Then 2
 * pixels x 2 output channels per pass, 4 LDRD feeding 8 SMLADs (14 instructions per 16 MACs with the
 * loop's CMP and BNE, 13 with two groups per pass when their number is even); the window's values past n
 * meet zero weights.
 * The sums bias + sum, doubled (one LSL), go into mcu_rqd_apply with mcu_rq2_channel's constant (output
 * offset folded in, SMMLAR, SUB, ASR) when the channel allows it (mcu_rq2_channel, and |bias + sum| <
 * 2^30 whatever the input: mcu_rqd_fits), then SSAT #8 for the whole int8 range; otherwise
 * mcu_requant_fast.
 * The work memory (MCU_WIN_SCRATCH_BYTES in mcu_nn.h, at most 904 B: a chunk's output-stage constants
 * and two pixels' windows) is the caller's scratch, planned in the arena; without it (NULL: the planner
 * left it out where it would raise the peak) a bounded area on the stack (win_stack). Without win_w
 * mcu_conv2d_s8 and mcu_depthwise_conv2d_s8 take their other paths.
 */

/* 4 bytes v at d; the empty asm keeps GCC from turning the copy and fill loops below into memcpy /
 * memset calls (their counts are a few words) */
static inline void win_store4(int8_t *d, uint32_t v)
{
#if defined(__GNUC__)
    __asm__("" : "+r"(v));
#endif
    memcpy(d, &v, 4);
}

/* count (0..3) bytes from s to d (as a loop GCC may call memcpy) */
static inline void win_copy_tail(int8_t *d, const int8_t *s, int32_t count)
{
    if (count > 0) {
        d[0] = s[0];
    }
    if (count > 1) {
        d[1] = s[1];
    }
    if (count > 2) {
        d[2] = s[2];
    }
}

/* count bytes from s to d (no library call: counts are small) */
static inline void win_copy(int8_t *d, const int8_t *s, int32_t count)
{
    int32_t i = 0;
    for (; i + 4 <= count; i += 4) {
        win_store4(d + i, mcu_load4(s + i));
    }
    win_copy_tail(d + i, s + i, count - i);
}

/* count bytes v at d, in whole words: up to 3 bytes more (win_build writes its window in order, so the
 * next piece overwrites them; raw has room past the window) */
static inline void win_fill(int8_t *d, int8_t v, int32_t count)
{
    const uint32_t v4 = (uint32_t)(uint8_t)v * 0x01010101u;
    for (int32_t i = 0; i < count; i += 4) {
        win_store4(d + i, v4);
    }
}

/* raw's s->groups groups of 4 values, plus the input offset, into x: int16 lanes (k, k+2), (k+1, k+3),
 * each group's two words 4 words apart (the other pixel's in between) */
static MCU_ALWAYS_INLINE void win_widen(const win_src_t *s, const int8_t *raw, uint32_t *x)
{
    const uint32_t off2 = s->off2;
    const int32_t groups = s->groups;   /* (read once: x's stores may alias s) */
    for (int32_t g = 0; g < groups; ++g, raw += 4, x += 4) {
        const uint32_t v = mcu_load4(raw);
        x[0] = __sxtab16(off2, v);
        x[1] = mcu_sxtab16_ror8(off2, v);
    }
}

/* A window inside the input whose filter rows are contiguous runs of `row` bytes (dilation_w 1 and a
 * conv, or a depthwise conv of one input channel), the first at src, `step` apart: copied run by run, 4
 * bytes at a time, into raw, then widened into x (see win_widen) unless x is NULL (Helium). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void mcu_win_build_inside(const win_src_t *s, const int8_t *src, size_t step, int32_t kh, int32_t row,
                          int words, int8_t *raw, uint32_t *x)
{
    const int32_t row4 = row & ~3;
    int8_t *r = raw;
    if (words) {                        /* whole words: up to 3 bytes more per run, overwritten by the next
                                         * run or past n in raw (they meet zero weights) */
        for (int32_t ky = 0; ky < kh; ++ky, src += step, r += row) {
            for (int32_t i = 0; i < row; i += 4) {
                win_store4(r + i, mcu_load4(src + i));
            }
        }
        if (x != NULL) {
            win_widen(s, raw, x);
        }
        return;
    }
    for (int32_t ky = 0; ky < kh; ++ky, src += step, r += row) {
        int32_t i = 0;
        for (; i < row4; i += 4) {
            win_store4(r + i, mcu_load4(src + i));
        }
        win_copy_tail(r + i, src + i, row - i);
    }
    if (x != NULL) {
        win_widen(s, raw, x);
    }
}

#if !defined(MCU_NN_MVE)
/* the windows raw0, raw1 of 2 pixels widened together into x: per group pixel 0's two words (see
 * win_widen), then pixel 1's */
static MCU_ALWAYS_INLINE void win_widen_pair(const win_src_t *s, const int8_t *raw0, const int8_t *raw1,
                                             uint32_t *x)
{
    const uint32_t off2 = s->off2;
    const uint32_t *const x_end = x + 4 * s->groups;
    for (; x != x_end; raw0 += 4, raw1 += 4, x += 4) {
        const uint32_t v0 = mcu_load4(raw0), v1 = mcu_load4(raw1);
        x[0] = __sxtab16(off2, v0);
        x[1] = mcu_sxtab16_ror8(off2, v0);
        x[2] = __sxtab16(off2, v1);
        x[3] = mcu_sxtab16_ror8(off2, v1);
    }
}

/* The windows of a pair of output pixels inside the input, as win_build_inside's whole-word case (their
 * runs' whole words inside the input) for both at once: the runs at src0 and src1 copied into raw0 and
 * raw1, then widened together into x (per group pixel 0's two words, then pixel 1's); runs of whole
 * words (row % 4 == 0) widened straight from the input. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void win_build_pair(const win_src_t *s, const int8_t *src0, const int8_t *src1, size_t step, int32_t kh,
                           int32_t row, int8_t *raw0, int8_t *raw1, uint32_t *x)
{
    const uint32_t off2 = s->off2;
    if ((row & 3) == 0) {
        const ptrdiff_t d1 = src1 - src0;              /* pixel 1's runs: d1 bytes after pixel 0's */
        const uint32_t *const x_end = x + 4 * s->groups;
        while (x != x_end) {
            const int8_t *const run_end = src0 + row;
            for (const int8_t *a = src0; a != run_end; a += 4, x += 4) {
                const uint32_t v0 = mcu_load4(a), v1 = mcu_load4(a + d1);
                x[0] = __sxtab16(off2, v0);
                x[1] = mcu_sxtab16_ror8(off2, v0);
                x[2] = __sxtab16(off2, v1);
                x[3] = mcu_sxtab16_ror8(off2, v1);
            }
            src0 += step;
        }
        return;
    }
    const ptrdiff_t d1 = src1 - src0, dr = raw1 - raw0;     /* pixel 1's runs and raw window from pixel 0's */
    int8_t *const raw_end = raw0 + (size_t)kh * (size_t)row;
    for (int8_t *r0 = raw0; r0 != raw_end; r0 += row, src0 += step) {
        const int8_t *a = src0;
        int8_t *const run_end = r0 + row;
        for (int8_t *r = r0; r < run_end; r += 4, a += 4) {
            const uint32_t v0 = mcu_load4(a), v1 = mcu_load4(a + d1);
            win_store4(r, v0);
            win_store4(r + dr, v1);
        }
    }
    win_widen_pair(s, raw0, raw1, x);
}
#endif

/* The window of the output pixel whose taps start at input row iy0, column ix0, gathered (taps outside
 * the input as the zero point) into raw (s->groups * 4 bytes of room), then widened into x (s->groups
 * pairs of words, 4 words apart: see win_widen; not when x is NULL): when a filter row's taps are one run of input (dilation_w
 * 1 and a conv, or a depthwise conv of one input channel), each row as its valid run between the padding
 * on the left and on the right; otherwise tap by tap. */
static void win_build_runs(const win_src_t *s, const int8_t *src, size_t step, int32_t ky0, int32_t ky1,
                           int32_t kh, int32_t row, int32_t left, int32_t mid, int8_t *raw, uint32_t *x)
{
    /* rows [0, ky0) and [ky1, kh) outside the input; the others: `left` bytes of padding, the run of `mid`
     * bytes at src (then step apart), padding: the whole window filled with the zero point, then the runs
     * copied over it */
    win_fill(raw, s->zp, kh * row);
    if (mid > 0) {
        int8_t *r = raw + (size_t)ky0 * (size_t)row + (size_t)left;
        for (int32_t ky = ky0; ky < ky1; ++ky, r += row, src += step) {
            win_copy(r, src, mid);
        }
    }
    if (x != NULL) {
        win_widen(s, raw, x);
    }
}

void mcu_win_build(const mcu_conv_params_t *p, const win_src_t *s, int32_t iy0, int32_t ix0, int8_t *raw,
                   uint32_t *x)
{
    const int32_t kh = p->filter.h, kw = p->filter.w, in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t dh = p->dilation_h, dw = p->dilation_w, tc = s->tc, row = kw * tc;
    const int runs = dw == 1 && tc == in_c;
    const int32_t kx0 = first_tap(ix0, 1, kw), kx1 = end_tap(ix0, 1, kw, in_w);
    const int32_t left = kx0 * tc, mid = kx1 > kx0 ? (kx1 - kx0) * tc : 0;
    if (runs) {
        const int32_t ky0 = first_tap(iy0, dh, kh), ky1 = end_tap(iy0, dh, kh, in_h);
        const int8_t *src = ky1 > ky0 && mid > 0      /* (no valid tap: src is not read) */
            ? s->src + ((size_t)(iy0 + ky0 * dh) * (size_t)in_w + (size_t)(ix0 + kx0)) * (size_t)in_c : s->src;
        win_build_runs(s, src, (size_t)dh * (size_t)in_w * (size_t)in_c, ky0, ky1 > ky0 ? ky1 : ky0, kh, row, left,
                       mid, raw, x);
        return;
    }
    int8_t *r = raw;
    for (int32_t ky = 0; ky < kh; ++ky, r += row) {
        const int32_t iy = iy0 + ky * dh;
        if (iy < 0 || iy >= in_h) {
            win_fill(r, s->zp, row);
            continue;
        }
        const int8_t *srow = s->src + (size_t)iy * (size_t)in_w * (size_t)in_c;
        for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ix0 + kx * dw;
            if (ix < 0 || ix >= in_w) {
                win_fill(r + kx * tc, s->zp, tc);
            } else if (tc == 1) {
                r[kx] = srow[(size_t)ix * (size_t)in_c];
            } else {
                win_copy(r + kx * tc, srow + (size_t)ix * (size_t)in_c, tc);
            }
        }
    }
    if (x != NULL) {
        win_widen(s, raw, x);
    }
}

#if !defined(MCU_NN_MVE)              /* the DSP pairs (Helium: depthwise_win_mve) */
/* a[i*2+j] += sum_k X_i[k] * W_j[k] over `groups` groups of 4 values, X_i the widened windows of 2
 * pixels interleaved in x and W_j the widened weights of 2 channels interleaved in w (per group 2 words of
 * the first, then 2 of the second); groups >= 1, and even when by2 (then two groups per pass; by2
 * constant once inlined) */
static MCU_ALWAYS_INLINE void win_dot_2x2(const uint32_t *x, const uint32_t *w, int32_t groups, int32_t a[4],
                                          int by2)
{
    int32_t a00 = a[0], a01 = a[1], a10 = a[2], a11 = a[3];
    const uint32_t *const x_end = x + 4 * groups;
#if defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
    /* the loop below in assembly (13 registers: GCC reloads the end in the C form) */
    uint32_t wa, wb, wc, wd, xa, xb;
#define WIN_DOT_GROUP                                                                                 \
    "ldrd   %[wa], %[wb], [%[w]], #16\n\t"                                                            \
    "ldrd   %[xa], %[xb], [%[x]], #16\n\t"                                                            \
    "smlad  %[a00], %[xa], %[wa], %[a00]\n\t"                                                         \
    "smlad  %[a00], %[xb], %[wb], %[a00]\n\t"                                                         \
    "ldrd   %[wc], %[wd], [%[w], #-8]\n\t"                                                            \
    "smlad  %[a01], %[xa], %[wc], %[a01]\n\t"                                                         \
    "smlad  %[a01], %[xb], %[wd], %[a01]\n\t"                                                         \
    "ldrd   %[xa], %[xb], [%[x], #-8]\n\t"                                                            \
    "smlad  %[a10], %[xa], %[wa], %[a10]\n\t"                                                         \
    "smlad  %[a10], %[xb], %[wb], %[a10]\n\t"                                                         \
    "smlad  %[a11], %[xa], %[wc], %[a11]\n\t"                                                         \
    "smlad  %[a11], %[xb], %[wd], %[a11]\n\t"
#define WIN_DOT_OPERANDS                                                                              \
    : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [x] "+r"(x), [w] "+r"(w),   \
      [wa] "=&r"(wa), [wb] "=&r"(wb), [wc] "=&r"(wc), [wd] "=&r"(wd), [xa] "=&r"(xa), [xb] "=&r"(xb)   \
    : [end] "r"(x_end)                                                                                \
    : "memory", "cc"
    if (by2) {
        __asm__("1:\n\t" WIN_DOT_GROUP WIN_DOT_GROUP
                "cmp    %[x], %[end]\n\t"
                "bne    1b\n\t" WIN_DOT_OPERANDS);
    } else {
        __asm__("1:\n\t" WIN_DOT_GROUP
                "cmp    %[x], %[end]\n\t"
                "bne    1b\n\t" WIN_DOT_OPERANDS);
    }
#undef WIN_DOT_OPERANDS
#undef WIN_DOT_GROUP
#else
    (void)by2;
    for (; x != x_end; x += 4, w += 4) {
        a00 = __smlad(x[0], w[0], a00);
        a00 = __smlad(x[1], w[1], a00);
        a01 = __smlad(x[0], w[2], a01);
        a01 = __smlad(x[1], w[3], a01);
        a10 = __smlad(x[2], w[0], a10);
        a10 = __smlad(x[3], w[1], a10);
        a11 = __smlad(x[2], w[2], a11);
        a11 = __smlad(x[3], w[3], a11);
    }
#endif
    a[0] = a00;
    a[1] = a01;
    a[2] = a10;
    a[3] = a11;
}

/* Two channels c0, c1 of a chunk (c1 = c0 for the last of an odd count): biases and mcu_rq2_channel
 * constants (where the channel allows them: see fast in win_chunk_t). */
typedef struct {
    int32_t b0, b1;
    mcu_rqd_t r0, r1;
    int32_t c0, c1;
} win_pair_t;

/* One chunk of output channels: widened weights ww (by pairs of channels, groups groups each), their
 * output-stage constants by pairs (bit c of fast: channel c by mcu_rqd_apply), the first channel oc0. */
typedef struct {
    const uint32_t *ww;                 /* in p->win_w */
    int32_t groups, oc0, nch, all_fast;
    uint32_t fast;
    out_stage_t q;
    win_pair_t *pairs;                  /* (nch + 1) / 2, in the work memory (win_work_t) */
} win_chunk_t;

/* the output stage of chunk channel c from its sum acc (see the comment above); all_fast and
 * full_range constant once inlined */
static MCU_ALWAYS_INLINE int8_t win_out(const win_chunk_t *k, int32_t c, int32_t acc, int all_fast, int full_range)
{
    const win_pair_t *pp = &k->pairs[c >> 1];
    if (all_fast || ((k->fast >> c) & 1u) != 0) {
        const mcu_rqd_t *r = (c & 1) != 0 ? &pp->r1 : &pp->r0;
        const int32_t y = mcu_rqd_apply(r, (int32_t)((uint32_t)acc << 1));   /* |acc| < 2^30 */
        return (int8_t)(full_range ? __ssat(y, 8) : mcu_clamp(y, k->q.lo, k->q.hi));
    }
    return requant_out(&k->q, acc, k->oc0 + c);
}

/* the chunk's channels of 2 output pixels (windows interleaved in x; outputs o, o + out_c), or of one
 * (pair 0: both windows the same) */
static MCU_ALWAYS_INLINE void win_pixels(const win_chunk_t *k, const uint32_t *x, int8_t *o,
                                         size_t out_c, int pair, int all_fast, int full_range)
{
    const int32_t nch = k->nch;
    for (int32_t c = 0; c < nch; c += 2) {
        const int32_t c1 = c + 1 < nch ? c + 1 : c;
        const win_pair_t *pp = &k->pairs[c >> 1];
        int32_t a[4] = {pp->b0, pp->b1, pp->b0, pp->b1};
        win_dot_2x2(x, k->ww + (size_t)c * 2 * (size_t)k->groups, k->groups, a, 0);
        o[c1] = win_out(k, c1, a[1], all_fast, full_range);
        o[c] = win_out(k, c, a[0], all_fast, full_range);
        if (pair) {
            o[out_c + c1] = win_out(k, c1, a[3], all_fast, full_range);
            o[out_c + c] = win_out(k, c, a[2], all_fast, full_range);
        }
    }
}

static MCU_ALWAYS_INLINE void win_pixels_rq2(const win_chunk_t *k, const uint32_t *x, int8_t *o, size_t out_c,
                                             int pair, int by2)
{
    /* every channel by mcu_rqd_apply, the whole int8 range: the pairs' constants read from one record
     * each; a single pixel (x's two windows the same) is stored twice at o */
    int8_t *const o1 = o + (pair ? out_c : 0);
    const int32_t groups = k->groups;
    const uint32_t *w = k->ww;
    const win_pair_t *pp = k->pairs, *const end = pp + (k->nch + 1) / 2;
    for (; pp != end; ++pp, w += 4 * groups) {
        int32_t a[4] = {pp->b0, pp->b1, pp->b0, pp->b1};
        win_dot_2x2(x, w, groups, a, by2);
        o[pp->c1] = (int8_t)__ssat(mcu_rqd_apply(&pp->r1, (int32_t)((uint32_t)a[1] << 1)), 8);
        o[pp->c0] = (int8_t)__ssat(mcu_rqd_apply(&pp->r0, (int32_t)((uint32_t)a[0] << 1)), 8);
        o1[pp->c1] = (int8_t)__ssat(mcu_rqd_apply(&pp->r1, (int32_t)((uint32_t)a[3] << 1)), 8);
        o1[pp->c0] = (int8_t)__ssat(mcu_rqd_apply(&pp->r0, (int32_t)((uint32_t)a[2] << 1)), 8);
    }
}

/* win_pixels_rq2 by one group per pass, and by two (an even number of groups) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void win_pixels_fast(const win_chunk_t *k, const uint32_t *x, int8_t *o, size_t out_c, int pair)
{
    win_pixels_rq2(k, x, o, out_c, pair, 0);
}

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void win_pixels_fast2(const win_chunk_t *k, const uint32_t *x, int8_t *o, size_t out_c, int pair)
{
    win_pixels_rq2(k, x, o, out_c, pair, 1);
}

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void win_pixels_any(const win_chunk_t *k, const uint32_t *x, int8_t *o, size_t out_c,
                           int pair)
{
    win_pixels(k, x, o, out_c, pair, 0, 0);
}

/* The window path's work memory, carved from the caller's scratch or win_stack's area
 * (MCU_WIN_SCRATCH_BYTES(n, total) bytes, 4-byte aligned; see mcu_nn.h) by win_work: the chunk's
 * output-stage constants by pairs of channels, two pixels' widened windows (4 groups words), two raw
 * windows of groups + 1 words (4 * groups bytes and the up to 3 more that whole-word copies write past n). */
typedef struct {
    win_pair_t *pairs;
    uint32_t *x;
    int8_t *raw, *raw1;
} win_work_t;

typedef char win_pair_size_ok[sizeof(win_pair_t) == 40 ? 1 : -1];     /* as MCU_WIN_SCRATCH_BYTES counts */

/* wk from scratch for windows of n values and chunks of total channels; the raw windows zeroed (their
 * bytes past n meet zero weights: any value, but defined) */
static void win_work(uint32_t *scratch, int32_t n, int32_t total, win_work_t *wk)
{
    const size_t groups = (size_t)MCU_WIN_GROUPS(n), pairs = (size_t)((MCU_WIN_CHUNK(total) + 1) / 2);
    uint32_t *const raw = scratch + pairs * (sizeof(win_pair_t) / 4) + 4 * groups;
    wk->pairs = (win_pair_t *)(void *)scratch;
    wk->x = scratch + pairs * (sizeof(win_pair_t) / 4);
    for (size_t i = 0; i < 2 * (groups + 1); ++i) {
        raw[i] = 0;
    }
    wk->raw = (int8_t *)(void *)raw;
    wk->raw1 = (int8_t *)(void *)(raw + groups + 1);
}

/* The chunk k of every output pixel of image b: windows from s (work memory wk), outputs at out_b. */
static void win_run(const mcu_conv_params_t *p, const win_src_t *s, const win_chunk_t *k, const win_work_t *wk,
                    int8_t *out_b)
{
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int fast = k->all_fast && k->q.lo == -128 && k->q.hi == 127;
    void (*const pixels)(const win_chunk_t *, const uint32_t *, int8_t *, size_t, int) =
        !fast ? win_pixels_any : (k->groups & 1) == 0 ? win_pixels_fast2 : win_pixels_fast;
    const int32_t kh = p->filter.h, kw = p->filter.w, in_w = p->in.w, in_c = p->in.c, row = kw * s->tc;
    const int runs = p->dilation_w == 1 && s->tc == in_c;   /* a filter row's taps: one run of input */
    const size_t step = (size_t)p->dilation_h * (size_t)in_w * (size_t)in_c;
    const size_t last_run = (size_t)(kh - 1) * step + (size_t)((row + 3) & ~3);   /* a window's bytes, words */
    const int8_t *const in_end = s->end;
    int8_t *const raw = wk->raw, *const raw1 = wk->raw1;     /* the second pixel's: win_build_pair */
    uint32_t *const x = wk->x;                                  /* 2 windows, interleaved */
    for (int32_t oy = 0; oy < out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int rows_inside = runs && iy0 >= 0 && iy0 + (kh - 1) * p->dilation_h < p->in.h;
        int8_t *o = out_b + (size_t)oy * (size_t)out_w * (size_t)out_c + (size_t)k->oc0;
        for (int32_t ox = 0; ox < out_w; ox += 2, o += 2 * (size_t)out_c) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            const int pair = ox + 1 < out_w;
            const int32_t ix1 = pair ? ix0 + p->stride_w : ix0;                  /* a last odd pixel: twice */
            if (rows_inside && ix0 >= 0 && ix1 + kw <= in_w) {
                const int8_t *src = s->src + ((size_t)iy0 * (size_t)in_w + (size_t)ix0) * (size_t)in_c;
                const int8_t *src1 = src + (size_t)(ix1 - ix0) * (size_t)in_c;
                if (src1 + last_run <= in_end) {                /* whole words stay inside the input */
                    win_build_pair(s, src, src1, step, kh, row, raw, raw1, x);
                } else {
                    mcu_win_build_inside(s, src, step, kh, row, 0, raw, x);
                    mcu_win_build_inside(s, src1, step, kh, row, 0, raw, x + 2);
                }
            } else {
                mcu_win_build(p, s, iy0, ix0, raw, NULL);      /* cut by padding: raw windows, widened together */
                mcu_win_build(p, s, iy0, ix1, raw1, NULL);
                win_widen_pair(s, raw, raw1, x);
            }
            pixels(k, x, o, (size_t)out_c, pair);
        }
    }
}

/* the chunk k of channels [oc0, oc0 + nch): their widened weights ww (in p->win_w: (nch + 1) / 2 pairs of
 * 4 * groups words, see mcu_nn.h) and output-stage constants for sums of n products */
static void win_channels(const mcu_conv_params_t *p, const int32_t *bias, const uint32_t *ww, int32_t n,
                         int32_t oc0, int32_t nch, const win_work_t *wk, win_chunk_t *k)
{
    k->ww = ww;
    k->pairs = wk->pairs;
    k->groups = (n + 3) >> 2;
    k->oc0 = oc0;
    k->nch = nch;
    k->all_fast = 1;
    k->fast = 0;
    k->q = out_stage(p);
    for (int32_t j = 0; j < k->nch; ++j) {
        const int32_t oc = k->oc0 + j, b = bias != NULL ? bias[oc] : 0;
        const int32_t mult = p->out_mult[oc], shift = p->out_shift[oc];
        mcu_rqd_t r = mcu_rqd_channel(0, -1);          /* replaced where fast */
        const int fast = mcu_rqd_fits(mult, shift, b, n) && mcu_rq2_channel(mult, shift, p->output_offset, &r);
        k->all_fast &= fast;
        k->fast |= (uint32_t)fast << j;
        win_pair_t *pp = &k->pairs[j >> 1];
        if ((j & 1) == 0) {             /* the pair's first; its second too until channel j + 1 comes */
            pp->b0 = b;
            pp->r0 = r;
            pp->c0 = j;
        }
        pp->b1 = b;
        pp->r1 = r;
        pp->c1 = j;
    }
}

/* Conv by windows: n = kh * kw * in.c in [4, WIN_MAXN]; work: MCU_WIN_SCRATCH_BYTES(n, out.c) bytes.
 * Chunks of MCU_WIN_CAP output channels (an even count: the last of an odd chunk takes a whole pair). */
#if defined(__GNUC__)
__attribute__((noinline))     /* its frame stays out of the dispatcher's */
#endif
void mcu_conv_win(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                  uint32_t *work)
{
    const int32_t n = p->filter.h * p->filter.w * p->in.c, out_c = p->out.c, groups = (n + 3) >> 2;
    const size_t in_size = (size_t)p->in.h * (size_t)p->in.w * (size_t)p->in.c;
    const size_t out_size = (size_t)p->out.h * (size_t)p->out.w * (size_t)out_c;
    win_src_t s = {in, in, p->in.c, n, groups, ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u,
                   (int8_t)(-p->input_offset)};
    win_work_t wk;
    win_work(work, n, out_c, &wk);
    for (int32_t oc0 = 0; oc0 < out_c; oc0 += MCU_WIN_CAP) {
        win_chunk_t k;
        win_channels(p, bias, p->win_w + (size_t)oc0 * 2 * (size_t)groups, n, oc0,
                     out_c - oc0 < MCU_WIN_CAP ? out_c - oc0 : MCU_WIN_CAP, &wk, &k);
        for (int32_t b = 0; b < p->in.n; ++b) {
            s.src = in + (size_t)b * in_size;
            s.end = in + (size_t)(b + 1) * in_size;
            win_run(p, &s, &k, &wk, out + (size_t)b * out_size);
        }
    }
}

/* Depthwise by windows: depth multiplier m, n = kh * kw in [1, WIN_MAXN]; output channels ic * m + j by
 * chunks of one input channel's; work: MCU_WIN_SCRATCH_BYTES(n, m) bytes. */
#if defined(__GNUC__)
__attribute__((noinline))     /* its frame stays out of the dispatcher's */
#endif
void mcu_depthwise_win(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                       uint32_t *work)
{
    const int32_t n = p->filter.h * p->filter.w, out_c = p->out.c, m = p->depth_multiplier, groups = (n + 3) >> 2;
    const size_t in_size = (size_t)p->in.h * (size_t)p->in.w * (size_t)p->in.c;
    const size_t out_size = (size_t)p->out.h * (size_t)p->out.w * (size_t)out_c;
    const size_t ic_words = (size_t)((m + 1) / 2) * 4 * (size_t)groups;     /* an input channel's win_w */
    win_src_t s = {in, in, 1, n, groups, ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u,
                   (int8_t)(-p->input_offset)};
    win_work_t wk;
    win_work(work, n, m, &wk);
    for (int32_t ic = 0; ic < p->in.c; ++ic) {
        for (int32_t j0 = 0; j0 < m; j0 += MCU_WIN_CAP) {
            const int32_t nch = m - j0 < MCU_WIN_CAP ? m - j0 : MCU_WIN_CAP, oc0 = ic * m + j0;
            win_chunk_t k;
            win_channels(p, bias, p->win_w + (size_t)ic * ic_words + (size_t)j0 * 2 * (size_t)groups, n, oc0, nch,
                         &wk, &k);
            for (int32_t b = 0; b < p->in.n; ++b) {
                s.src = in + (size_t)b * in_size + (size_t)ic;
                s.end = in + (size_t)(b + 1) * in_size;
                win_run(p, &s, &k, &wk, out + (size_t)b * out_size);
            }
        }
    }
}

/* The window path without planned scratch (the planner leaves it out where it would raise the arena's
 * peak): its work memory on the stack, at most MCU_WIN_SCRATCH_BYTES(96, 16) = 904 B (the widened
 * weights, the bulk, are win_w's in flash). */
#define WIN_STACK_WORDS (MCU_WIN_SCRATCH_BYTES(WIN_MAXN, MCU_WIN_CAP) / 4)
#if defined(__GNUC__)
__attribute__((noinline))     /* the area only in this frame, only while it runs */
#endif
void mcu_win_stack(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                   int depthwise)
{
    uint32_t work[WIN_STACK_WORDS];
    if (depthwise) {
        mcu_depthwise_win(p, in, bias, out, work);
    } else {
        mcu_conv_win(p, in, bias, out, work);
    }
}
/* in.c % 4 != 0 and n = kh kw in.c in [4, 96], with win_w: each output pixel's window gathered and widened
 * in the scratch, dotted with the widened filter rows */
void mcu_conv_win_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out, int16_t *scratch)
{
    (void)filter;
    mcu_conv_win(p, in, bias, out, (uint32_t *)(void *)scratch);
}

/* The same with the work memory on the stack */
void mcu_conv_win_stack_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                               const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)filter;
    (void)scratch;
    mcu_win_stack(p, in, bias, out, 0);
}

/* depth multiplier >= 2, in.c <= 4, kh kw <= 96, with win_w */
void mcu_dwconv_win_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                           const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)filter;
    mcu_depthwise_win(p, in, bias, out, (uint32_t *)(void *)scratch);
}

void mcu_dwconv_win_stack_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                 const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)filter;
    (void)scratch;
    mcu_win_stack(p, in, bias, out, 1);
}

#endif /* !MCU_NN_MVE */

#endif /* !MCU_NN_REFERENCE && MCU_NN_DSP */

int32_t mcu_conv_win_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_WIN_SCRATCH_BYTES(p->filter.h * p->filter.w * p->in.c, p->out.c);
}

MCU_NO_SCRATCH(mcu_conv_win_stack_s8_dsp)

int32_t mcu_dwconv_win_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_WIN_SCRATCH_BYTES(p->filter.h * p->filter.w, p->depth_multiplier);
}

MCU_NO_SCRATCH(mcu_dwconv_win_stack_s8_dsp)
