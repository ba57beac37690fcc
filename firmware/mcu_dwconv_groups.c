/*
 * Depthwise conv, depth multiplier 1, kh kw <= 25: channel groups of 4 outside, pixels inside
 * (mcu_dwconv_groups_s8, the channels past the last group of 4 by mcu_depthwise_fast; the DSP cores' pairs
 * of pixels in inline assembly, plain C elsewhere).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE)
/*
 * Depthwise, depth multiplier 1, channel groups outside, pixels inside: a group of 4 channels widens
 * its filter taps to int16 pairs once (channels 0,2 and 1,3, as SMLABB / SMLATT take them) and sets up
 * its bias and requantisation constants once, then walks every output pixel. Pixels whose window is
 * all inside the input take, on the DSP cores for 3x3 / 5x5 filters of dilation 1 at stride 1 or 2, two
 * neighbouring pixels per pass (DWG_PAIRS, inline assembly: each input word widened once for both, the
 * input offset folded into the bias) and otherwise (the odd last one, dilations) a fully unrolled 3x3
 * or a row loop of 5 taps; those with every column inside but rows cut off (top and bottom) a loop over
 * their rows with each row's 3 or 5 taps unrolled, the others loop over their valid taps, except that
 * for 3x3 filters at stride_h 1 the first and last columns with one filter column cut off go two rows a
 * pass over the rows all inside (dwg_vpairs: DWG_PAIRS_AT over the 2 valid filter columns). Small maps at
 * stride 1 (most pixels on a border) instead copy the group's input into a padded map on the stack (dwg_padded)
 * and take DWG_PAIRS for every pixel (the odd last one of a row alone). When the
 * group's 4 channels allow it (mcu_rq2_channel, and |sum| < 2^30 whatever the input), the taps and the
 * bias are doubled and the doubled sums are requantised with mcu_rqd_apply on mcu_rq2_channel's
 * constants, the offset being output offset - act_min, then USAT #8 and a bytewise minimum (dwg_pack:
 * 4 instructions a value, 7 per 4 to pack and clamp); otherwise mcu_rq_apply. Outside the DSP cores
 * the same loops (without the pairs) in plain C.
 */
#if defined(MCU_NN_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
#define DWG_HAVE_PAIRS 1                /* DWG_PAIRS_AT (inline assembly) */
#endif
#define DWG_PAIR_COLS 35                /* DWG_PAIRS: 5 rows of 7 columns (5x5, stride 2) */
#define DWG_PAD_WORDS 256               /* dwg_padded: the padded copy of a group's input (1 KB of stack) */
#define DWG_PAD_PITCH 8                 /* dwg_padded, 3x3: maps up to 8 words wide, rows 8 words apart */

typedef struct {
    uint32_t w[DWG_TAPS][2];            /* per tap: channels (0, 2) and (1, 3), int16 pairs */
    int32_t bias[4];
    mcu_rqd_t rq2[4];                                  /* mcu_rq2_channel: the output offset folded in */
    mcu_rq_t rq[4];
    int32_t off, o_off, lo, hi;
    uint32_t off2, lo4, span4, hi4;     /* the input offset in both int16 lanes; lo, hi - lo and hi in 4 bytes */
    int32_t pairs;                      /* DWG_PAIRS applies (with fast): k x k (k 3 or 5), dilation 1, stride_w 1 or 2 */
    int32_t nosub;                      /* act_min >= output zero point: the 3x3 pairs without the SUB (DWG_PAIR_RQ) */
    int32_t bias_in[4];                 /* bias + input offset * sum of the taps (windows all inside) */
    /* vertical pairs (DWG_HAVE_PAIRS, 3x3, stride_h 1): rows [v_oy0, v_oy1) (an even count, all 3 filter rows
     * inside) of the output columns v_ox[i] (one filter column cut off: filter columns v_kx0[i], + 1; -1: none) */
    int32_t v_oy0, v_oy1, v_ox[2], v_kx0[2];
    uint32_t wv[6][2];                  /* vertical pairs: the 2 valid filter columns (outer) of 3 rows each */
    int32_t bias_v[4];                  /* bias + input offset * sum of those 6 taps */
    int32_t xv[8];                      /* vertical pairs: column j, row r of the 2 windows at j * c + r * row */
    int32_t xoff[DWG_PAIR_COLS];        /* DWG_PAIRS: row r, column j of the 2 windows at r * row + j * c */
    /* small maps at stride 1 (DWG_HAVE_PAIRS, rq2 groups): the group's 4 channels copied into a padded pad_hp x pad_wp map of
     * words (0: not taken), every output pixel a DWG_PAIRS window there; xoffp as xoff for that map */
    int32_t pad_wp, pad_hp, pad_pitch;  /* pad_pitch: words from row to row (DWG_PAD_PITCH: immediate offsets) */
    int32_t xoffp[DWG_PAIR_COLS];
} dw_group_t;

static inline uint32_t dwg_pair(int32_t lo16, int32_t hi16)
{
    return ((uint32_t)lo16 & 0xFFFFu) | ((uint32_t)hi16 << 16);
}

/* The layer's part of a group: offsets, activation range, DWG_PAIRS's input offsets (once per layer). */
static void dwg_layer(dw_group_t *g, const mcu_conv_params_t *p)
{
    const int32_t k = p->filter.w, sw = p->stride_w, c = p->in.c;
    g->pairs = (k == 3 || k == 5) && p->filter.h == k && p->dilation_w == 1 && p->dilation_h == 1
               && (sw == 1 || sw == 2);
    g->v_oy0 = g->v_oy1 = 0;
    g->v_ox[0] = g->v_ox[1] = -1;
    g->pad_wp = g->pad_hp = g->pad_pitch = 0;
    if (g->pairs) {
        const int32_t cols = k + sw, row = p->in.w * c;
        for (int32_t r = 0; r < k; ++r) {
            for (int32_t j = 0; j < cols; ++j) {
                g->xoff[r * cols + j] = r * row + j * c;
            }
        }
        for (int32_t r = 0; r < 4; ++r) {
            g->xv[r] = r * row;
            g->xv[4 + r] = r * row + c;
        }
    }
#if defined(DWG_HAVE_PAIRS)
    if (g->pairs && sw == 1 && p->stride_h == 1) {
        /* the padded map dwg_padded reads: rows out_h - 1 + k; columns out_w rounded up to even pairs, - 1 + k (the
         * odd last pixel goes alone and leaves the last column unread). Stride 1 only: at stride 2 (SAME: padding
         * on the bottom and the right only) most pixels are inside anyway and the copy costs more than it saves. */
        const int32_t wp = 2 * ((p->out.w + 1) >> 1) - 1 + k, hp = p->out.h - 1 + k;
        const int32_t pitch = k == 3 && wp <= DWG_PAD_PITCH && hp * DWG_PAD_PITCH <= DWG_PAD_WORDS ? DWG_PAD_PITCH : wp;
        if (pitch * hp <= DWG_PAD_WORDS) {
            g->pad_wp = wp;
            g->pad_hp = hp;
            g->pad_pitch = pitch;
            for (int32_t r = 0; r < k; ++r) {
                for (int32_t j = 0; j < k + 1; ++j) {
                    g->xoffp[r * (k + 1) + j] = (r * pitch + j) * 4;
                }
            }
        }
    }
    if (g->pairs && k == 3 && p->stride_h == 1) {
        /* the output columns and rows whose window columns / rows are all inside (as dwg_run) */
        const int32_t ox_lo = p->pad_left > 0 ? (p->pad_left + sw - 1) / sw : 0;
        const int32_t last = p->in.w - 3 + p->pad_left, last_y = p->in.h - 3 + p->pad_top;
        int32_t ox_hi = last < 0 ? 0 : last / sw + 1, oy_hi = last_y < 0 ? 0 : last_y + 1;
        ox_hi = ox_hi > p->out.w ? p->out.w : ox_hi;
        oy_hi = oy_hi > p->out.h ? p->out.h : oy_hi;
        g->v_oy0 = p->pad_top > 0 ? p->pad_top : 0;
        g->v_oy1 = oy_hi > g->v_oy0 ? g->v_oy0 + ((oy_hi - g->v_oy0) & ~1) : g->v_oy0;
        /* the first and the last output column if they are next to the inside ones (dwg_run's rows start / end
         * one column in) */
        const int32_t cand[2] = {ox_lo == 1 ? 0 : -1, ox_hi == p->out.w - 1 && ox_hi >= ox_lo ? ox_hi : -1};
        for (int32_t i = 0; i < 2; ++i) {
            const int32_t ix0 = cand[i] * sw - p->pad_left;
            const int32_t kx0 = first_tap(ix0, 1, 3);
            if (g->v_oy1 > g->v_oy0 && cand[i] >= 0 && end_tap(ix0, 1, 3, p->in.w) - kx0 == 2) {
                g->v_ox[i] = cand[i];
                g->v_kx0[i] = kx0;
            }
        }
    }
#endif
    g->nosub = p->act_min >= p->output_offset;
    g->off = p->input_offset;
    g->o_off = p->output_offset;
    g->lo = p->act_min;
    g->hi = p->act_max;
    g->off2 = ((uint32_t)g->off & 0xFFFFu) * 0x10001u;
    g->lo4 = ((uint32_t)g->lo & 0xFFu) * 0x01010101u;
    g->hi4 = ((uint32_t)g->hi & 0xFFu) * 0x01010101u;
    g->span4 = ((uint32_t)(g->hi - g->lo) & 0xFFu) * 0x01010101u;
}

/* Sets up channels [ch, ch + 4) (after dwg_layer); returns 1 if they take the doubled sums and mcu_rqd_apply
 * (DW4_RQ_SETUP). */
static MCU_ALWAYS_INLINE int dwg_setup(dw_group_t *g, const mcu_conv_params_t *p, const int8_t *filter,
                                        const int32_t *bias, int32_t ch)
{
    const int32_t taps = p->filter.h * p->filter.w, c = p->out.c;
    int fast;
    DW4_RQ_SETUP(g, p, bias, ch, taps, fast);
    const int32_t s = fast ? 2 : 1;
#if defined(MCU_NN_DSP)
    const uint32_t dbl = fast ? 0xFFFFFFFFu : 0u;       /* the taps doubled by SADD16 with themselves, or not */
#endif
    /* the taps widened (times s) and, lane by lane, their sums (|sum| <= 25 * 256: int16 lanes) */
    uint32_t sum02 = 0, sum13 = 0;
    for (int32_t t = 0; t < taps; ++t) {
        const int8_t *f = filter + (size_t)t * (size_t)c + (size_t)ch;
#if defined(MCU_NN_DSP)
        const uint32_t v = mcu_load4(f);
        uint32_t w02 = __sxtb16(v), w13 = mcu_sxtb16_ror8(v);
        w02 = __sadd16(w02, w02 & dbl);
        w13 = __sadd16(w13, w13 & dbl);
        sum02 = __sadd16(sum02, w02);
        sum13 = __sadd16(sum13, w13);
#else
        const uint32_t w02 = dwg_pair(f[0] * s, f[2] * s), w13 = dwg_pair(f[1] * s, f[3] * s);
        sum02 = dwg_pair((int16_t)(sum02 & 0xFFFFu) + f[0] * s, (int16_t)(sum02 >> 16) + f[2] * s);
        sum13 = dwg_pair((int16_t)(sum13 & 0xFFFFu) + f[1] * s, (int16_t)(sum13 >> 16) + f[3] * s);
#endif
        g->w[t][0] = w02;
        g->w[t][1] = w13;
    }
    const int32_t sums[4] = {(int16_t)(sum02 & 0xFFFFu), (int16_t)(sum13 & 0xFFFFu), (int16_t)(sum02 >> 16),
                             (int16_t)(sum13 >> 16)};
    for (int32_t j = 0; j < 4; ++j) {
        g->bias[j] = bias != NULL ? bias[ch + j] * s : 0;
        g->bias_in[j] = g->bias[j] + g->off * sums[j];
    }
    return fast;
}

#if defined(MCU_NN_DSP)
#define DWG_TAP(xp, wp)                                                                \
    do {                                                                               \
        const uint32_t xv_ = mcu_load4(xp);                                            \
        const uint32_t x02_ = __sxtab16(off2, xv_), x13_ = mcu_sxtab16_ror8(off2, xv_); \
        const uint32_t w02_ = (wp)[0], w13_ = (wp)[1];                                 \
        a0 = __smlabb(x02_, w02_, a0);                                                 \
        a2 = __smlatt(x02_, w02_, a2);                                                 \
        a1 = __smlabb(x13_, w13_, a1);                                                 \
        a3 = __smlatt(x13_, w13_, a3);                                                 \
    } while (0)
#else
#define DWG_TAP(xp, wp)                                                                \
    do {                                                                               \
        const int8_t *x_ = (xp);                                                       \
        a0 += ((int32_t)x_[0] + off) * (int16_t)((wp)[0] & 0xFFFFu);                   \
        a2 += ((int32_t)x_[2] + off) * (int16_t)((wp)[0] >> 16);                       \
        a1 += ((int32_t)x_[1] + off) * (int16_t)((wp)[1] & 0xFFFFu);                   \
        a3 += ((int32_t)x_[3] + off) * (int16_t)((wp)[1] >> 16);                       \
    } while (0)
#endif

/* The 4 sums of one pixel: nky x nkx taps from x (filter taps from w, kw a filter row); `unroll` (a
 * constant once inlined): 1 unrolls both loops (constant nky and nkx), 2 the loop over a row's taps
 * (constant nkx). */
static MCU_ALWAYS_INLINE void dwg_sums(const dw_group_t *g, const int8_t *x, const uint32_t (*w)[2],
                                       int32_t nky, int32_t nkx, size_t x_step, size_t x_row, int32_t kw,
                                       int unroll, int32_t a[4])
{
    int32_t a0 = g->bias[0], a1 = g->bias[1], a2 = g->bias[2], a3 = g->bias[3];
#if defined(MCU_NN_DSP)
    const uint32_t off2 = g->off2;
#else
    const int32_t off = g->off;
#endif
    if (unroll == 1) {
#pragma GCC unroll 5
        for (int32_t ky = 0; ky < nky; ++ky) {
#pragma GCC unroll 5
            for (int32_t kx = 0; kx < nkx; ++kx) {
                DWG_TAP(x + (size_t)ky * x_row + (size_t)kx * x_step, w[ky * kw + kx]);
            }
        }
    } else if (unroll == 2) {
        for (int32_t ky = 0; ky < nky; ++ky) {
#pragma GCC unroll 5
            for (int32_t kx = 0; kx < nkx; ++kx) {
                DWG_TAP(x + (size_t)kx * x_step, w[kx]);
            }
            x += x_row;
            w += kw;
        }
    } else {
        for (int32_t ky = 0; ky < nky; ++ky) {
            const int8_t *xr = x;
            for (int32_t kx = 0; kx < nkx; ++kx) {
                DWG_TAP(xr, w[kx]);
                xr += x_step;
            }
            x += x_row;
            w += kw;
        }
    }
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
}
#undef DWG_TAP


#include "mcu_dwconv_pairs_dsp.h"         /* DWG_PAIRS (DWG_HAVE_PAIRS: the DSP pixel pairs) */

/* The 4 sums of one pixel requantised with mcu_rqd_apply (dwg_setup's constants: result + output offset -
 * act_min), clamped to [act_min, act_max] and packed into 4 bytes: USAT #8 clamps below (and to act_min + 255
 * above), ORR packs the non-negative bytes, USUB8 + SEL take the bytewise minimum with act_max - act_min and
 * UADD8 adds act_min back (mod 256: the int8 bytes). */
static MCU_ALWAYS_INLINE uint32_t dwg_pack(const dw_group_t *g, const int32_t a[4])
{
#if defined(MCU_NN_DSP)
    const uint32_t y0 = (uint32_t)__usat(mcu_rqd_apply(&g->rq2[0], a[0]), 8);
    const uint32_t y1 = (uint32_t)__usat(mcu_rqd_apply(&g->rq2[1], a[1]), 8);
    const uint32_t y2 = (uint32_t)__usat(mcu_rqd_apply(&g->rq2[2], a[2]), 8);
    const uint32_t y3 = (uint32_t)__usat(mcu_rqd_apply(&g->rq2[3], a[3]), 8);
    uint32_t v = y0 | (((((y3 << 8) | y2) << 8) | y1) << 8), t;
    const uint32_t span4 = g->span4, lo4 = g->lo4;
    __asm__("usub8 %1, %0, %2\n\t"
            "sel %0, %2, %0\n\t"
            "uadd8 %0, %0, %3"
            : "+r"(v), "=&r"(t)
            : "r"(span4), "r"(lo4)
            : "cc");
    return v;
#else
    uint32_t v = 0;
    for (int32_t j = 0; j < 4; ++j) {
        const int32_t y = mcu_clamp(mcu_rqd_apply(&g->rq2[j], a[j]), 0, g->hi - g->lo) + g->lo;
        v |= ((uint32_t)y & 0xFFu) << (8 * j);
    }
    return v;
#endif
}

/* Requantises, clamps and stores the 4 sums of one pixel. */
static MCU_ALWAYS_INLINE void dwg_store(const dw_group_t *g, const int32_t a[4], int fast, int8_t *o)
{
    if (fast) {
        const uint32_t v = dwg_pack(g, a);
        memcpy(o, &v, sizeof v);
        return;
    }
    int32_t y[4];
#pragma GCC unroll 4
    for (int32_t j = 0; j < 4; ++j) {
        y[j] = mcu_rq_apply(&g->rq[j], a[j]) + g->o_off;
    }
#if defined(MCU_NN_DSP)
    /* saturate to int8, pack 4 bytes (PKHBT, UXTB16, ORR), clamp bytewise (SSUB8 + SEL), one store */
    uint32_t t02, t13, t;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(t02) : "r"(__ssat(y[0], 8)), "r"(__ssat(y[2], 8)));
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(t13) : "r"(__ssat(y[1], 8)), "r"(__ssat(y[3], 8)));
    uint32_t v = __uxtb16(t02) | (__uxtb16(t13) << 8);
    const uint32_t lo4 = g->lo4, hi4 = g->hi4;
    __asm__("ssub8 %1, %0, %2\n\t"
            "sel %0, %0, %2\n\t"
            "ssub8 %1, %3, %0\n\t"
            "sel %0, %0, %3"
            : "+r"(v), "=&r"(t)
            : "r"(lo4), "r"(hi4)
            : "cc");
    memcpy(o, &v, sizeof v);
#else
    for (int32_t j = 0; j < 4; ++j) {
        o[j] = (int8_t)mcu_clamp(y[j], g->lo, g->hi);
    }
#endif
}

/* One group over every output pixel; `fast` (a constant once inlined): mcu_rqd_apply (mcu_rq2_channel);
 * `ksel` (a constant): the filter width whose unrolled loops the copy holds, 3 or 5, 0 none (any width runs in
 * any copy; the compiler calls the one of its width); `pairs` (a constant): with the DSP pairs (DWG_PAIRS) and
 * the vertical pairs (dwg_vpairs: the caller runs them), or without (the small copies, --optimise size). */
static MCU_ALWAYS_INLINE void dwg_run(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in,
                                      int8_t *out, int32_t ch, int fast, int ksel, int pairs)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w;
    const int32_t sw = p->stride_w, dw = p->dilation_w;
    const size_t x_step = (size_t)dw * (size_t)c, x_row = (size_t)p->dilation_h * (size_t)in_w * (size_t)c;
    const size_t x_px = (size_t)sw * (size_t)c;
    /* output columns [ox_lo, ox_hi) have every column tap inside the input */
    int32_t ox_lo = p->pad_left > 0 ? (p->pad_left + sw - 1) / sw : 0;
    const int32_t last = in_w - 1 - (kw - 1) * dw + p->pad_left;       /* largest interior ix0 + pad */
    int32_t ox_hi = last < 0 ? 0 : last / sw + 1;
    if (ox_hi > out_w) {
        ox_hi = out_w;
    }
    if (ox_lo > ox_hi) {
        ox_lo = ox_hi;
    }
    /* the unrolled loops only for the groups requantised through mcu_rq2_channel (the common case; the others,
     * left shifts and very large sums, take the plain loops, which keeps the code small) */
    const int w3 = fast && ksel == 3 && kw == 3, w5 = fast && ksel == 5 && kw == 5;
    const int k3 = w3 && kh == 3, k5 = w5 && kh == 5;
    /* rows [v_oy0, v_oy1) of the columns v_ox: done by dwg_vpairs */
    const int32_t oy_lo = fast && ksel == 3 && pairs ? g->v_oy0 : 0, oy_v = fast && ksel == 3 && pairs ? g->v_oy1 : 0;
    const int32_t sk0 = g->v_ox[0] >= 0, sk1 = g->v_ox[1] >= 0;      /* columns 0 and out_w - 1 */
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)c + (size_t)ch;
        int8_t *out_b = out + (size_t)b * (size_t)out_h * (size_t)out_w * (size_t)c + (size_t)ch;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
            const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
            int8_t *o = out_b + (size_t)oy * (size_t)out_w * (size_t)c;
            const int8_t *x_row0 = in_b + (ky0 < ky1 ? (size_t)(iy0 + ky0 * p->dilation_h) * (size_t)in_w * (size_t)c : 0);
            const uint32_t (*w_row0)[2] = g->w + ky0 * kw;
            const int32_t nky = ky1 > ky0 ? ky1 - ky0 : 0;
            const int in_v = oy >= oy_lo && oy < oy_v;         /* columns 0, out_w - 1 done by dwg_vpairs */
            const int32_t ox_end = out_w - (in_v ? sk1 : 0);
            int32_t a[4];
            for (int32_t ox = in_v ? sk0 : 0; ox < ox_end; ++ox) {
                if (ox == ox_lo && nky > 0) {               /* the columns whose taps are all inside */
                    const int8_t *x = x_row0 + (size_t)(ox * sw - p->pad_left) * (size_t)c;
                    int8_t *oo = o + (size_t)ox * (size_t)c;
                    if (k3 && nky == 3) {
#if defined(DWG_HAVE_PAIRS)
                        if (pairs && g->pairs) {               /* 2 pixels a pass, then 1 if odd */
                            const int8_t *x_end = x + (size_t)((ox_hi - ox) >> 1) * 2 * x_px;
                            ox += (ox_hi - ox) & ~1;
                            if (sw == 1 && g->nosub) {         /* (the 3x3 ones also without the SUB) */
                                for (; x != x_end; x += 2 * x_px, oo += 2 * c) {
                                    DWG_PAIRS(3, 1, 1, g, x, oo, oo + c);
                                }
                            } else if (sw == 1) {
                                for (; x != x_end; x += 2 * x_px, oo += 2 * c) {
                                    DWG_PAIRS(3, 1, 0, g, x, oo, oo + c);
                                }
                            } else if (g->nosub) {
                                for (; x != x_end; x += 2 * x_px, oo += 2 * c) {
                                    DWG_PAIRS(3, 2, 1, g, x, oo, oo + c);
                                }
                            } else {
                                for (; x != x_end; x += 2 * x_px, oo += 2 * c) {
                                    DWG_PAIRS(3, 2, 0, g, x, oo, oo + c);
                                }
                            }
                        }
#endif
                        for (; ox < ox_hi; ++ox, x += x_px, oo += c) {
                            dwg_sums(g, x, g->w, 3, 3, x_step, x_row, 3, 1, a);
                            dwg_store(g, a, fast, oo);
                        }
                    } else if (k5 && nky == 5) {
#if defined(DWG_HAVE_PAIRS)
                        if (pairs && g->pairs) {               /* 2 pixels a pass, then 1 if odd */
                            const int8_t *x_end = x + (size_t)((ox_hi - ox) >> 1) * 2 * x_px;
                            ox += (ox_hi - ox) & ~1;
                            if (sw == 1) {
                                for (; x != x_end; x += 2 * x_px, oo += 2 * c) {
                                    DWG_PAIRS(5, 1, 0, g, x, oo, oo + c);
                                }
                            } else {
                                for (; x != x_end; x += 2 * x_px, oo += 2 * c) {
                                    DWG_PAIRS(5, 2, 0, g, x, oo, oo + c);
                                }
                            }
                        }
#endif
                        for (; ox < ox_hi; ++ox, x += x_px, oo += c) {
                            dwg_sums(g, x, g->w, 5, 5, x_step, x_row, 5, 2, a);
                            dwg_store(g, a, fast, oo);
                        }
                    } else if (w3) {
                        for (; ox < ox_hi; ++ox, x += x_px, oo += c) {
                            dwg_sums(g, x, w_row0, nky, 3, x_step, x_row, 3, 2, a);
                            dwg_store(g, a, fast, oo);
                        }
                    } else if (w5) {
                        for (; ox < ox_hi; ++ox, x += x_px, oo += c) {
                            dwg_sums(g, x, w_row0, nky, 5, x_step, x_row, 5, 2, a);
                            dwg_store(g, a, fast, oo);
                        }
                    } else {
                        for (; ox < ox_hi; ++ox, x += x_px, oo += c) {
                            dwg_sums(g, x, w_row0, nky, kw, x_step, x_row, kw, 0, a);
                            dwg_store(g, a, fast, oo);
                        }
                    }
                    if (ox >= ox_end) {
                        break;
                    }
                }
                const int32_t ix0 = ox * sw - p->pad_left;
                const int32_t kx0 = first_tap(ix0, dw, kw), kx1 = end_tap(ix0, dw, kw, in_w);
                const int32_t nkx = kx1 > kx0 ? kx1 - kx0 : 0;
                const int8_t *x = x_row0 + (nkx > 0 ? (size_t)(ix0 + kx0 * dw) * (size_t)c : 0);
                const int32_t ny = nkx > 0 ? nky : 0;
                if (!fast) {
                    dwg_sums(g, x, w_row0 + kx0, ny, nkx, x_step, x_row, kw, 0, a);
                } else if (nkx == 1) {                      /* the cut windows of 3x3 and 5x5 filters */
                    dwg_sums(g, x, w_row0 + kx0, ny, 1, x_step, x_row, kw, 2, a);
                } else if (nkx == 2) {
                    dwg_sums(g, x, w_row0 + kx0, ny, 2, x_step, x_row, kw, 2, a);
                } else if (nkx == 3) {
                    dwg_sums(g, x, w_row0 + kx0, ny, 3, x_step, x_row, kw, 2, a);
                } else if ((ksel != 3 || kw != 3) && nkx == 4) {
                    dwg_sums(g, x, w_row0 + kx0, ny, 4, x_step, x_row, kw, 2, a);
                } else {
                    dwg_sums(g, x, w_row0 + kx0, ny, nkx, x_step, x_row, kw, 0, a);
                }
                dwg_store(g, a, fast, o + (size_t)ox * (size_t)c);
            }
        }
    }
}

#if defined(DWG_HAVE_PAIRS)
/* The vertical pairs of a group (g->v_*: 3x3, stride_h 1, the columns with one filter column cut off, rows whose
 * filter rows are all inside): the column's 6 valid taps copied to g->wv (2 filter columns of 3 rows: DWG_PAIRS_AT
 * with the filter's columns outside, rows inside), bias_v = bias + input offset * their sum, then two output rows
 * a pass. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline))
#endif
static void dwg_vpairs(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, int8_t *out, int32_t ch)
{
    const int32_t c = p->in.c;
    const size_t o_row = (size_t)p->out.w * (size_t)c, i_row = (size_t)p->in.w * (size_t)c;
    for (int32_t i = 0; i < 2; ++i) {
        const int32_t ox = g->v_ox[i];
        if (ox < 0) {
            continue;
        }
        const int32_t kx0 = g->v_kx0[i];
        const uint32_t (*w)[2] = g->w + kx0;
        uint32_t s02 = 0, s13 = 0;
#pragma GCC unroll 2
        for (int32_t j = 0; j < 2; ++j) {
#pragma GCC unroll 3
            for (int32_t r = 0; r < 3; ++r) {
                const uint32_t w02 = w[r * 3 + j][0], w13 = w[r * 3 + j][1];
                g->wv[j * 3 + r][0] = w02;
                g->wv[j * 3 + r][1] = w13;
                s02 = __sadd16(s02, w02);       /* |sum| <= 6 * 256: int16 lanes */
                s13 = __sadd16(s13, w13);
            }
        }
        const int32_t off = g->off;
        g->bias_v[0] = g->bias[0] + off * (int16_t)(s02 & 0xFFFFu);
        g->bias_v[1] = g->bias[1] + off * (int16_t)(s13 & 0xFFFFu);
        g->bias_v[2] = g->bias[2] + off * (int16_t)(s02 >> 16);
        g->bias_v[3] = g->bias[3] + off * (int16_t)(s13 >> 16);
        const int32_t ix = ox * p->stride_w - p->pad_left + kx0;
        const int32_t n = (g->v_oy1 - g->v_oy0) >> 1;
        for (int32_t b = 0; b < p->in.n; ++b) {
            const int8_t *x = in + (size_t)b * (size_t)p->in.h * i_row + (size_t)ch
                              + (size_t)(g->v_oy0 - p->pad_top) * i_row + (size_t)ix * (size_t)c;
            int8_t *o = out + (size_t)b * (size_t)p->out.h * o_row + (size_t)ch + (size_t)g->v_oy0 * o_row
                        + (size_t)ox * (size_t)c;
            for (int32_t k = 0; k < n; ++k, x += 2 * i_row, o += 2 * o_row) {
                DWG_PAIRS_AT(2, 3, 1, 0, bias_v, xv, wv, 0, g, x, o, o + o_row);
            }
        }
    }
}
#endif

#if defined(DWG_HAVE_PAIRS)
/* A pass of DWG_PAIRS over the output rows of the padded map (xoffp): 2 pixels a pass, the odd last one alone
 * (dwg_sums over the map, the input offset added tap by tap: the padding's x + offset is 0 there too). */
#define DWG_PADDED_ROWS(K, SW, P, NS)                                                                    \
    for (int32_t oy = 0; oy < p->out.h; ++oy) {                                                           \
        const int8_t *x = (const int8_t *)(buf + (size_t)oy * (size_t)pitch);                             \
        int8_t *o = o_b + (size_t)oy * (size_t)p->out.w * (size_t)c;                                      \
        int32_t ox = 0;                                                                                   \
        for (; ox + 1 < p->out.w; ox += 2, x += 8 * (SW), o += 2 * c) {                                   \
            DWG_PAIRS_AT(K, K, SW, P, bias_in, xoffp, w, NS, g, x, o, o + c);                              \
        }                                                                                                 \
        if (ox < p->out.w) {                  /* the odd last pixel alone (the offset added tap by tap) */ \
            int32_t a_[4];                                                                                \
            dwg_sums(g, x, g->w, K, K, 4, (size_t)pitch * 4u, K, (K) == 3 ? 1 : 2, a_);                    \
            dwg_store(g, a_, 1, o);                                                                       \
        }                                                                                                 \
    }

/* Small maps at stride 1 (g->pad_wp > 0): the group's 4 channels copied, one word a pixel, into a map padded with the
 * input zero point (x + input offset = 0: the padding adds nothing to bias_in's sums), so that every output pixel,
 * borders included, takes DWG_PAIRS (on small maps most pixels are border pixels). buf: the map, its padding
 * already written (dwg_padded_groups: once a layer); the input rows and columns are copied here. */
static MCU_ALWAYS_INLINE void dwg_padded(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, int8_t *out,
                                         int32_t ch, uint32_t *buf, int ksel)
{
    const int32_t wp = g->pad_wp, hp = g->pad_hp, pitch = g->pad_pitch, c = p->in.c, in_w = p->in.w, in_h = p->in.h;
    /* map columns [x0, x1) and rows [pad_top, y1) are input columns x - pad_left, rows y - pad_top */
    const int32_t x0 = p->pad_left < wp ? p->pad_left : wp;
    const int32_t x1 = p->pad_left + in_w < wp ? p->pad_left + in_w : wp;
    const int32_t y1 = p->pad_top + in_h < hp ? p->pad_top + in_h : hp;
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)c + (size_t)ch;
        int8_t *o_b = out + (size_t)b * (size_t)p->out.h * (size_t)p->out.w * (size_t)c + (size_t)ch;
        for (int32_t r = p->pad_top; r < y1; ++r) {
            const int8_t *xi = in_b + ((size_t)(r - p->pad_top) * (size_t)in_w + (size_t)(x0 - p->pad_left)) * (size_t)c;
            uint32_t *q = buf + (size_t)r * (size_t)pitch + (size_t)x0, *q_end = q + (x1 - x0);
            for (; q != q_end; ++q, xi += c) {
                *q = mcu_load4(xi);
            }
        }
        if (ksel == 5) {                            /* (DWG_PAIRS_AT declares its reads of buf) */
            DWG_PADDED_ROWS(5, 1, 0, 0)
        } else if (pitch == DWG_PAD_PITCH && g->nosub) {
            DWG_PADDED_ROWS(3, 1, DWG_PAD_PITCH, 1)
        } else if (pitch == DWG_PAD_PITCH) {
            DWG_PADDED_ROWS(3, 1, DWG_PAD_PITCH, 0)
        } else {
            DWG_PADDED_ROWS(3, 1, 0, 0)
        }
    }
}
#undef DWG_PADDED_ROWS
#endif

/* (not inlined into depthwise_groups: the group's constants stay where g points, not copied around) */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline, optimize("no-schedule-insns")))
#endif
static void dwg_run_rq(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, int8_t *out, int32_t ch)
{
    dwg_run(p, g, in, out, ch, 0, 0, 0);            /* (the plain loops: no filter-width copies) */
}

/* The rq2 groups, one copy per filter width (DWG_WIDTH): a model links only the widths it has */
#if defined(__GNUC__) && !defined(__clang__)
#define DWG_RQ2_ATTR __attribute__((noinline, optimize("no-schedule-insns")))
#define DWG_NOINLINE __attribute__((noinline))
#else
#define DWG_RQ2_ATTR
#define DWG_NOINLINE
#endif
#if defined(DWG_HAVE_PAIRS)
#define DWG_VPAIRS(K)                                                                                     \
    if ((K) == 3 && g->v_oy1 > g->v_oy0) {                                                                \
        dwg_vpairs(p, g, in, out, ch);                                                                    \
    }
/* depthwise_groups on a small map at stride 1 (g->pad_wp > 0, after dwg_layer; filter width 3 or 5): the padded
 * map (DWG_PAD_WORDS words of stack) is filled with the input zero point once, then each rq2 group copies its input
 * into it (dwg_padded). */
#define DWG_PADDED_GROUPS(K)                                                                              \
    static DWG_NOINLINE void dwg_padded_groups_k##K(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, \
                                                    const int8_t *filter, const int32_t *bias, int8_t *out) \
    {                                                                                                     \
        uint32_t buf[DWG_PAD_WORDS];                                                                      \
        const uint32_t padw = ((uint32_t)(-g->off) & 0xFFu) * 0x01010101u;                                \
        for (int32_t i = 0; i < g->pad_hp * g->pad_pitch; ++i) {                                          \
            buf[i] = padw;                                                                                \
        }                                                                                                 \
        for (int32_t ch = 0; ch < (p->out.c & ~3); ch += 4) {                                             \
            if (dwg_setup(g, p, filter, bias, ch)) {                                                      \
                dwg_padded(p, g, in, out, ch, buf, K);                                                    \
            } else {                                                                                      \
                dwg_run_rq(p, g, in, out, ch);                                                            \
            }                                                                                             \
        }                                                                                                 \
    }
#define DWG_PADDED_CALL(K)                                                                                \
    if ((K) != 0 && g.pad_wp > 0 && p->filter.w == (K)) {                                                 \
        dwg_padded_groups_k##K(p, &g, in, filter, bias, out);                                             \
        return;                                                                                           \
    }
#else
#define DWG_VPAIRS(K)
#define DWG_PADDED_GROUPS(K)
#define DWG_PADDED_CALL(K)
#endif

/* Depth multiplier 1, channels [0, c & ~3) in groups of 4 (the caller does the rest), filter width K (0: any
 * other than 3 and 5) */
#define DWG_WIDTH(K, S, PAIRS)                                                                            \
    static DWG_RQ2_ATTR void dwg_run_rq2_k##K##S(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, \
                                                 int8_t *out, int32_t ch)                                 \
    {                                                                                                     \
        DWG_VPAIRS(K)                                                                                     \
        dwg_run(p, g, in, out, ch, 1, K, PAIRS);                                                          \
    }                                                                                                     \
    DWG_PADDED_GROUPS(K)                                                                                  \
    static void groups_k##K##S(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,        \
                            const int32_t *bias, int8_t *out)                                             \
    {                                                                                                     \
        const int32_t c4 = p->out.c & ~3;                                                                 \
        dw_group_t g;                                                                                     \
        dwg_layer(&g, p);                                                                                 \
        DWG_PADDED_CALL(K)                                                                                \
        for (int32_t ch = 0; ch < c4; ch += 4) {                                                          \
            if (dwg_setup(&g, p, filter, bias, ch)) {                                                     \
                dwg_run_rq2_k##K##S(p, &g, in, out, ch);                                                  \
            } else {                                                                                      \
                dwg_run_rq(p, &g, in, out, ch);                                                           \
            }                                                                                             \
        }                                                                                                 \
    }
DWG_WIDTH(3, , 1)
DWG_WIDTH(5, , 1)
#undef DWG_PADDED_CALL
#undef DWG_PADDED_GROUPS
#undef DWG_VPAIRS
#define DWG_PADDED_CALL(K)
#define DWG_PADDED_GROUPS(K)
#define DWG_VPAIRS(K)
DWG_WIDTH(0, , 0)
DWG_WIDTH(3, _small, 0)        /* the small copies (--optimise size): the unrolled loops, no pairs */
DWG_WIDTH(5, _small, 0)
#undef DWG_WIDTH
#undef DWG_PADDED_CALL
#undef DWG_PADDED_GROUPS
#undef DWG_VPAIRS

/* The variants: filter width 3 (_k3), 5 (_k5) or any other, with the pairs or without (_small), out.c a
 * multiple of 4 or not (_tail: the channels past the last group by mcu_depthwise_fast) */
#define DWG_ENTRY(name, K, TAIL)                                                                          \
    void name(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,    \
              int8_t *out, int16_t *scratch)                                                              \
    {                                                                                                     \
        (void)scratch;                                                                                    \
        groups_k##K(p, in, filter, bias, out);                                                            \
        if (TAIL) {                                                                                       \
            mcu_depthwise_fast(p, in, filter, bias, out, p->out.c & ~3);                                  \
        }                                                                                                 \
    }
DWG_ENTRY(mcu_dwconv_groups_s8, 0, 0)
DWG_ENTRY(mcu_dwconv_groups_tail_s8, 0, 1)
DWG_ENTRY(mcu_dwconv_groups_k3_s8, 3, 0)
DWG_ENTRY(mcu_dwconv_groups_k3_tail_s8, 3, 1)
DWG_ENTRY(mcu_dwconv_groups_k5_s8, 5, 0)
DWG_ENTRY(mcu_dwconv_groups_k5_tail_s8, 5, 1)
DWG_ENTRY(mcu_dwconv_groups_k3_small_s8, 3_small, 0)
DWG_ENTRY(mcu_dwconv_groups_k3_small_tail_s8, 3_small, 1)
DWG_ENTRY(mcu_dwconv_groups_k5_small_s8, 5_small, 0)
DWG_ENTRY(mcu_dwconv_groups_k5_small_tail_s8, 5_small, 1)
#undef DWG_ENTRY
#undef DWG_RQ2_ATTR
#undef DWG_NOINLINE

#endif /* !MCU_NN_REFERENCE */

MCU_NO_SCRATCH(mcu_dwconv_groups_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_tail_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k3_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k3_tail_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k5_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k5_tail_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k3_small_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k3_small_tail_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k5_small_s8)
MCU_NO_SCRATCH(mcu_dwconv_groups_k5_small_tail_s8)
