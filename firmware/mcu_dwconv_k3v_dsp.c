/*
 * Depthwise conv, depth multiplier 1, 3x3 filter, stride 1, dilation 1, out.w + 2 <= K3V_MAX_WP, on the DSP cores:
 * SMLAD on vertical pairs of input rows (mcu_dwconv_k3v_s8_dsp, and _tail: the channels past the last group of 4 by
 * mcu_depthwise_fast; a layer outside these limits, or a build without the DSP extension, takes mcu_depthwise_fast
 * for every channel).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_DSP)
/*
 * A group of 4 channels at a time. Its input, padded with the input zero point (x + input offset = 0 there) and
 * widened with the input offset added, is kept two pairs of padded rows at a time in 2 slots on the stack: for the
 * padded rows (y, y + 1), y even, the slot holds per padded column x 4 words (channel j at word 4 x + j), each the
 * int16 lanes (v[y][x], v[y + 1][x]) (SXTAB16 + PKHBT / PKHTB; each input word read once per group). The output
 * rows oy, oy + 1 (oy even) of channel j at column ox read, per filter column kx, the word A of the slot of rows
 * (oy, oy + 1) and the word B of the slot of rows (oy + 2, oy + 3) at column ox + kx; with the filter column's taps
 * w0, w1, w2 as the int16 pairs W01 = (w0, w1), W12 = (w1, w2):
 *     row oy:     SMLAD(A, W01) + SMLABT(B, W12)     (v[oy] w0 + v[oy + 1] w1, v[oy + 2] w2)
 *     row oy + 1: SMLATB(A, W01) + SMLAD(B, W12)     (v[oy + 1] w0, v[oy + 2] w1 + v[oy + 3] w2)
 * 4 multiplies for 6 MACs. A pass (K3V_ROW, inline assembly, a loop over the output row pair's columns) takes one
 * output column of two rows for the group's 4 channels (8 sums in registers; per tap column and channel LDRD of
 * W01, W12, LDR of A and of B, 4 multiplies: ~190 cycles for 72 MACs with the output stage), then requantises and
 * packs as the groups' DWG_PAIRS do: the taps and bias doubled, mcu_rqd_apply on
 * mcu_rq2_channel's constants (output offset - act_min folded in), USAT #8, the bytewise minimum with act_max -
 * act_min (USUB8, SEL) and act_min added back (UADD8), one word stored per row. The other slot is K3V_SLOT bytes
 * on or back (a constant offset in the loads: the passes of even row pairs read B on, the odd ones back; an odd
 * last row's second row goes to a spare word). The compiler takes this variant for maps of at least 8 rows
 * (kernels/conv.py K3V_MIN_H: on smaller ones the groups' padded map fills less per pixel). The sums
 * are exact int32 (only their order differs); a group whose channels do not all take mcu_rq2_channel (or might
 * reach |sum| >= 2^30) is summed the same way in C and requantised with mcu_rq_apply.
 */
#define K3V_MAX_WP 15                   /* padded map width out.w + 2: 15 columns of 4 words (LDR reaches -255) */
#define K3V_SLOT (K3V_MAX_WP * 16)      /* bytes a slot */

typedef struct {
    uint32_t w[3][4][2];                /* filter column kx, channel j: W01, W12 (offset 8 (4 kx + j)) */
    int32_t bias[4];                    /* (offset 96) */
    mcu_rqd_t rq2[4];                   /* (offset 112) */
    uint32_t lo4, span4;                /* (offset 160) act_min and act_max - act_min in 4 bytes */
    /* K3V_ROW's loop (offset 168): the output words of rows oy and oy + 1 (or a spare word), their steps, the end */
    uint32_t o, o2, step, step2, x_end;
    mcu_rq_t rq[4];
    int32_t o_off, lo, hi;
} k3v_group_t;

#if defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
#define K3V_ASM 1
typedef char k3v_layout_ok[(offsetof(k3v_group_t, bias) == 96 && offsetof(k3v_group_t, rq2) == 112
                            && offsetof(k3v_group_t, lo4) == 160 && offsetof(k3v_group_t, span4) == 164
                            && offsetof(k3v_group_t, o) == 168 && offsetof(k3v_group_t, x_end) == 184
                            && sizeof(mcu_rqd_t) == 12 && offsetof(mcu_rqd_t, c) == 4
                            && offsetof(mcu_rqd_t, e) == 8) ? 1 : -1];
#endif

static inline uint32_t k3v_pair(int32_t lo16, int32_t hi16)
{
    return ((uint32_t)lo16 & 0xFFFFu) | ((uint32_t)hi16 << 16);
}

/* (a.lo, b.lo) */
static inline uint32_t k3v_pkhbt(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* (a.hi, b.hi) */
static inline uint32_t k3v_pkhtb(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
}

/* Channels [ch, ch + 4): tap pairs, bias and requantisation constants; 1: the doubled sums and mcu_rqd_apply. */
static int k3v_setup(k3v_group_t *g, const mcu_conv_params_t *p, const int8_t *filter, const int32_t *bias,
                     int32_t ch)
{
    const int32_t c = p->out.c;
    int fast;
    DW4_RQ_SETUP(g, p, bias, ch, 9, fast);
    const int32_t s = fast ? 2 : 1;
    for (int32_t j = 0; j < 4; ++j) {
        for (int32_t kx = 0; kx < 3; ++kx) {
            const int32_t w0 = filter[(size_t)kx * (size_t)c + (size_t)(ch + j)] * s;
            const int32_t w1 = filter[(size_t)(3 + kx) * (size_t)c + (size_t)(ch + j)] * s;
            const int32_t w2 = filter[(size_t)(6 + kx) * (size_t)c + (size_t)(ch + j)] * s;
            g->w[kx][j][0] = k3v_pair(w0, w1);
            g->w[kx][j][1] = k3v_pair(w1, w2);
        }
        g->bias[j] = bias != NULL ? bias[ch + j] * s : 0;
    }
    return fast;
}

/* One padded column of rows (y, y + 1): the 4 channels' words u0 (row y), u1 (row y + 1) widened with the input
 * offset added, as 4 words (v[y], v[y + 1]) at q, channel j at word j */
static MCU_ALWAYS_INLINE void k3v_put(uint32_t *q, uint32_t off2, uint32_t u0, uint32_t u1)
{
    const uint32_t a02 = __sxtab16(off2, u0), a13 = mcu_sxtab16_ror8(off2, u0);
    const uint32_t b02 = __sxtab16(off2, u1), b13 = mcu_sxtab16_ror8(off2, u1);
    q[0] = k3v_pkhbt(a02, b02);
    q[1] = k3v_pkhbt(a13, b13);
    q[2] = k3v_pkhtb(a02, b02);
    q[3] = k3v_pkhtb(a13, b13);
}

/* Padded rows (y, y + 1) of the group's 4 channels into slot q (wp columns of 4 words): the padding columns 0 (the
 * padding widens to 0), the input columns widened, with both rows inside in a loop without branches. */
static MCU_ALWAYS_INLINE void k3v_fill(const mcu_conv_params_t *p, const int8_t *in_b, uint32_t *q, int32_t wp,
                                       int32_t y, uint32_t off2, uint32_t padw)
{
    const int32_t c = p->in.c, in_w = p->in.w, in_h = p->in.h, pl = p->pad_left;
    const int32_t iy = y - p->pad_top;
    const int in0 = iy >= 0 && iy < in_h, in1 = iy + 1 >= 0 && iy + 1 < in_h;
    const int8_t *r0 = in_b + (size_t)(in0 ? iy : 0) * (size_t)in_w * (size_t)c;
    const int8_t *r1 = in_b + (size_t)(in1 ? iy + 1 : 0) * (size_t)in_w * (size_t)c;
    for (int32_t x = 0; x < pl; ++x) {
        q[4 * x] = q[4 * x + 1] = q[4 * x + 2] = q[4 * x + 3] = 0;
    }
    for (int32_t x = pl + in_w; x < wp; ++x) {
        q[4 * x] = q[4 * x + 1] = q[4 * x + 2] = q[4 * x + 3] = 0;
    }
    uint32_t *qi = q + 4 * pl, *q_end = qi + 4 * in_w;
    if (in0 && in1) {
        for (; qi != q_end; qi += 4, r0 += c, r1 += c) {
            k3v_put(qi, off2, mcu_load4(r0), mcu_load4(r1));
        }
        return;
    }
    for (; qi != q_end; qi += 4, r0 += c, r1 += c) {
        k3v_put(qi, off2, in0 ? mcu_load4(r0) : padw, in1 ? mcu_load4(r1) : padw);
    }
}

#if defined(K3V_ASM)
/* tap column kx of channel j: sums t (row oy) and u (row oy + 1) */
#define K3V_TAP(KX, J, T, U)                                                                              \
    "ldrd   %[wa], %[wb], [%[W], #8 * (4 * " #KX " + " #J ")]\n\t"                                        \
    "ldr    %[xa], [%[X], #16 * " #KX " + 4 * " #J "]\n\t"                                                \
    "ldr    %[xb], [%[X], #16 * " #KX " + 4 * " #J " + %c[boff]]\n\t"                                     \
    "smlad  " T ", %[xa], %[wa], " T "\n\t"                                                               \
    "smlabt " T ", %[xb], %[wb], " T "\n\t"                                                               \
    "smlatb " U ", %[xa], %[wa], " U "\n\t"                                                               \
    "smlad  " U ", %[xb], %[wb], " U "\n\t"
#define K3V_COL(KX)                                                                                       \
    K3V_TAP(KX, 0, "%[t0]", "%[u0]") K3V_TAP(KX, 1, "%[t1]", "%[u1]")                                     \
    K3V_TAP(KX, 2, "%[t2]", "%[u2]") K3V_TAP(KX, 3, "%[t3]", "%[u3]")
/* channel J's two sums requantised (mcu_rqd_apply, without the SUB where NS: mcu_rqd_apply_clamped) and USAT #8 */
#define K3V_RQ(J, T, U)                                                                                   \
    "ldrd   %[wa], %[wb], [%[W], #112 + 12 * " #J "]\n\t"                                                 \
    "ldr    %[xa], [%[W], #112 + 12 * " #J " + 8]\n\t"                                                    \
    "smmlar %[xb], " T ", %[wa], %[wb]\n\t"                                                               \
    ".if %c[ns] == 0\n\t"                                                                                 \
    "sub    %[xb], %[xb], " T ", lsr #31\n\t"                                                             \
    ".endif\n\t"                                                                                          \
    "asr    %[xb], %[xb], %[xa]\n\t"                                                                      \
    "usat   " T ", #8, %[xb]\n\t"                                                                         \
    "smmlar %[xb], " U ", %[wa], %[wb]\n\t"                                                               \
    ".if %c[ns] == 0\n\t"                                                                                 \
    "sub    %[xb], %[xb], " U ", lsr #31\n\t"                                                             \
    ".endif\n\t"                                                                                          \
    "asr    %[xb], %[xb], %[xa]\n\t"                                                                      \
    "usat   " U ", #8, %[xb]\n\t"
/* One output row pair (K3V_ROW, inline assembly): per column at X (slot of rows oy, oy + 1; the other slot BOFF
 * bytes on) a pass of 2 rows x 4 channels, requantised, packed, clamped and stored at g->o and g->o2 (which step
 * by g->step, g->step2), X on by one column, until X reaches g->x_end. */
#define K3V_ROW(BOFF, NS, g_, x_)                                                                         \
    do {                                                                                                  \
        uint32_t t0_, t1_, t2_, t3_, u0_, u1_, u2_, u3_, wa_, wb_, xa_, xb_;                              \
        const uint32_t *xp_ = (x_);                                                                       \
        __asm__ volatile(                                                                                 \
                "1:\n\t"                                                                                  \
                "ldrd   %[t0], %[t1], [%[W], #96]\n\t"                                                    \
                "ldrd   %[t2], %[t3], [%[W], #104]\n\t"                                                   \
                "mov    %[u0], %[t0]\n\t"                                                                 \
                "mov    %[u1], %[t1]\n\t"                                                                 \
                "mov    %[u2], %[t2]\n\t"                                                                 \
                "mov    %[u3], %[t3]\n\t"                                                                 \
                K3V_COL(0) K3V_COL(1) K3V_COL(2)                                                          \
                K3V_RQ(0, "%[t0]", "%[u0]") K3V_RQ(1, "%[t1]", "%[u1]")                                   \
                K3V_RQ(2, "%[t2]", "%[u2]") K3V_RQ(3, "%[t3]", "%[u3]")                                   \
                "orr    %[t2], %[t2], %[t3], lsl #8\n\t"                                                  \
                "orr    %[t1], %[t1], %[t2], lsl #8\n\t"                                                  \
                "orr    %[t0], %[t0], %[t1], lsl #8\n\t"                                                  \
                "orr    %[u2], %[u2], %[u3], lsl #8\n\t"                                                  \
                "orr    %[u1], %[u1], %[u2], lsl #8\n\t"                                                  \
                "orr    %[u0], %[u0], %[u1], lsl #8\n\t"                                                  \
                "ldrd   %[wa], %[wb], [%[W], #160]\n\t" /* act_min, act_max - act_min bytes */            \
                "usub8  %[xa], %[t0], %[wb]\n\t"                                                          \
                "sel    %[t0], %[wb], %[t0]\n\t"                                                          \
                "uadd8  %[t0], %[t0], %[wa]\n\t"                                                          \
                "usub8  %[xa], %[u0], %[wb]\n\t"                                                          \
                "sel    %[u0], %[wb], %[u0]\n\t"                                                          \
                "uadd8  %[u0], %[u0], %[wa]\n\t"                                                          \
                "ldrd   %[wa], %[wb], [%[W], #168]\n\t" /* o, o2 */                                       \
                "str    %[t0], [%[wa]]\n\t"                                                               \
                "str    %[u0], [%[wb]]\n\t"                                                               \
                "ldrd   %[xa], %[xb], [%[W], #176]\n\t" /* step, step2 */                                 \
                "add    %[wa], %[wa], %[xa]\n\t"                                                          \
                "add    %[wb], %[wb], %[xb]\n\t"                                                          \
                "strd   %[wa], %[wb], [%[W], #168]\n\t"                                                   \
                "ldr    %[xa], [%[W], #184]\n\t" /* x_end */                                              \
                "add    %[X], %[X], #16\n\t"                                                              \
                "cmp    %[X], %[xa]\n\t"                                                                  \
                "bne    1b"                                                                               \
                : [t0] "=&r"(t0_), [t1] "=&r"(t1_), [t2] "=&r"(t2_), [t3] "=&r"(t3_), [u0] "=&r"(u0_),    \
                  [u1] "=&r"(u1_), [u2] "=&r"(u2_), [u3] "=&r"(u3_), [wa] "=&r"(wa_), [wb] "=&r"(wb_),    \
                  [xa] "=&r"(xa_), [xb] "=&r"(xb_), [X] "+r"(xp_)                                         \
                : [W] "r"(g_), [boff] "i"(BOFF), [ns] "i"(NS)                                             \
                : "cc", "memory"); /* (reads the group and both slots, writes the outputs and g->o, o2) */ \
        (void)t0_, (void)t1_, (void)t2_, (void)t3_, (void)u0_, (void)u1_, (void)u2_, (void)u3_;           \
        (void)wa_, (void)wb_, (void)xa_, (void)xb_, (void)xp_;                                            \
    } while (0)
#endif

/* A group on the plain C path (mcu_rq_apply, or the doubled sums where the assembly is not built) */
static MCU_ALWAYS_INLINE void k3v_rows_c(const k3v_group_t *g, const uint32_t *A, const uint32_t *B, int8_t *o,
                                         size_t o_row, size_t c, int32_t out_w, int two, int fast)
{
    for (int32_t ox = 0; ox < out_w; ++ox, A += 4, B += 4, o += c) {
        for (int32_t j = 0; j < 4; ++j) {
            int32_t t = g->bias[j], u = g->bias[j];
            for (int32_t kx = 0; kx < 3; ++kx) {
                const uint32_t w01 = g->w[kx][j][0], w12 = g->w[kx][j][1];
                const uint32_t x = A[4 * kx + j], z = B[4 * kx + j];
                t = __smlad(x, w01, t);
                t = __smlabt(z, w12, t);
                u = __smlatb(x, w01, u);
                u = __smlad(z, w12, u);
            }
            int32_t yt, yu;
            if (fast) {
                yt = mcu_clamp(mcu_rqd_apply(&g->rq2[j], t), 0, g->hi - g->lo) + g->lo;
                yu = mcu_clamp(mcu_rqd_apply(&g->rq2[j], u), 0, g->hi - g->lo) + g->lo;
            } else {
                yt = mcu_clamp(mcu_rq_apply(&g->rq[j], t) + g->o_off, g->lo, g->hi);
                yu = mcu_clamp(mcu_rq_apply(&g->rq[j], u) + g->o_off, g->lo, g->hi);
            }
            o[j] = (int8_t)yt;
            if (two) {
                o[o_row + (size_t)j] = (int8_t)yu;
            }
        }
    }
}

/* One group over the whole map */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline))
#endif
static void k3v_group(const mcu_conv_params_t *p, k3v_group_t *g, const int8_t *in_b, int8_t *out_b,
                      uint32_t *buf, uint32_t off2, uint32_t padw, int fast)
{
    const int32_t out_h = p->out.h, out_w = p->out.w, wp = out_w + 2;
    const size_t c = (size_t)p->out.c, o_row = (size_t)out_w * c;
    uint32_t spare;
    uint32_t *slot[2] = {buf, buf + K3V_SLOT / 4};
    k3v_fill(p, in_b, slot[0], wp, 0, off2, padw);
    for (int32_t oy = 0, s = 0; oy < out_h; oy += 2, s ^= 1) {
        k3v_fill(p, in_b, slot[s ^ 1], wp, oy + 2, off2, padw);
        const int two = oy + 1 < out_h;
        int8_t *o = out_b + (size_t)oy * o_row;
        const uint32_t *A = slot[s];
#if defined(K3V_ASM)
        if (fast) {
            const int ns = p->act_min >= p->output_offset;
            g->o = (uint32_t)(uintptr_t)o;
            g->o2 = two ? (uint32_t)(uintptr_t)(o + o_row) : (uint32_t)(uintptr_t)&spare;
            g->step = (uint32_t)c;
            g->step2 = two ? (uint32_t)c : 0u;
            g->x_end = (uint32_t)(uintptr_t)(A + 4 * out_w);
            if (s == 0 && ns) {
                K3V_ROW(K3V_SLOT, 1, g, A);
            } else if (s == 0) {
                K3V_ROW(K3V_SLOT, 0, g, A);
            } else if (ns) {
                K3V_ROW(-K3V_SLOT, 1, g, A);
            } else {
                K3V_ROW(-K3V_SLOT, 0, g, A);
            }
            continue;
        }
#endif
        if (fast) {
            k3v_rows_c(g, A, slot[s ^ 1], o, o_row, c, out_w, two, 1);
        } else {
            k3v_rows_c(g, A, slot[s ^ 1], o, o_row, c, out_w, two, 0);
        }
    }
    (void)spare;
}

/* Channels [0, c & ~3); 0 if the layer is not this kernel's (nothing written) */
static int k3v_groups(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                      int8_t *out)
{
    if (p->filter.h != 3 || p->filter.w != 3 || p->stride_h != 1 || p->stride_w != 1 || p->dilation_h != 1
        || p->dilation_w != 1 || p->in.c != p->out.c || p->out.w + 2 > K3V_MAX_WP
        || p->pad_left + p->in.w > p->out.w + 2) {
        return 0;
    }
    uint32_t buf[2 * K3V_SLOT / 4];
    k3v_group_t g;
    g.o_off = p->output_offset;
    g.lo = p->act_min;
    g.hi = p->act_max;
    g.lo4 = ((uint32_t)g.lo & 0xFFu) * 0x01010101u;
    g.span4 = ((uint32_t)(g.hi - g.lo) & 0xFFu) * 0x01010101u;
    const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u;
    const uint32_t padw = ((uint32_t)(-p->input_offset) & 0xFFu) * 0x01010101u;
    const size_t in_px = (size_t)p->in.h * (size_t)p->in.w, out_px = (size_t)p->out.h * (size_t)p->out.w;
    const size_t c = (size_t)p->in.c;
    for (int32_t b = 0; b < p->in.n; ++b) {
        for (int32_t ch = 0; ch < (p->out.c & ~3); ch += 4) {
            const int fast = k3v_setup(&g, p, filter, bias, ch);
            k3v_group(p, &g, in + (size_t)b * in_px * c + (size_t)ch, out + (size_t)b * out_px * c + (size_t)ch,
                      buf, off2, padw, fast);
        }
    }
    return 1;
}
#endif

#if !defined(MCU_NN_REFERENCE)
void mcu_dwconv_k3v_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                           int8_t *out, int16_t *scratch)
{
    (void)scratch;
#if defined(MCU_NN_DSP)
    if (k3v_groups(p, in, filter, bias, out)) {
        return;
    }
#endif
    mcu_depthwise_fast(p, in, filter, bias, out, 0);
}

void mcu_dwconv_k3v_tail_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
#if defined(MCU_NN_DSP)
    if (k3v_groups(p, in, filter, bias, out)) {
        mcu_depthwise_fast(p, in, filter, bias, out, p->out.c & ~3);
        return;
    }
#endif
    mcu_depthwise_fast(p, in, filter, bias, out, 0);
}
#endif /* !MCU_NN_REFERENCE */

MCU_NO_SCRATCH(mcu_dwconv_k3v_s8_dsp)
MCU_NO_SCRATCH(mcu_dwconv_k3v_tail_s8_dsp)
