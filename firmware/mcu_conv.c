/*
 * Convolution and depthwise convolution, int8 activations and weights, int32 bias
 * (TFLite reference arithmetic: per-output-channel double-rounding requantisation).
 *
 * Padding is implicit: window taps that fall outside the input are skipped, which is the same as
 * padding with the input zero point (their (x + input_offset) term is 0). The window of output
 * (oy, ox) starts at input row oy * stride_h - pad_top and column ox * stride_w - pad_left.
 */
#include "mcu_simd.h"

/*
 * Fast paths. mcu_conv2d_s8 and mcu_depthwise_conv2d_s8 pick one at run time from the parameters;
 * shapes no fast path covers take the reference loops. Define MCU_NN_REFERENCE to build the reference
 * loops only. The fast paths only reorder exact int32 sums and requantise with mcu_requant_fast (equal
 * to mcu_requant, see mcu_simd.h), so they give the reference results bit for bit:
 *   - 1x1, stride 1, no padding: a matrix multiply (pixels x input channels) x (input channels x
 *     output channels), the input offset folded into a per-output-channel bias (bias + input_offset *
 *     sum of the channel's weights);
 *   - any other conv with dilation_w 1: each filter row's valid taps are one contiguous run of
 *     (taps x input channels);
 *   - convs with input channels not a multiple of 4 (first layers) and depthwise convs with a depth
 *     multiplier > 1 and at most 4 input channels, on the DSP and Helium cores: each output pixel's whole
 *     window gathered into a small buffer on the stack, then dotted with contiguous filter rows (the
 *     window kernels, win_* below);
 *   - depthwise: 4 output channels per pass over the valid taps (depth multiplier 1: 4 neighbouring
 *     input channels; multiplier > 1: each lane's input channel is its output channel / multiplier,
 *     one shared input when the multiplier is a multiple of 4); multiplier 1 on the DSP and Helium cores
 *     by channel groups outside, pixels inside (depthwise_groups, depthwise_groups_mve).
 * Armv7E-M DSP (Cortex-M4, M7, M33; MCU_NN_DSP): 2 pixels x 2 output channels per pass for both convs
 * (conv rows pair neighbouring output pixels with the same valid taps), 4 int8 values per load widened
 * with SXTB16 / SXTAB16 (which adds the input offset too) into SMLAD; the 1x1 conv, given a scratch by
 * the caller, widens 4 input pixels at a time (plus the input offset, doubled) once into it and runs 4
 * pixels x 2 output channels per pass, so that in the inner loop only the weights are widened, then
 * requantises with SMMLAR, the output offset folded in (conv_1x1_wide, mcu_rqd / mcu_rq2_channel in
 * mcu_simd.h); any other conv with dilation 1 and input channels a multiple of 4 the same way on 4 output
 * pixels' whole windows (im2col, padding as 0 words) gathered into the scratch (conv_im2col_wide; without
 * one, both borrow the end of the conv's own output); depthwise through SMLABB/SMLATT on filter taps widened once per channel group, 2 interior
 * pixels per pass. Helium (Cortex-M55; MCU_NN_MVE): 4 output channels per pass, 16 int8 lanes per
 * VMLADAVA (the input offset as offset * sum of weights), depthwise in 4 int32 lanes, and requantisation
 * 4 lanes at a time (mcu_mve_requant4). Elsewhere (host, Cortex-M0+) the DSP
 * blocking in plain C.
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

#if defined(MCU_NN_MVE) || !defined(MCU_NN_DSP) || defined(MCU_NN_REFERENCE)
/* The 16-bit halves of a pre-widened weight word (low: the even input channel) */
static inline int32_t wide_lo(uint32_t w)
{
    return (int32_t)(int16_t)(uint16_t)(w & 0xFFFFu);
}

static inline int32_t wide_hi(uint32_t w)
{
    return (int32_t)(int16_t)(uint16_t)(w >> 16);
}

/* A 1x1 conv whose int8 filter was left out (filter NULL: only p->wide_filter, in.c a multiple of 4; see
 * mcu_nn.h) in builds without the DSP paths (a DSP target's code on the host, reference builds): pixel by
 * pixel, pair by pair of the stream, the sums in plain C, TFLite's requantisation. */
static void conv_1x1_stream(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out)
{
    const int32_t pixels = p->in.n * p->in.h * p->in.w, k = p->in.c, out_c = p->out.c, off = p->input_offset;
    const int32_t pairs = ((p->dead_out != NULL ? p->live_c : out_c) + 1) >> 1;
    for (int32_t px = 0; px < pixels; ++px) {
        const int8_t *x = in + (size_t)px * (size_t)k;
        int8_t *o = out + (size_t)px * (size_t)out_c;
        if (p->dead_out != NULL) {                  /* the dead channels' constants; live ones follow */
            memcpy(o, p->dead_out, (size_t)out_c);
        }
        for (int32_t j = 0; j < pairs; ++j) {
            const uint32_t *w = p->wide_filter + (size_t)j * (size_t)(k + 10) + 2;   /* past the biases */
            int32_t a0 = 0, a1 = 0;
            for (int32_t g = 0; g < k; g += 4, w += 4) {   /* [oc (c0,c2)] [oc1 (c0,c2)] [oc (c1,c3)] [oc1 (c1,c3)] */
                const int32_t x0 = x[g] + off, x1 = x[g + 1] + off, x2 = x[g + 2] + off, x3 = x[g + 3] + off;
                a0 += x0 * wide_lo(w[0]) + x2 * wide_hi(w[0]) + x1 * wide_lo(w[2]) + x3 * wide_hi(w[2]);
                a1 += x0 * wide_lo(w[1]) + x2 * wide_hi(w[1]) + x1 * wide_lo(w[3]) + x3 * wide_hi(w[3]);
            }
            const int32_t oc = (int32_t)w[3], oc1 = (int32_t)w[7];   /* the channels (m, e, c, oc each) */
            const int32_t ch[2] = {oc1, oc}, acc[2] = {a1 / 2, a0 / 2};     /* doubled weights; odd count: oc1 == oc */
            for (int32_t i = 0; i < 2; ++i) {
                const int32_t c = ch[i];
                const int32_t y = mcu_requant(acc[i] + (bias != NULL ? bias[c] : 0), p->out_mult[c],
                                              p->out_shift[c]) + p->output_offset;
                o[c] = (int8_t)mcu_clamp(y, p->act_min, p->act_max);
            }
        }
    }
}
#endif

#if !defined(MCU_NN_REFERENCE)

#if defined(__GNUC__)
#define MCU_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MCU_ALWAYS_INLINE inline
#endif

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
    acc = mcu_requant_fast(acc, q->mult[oc], q->shift[oc]) + q->offset;
    return (int8_t)mcu_clamp(acc, q->lo, q->hi);
}

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

/* The per-pass constants of 4 output channels [oc, oc + lanes): their filter rows (rows past the end
 * repeat the last), bias, multipliers and shifts. */
typedef struct {
    const int8_t *f0, *f1, *f2, *f3;
    int32x4_t bias, mult, shift;
    mve_pred16_t pr;
} mve_pass_t;

static inline mve_pass_t mve_pass(const mcu_conv_params_t *p, const int8_t *filter, size_t filter_stride,
                                  const int32_t *bias, int32_t oc)
{
    const int32_t lanes = p->out.c - oc < 4 ? p->out.c - oc : 4;
    mve_pass_t s;
    s.pr = vctp32q((uint32_t)lanes);
    s.f0 = filter + (size_t)oc * filter_stride;
    s.f1 = s.f0 + (lanes > 1 ? filter_stride : 0);
    s.f2 = s.f0 + (size_t)(lanes > 2 ? 2 : lanes - 1) * filter_stride;
    s.f3 = s.f0 + (size_t)(lanes - 1) * filter_stride;
    s.bias = bias != NULL ? vldrwq_z_s32(bias + oc, s.pr) : vdupq_n_s32(0);
    s.mult = vldrwq_z_s32(p->out_mult + oc, s.pr);
    s.shift = vldrwq_z_s32(p->out_shift + oc, s.pr);
    return s;
}

/* mve_pass for the live channels live[i .. i + 4) of n (fewer at the end: the last row repeated), their
 * channel numbers in *ch (gathered loads; the outputs are scattered to them). */
static inline mve_pass_t mve_pass_live(const mcu_conv_params_t *p, const int8_t *filter, size_t filter_stride,
                                       const int32_t *bias, const uint16_t *live, int32_t n, int32_t i,
                                       uint32x4_t *ch)
{
    const int32_t lanes = n - i < 4 ? n - i : 4;
    mve_pass_t s;
    s.pr = vctp32q((uint32_t)lanes);
    *ch = vldrhq_z_u32(live + i, s.pr);
    s.f0 = filter + (size_t)live[i] * filter_stride;
    s.f1 = filter + (size_t)live[i + (lanes > 1 ? 1 : 0)] * filter_stride;
    s.f2 = filter + (size_t)live[i + (lanes > 2 ? 2 : lanes - 1)] * filter_stride;
    s.f3 = filter + (size_t)live[i + lanes - 1] * filter_stride;
    s.bias = bias != NULL ? vldrwq_gather_shifted_offset_z_s32(bias, *ch, s.pr) : vdupq_n_s32(0);
    s.mult = vldrwq_gather_shifted_offset_z_s32(p->out_mult, *ch, s.pr);
    s.shift = vldrwq_gather_shifted_offset_z_s32(p->out_shift, *ch, s.pr);
    return s;
}

/* conv_1x1_mve with the dead-channel hint (p->dead_out != NULL): every pixel first gets the dead channels'
 * constant row (16 bytes per store), then the passes run over 4 live channels each: per-pass constants
 * gathered, outputs scattered to the live channels' places (out of line: conv_1x1_mve's own loops stay as
 * they are without the hint). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void conv_1x1_mve_live(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out)
{
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const int32_t k = p->in.c, out_c = p->out.c, n_live = p->live_c;
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t c = 0; c < out_c; c += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(out_c - c));
        const int8x16_t v = vldrbq_z_s8(p->dead_out + c, pr);
        int8_t *o = out + c;
        for (int32_t px = 0; px < pixels; ++px, o += out_c) {
            vstrbq_p_s8(o, v, pr);
        }
    }
    for (int32_t i = 0; i < n_live; i += 4) {
        uint32x4_t ch;
        const mve_pass_t s = mve_pass_live(p, filter, (size_t)k, bias, p->live, n_live, i, &ch);
        const int32x4_t init = vaddq_s32(s.bias, vmulq_n_s32(mcu_mve_sum4(s.f0, s.f1, s.f2, s.f3, k,
                                                                          vdupq_n_s32(0)), p->input_offset));
        const int8_t *x = in;
        int8_t *o = out;
        for (int32_t px = 0; px < pixels; ++px, x += k, o += out_c) {
            const int32x4_t acc = mcu_mve_dot4(x, s.f0, s.f1, s.f2, s.f3, k, init);
            vstrbq_scatter_offset_p_s32(o, ch, mcu_mve_requant4(acc, s.mult, s.shift, off, lo, hi), s.pr);
        }
    }
}

/* Helium, 1x1 stride 1 unpadded: per pass of 4 output channels, every pixel by one mcu_mve_dot4 over the
 * input channels, the input offset folded into the bias once per pass (offset * sum of the weights). */
static void conv_1x1_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out)
{
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const int32_t k = p->in.c, out_c = p->out.c;
    const int32_t off = p->output_offset, lo = p->act_min, hi = p->act_max;
    if (p->dead_out != NULL) {
        conv_1x1_mve_live(p, in, filter, bias, out);
        return;
    }
    for (int32_t oc = 0; oc < out_c; oc += 4) {
        const mve_pass_t s = mve_pass(p, filter, (size_t)k, bias, oc);
        const int32x4_t init = vaddq_s32(s.bias, vmulq_n_s32(mcu_mve_sum4(s.f0, s.f1, s.f2, s.f3, k,
                                                                          vdupq_n_s32(0)), p->input_offset));
        const int8_t *x = in;
        int8_t *o = out + oc;
        for (int32_t px = 0; px < pixels; ++px, x += k, o += out_c) {
            const int32x4_t acc = mcu_mve_dot4(x, s.f0, s.f1, s.f2, s.f3, k, init);
            vstrbq_p_s32(o, mcu_mve_requant4(acc, s.mult, s.shift, off, lo, hi), s.pr);
        }
    }
}

/*
 * Helium: any conv with dilation_w 1. Per pass of 4 output channels, every output pixel: each filter row's
 * contiguous run of valid taps by mcu_mve_dot4, the input offset added as offset * (sum of the weights
 * under the valid taps): the whole filter's sums, computed once per pass, for windows with every tap
 * valid; the valid runs' sums at the borders. Requantised 4 lanes at a time.
 */
static void conv_rows_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                          int8_t *out)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int32_t off = p->input_offset;
    const size_t filter_stride = (size_t)kh * (size_t)kw * (size_t)in_c;

    for (int32_t oc = 0; oc < out_c; oc += 4) {
        const mve_pass_t s = mve_pass(p, filter, filter_stride, bias, oc);
        const int32x4_t full = vaddq_s32(s.bias, vmulq_n_s32(mcu_mve_sum4(s.f0, s.f1, s.f2, s.f3,
                                                                          (int32_t)filter_stride, vdupq_n_s32(0)), off));
        for (int32_t b = 0; b < p->in.n; ++b) {
            const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
            for (int32_t oy = 0; oy < out_h; ++oy) {
                const int32_t iy0 = oy * p->stride_h - p->pad_top;
                const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
                const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
                int8_t *o = out + ((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w * (size_t)out_c
                            + (size_t)oc;
                for (int32_t ox = 0; ox < out_w; ++ox, o += out_c) {
                    const int32_t ix0 = ox * p->stride_w - p->pad_left;
                    const int32_t kx0 = first_tap(ix0, 1, kw);
                    const int32_t kx1 = end_tap(ix0, 1, kw, in_w);
                    const int32_t run = (kx1 - kx0) * in_c;
                    const int whole = ky0 == 0 && ky1 == kh && kx0 == 0 && kx1 == kw;
                    int32x4_t acc = whole ? full : s.bias;
                    const int8_t *x = in_b + ((size_t)(iy0 + ky0 * p->dilation_h) * (size_t)in_w
                                              + (size_t)(ix0 + kx0)) * (size_t)in_c;
                    size_t f = ((size_t)ky0 * (size_t)kw + (size_t)kx0) * (size_t)in_c;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        acc = mcu_mve_dot4(x, s.f0 + f, s.f1 + f, s.f2 + f, s.f3 + f, run, acc);
                        if (!whole) {
                            acc = vaddq_s32(acc, vmulq_n_s32(mcu_mve_sum4(s.f0 + f, s.f1 + f, s.f2 + f, s.f3 + f,
                                                                          run, vdupq_n_s32(0)), off));
                        }
                        x += (size_t)p->dilation_h * (size_t)in_w * (size_t)in_c;
                        f += (size_t)kw * (size_t)in_c;
                    }
                    vstrbq_p_s32(o, mcu_mve_requant4(acc, s.mult, s.shift, p->output_offset, p->act_min,
                                                     p->act_max), s.pr);
                }
            }
        }
    }
}
#endif

#if !defined(MCU_NN_MVE)
/* 1x1, stride 1, no padding: out[pixel][oc] = requant(bias[oc] + sum_k (x[pixel][k] + off) w[oc][k]) */
static void conv_1x1(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
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
        const int8_t *w0 = filter + (size_t)oc * (size_t)k;
        const size_t ws = (size_t)(oc1 - oc) * (size_t)k;
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

#if defined(MCU_NN_DSP)
/*
 * 1x1, stride 1, no padding, at least 4 pixels, sums known to stay below 2^30 (mcu_rqd_bound_ok), with a
 * scratch of 4 pixels x (in.c rounded down to 4) int16 (4-byte aligned). Per block of 4 pixels (the last
 * block moved back to end at the last pixel: it recomputes up to 3 pixels, same values), the input
 * channels plus the input offset are widened once, doubled (SXTAB16, SADD16), into the scratch: each
 * group of 4 channels as 8 words [p0 p1 p2 p3 channels 0,2 | p0 p1 p2 p3 channels 1,3]. Then 2 output
 * channels at a time, 4 pixels x 2 channels of doubled sums: each weight word widened by one SXTB16 per
 * half feeds 4 SMLADs (inline assembly, 14 registers: 32 instructions per 32 MACs, 4 groups per loop
 * iteration entered by TBH). A pair whose channels both qualify (wide_fast: mcu_rqd_fits and a right
 * shift of at most 22, listed once per call) requantises its doubled sums by mcu_rqd_apply on
 * mcu_rq2_channel's constants (the output offset folded into SMMLAR's accumulator: SMMLAR, SUB, ASR); when
 * moreover in.c is a multiple of 4, there is a bias and the activation range is the whole int8 range,
 * the whole pair runs in one assembly block (bias, products, SMMLAR ... SSAT #8, STRB: the compiler keeps
 * nothing live across it). Otherwise the channels past the last group of 4 and the clamp in plain C
 * (wide4_finish), and pairs with a channel that does not qualify halve their sums into mcu_requant_fast
 * (wide4_out_plain).
 * With the weights pre-widened at compile time (p->wide_filter, mcu_nn.h: conv_1x1_wide_pre / _pre_live; they
 * come doubled, so the block is widened without the SADD16s) a half group is one LDRD of weights, two LDRD of the
 * block and 8 SMLAD (22 instructions per 32 MACs, 8 groups per loop iteration: 3 instructions of loop control
 * per 8 groups);
 * the stream also holds each pair's doubled biases and requantisation constants, so that when every
 * channel qualifies (and in.c is a multiple of 4, the range all of int8) one assembly loop runs all pairs
 * of a block (without the dead-channel hint a pair's channels are neighbours: each pixel's two bytes go
 * out as one STRH, WIDE4P_REQ_PAIR; an odd count's last pair, a channel twice, by the C path); a last 1
 * or 2 pixels past the whole blocks go apart (wide_pre_rows) instead of a block moved back. Without the
 * int8 filter (NULL: in.c a multiple of 4) the scratch-less fallback is wide_pre_rows too (pixel by
 * pixel, two pairs of the stream at a time).
 */
/* The inline assembly needs 14 free registers: GCC with optimisation and without a frame pointer (builds
 * with -fno-omit-frame-pointer define MCU_NN_NO_ASM: the same loop in C) */
#if defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
/* one group of 4 input channels: x at its 8 words (advanced by 32), w0 / w1 at the 4 weights of each row
 * (advanced by 4) */
/* the second half of a group (channels 1, 3 of each weight word: SXTB16 ROR #8) against the block's words
 * 4..7, x already advanced by 32 */
#define WIDE4_ODD_HALF                                                                                \
    "ldr    %[ta], [%[w0]], #4\n\t"                                                                   \
    "ldr    %[tb], [%[w1]], #4\n\t"                                                                   \
    "sxtb16 %[ta], %[ta], ror #8\n\t"                                                                 \
    "sxtb16 %[tb], %[tb], ror #8\n\t"                                                                 \
    "ldr    %[xv], [%[x], #-16]\n\t"                                                                  \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-12]\n\t"                                                                  \
    "smlad  %[a10], %[xv], %[ta], %[a10]\n\t"                                                         \
    "smlad  %[a11], %[xv], %[tb], %[a11]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-8]\n\t"                                                                   \
    "smlad  %[a20], %[xv], %[ta], %[a20]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a21]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-4]\n\t"                                                                   \
    "smlad  %[a30], %[xv], %[ta], %[a30]\n\t"                                                         \
    "smlad  %[a31], %[xv], %[tb], %[a31]\n\t"
#define WIDE4_GROUP                                                                                   \
    "ldr    %[ta], [%[w0]]\n\t"                                                                       \
    "ldr    %[tb], [%[w1]]\n\t"                                                                       \
    "sxtb16 %[ta], %[ta]\n\t"                                                                         \
    "sxtb16 %[tb], %[tb]\n\t"                                                                         \
    "ldr    %[xv], [%[x]], #32\n\t"                                                                   \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-28]\n\t"                                                                  \
    "smlad  %[a10], %[xv], %[ta], %[a10]\n\t"                                                         \
    "smlad  %[a11], %[xv], %[tb], %[a11]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-24]\n\t"                                                                  \
    "smlad  %[a20], %[xv], %[ta], %[a20]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a21]\n\t"                                                         \
    "ldr    %[xv], [%[x], #-20]\n\t"                                                                  \
    "smlad  %[a30], %[xv], %[ta], %[a30]\n\t"                                                         \
    "smlad  %[a31], %[xv], %[tb], %[a31]\n\t"                                                         \
    WIDE4_ODD_HALF
/* the groups of a pair: 4 per iteration, entered (TBH on `entry`: 0..3 the group that leaves a multiple of
 * 4 for the iterations after the first, 4 no group) and left when x reaches xend */
#define WIDE4_LOOP(entry)                                                                             \
    "ldr    %[ta], %[" entry "]\n\t"                                                                  \
    "tbh    [pc, %[ta], lsl #1]\n\t"                                                                  \
    "0:\n\t"                                                                                          \
    ".hword (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2, (4f - 0b) / 2, (5f - 0b) / 2\n\t"               \
    "1:\n\t" WIDE4_GROUP                                                                              \
    "2:\n\t" WIDE4_GROUP                                                                              \
    "3:\n\t" WIDE4_GROUP                                                                              \
    "4:\n\t" WIDE4_GROUP                                                                              \
    "ldr    %[ta], %[xend]\n\t"                                                                       \
    "cmp    %[x], %[ta]\n\t"                                                                          \
    "bne    1b\n\t"                                                                                   \
    "5:\n\t"
/* the first group when a00 / a01 hold the doubled biases: the other accumulators start from them in their
 * first SMLAD (a00, a01 last) */
#define WIDE4_FIRST                                                                                   \
    "ldr    %[ta], [%[w0]]\n\t"                                                                       \
    "ldr    %[tb], [%[w1]]\n\t"                                                                       \
    "sxtb16 %[ta], %[ta]\n\t"                                                                         \
    "sxtb16 %[tb], %[tb]\n\t"                                                                         \
    "ldr    %[xv], [%[x], #4]\n\t"                                                                    \
    "smlad  %[a10], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a11], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #8]\n\t"                                                                    \
    "smlad  %[a20], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #12]\n\t"                                                                   \
    "smlad  %[a30], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a31], %[xv], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x]], #32\n\t"                                                                   \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    WIDE4_ODD_HALF
/* The pre-widened weights (p->wide_filter, conv_1x1_wide_pre; see mcu_nn.h): per pair of channels, per
 * group of 4 input channels 4 words of int16 pairs [oc (c0,c2)] [oc1 (c0,c2)] [oc (c1,c3)] [oc1 (c1,c3)],
 * so that a half group is one LDRD of weights (ta, tb), two LDRD of the block's words (xv, xw) and 8
 * SMLAD: 22 instructions per 32 MACs (w the stream, advanced by 16 per group; x as above) */
#define WIDE4P_QUAD(ta, tb, o0, o1)                                                                   \
    "ldrd   %[xv], %[xw], " o0 "\n\t"                                                                 \
    "smlad  %[a00], %[xv], %[" ta "], %[a00]\n\t"                                                     \
    "smlad  %[a01], %[xv], %[" tb "], %[a01]\n\t"                                                     \
    "smlad  %[a10], %[xw], %[" ta "], %[a10]\n\t"                                                     \
    "smlad  %[a11], %[xw], %[" tb "], %[a11]\n\t"                                                     \
    "ldrd   %[xv], %[xw], " o1 "\n\t"                                                                 \
    "smlad  %[a20], %[xv], %[" ta "], %[a20]\n\t"                                                     \
    "smlad  %[a21], %[xv], %[" tb "], %[a21]\n\t"                                                     \
    "smlad  %[a30], %[xw], %[" ta "], %[a30]\n\t"                                                     \
    "smlad  %[a31], %[xw], %[" tb "], %[a31]\n\t"
/* the second half of a group: words 4..7, x and w already advanced */
#define WIDE4P_ODD_HALF                                                                               \
    "ldrd   %[ta], %[tb], [%[w], #-8]\n\t"                                                            \
    WIDE4P_QUAD("ta", "tb", "[%[x], #-16]", "[%[x], #-8]")
#define WIDE4P_GROUP                                                                                  \
    "ldrd   %[ta], %[tb], [%[w]], #16\n\t"                                                            \
    WIDE4P_QUAD("ta", "tb", "[%[x]], #32", "[%[x], #-24]")                                            \
    WIDE4P_ODD_HALF
/* the groups of a pair: 8 per iteration, entered (TBH on `entry`: 0..7 the group that leaves a multiple of
 * 8 for the iterations after the first, 8 no group) and left when x reaches xend */
#define WIDE4P_LOOP(entry)                                                                            \
    "ldr    %[ta], %[" entry "]\n\t"                                                                  \
    "tbh    [pc, %[ta], lsl #1]\n\t"                                                                  \
    "0:\n\t"                                                                                          \
    ".hword (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2, (4f - 0b) / 2, (5f - 0b) / 2\n\t"            \
    ".hword (6f - 0b) / 2, (7f - 0b) / 2, (8f - 0b) / 2, (9f - 0b) / 2\n\t"                           \
    "1:\n\t" WIDE4P_GROUP                                                                             \
    "2:\n\t" WIDE4P_GROUP                                                                             \
    "3:\n\t" WIDE4P_GROUP                                                                             \
    "4:\n\t" WIDE4P_GROUP                                                                             \
    "5:\n\t" WIDE4P_GROUP                                                                             \
    "6:\n\t" WIDE4P_GROUP                                                                             \
    "7:\n\t" WIDE4P_GROUP                                                                             \
    "8:\n\t" WIDE4P_GROUP                                                                             \
    "ldr    %[ta], %[xend]\n\t"                                                                       \
    "cmp    %[x], %[ta]\n\t"                                                                          \
    "bne    1b\n\t"                                                                                   \
    "9:\n\t"
/* the first group when a00 / a01 hold the doubled biases: pixels 2, 3 first, then 1 and 0 (a00, a01 last) */
#define WIDE4P_FIRST                                                                                  \
    "ldrd   %[ta], %[tb], [%[w]], #16\n\t"                                                            \
    "ldrd   %[xv], %[xw], [%[x], #8]\n\t"                                                             \
    "smlad  %[a20], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a01]\n\t"                                                         \
    "smlad  %[a30], %[xw], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a31], %[xw], %[tb], %[a01]\n\t"                                                         \
    "ldrd   %[xv], %[xw], [%[x]], #32\n\t"                                                            \
    "smlad  %[a10], %[xw], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a11], %[xw], %[tb], %[a01]\n\t"                                                         \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    WIDE4P_ODD_HALF
/* the output stage of one channel of the pair, its constants next in the stream (w, advanced by 16): m, e, c
 * as mcu_rq2_channel computes them (m = mult, e = -shift, c = kc 2^(e-1)) and the channel's index oc:
 * y0..y3 by mcu_rqd_apply (SMMLAR, SUB, ASR; RQ: WIDE4P_RQ_SUB, or WIDE4P_RQ_NOSUB where the activation's
 * lower bound is at least the output zero point: mcu_rqd_apply_clamped), SSAT #8, stored at o + oc + q os;
 * x is a temporary */
#define WIDE4P_RQ_SUB(y)                                                                              \
    "smmlar %[x], %[" y "], %[xv], %[ta]\n\t"                                                          \
    "sub    %[" y "], %[x], %[" y "], lsr #31\n\t"
#define WIDE4P_RQ_NOSUB(y) "smmlar %[" y "], %[" y "], %[xv], %[ta]\n\t"
#define WIDE4P_REQ(RQ, y0, y1, y2, y3)                                                                \
    "ldrd   %[xv], %[xw], [%[w]], #16\n\t"                                                            \
    "ldrd   %[ta], %[tb], [%[w], #-8]\n\t"                                                            \
    RQ(y0) RQ(y1) RQ(y2) RQ(y3)                                                                       \
    "ldr    %[xv], %[ob]\n\t"                                                                         \
    "asr    %[" y0 "], %[" y0 "], %[xw]\n\t"                                                          \
    "asr    %[" y1 "], %[" y1 "], %[xw]\n\t"                                                          \
    "asr    %[" y2 "], %[" y2 "], %[xw]\n\t"                                                          \
    "asr    %[" y3 "], %[" y3 "], %[xw]\n\t"                                                          \
    "ldr    %[ta], %[os]\n\t"                                                                         \
    "ssat   %[" y0 "], #8, %[" y0 "]\n\t"                                                             \
    "ssat   %[" y1 "], #8, %[" y1 "]\n\t"                                                             \
    "ssat   %[" y2 "], #8, %[" y2 "]\n\t"                                                             \
    "ssat   %[" y3 "], #8, %[" y3 "]\n\t"                                                             \
    "add    %[xv], %[xv], %[tb]\n\t"                                                                  \
    "strb   %[" y0 "], [%[xv]]\n\t"                                                                   \
    "strb   %[" y1 "], [%[xv], %[ta]]\n\t"                                                            \
    "add    %[xv], %[xv], %[ta], lsl #1\n\t"                                                          \
    "strb   %[" y2 "], [%[xv]]\n\t"                                                                   \
    "strb   %[" y3 "], [%[xv], %[ta]]\n\t"
/* The same for both channels of a pair of neighbours (oc1 = oc + 1: conv_1x1_wide_pre without the hint, an
 * even count of pairs), the constants of oc then oc1 next in the stream: each channel's y0..y3 by
 * mcu_rqd_apply and SSAT #8 (WIDE4P_RQ4 on RQ as WIDE4P_REQ's: m in xv, e in xw, c in ta, x a temporary),
 * then per pixel q the two bytes merged (BFI) into one STRH at o + oc + q os: 48 instructions per pair of
 * channels of 4 pixels (WIDE4P_REQ twice: 52) */
#define WIDE4P_RQ4(RQ, y0, y1, y2, y3)                                                                \
    RQ(y0) RQ(y1) RQ(y2) RQ(y3)                                                                       \
    "asr    %[" y0 "], %[" y0 "], %[xw]\n\t"                                                          \
    "asr    %[" y1 "], %[" y1 "], %[xw]\n\t"                                                          \
    "asr    %[" y2 "], %[" y2 "], %[xw]\n\t"                                                          \
    "asr    %[" y3 "], %[" y3 "], %[xw]\n\t"                                                          \
    "ssat   %[" y0 "], #8, %[" y0 "]\n\t"                                                             \
    "ssat   %[" y1 "], #8, %[" y1 "]\n\t"                                                             \
    "ssat   %[" y2 "], #8, %[" y2 "]\n\t"                                                             \
    "ssat   %[" y3 "], #8, %[" y3 "]\n\t"
#define WIDE4P_REQ_PAIR(RQ)                                                                           \
    "ldrd   %[xv], %[xw], [%[w]], #16\n\t"                                                            \
    "ldrd   %[ta], %[tb], [%[w], #-8]\n\t"                                                            \
    WIDE4P_RQ4(RQ, "a00", "a10", "a20", "a30")                                                        \
    "ldrd   %[xv], %[xw], [%[w]], #16\n\t"                                                            \
    "ldr    %[ta], [%[w], #-8]\n\t"                                                                   \
    WIDE4P_RQ4(RQ, "a01", "a11", "a21", "a31")                                                        \
    "ldr    %[x], %[ob]\n\t"                                                                          \
    "ldr    %[xv], %[os]\n\t"                                                                         \
    "bfi    %[a00], %[a01], #8, #8\n\t"                                                               \
    "bfi    %[a10], %[a11], #8, #8\n\t"                                                               \
    "bfi    %[a20], %[a21], #8, #8\n\t"                                                               \
    "bfi    %[a30], %[a31], #8, #8\n\t"                                                               \
    "add    %[x], %[x], %[tb]\n\t"                                                                    \
    "strh   %[a00], [%[x]]\n\t"                                                                       \
    "strh   %[a10], [%[x], %[xv]]\n\t"                                                                \
    "add    %[x], %[x], %[xv], lsl #1\n\t"                                                            \
    "strh   %[a20], [%[x]]\n\t"                                                                       \
    "strh   %[a30], [%[x], %[xv]]\n\t"
#define WIDE4P_OUTPUTS                                                                                \
    : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [a20] "+r"(a20),            \
      [a21] "+r"(a21), [a30] "+r"(a30), [a31] "+r"(a31), [x] "+r"(x), [w] "+r"(wp), [xw] "=&r"(xw),   \
      [ta] "=&r"(ta), [tb] "=&r"(tb), [xv] "=&r"(xv)
#define WIDE4_OUTPUTS                                                                                 \
    : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [a20] "+r"(a20),            \
      [a21] "+r"(a21), [a30] "+r"(a30), [a31] "+r"(a31), [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1),   \
      [ta] "=&r"(ta), [tb] "=&r"(tb), [xv] "=&r"(xv)
/* conv_1x1_wide's output stage in the same assembly: channel %[ch]'s 4 doubled sums y0..y3 by mcu_rqd_apply on
 * mcu_rq2_channel's constants (m = mult[ch] in w0, e = -shift[ch] in w1, c = kc 2^(e-1) in xv: the output
 * offset folded in), SSAT #8, stored at o + ch + q os (ta; os in tb); x is a temporary */
#define WIDE4_REQ_R(rm, re, ch, idx, os_load, y0, y1, y2, y3)                                         \
    "ldr    %[ta], %[mp]\n\t"                                                                        \
    "ldr    %[" idx "], %[" ch "]\n\t"                                                              \
    "ldr    %[" rm "], [%[ta], %[" idx "], lsl #2]\n\t"                                               \
    "ldr    %[ta], %[shp]\n\t"                                                                       \
    "ldr    %[" re "], [%[ta], %[" idx "], lsl #2]\n\t"                                               \
    "ldr    %[ta], %[ob]\n\t"                                                                        \
    "add    %[ta], %[ta], %[" idx "]\n\t"                                                           \
    "ldr    %[" idx "], %[kc]\n\t"                                                                  \
    "mvn    %[xv], %[" re "]\n\t"                                                                     \
    "lsl    %[xv], %[" idx "], %[xv]\n\t"                                                           \
    "rsb    %[" re "], %[" re "], #0\n\t"                                                             \
    os_load                                                                                           \
    "smmlar %[x], %[" y0 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y0 "], %[x], %[" y0 "], lsr #31\n\t"                                                \
    "smmlar %[x], %[" y1 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y1 "], %[x], %[" y1 "], lsr #31\n\t"                                                \
    "smmlar %[x], %[" y2 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y2 "], %[x], %[" y2 "], lsr #31\n\t"                                                \
    "smmlar %[x], %[" y3 "], %[" rm "], %[xv]\n\t"                                                    \
    "sub    %[" y3 "], %[x], %[" y3 "], lsr #31\n\t"                                                \
    "asr    %[" y0 "], %[" y0 "], %[" re "]\n\t"                                                      \
    "asr    %[" y1 "], %[" y1 "], %[" re "]\n\t"                                                      \
    "asr    %[" y2 "], %[" y2 "], %[" re "]\n\t"                                                      \
    "asr    %[" y3 "], %[" y3 "], %[" re "]\n\t"                                                      \
    "ssat   %[" y0 "], #8, %[" y0 "]\n\t"                                                           \
    "ssat   %[" y1 "], #8, %[" y1 "]\n\t"                                                           \
    "ssat   %[" y2 "], #8, %[" y2 "]\n\t"                                                           \
    "ssat   %[" y3 "], #8, %[" y3 "]\n\t"                                                           \
    "strb   %[" y0 "], [%[ta]]\n\t"                                                                 \
    "strb   %[" y1 "], [%[ta], %[tb]]\n\t"                                                          \
    "add    %[ta], %[ta], %[tb], lsl #1\n\t"                                                         \
    "strb   %[" y2 "], [%[ta]]\n\t"                                                                 \
    "strb   %[" y3 "], [%[ta], %[tb]]\n\t"
#define WIDE4_REQ(ch, idx, os_load, y0, y1, y2, y3) WIDE4_REQ_R("w0", "w1", ch, idx, os_load, y0, y1, y2, y3)
#endif

/* conv_1x1_wide's outputs of channels oc, oc1 of 4 pixels from acc[4j + q] = 2 (bias + products) (wrapped;
 * 2 * products is an int32) by the plain requantisation */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void wide4_out_plain(const mcu_conv_params_t *p, const int32_t acc[8], const int32_t *bias, int32_t oc,
                            int32_t oc1, int8_t *o)
{
    const out_stage_t q = out_stage(p);
    for (int32_t i = 0; i < 8; ++i) {
        const int32_t c = i < 4 ? oc : oc1, b = bias != NULL ? bias[c] : 0;
        const int32_t s = ((int32_t)((uint32_t)acc[i] - 2u * (uint32_t)b) >> 1) + b;
        o[(size_t)(i & 3) * (size_t)p->out.c + (size_t)c] = requant_out(&q, s, c);
    }
}

/* The 4 output pixels at o (rows of n bytes, consecutive) get the dead channels' constant row: each word of
 * the row loaded once, stored 4 times (unaligned word accesses are allowed on Armv7E-M). */
static void dead_fill4(int8_t *o, const int8_t *row, int32_t n)
{
    const size_t os = (size_t)n;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t v = mcu_load4(row + i);
        memcpy(o + i, &v, 4);
        memcpy(o + os + i, &v, 4);
        memcpy(o + 2 * os + i, &v, 4);
        memcpy(o + 3 * os + i, &v, 4);
    }
    for (; i < n; ++i) {
        o[i] = o[os + i] = o[2 * os + i] = o[3 * os + i] = row[i];
    }
}

/* conv_1x1_wide requantises channel c's doubled sums by mcu_rqd_apply on mcu_rq2_channel's constants (the
 * output offset folded in: e = -shift in [1, 22]) when mcu_rqd_fits holds for its
 * bias and the output offset is in [-128, 127]; other channels' blocks take wide4_out_plain. */
static MCU_ALWAYS_INLINE int wide_fast(const mcu_conv_params_t *p, const int32_t *bias, int32_t c, int32_t k)
{
    const int32_t mult = p->out_mult[c], shift = p->out_shift[c];
    return mcu_rqd_fits(mult, shift, bias != NULL ? bias[c] : 0, k) && shift >= -22 && shift <= -1
           && p->output_offset >= -128 && p->output_offset <= 127;
}

#define WIDE_FAST_WORDS 32                          /* the per-call table of fast channels: up to 1024 */

/* conv_1x1_wide's pair of channels oc, oc1 of 4 pixels past the groups of 4 input channels: acc[4j + q] the
 * doubled sums so far, xt the input's channels k4.. of the block's first pixel, w0 / w1 the weights past the
 * groups; the 1..3 channels left, then the output stage (fast: wide_fast holds for both channels) */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void wide4_finish(const mcu_conv_params_t *p, const int32_t *bias, const int32_t acc[8], const int8_t *xt,
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
        wide4_out_plain(p, sums, bias, oc, oc1, o);
    }
}

/* One group of 4 input channels of 4 pixels (words v0..v3, one per pixel) plus the input offset, doubled when
 * dbl (a constant once inlined: the weights widened at run time; the pre-widened stream's are doubled instead),
 * into the 8 words at d: [p0 p1 p2 p3 channels 0,2 | p0 p1 p2 p3 channels 1,3]. */
static MCU_ALWAYS_INLINE uint32_t widen_dbl(uint32_t t, int dbl)
{
    return dbl ? (uint32_t)__sadd16(t, t) : t;
}

static MCU_ALWAYS_INLINE void widen_group4(uint32_t *d, uint32_t off2, uint32_t v0, uint32_t v1, uint32_t v2,
                                           uint32_t v3, int dbl)
{
    uint32_t t0 = __sxtab16(off2, v0), t1 = __sxtab16(off2, v1);
    uint32_t t2 = __sxtab16(off2, v2), t3 = __sxtab16(off2, v3);
    d[0] = widen_dbl(t0, dbl);
    d[1] = widen_dbl(t1, dbl);
    d[2] = widen_dbl(t2, dbl);
    d[3] = widen_dbl(t3, dbl);
    t0 = mcu_sxtab16_ror8(off2, v0);
    t1 = mcu_sxtab16_ror8(off2, v1);
    t2 = mcu_sxtab16_ror8(off2, v2);
    t3 = mcu_sxtab16_ror8(off2, v3);
    d[4] = widen_dbl(t0, dbl);
    d[5] = widen_dbl(t1, dbl);
    d[6] = widen_dbl(t2, dbl);
    d[7] = widen_dbl(t3, dbl);
}

#define WIDE_CUT_BYTES 64               /* im2col_cut4: window rows of up to 64 elements */

/* im2col_row4's blocks with some pixels cut by the padding on the left or right (or whose last group would read past
 * the input): each such pixel's window row built in a small buffer (the zero point, then its valid bytes), the
 * others read from the input; run4 <= WIDE_CUT_BYTES. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void im2col_cut4(const mcu_conv_params_t *p, const int8_t *in, ptrdiff_t at, int32_t ix, uint32_t *wide,
                        uint32_t off2, int dbl)
{
    const int32_t in_w = p->in.w, in_c = p->in.c, kh = p->filter.h, kw = p->filter.w, run = kw * in_c;
    const int32_t run4 = (run + 3) & ~3;
    const ptrdiff_t row_step = (ptrdiff_t)in_w * in_c, st = (ptrdiff_t)p->stride_w * in_c;
    const ptrdiff_t in_total = (ptrdiff_t)p->in.n * p->in.h * row_step;
    const uint32_t zp4 = (uint32_t)(uint8_t)(int8_t)(-p->input_offset) * 0x01010101u;
    uint32_t tmp[4][WIDE_CUT_BYTES / 4];
    int32_t a[4], e[4], cut[4];                     /* pixel q's row elements [a, e) are inside the input */
    for (int32_t q = 0; q < 4; ++q) {
        const int32_t ix0 = ix + q * p->stride_w;
        a[q] = first_tap(ix0, 1, kw) * in_c;
        e[q] = end_tap(ix0, 1, kw, in_w) * in_c;
        if (e[q] < a[q]) {
            e[q] = a[q];
        }
        cut[q] = a[q] != 0 || e[q] != run || at + q * st + (kh - 1) * row_step + run4 > in_total;
    }
    uint32_t *d = wide;
    for (int32_t ky = 0; ky < kh; ++ky) {
        const int8_t *src[4];
        for (int32_t q = 0; q < 4; ++q) {
            const ptrdiff_t rq = at + q * st + ky * row_step;      /* element j: input byte rq + j */
            if (!cut[q]) {
                src[q] = in + rq;
                continue;
            }
            for (int32_t i = 0; i < run4 / 4; ++i) {
                tmp[q][i] = zp4;
            }
            int8_t *t = (int8_t *)(void *)tmp[q];
            for (int32_t j = a[q]; j < e[q]; ++j) {
                t[j] = in[rq + j];
            }
            src[q] = t;
        }
        for (int32_t j = 0; j < run4; j += 4, d += 8) {
            widen_group4(d, off2, mcu_load4(src[0] + j), mcu_load4(src[1] + j), mcu_load4(src[2] + j),
                         mcu_load4(src[3] + j), dbl);
        }
    }
}

/* im2col_widen4's common cases, inlined into the block loop (the general gather sets up more than this costs): the 4
 * pixels px .. px + 3 in one output row with all their window rows inside the input: when their columns and the
 * run4 bytes of each window row are inside too, widened row by row straight from it, otherwise (run4 <=
 * WIDE_CUT_BYTES) by im2col_cut4. Returns 0 (nothing written) for the other blocks. */
static MCU_ALWAYS_INLINE int im2col_row4(const mcu_conv_params_t *p, const int8_t *in, int32_t px, uint32_t *wide,
                                         uint32_t off2, int dbl)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c, kh = p->filter.h, kw = p->filter.w;
    const int32_t out_w = p->out.w, run4 = (kw * in_c + 3) & ~3;
    const int32_t t = px / out_w, ox = px - t * out_w, oy = t % p->out.h, b = t / p->out.h;
    const int32_t ix = ox * p->stride_w - p->pad_left, iy = oy * p->stride_h - p->pad_top;
    const ptrdiff_t row_step = (ptrdiff_t)in_w * in_c, st = (ptrdiff_t)p->stride_w * in_c;    /* pixel to pixel */
    const ptrdiff_t at = ((ptrdiff_t)(b * in_h + iy) * in_w + ix) * in_c;
    if (ox + 4 > out_w || iy < 0 || iy + kh > in_h) {
        return 0;
    }
    if (ix < 0 || ix + 3 * p->stride_w + kw > in_w
        || at + (kh - 1) * row_step + 3 * st + run4 > (ptrdiff_t)p->in.n * in_h * row_step) {
        if (run4 > WIDE_CUT_BYTES) {
            return 0;
        }
        im2col_cut4(p, in, at, ix, wide, off2, dbl);
        return 1;
    }
    const int8_t *s = in + at;
    uint32_t *d = wide;
    for (int32_t ky = 0; ky < kh; ++ky, s += row_step) {
        for (int32_t j = 0; j < run4; j += 4, d += 8) {
            widen_group4(d, off2, mcu_load4(s + j), mcu_load4(s + st + j), mcu_load4(s + 2 * st + j),
                         mcu_load4(s + 3 * st + j), dbl);
        }
    }
    return 1;
}

/*
 * The im2col gather of conv_im2col_wide: the windows of the 4 consecutive output pixels px .. px + 3 (in
 * output raster order over batch, rows, columns: a block may wrap rows) widened like conv_1x1_wide's
 * block. A window row (kw taps, run = kw in.c contiguous input bytes) takes run4 = run rounded up to a
 * multiple of 4 elements: element e = ky run4 + j (j = kx in.c + ic, the filter row's order) in group e / 4;
 * with in.c a multiple of 4 run4 = run (a group never straddles two taps), otherwise (conv_im2col_rows: in.c
 * % 4 != 0, the stream's rows padded alike with zero weights, see mcu_nn.h) the row's last group holds up to 3
 * elements past the run, whatever the input has there (they meet zero weights). Taps outside the input
 * (padding) get widened 0 words (a padded input is the zero point: x + input offset = 0). (Most blocks take
 * im2col_row4 instead.) A window row inside the input for all 4 pixels (its run4 bytes too) is widened 4
 * pixels at a time straight from the input; otherwise pixel by pixel: 0 words before and after the valid
 * taps, whole words inside them, and a group holding both (in.c % 4 != 0) assembled byte by byte, the padding
 * as the zero point.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void im2col_widen4(const mcu_conv_params_t *p, const int8_t *in, int32_t px, uint32_t *wide,
                          uint32_t off2, int dbl)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c, kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, run = kw * in_c;    /* a window row's elements */
    const int32_t run4 = (run + 3) & ~3;
    const ptrdiff_t row_step = (ptrdiff_t)in_w * in_c;
    const ptrdiff_t in_total = (ptrdiff_t)p->in.n * in_h * row_step;      /* the input's bytes */
    const uint32_t zp = (uint32_t)(uint8_t)(int8_t)(-p->input_offset);
    ptrdiff_t base[4];                              /* the input offset of each window's tap (0, 0) */
    int32_t iy0[4], a[4], e[4];                     /* window row elements [a, e) are inside the input */
    int32_t ox = px % out_w, t = px / out_w, oy = t % out_h, b = t / out_h;
    int32_t full = 1;                               /* every pixel has all kw taps of its rows */
    for (int32_t q = 0; q < 4; ++q) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        iy0[q] = oy * p->stride_h - p->pad_top;
        a[q] = first_tap(ix0, 1, kw) * in_c;
        e[q] = end_tap(ix0, 1, kw, in_w) * in_c;
        full &= a[q] == 0 && e[q] == run;
        base[q] = ((ptrdiff_t)(b * in_h + iy0[q]) * in_w + ix0) * in_c;
        if (++ox == out_w) {
            ox = 0;
            if (++oy == out_h) {
                oy = 0;
                ++b;
            }
        }
    }
    uint32_t *d = wide;
    for (int32_t ky = 0; ky < kh; ++ky, d += 2 * run4) {
        int32_t rows = full;
        for (int32_t q = 0; q < 4; ++q) {
            rows &= (uint32_t)(iy0[q] + ky) < (uint32_t)in_h;
        }
        const ptrdiff_t ro = (ptrdiff_t)ky * row_step;
        if (rows && base[3] + ro + run4 <= in_total) {      /* 4 pixels at a time (base grows with q) */
            const int8_t *s0 = in + base[0] + ro, *s1 = in + base[1] + ro;
            const int8_t *s2 = in + base[2] + ro, *s3 = in + base[3] + ro;
            uint32_t *dg = d;
            for (int32_t j = 0; j < run4; j += 4, dg += 8) {
                widen_group4(dg, off2, mcu_load4(s0 + j), mcu_load4(s1 + j), mcu_load4(s2 + j),
                             mcu_load4(s3 + j), dbl);
            }
            continue;
        }
        for (int32_t q = 0; q < 4; ++q) {           /* pixel by pixel: lane q of each group */
            const int row_in = (uint32_t)(iy0[q] + ky) < (uint32_t)in_h;
            const ptrdiff_t at = base[q] + ro;      /* element j of the row: input byte at + j (j in [lo, hi)) */
            const int32_t lo = row_in ? a[q] : run4;
            /* a row whole on the right reads its last group's elements past the run from the input (any value:
             * zero weights) where they are inside it */
            const int32_t hi = !row_in || e[q] <= a[q] ? lo : e[q] == run && at + run4 <= in_total ? run4 : e[q];
            uint32_t *dq = d + q;
            int32_t j = 0;
            for (; j + 4 <= lo; j += 4, dq += 8) {
                dq[0] = dq[4] = 0;
            }
            for (; j < hi; j += 4, dq += 8) {
                uint32_t v;
                if (j >= lo && j + 4 <= hi) {
                    v = mcu_load4(in + at + j);
                } else {                            /* a group cut by the padding (in.c % 4 != 0) */
                    v = 0;
                    for (int32_t i = 3; i >= 0; --i) {
                        const int32_t el = j + i;
                        v = v << 8 | (el >= lo && el < hi ? (uint32_t)(uint8_t)in[at + el] : zp);
                    }
                }
                dq[0] = widen_dbl(__sxtab16(off2, v), dbl);
                dq[4] = widen_dbl(mcu_sxtab16_ror8(off2, v), dbl);
            }
            for (; j < run4; j += 4, dq += 8) {
                dq[0] = dq[4] = 0;
            }
        }
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
static void wide_pre_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
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
 * live one: the fast output stage or not) */
static void wide_pre_rows_any(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                              int32_t px0, int32_t px1)
{
    const int32_t n_live = p->dead_out != NULL ? p->live_c : p->out.c;
    int fast = 1;
    for (int32_t i = 0; i < n_live && fast; ++i) {
        fast = wide_fast(p, bias, p->dead_out != NULL ? p->live[i] : i, p->in.c);
    }
    wide_pre_rows(p, in, NULL, bias, out, px0, px1, n_live, fast);
}

/* hinted: 0, the channels in order (n_live = out.c); 1, the dead-channel hint's live channels (see
 * conv_1x1_wide: one copy of this body each, so the unhinted one has no channel look-ups). im2col: 0, the
 * 1x1 conv (k = in.c); 1, any conv with dilation 1 and in.c a multiple of 4, each block's 4 output
 * pixels' windows (k = kh kw in.c) gathered by im2col_widen4 (conv_im2col_wide); 2, a conv with dilation 1
 * and in.c % 4 != 0 on the pre-widened stream, its window rows padded to whole groups (k = kh run4, run4 =
 * kw in.c rounded up to a multiple of 4: conv_im2col_rows) */
static MCU_ALWAYS_INLINE void conv_1x1_wide_run(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                                const int32_t *bias, int8_t *out, uint32_t *wide, const int hinted,
                                                const int im2col, const int pre)
{
    const int32_t pixels = im2col ? p->out.n * p->out.h * p->out.w : p->in.n * p->in.h * p->in.w;
    const int32_t k = im2col == 2 ? p->filter.h * ((p->filter.w * p->in.c + 3) & ~3)
                      : im2col ? p->filter.h * p->filter.w * p->in.c : p->in.c;
    const int32_t out_c = p->out.c, k4 = k & ~3;
    const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u;
    const size_t os = (size_t)out_c;
    /* bit c of fast: channel c takes the folded requantisation (wide_fast), when out_c <= 32 WIDE_FAST_WORDS;
     * all: every channel does */
    uint32_t fast[WIDE_FAST_WORDS];
    const int nbits = out_c <= 32 * WIDE_FAST_WORDS;
    int all = 1;
    for (int32_t c = 0; c < out_c; c += 32) {
        uint32_t word = 0;
        for (int32_t j = 0; j < 32 && c + j < out_c; ++j) {
            word |= (uint32_t)wide_fast(p, bias, c + j, k) << j;
        }
        all &= word == (c + 32 <= out_c ? 0xFFFFFFFFu : ((uint32_t)1 << (out_c - c)) - 1u);
        if (nbits) {
            fast[c >> 5] = word;
        }
    }
    const int8_t *const dead_out = p->dead_out;
    const uint16_t *const live = p->live;
    const int32_t n_live = hinted ? p->live_c : out_c;
    if (hinted) {                                   /* only the live channels count */
        all = 1;
        for (int32_t i = 0; i < n_live; ++i) {
            const int32_t c = live[i];
            all &= nbits ? (int)((fast[c >> 5] >> (c & 31)) & 1u) : wide_fast(p, bias, c, k);
        }
    }
#if defined(WIDE4_GROUP)
    const int32_t *const mult = p->out_mult, *const shift = p->out_shift;
    const int32_t kc = 2 * p->output_offset + 1;    /* mcu_rq2_channel's c = 2^(e-1) + o_off 2^e = kc 2^(e-1) */
    const int full = p->act_min == -128 && p->act_max == 127;   /* the clamp is SSAT #8 */
    const int32_t entry = (4 - (k4 >> 2)) & 3;      /* WIDE4_LOOP's entry for k4 / 4 groups */
    const int32_t entry1 = k4 == 4 ? 4 : (5 - (k4 >> 2)) & 3;   /* and for all but the first (WIDE4_FIRST) */
    const int32_t entry8 = (8 - (k4 >> 2)) & 7;     /* WIDE4P_LOOP's (8 groups per iteration) */
    const int32_t entry81 = k4 == 4 ? 8 : (9 - (k4 >> 2)) & 7;
    const uint32_t *const xend = wide + 2 * k4;     /* the end of the widened block */
    const int simple = full && k == k4 && bias != NULL;   /* the pairs wide_fast takes go all in assembly */
    const int simple_pre = full && k == k4;         /* pre: the stream holds the (doubled) biases, 0 without */
    /* the output stage's SUB changes nothing when the activation's lower bound is at least the output zero point
     * (mcu_rqd_apply_clamped) */
    const int nosub = p->act_min >= p->output_offset;
    /* pre: the end of the stream (n_live rounded up to pairs of k4 + 10 words: mcu_nn.h) */
    const uint32_t *const wend = pre ? p->wide_filter + (size_t)((n_live + 1) >> 1) * (size_t)(k4 + 10) : NULL;
    /* and of its pairs of neighbours (without the hint: an odd count's last pair is a channel twice) */
    const uint32_t *const wend_even = pre ? p->wide_filter + (size_t)(n_live >> 1) * (size_t)(k4 + 10) : NULL;
#endif
    /* pre: 1 or 2 pixels past the last whole block go apart (wide_pre_rows) */
    const int32_t tail = pre && !im2col && (pixels & 3) <= 2 ? pixels & 3 : 0;
    for (int32_t px = 0; px < pixels - tail; px += 4) {
        if (px + 4 > pixels) {
            px = pixels - 4;                        /* the last block ends at the last pixel */
        }
        /* the 1x1 block's first pixel (im2col: k == k4, wide4_finish reads no input) */
        const int8_t *const x0 = im2col ? in : in + (size_t)px * (size_t)k;
        if (im2col) {
            if (!im2col_row4(p, in, px, wide, off2, !pre)) {
                im2col_widen4(p, in, px, wide, off2, !pre);
            }
        } else {                                    /* the 4 pixels' groups of 4 channels, 8 words each */
            uint32_t *d = wide;
            const int8_t *xg = x0;
            for (const int8_t *const xg_end = x0 + k4; xg != xg_end; xg += 4, d += 8) {
                widen_group4(d, off2, mcu_load4(xg), mcu_load4(xg + k), mcu_load4(xg + 2 * k),
                             mcu_load4(xg + 3 * k), !pre);
            }
        }
        int8_t *const o = out + (size_t)px * os;
        if (hinted) {
            dead_fill4(o, dead_out, out_c);         /* the dead channels' constants; live ones follow */
        }
        int32_t i0 = 0;                             /* the first pair left to the loop below */
#if defined(WIDE4_GROUP)
        if (pre && all && simple_pre && n_live > (hinted ? 0 : 1)) {  /* pairs in one assembly loop over the stream */
            /* (the pair loop's label 10: WIDE4P_LOOP takes 0..9) */
            int32_t a00, a01, a10, a11, a20, a21, a30, a31;
            const uint32_t *x, *wp = p->wide_filter;
            uint32_t ta, tb, xv, xw;
            /* the pair loop over the stream up to WEND, OUT the output stage of a pair (RQ: WIDE4P_RQ_NOSUB where
             * nosub, see WIDE4P_REQ) */
#define WIDE4P_ALL(OUT, WEND)                                                                          \
            __asm__ volatile("10:\n\t"                                                                  \
                             "ldrd   %[a00], %[a01], [%[w]], #8\n\t"                                  \
                             "ldr    %[x], %[xbeg]\n\t"                                               \
                             WIDE4P_FIRST                                                             \
                             WIDE4P_LOOP("entry81")                                                   \
                             OUT                                                                      \
                             "ldr    %[ta], %[wend]\n\t"                                               \
                             "cmp    %[w], %[ta]\n\t"                                                  \
                             "bne    10b\n\t"                                                          \
                             : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),\
                               [a20] "=&r"(a20), [a21] "=&r"(a21), [a30] "=&r"(a30), [a31] "=&r"(a31),\
                               [x] "=&r"(x), [w] "+r"(wp), [xw] "=&r"(xw), [ta] "=&r"(ta),            \
                               [tb] "=&r"(tb), [xv] "=&r"(xv)                                         \
                             : [ob] "m"(o), [os] "m"(os), [xbeg] "m"(wide), [xend] "m"(xend),         \
                               [entry81] "m"(entry81), [wend] "m"(WEND)                               \
                             : "memory", "cc")
#define WIDE4P_APART(RQ) WIDE4P_REQ(RQ, "a00", "a10", "a20", "a30") WIDE4P_REQ(RQ, "a01", "a11", "a21", "a31")
            if (hinted) {                           /* any two live channels: their bytes apart */
                if (nosub) {
                    WIDE4P_ALL(WIDE4P_APART(WIDE4P_RQ_NOSUB), wend);
                } else {
                    WIDE4P_ALL(WIDE4P_APART(WIDE4P_RQ_SUB), wend);
                }
                continue;
            }
            /* channels 2j, 2j + 1: neighbours, one STRH per pixel; an odd count's last pair (oc1 = oc) below */
            if (nosub) {
                WIDE4P_ALL(WIDE4P_REQ_PAIR(WIDE4P_RQ_NOSUB), wend_even);
            } else {
                WIDE4P_ALL(WIDE4P_REQ_PAIR(WIDE4P_RQ_SUB), wend_even);
            }
#undef WIDE4P_ALL
#undef WIDE4P_APART
            if ((n_live & 1) == 0) {
                continue;
            }
            i0 = n_live - 1;
        }
#endif
        for (int32_t i = i0; i < n_live; i += 2) {  /* a pair of live channels (odd count: the last twice) */
            const int32_t oc = hinted ? live[i] : i;
            const int32_t oc1 = i + 1 < n_live ? (hinted ? live[i + 1] : i + 1) : oc;
            /* the int8 rows (pre: read past the groups only, NULL when the filter was left out: k == k4) */
            const int8_t *w0 = pre && filter == NULL ? NULL : filter + (size_t)oc * (size_t)k;
            const int8_t *w1 = pre && filter == NULL ? NULL : filter + (size_t)oc1 * (size_t)k;
            const int fastpair = all || (nbits ? (fast[oc >> 5] >> (oc & 31)) & (fast[oc1 >> 5] >> (oc1 & 31)) & 1u
                                               : wide_fast(p, bias, oc, k) && wide_fast(p, bias, oc1, k));
            /* pre: the pair's pre-widened weights (past its 2 bias words) */
            const uint32_t *wp = pre ? p->wide_filter + (size_t)(i >> 1) * (size_t)(k4 + 10) + 2 : NULL;
#if defined(WIDE4_GROUP)
            if (!pre && fastpair && simple) {               /* all in assembly: bias, products, output stage */
                int32_t a00, a01, a10, a11, a20, a21, a30, a31;
                const uint32_t *x = wide;
                uint32_t ta, tb, xv;
                __asm__ volatile("ldr    %[ta], %[bp]\n\t"
                                 "ldr    %[tb], %[oc]\n\t"
                                 "ldr    %[a00], [%[ta], %[tb], lsl #2]\n\t"
                                 "ldr    %[tb], %[oc1]\n\t"
                                 "ldr    %[a01], [%[ta], %[tb], lsl #2]\n\t"
                                 "add    %[a00], %[a00], %[a00]\n\t"
                                 "add    %[a01], %[a01], %[a01]\n\t"
                                 WIDE4_FIRST
                                 WIDE4_LOOP("entry1")
                                 WIDE4_REQ("oc", "tb", "ldr    %[tb], %[os]\n\t", "a00", "a10", "a20", "a30")
                                 WIDE4_REQ("oc1", "a00", "", "a01", "a11", "a21", "a31")
                                 : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11),
                                   [a20] "=&r"(a20), [a21] "=&r"(a21), [a30] "=&r"(a30), [a31] "=&r"(a31),
                                   [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [ta] "=&r"(ta), [tb] "=&r"(tb),
                                   [xv] "=&r"(xv)
                                 : [bp] "m"(bias), [mp] "m"(mult), [shp] "m"(shift), [kc] "m"(kc), [ob] "m"(o),
                                   [os] "m"(os), [oc] "m"(oc), [oc1] "m"(oc1), [xend] "m"(xend), [entry1] "m"(entry1)
                                 : "memory", "cc");
                continue;
            }
#endif
            int32_t a00 = 0, a01 = 0;               /* twice the bias (wrapping: see below) */
            if (bias != NULL) {
                a00 = (int32_t)(2u * (uint32_t)bias[oc]);
                a01 = (int32_t)(2u * (uint32_t)bias[oc1]);
            }
            int32_t a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
            const uint32_t *x = wide;
#if defined(WIDE4_GROUP)
            if (pre) {
                uint32_t ta, tb, xv, xw;
                __asm__(WIDE4P_LOOP("entry8") WIDE4P_OUTPUTS : [xend] "m"(xend), [entry8] "m"(entry8) : "memory", "cc");
            } else {
                uint32_t ta, tb, xv;
                __asm__(WIDE4_LOOP("entry") WIDE4_OUTPUTS : [xend] "m"(xend), [entry] "m"(entry) : "memory", "cc");
            }
#else
            for (int32_t g = 0; pre && g < k4; g += 4, x += 8, wp += 4) {   /* the same sums, pre-widened */
                a00 = __smlad(x[0], wp[0], a00);
                a01 = __smlad(x[0], wp[1], a01);
                a10 = __smlad(x[1], wp[0], a10);
                a11 = __smlad(x[1], wp[1], a11);
                a20 = __smlad(x[2], wp[0], a20);
                a21 = __smlad(x[2], wp[1], a21);
                a30 = __smlad(x[3], wp[0], a30);
                a31 = __smlad(x[3], wp[1], a31);
                a00 = __smlad(x[4], wp[2], a00);
                a01 = __smlad(x[4], wp[3], a01);
                a10 = __smlad(x[5], wp[2], a10);
                a11 = __smlad(x[5], wp[3], a11);
                a20 = __smlad(x[6], wp[2], a20);
                a21 = __smlad(x[6], wp[3], a21);
                a30 = __smlad(x[7], wp[2], a30);
                a31 = __smlad(x[7], wp[3], a31);
            }
            for (int32_t g = 0; !pre && g < k4; g += 4, x += 8, w0 += 4, w1 += 4) {
                const uint32_t wa = mcu_load4(w0), wb = mcu_load4(w1);
                uint32_t ta = __sxtb16(wa), tb = __sxtb16(wb);
                a00 = __smlad(x[0], ta, a00);
                a01 = __smlad(x[0], tb, a01);
                a10 = __smlad(x[1], ta, a10);
                a11 = __smlad(x[1], tb, a11);
                a20 = __smlad(x[2], ta, a20);
                a21 = __smlad(x[2], tb, a21);
                a30 = __smlad(x[3], ta, a30);
                a31 = __smlad(x[3], tb, a31);
                ta = mcu_sxtb16_ror8(wa);
                tb = mcu_sxtb16_ror8(wb);
                a00 = __smlad(x[4], ta, a00);
                a01 = __smlad(x[4], tb, a01);
                a10 = __smlad(x[5], ta, a10);
                a11 = __smlad(x[5], tb, a11);
                a20 = __smlad(x[6], ta, a20);
                a21 = __smlad(x[6], tb, a21);
                a30 = __smlad(x[7], ta, a30);
                a31 = __smlad(x[7], tb, a31);
            }
#endif
            const int32_t acc[8] = {a00, a10, a20, a30, a01, a11, a21, a31};
            if (k == k4 && !fastpair) {
                wide4_out_plain(p, acc, bias, oc, oc1, o);
            } else {
                wide4_finish(p, bias, acc, x0 + k4, pre && w0 != NULL ? w0 + k4 : w0, pre && w1 != NULL ? w1 + k4 : w1,
                             oc, oc1, o, fastpair, !im2col);
            }
        }
    }
    if (tail != 0) {
        wide_pre_rows(p, in, filter, bias, out, pixels - tail, pixels, n_live, all);
    }
}
/* The specialisations of conv_1x1_wide_run (its last three arguments constants: one copy of the body
 * each, kept out of line so that profiles name them):
 * conv_1x1_wide           every channel in order (no dead-channel hint);
 * conv_1x1_wide_pre       the same on the pre-widened weights (p->wide_filter);
 * conv_1x1_wide_live      with the dead-channel hint (p->dead_out != NULL): each block of 4 pixels first
 *                         gets the dead channels' constant row, then the live channels in pairs (two live
 *                         channels, not necessarily neighbours);
 * conv_1x1_wide_pre_live  the same on the pre-widened weights (pairs of live channels);
 * conv_im2col_wide        any conv with dilation 1, in.c a multiple of 4 and at least 4 output pixels,
 *                         through the same machinery on the im2col-gathered windows (k = kh kw in.c;
 *                         scratch 8 k bytes); every channel in order (the dead-channel hint's constants
 *                         are what the dead channels compute anyway);
 * conv_im2col_wide_pre    the same on the pre-widened weights (over the whole window);
 * conv_im2col_rows        a conv with dilation 1 and in.c % 4 != 0 (a network's first conv, typically), on the
 *                         pre-widened stream whose window rows are padded to whole groups of 4 (mcu_nn.h):
 *                         each row of 4 pixels' windows widened straight from the input (no byte copy). */
#if defined(__GNUC__) && !defined(__clang__)
#define WIDE_NOINLINE __attribute__((noinline))
#else
#define WIDE_NOINLINE
#endif
#define WIDE_VARIANT(name, hinted, im2col, pre)                                                        \
    WIDE_NOINLINE static void name(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,  \
                                   const int32_t *bias, int8_t *out, uint32_t *wide)                  \
    {                                                                                                 \
        conv_1x1_wide_run(p, in, filter, bias, out, wide, hinted, im2col, pre);                       \
    }
WIDE_VARIANT(conv_1x1_wide, 0, 0, 0)
WIDE_VARIANT(conv_1x1_wide_pre, 0, 0, 1)
WIDE_VARIANT(conv_1x1_wide_live, 1, 0, 0)
WIDE_VARIANT(conv_1x1_wide_pre_live, 1, 0, 1)
WIDE_VARIANT(conv_im2col_wide, 0, 1, 0)
WIDE_VARIANT(conv_im2col_wide_pre, 0, 1, 1)
WIDE_VARIANT(conv_im2col_rows, 0, 2, 1)
#undef WIDE_VARIANT
#undef WIDE_NOINLINE

/* conv_im2col_wide with or without the pre-widened weights */
static void conv_im2col_wide_any(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                 const int32_t *bias, int8_t *out, uint32_t *wide)
{
    if (p->wide_filter != NULL) {
        conv_im2col_wide_pre(p, in, filter, bias, out, wide);
    } else {
        conv_im2col_wide(p, in, filter, bias, out, wide);
    }
}
#undef WIDE4_GROUP
#undef WIDE4_OUTPUTS
#undef WIDE4_ODD_HALF
#undef WIDE4_LOOP
#undef WIDE4_FIRST
#undef WIDE4_REQ
#undef WIDE4_REQ_R
#undef WIDE4P_QUAD
#undef WIDE4P_ODD_HALF
#undef WIDE4P_GROUP
#undef WIDE4P_LOOP
#undef WIDE4P_FIRST
#undef WIDE4P_OUTPUTS
#undef WIDE4P_REQ
#undef WIDE4P_RQ_SUB
#undef WIDE4P_RQ_NOSUB
#undef WIDE4P_RQ4
#undef WIDE4P_REQ_PAIR
#undef WIDE_PRE2_GROUP
#undef WIDE_PRE2_LOOP
#undef WIDE_PRE2_REQ

/* The need bytes a conv without planned scratch borrows from the end of its own output (out_bytes at out,
 * written by nothing else while it runs), 4-aligned; 0 when they do not fit or input and output overlap. */
static uintptr_t own_output_scratch(const int8_t *in, size_t in_bytes, int8_t *out, size_t out_bytes, size_t need)
{
    if (need > out_bytes
        || ((uintptr_t)in < (uintptr_t)out + out_bytes && (uintptr_t)out < (uintptr_t)in + in_bytes)) {
        return 0;
    }
    const uintptr_t wide = ((uintptr_t)out + out_bytes - need) & ~(uintptr_t)3;
    return wide < (uintptr_t)out ? 0 : wide;
}

/* conv_1x1_wide with or without the dead-channel hint */
static void conv_1x1_wide_any(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out, uint32_t *wide)
{
    if (p->wide_filter != NULL) {
        if (p->dead_out != NULL) {
            conv_1x1_wide_pre_live(p, in, filter, bias, out, wide);
        } else {
            conv_1x1_wide_pre(p, in, filter, bias, out, wide);
        }
    } else if (p->dead_out != NULL) {
        conv_1x1_wide_live(p, in, filter, bias, out, wide);
    } else {
        conv_1x1_wide(p, in, filter, bias, out, wide);
    }
}

/*
 * The 1x1 conv without a planned scratch (the planner leaves it out where it would raise the arena's
 * peak): conv_1x1_wide borrows the last bytes of the conv's own output, which nothing else holds while
 * it runs, for the pixels whose outputs all lie before them, then conv_1x1 writes the rest over the
 * borrowed bytes. Not when input and output overlap or fewer than 4 pixels come first; returns whether
 * it ran.
 */
static int conv_1x1_in_own_output(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                  const int32_t *bias, int8_t *out)
{
    const int32_t pixels = p->in.n * p->in.h * p->in.w;
    const size_t in_bytes = (size_t)pixels * (size_t)p->in.c, out_bytes = (size_t)pixels * (size_t)p->out.c;
    if (p->in.c < 4 || p->in.c >= 32000) {
        return 0;
    }
    const uintptr_t wide = own_output_scratch(in, in_bytes, out, out_bytes, 8u * (size_t)(p->in.c & ~3));
    if (wide == 0) {
        return 0;
    }
    const int32_t head = (int32_t)((wide - (uintptr_t)out) / (size_t)p->out.c);   /* outputs before `wide` */
    if (head < 4) {
        return 0;
    }
    mcu_conv_params_t q = *p;
    q.in.n = q.out.n = 1;
    q.in.h = q.out.h = 1;
    q.in.w = q.out.w = head;
    conv_1x1_wide_any(&q, in, filter, bias, out, (uint32_t *)(void *)wide);
    if (head < pixels) {
        q.in.w = q.out.w = pixels - head;
        if (filter == NULL) {                       /* only the pre-widened weights */
            wide_pre_rows_any(&q, in, bias, out, head, pixels);
        } else {
            conv_1x1(&q, in + (size_t)head * (size_t)p->in.c, filter, bias, out + (size_t)head * (size_t)p->out.c);
        }
    }
    return 1;
}
#endif

/* Any conv with dilation_w 1: a filter row's valid taps are one contiguous run in input and filter. */
static void conv_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
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

#if defined(MCU_NN_DSP)
/*
 * conv_im2col_wide's conv (dilation 1, in.c a multiple of 4) without a planned scratch (the planner leaves
 * it out where it would raise the arena's peak), like conv_1x1_in_own_output: the 8 kh kw in.c bytes are
 * borrowed from the end of the conv's own output, which nothing else holds while it runs; the output rows
 * lying wholly before them go through conv_im2col_wide, then conv_rows writes the rows left (the same conv
 * shifted down: its first row's window starts stride_h (rows) input rows lower) over the borrowed bytes.
 * One batch, input and output apart, at least 4 pixels before; returns whether it ran.
 */
static int conv_im2col_in_own_output(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                     const int32_t *bias, int8_t *out)
{
    const size_t row_bytes = (size_t)p->out.w * (size_t)p->out.c, out_bytes = (size_t)p->out.h * row_bytes;
    const size_t in_bytes = (size_t)p->in.h * (size_t)p->in.w * (size_t)p->in.c;
    const size_t need = 8u * (size_t)p->filter.h * (size_t)p->filter.w * (size_t)p->in.c;
    const uintptr_t wide = p->in.n == 1 ? own_output_scratch(in, in_bytes, out, out_bytes, need) : 0;
    if (wide == 0) {
        return 0;
    }
    const int32_t rows = (int32_t)((wide - (uintptr_t)out) / row_bytes);   /* output rows before `wide` */
    if (rows * p->out.w < 4) {
        return 0;
    }
    mcu_conv_params_t q = *p;
    q.out.h = rows;
    conv_im2col_wide_any(&q, in, filter, bias, out, (uint32_t *)(void *)wide);
    q.out.h = p->out.h - rows;
    q.pad_top = p->pad_top - rows * p->stride_h;
    conv_rows(&q, in, filter, bias, out + (size_t)rows * row_bytes);
    return 1;
}
#endif

#endif /* !MCU_NN_MVE */

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

#if !defined(MCU_NN_MVE)
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
 * and take DWG_PAIRS for every pixel. When the
 * group's 4 channels allow it (mcu_rq2_channel, and |sum| < 2^30 whatever the input), the taps and the
 * bias are doubled and the doubled sums are requantised with mcu_rqd_apply on mcu_rq2_channel's
 * constants, the offset being output offset - act_min, then USAT #8 and a bytewise minimum (dwg_pack:
 * 4 instructions a value, 7 per 4 to pack and clamp); otherwise mcu_rq_apply. Outside the DSP cores
 * the same loops (without the pairs) in plain C.
 */
#if defined(MCU_NN_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(MCU_NN_NO_ASM)
#define DWG_HAVE_PAIRS 1                /* DWG_PAIRS_AT (inline assembly) */
#endif
#define DWG_TAPS 25                     /* filters up to 5x5 (or any kh * kw <= 25) */
#define DWG_PAIR_COLS 35                /* DWG_PAIRS: 5 rows of 7 columns (5x5, stride 2) */
#define DWG_PAD_WORDS 128               /* dwg_padded: the padded copy of a group's input (512 bytes of stack) */
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
        /* the padded map dwg_padded reads: rows out_h - 1 + k; columns up to the odd last pixel's partner window
         * (out_w rounded up to even pairs). Stride 1 only: at stride 2 (SAME: padding on the bottom and the right
         * only) most pixels are inside anyway and the copy costs more than it saves. */
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
 * (mcu_rq2_channel, and |sum| < 2^30 for any input: |bias| < 2^30 - taps * 255 * 128, as |x + input
 * offset| <= 255 and |w| <= 128). */
static MCU_ALWAYS_INLINE int dwg_setup(dw_group_t *g, const mcu_conv_params_t *p, const int8_t *filter,
                                        const int32_t *bias, int32_t ch)
{
    const int32_t taps = p->filter.h * p->filter.w, c = p->out.c;
    const int32_t lim = (1 << 30) - taps * 32640;
    int fast = 1;
    for (int32_t j = 0; j < 4; ++j) {
        const int32_t b = bias != NULL ? bias[ch + j] : 0;
        fast = fast && b < lim && b > -lim
               && mcu_rq2_channel(p->out_mult[ch + j], p->out_shift[ch + j], p->output_offset - p->act_min,
                                  &g->rq2[j]);
    }
    if (!fast) {
        for (int32_t j = 0; j < 4; ++j) {
            g->rq[j] = mcu_rq_channel(p->out_mult[ch + j], p->out_shift[ch + j]);
        }
    }
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


#if defined(DWG_HAVE_PAIRS)
/*
 * The doubled sums of two neighbouring pixels (a: the window at x, b: the one SW columns on) of a K x K
 * filter whose windows are all inside, dilation 1 (K 3 or 5, SW 1 or 2; g->pairs): inline assembly holding
 * the 8 sums in registers (all 14 allocatable registers; builds with -fno-omit-frame-pointer define
 * MCU_NN_NO_ASM and take dwg_sums one pixel at a time). The input offset is in the bias (bias_in: every
 * tap is inside), so a row's K + SW input words are widened by SXTB16 alone, once each, and feed both
 * windows; the words' offsets from x come from g->xoff (PITCH 0), or are immediates (dwg_padded's map: 4-byte
 * pixels, rows PITCH words apart). The columns j of a row go by j mod SW, then j,
 * and a column serves b (tap j - SW) before a (tap j): b's tap is the one a took at the previous column,
 * still in registers, so each filter tap is loaded once (LDRD) per row for both pixels. Then dwg_pack for
 * both pixels with each channel's constants loaded once, and the two words stored. Per 2 pixels of a 3x3
 * at stride 1: 6 to set up the sums, 12 words (LDR offset, LDR, 2 SXTB16), 9 LDRD, 72 SMLAxy, 57 to
 * requantise, pack and clamp (191; the loop around it ~9); stride 2: 15 words.
 */
/* the layout the assembly relies on: mcu_rqd_t is {mult, c, e}; span4 follows lo4 (one LDRD) */
typedef char dwg_layout_ok[(sizeof(mcu_rqd_t) == 12 && offsetof(mcu_rqd_t, c) == 4 && offsetof(mcu_rqd_t, e) == 8
                            && offsetof(dw_group_t, span4) == offsetof(dw_group_t, lo4) + 4) ? 1 : -1];
/* mcu_rqd_apply (rq2[J]: mult, c, e) and USAT #8 of channel J of both pixels, in place; without the SUB (NS, the
 * operand ns: mcu_rqd_apply_clamped) where the activation's lower bound is at least the output zero point (the offset
 * folded into c, output offset - act_min, is then <= 0 and USAT's lower bound 0 does the clamping) */
#define DWG_PAIR_RQ(J, aj, bj)                                                      \
    "ldrd   %[wa], %[wb], [%[g], #%c[rq] + 12 * " #J "]\n\t"                        \
    "ldr    %[t0], [%[g], #%c[rq] + 12 * " #J " + 8]\n\t"                           \
    "smmlar %[t1], " aj ", %[wa], %[wb]\n\t"                                        \
    ".if %c[ns] == 0\n\t"                                                           \
    "sub    %[t1], %[t1], " aj ", lsr #31\n\t"                                      \
    ".endif\n\t"                                                                    \
    "asr    %[t1], %[t1], %[t0]\n\t"                                                \
    "usat   " aj ", #8, %[t1]\n\t"                                                  \
    "smmlar %[t1], " bj ", %[wa], %[wb]\n\t"                                        \
    ".if %c[ns] == 0\n\t"                                                           \
    "sub    %[t1], %[t1], " bj ", lsr #31\n\t"                                      \
    ".endif\n\t"                                                                    \
    "asr    %[t1], %[t1], %[t0]\n\t"                                                \
    "usat   " bj ", #8, %[t1]\n\t"
#define DWG_PAIRS_AT(NO, K, SW, PITCH, BI, XO, W, NS, g_, x_, oa_, ob_)                               \
    do {                                                                                                  \
        uint32_t t0_, t1_, wa_, wb_;                                                                      \
        uint32_t a0_, a1_, a2_, a3_, b0_, b1_, b2_, b3_;                                                  \
        __asm__(".set dwg_k, %c[k]\n\t"                                                                   \
                ".set dwg_sw, %c[sw]\n\t"                                                                 \
                "ldrd   %[a0], %[a1], [%[g], #%c[bi]]\n\t"                                                \
                "ldrd   %[a2], %[a3], [%[g], #%c[bi] + 8]\n\t"                                            \
                "mov    %[b0], %[a0]\n\t"                                                                 \
                "mov    %[b1], %[a1]\n\t"                                                                 \
                "mov    %[b2], %[a2]\n\t"                                                                 \
                "mov    %[b3], %[a3]\n\t"                                                                 \
                ".set dwg_r, 0\n\t"                                                                       \
                ".rept %c[no]\n\t"                                                                        \
                ".set dwg_p, 0\n\t"                                                                       \
                ".rept dwg_sw\n\t"                                                                        \
                ".set dwg_j, dwg_p\n\t"                                                                   \
                ".rept (dwg_k + 2 * dwg_sw - 1 - dwg_p) / dwg_sw\n\t"                                     \
                ".if dwg_r + dwg_j == 0\n\t"                                                              \
                "ldr    %[t0], [%[x]]\n\t"                                                                \
                ".elseif %c[pitch]\n\t" /* rows PITCH words apart, 4-byte pixels: immediate offsets */   \
                "ldr    %[t0], [%[x], #4 * (dwg_r * %c[pitch] + dwg_j)]\n\t"                              \
                ".else\n\t"                                                                               \
                "ldr    %[t0], [%[g], #%c[xo] + 4 * (dwg_r * (dwg_k + dwg_sw) + dwg_j)]\n\t"              \
                "ldr    %[t0], [%[x], %[t0]]\n\t"                                                         \
                ".endif\n\t"                                                                              \
                "sxtb16 %[t1], %[t0]\n\t"                                                                 \
                "sxtb16 %[t0], %[t0], ror #8\n\t"                                                         \
                ".if dwg_j >= dwg_sw\n\t" /* b's tap j - SW: the one a took at the previous column */     \
                "smlabb %[b0], %[t1], %[wa], %[b0]\n\t"                                                   \
                "smlatt %[b2], %[t1], %[wa], %[b2]\n\t"                                                   \
                "smlabb %[b1], %[t0], %[wb], %[b1]\n\t"                                                   \
                "smlatt %[b3], %[t0], %[wb], %[b3]\n\t"                                                   \
                ".endif\n\t"                                                                              \
                ".if dwg_j < dwg_k\n\t"                                                                   \
                "ldrd   %[wa], %[wb], [%[g], #%c[w] + 8 * (dwg_r * dwg_k + dwg_j)]\n\t"                   \
                "smlabb %[a0], %[t1], %[wa], %[a0]\n\t"                                                   \
                "smlatt %[a2], %[t1], %[wa], %[a2]\n\t"                                                   \
                "smlabb %[a1], %[t0], %[wb], %[a1]\n\t"                                                   \
                "smlatt %[a3], %[t0], %[wb], %[a3]\n\t"                                                   \
                ".endif\n\t"                                                                              \
                ".set dwg_j, dwg_j + dwg_sw\n\t"                                                          \
                ".endr\n\t"                                                                               \
                ".set dwg_p, dwg_p + 1\n\t"                                                               \
                ".endr\n\t"                                                                               \
                ".set dwg_r, dwg_r + 1\n\t"                                                               \
                ".endr\n\t"                                                                               \
                DWG_PAIR_RQ(0, "%[a0]", "%[b0]") DWG_PAIR_RQ(1, "%[a1]", "%[b1]")                         \
                DWG_PAIR_RQ(2, "%[a2]", "%[b2]") DWG_PAIR_RQ(3, "%[a3]", "%[b3]")                         \
                "orr    %[a2], %[a2], %[a3], lsl #8\n\t"                                                  \
                "orr    %[a1], %[a1], %[a2], lsl #8\n\t"                                                  \
                "orr    %[a0], %[a0], %[a1], lsl #8\n\t"                                                  \
                "orr    %[b2], %[b2], %[b3], lsl #8\n\t"                                                  \
                "orr    %[b1], %[b1], %[b2], lsl #8\n\t"                                                  \
                "orr    %[b0], %[b0], %[b1], lsl #8\n\t"                                                  \
                "ldrd   %[wa], %[wb], [%[g], #%c[lo4]]\n\t" /* act_min, act_max - act_min bytes */          \
                "usub8  %[t0], %[a0], %[wb]\n\t"                                                          \
                "sel    %[a0], %[wb], %[a0]\n\t"                                                          \
                "uadd8  %[a0], %[a0], %[wa]\n\t"                                                          \
                "usub8  %[t0], %[b0], %[wb]\n\t"                                                          \
                "sel    %[b0], %[wb], %[b0]\n\t"                                                          \
                "uadd8  %[b0], %[b0], %[wa]"                                                              \
                : [a0] "=&r"(a0_), [a1] "=&r"(a1_), [a2] "=&r"(a2_), [a3] "=&r"(a3_), [b0] "=&r"(b0_),    \
                  [b1] "=&r"(b1_), [b2] "=&r"(b2_), [b3] "=&r"(b3_), [t0] "=&r"(t0_), [t1] "=&r"(t1_),   \
                  [wa] "=&r"(wa_), [wb] "=&r"(wb_)                                                        \
                : [g] "r"(g_), [x] "r"(x_), [k] "i"(K), [sw] "i"(SW), [no] "i"(NO), [pitch] "i"(PITCH),   \
                  [ns] "i"(NS),                                                                           \
                  [bi] "i"(offsetof(dw_group_t, BI)), [xo] "i"(offsetof(dw_group_t, XO)),                 \
                  [w] "i"(offsetof(dw_group_t, W)),                                                       \
                  [rq] "i"(offsetof(dw_group_t, rq2)), [lo4] "i"(offsetof(dw_group_t, lo4)),              \
                  "m"(*(const dw_group_t *)(g_))                                                          \
                : "cc");                                                                              \
        (void)a1_, (void)a2_, (void)a3_, (void)b1_, (void)b2_, (void)b3_;                                   \
        memcpy((oa_), &a0_, sizeof a0_);                                                                  \
        memcpy((ob_), &b0_, sizeof b0_);                                                                  \
    } while (0)
/* every row of a K x K filter whose windows are all inside */
#define DWG_PAIRS(K, SW, NS, g_, x_, oa_, ob_) DWG_PAIRS_AT(K, K, SW, 0, bias_in, xoff, w, NS, g_, x_, oa_, ob_)
#endif

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

/* One group over every output pixel; `fast` (a constant once inlined): mcu_rqd_apply (mcu_rq2_channel). */
static MCU_ALWAYS_INLINE void dwg_run(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in,
                                      int8_t *out, int32_t ch, int fast)
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
    const int k3 = fast && kh == 3 && kw == 3, k5 = fast && kh == 5 && kw == 5;
    const int w3 = fast && kw == 3, w5 = fast && kw == 5;
    /* rows [v_oy0, v_oy1) of the columns v_ox: done by dwg_vpairs */
    const int32_t oy_lo = fast ? g->v_oy0 : 0, oy_v = fast ? g->v_oy1 : 0;
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
                        if (g->pairs) {                        /* 2 pixels a pass, then 1 if odd */
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
                        if (g->pairs) {                        /* 2 pixels a pass, then 1 if odd */
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
                } else if (nkx == 4) {
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
/* A pass of DWG_PAIRS over the output rows of the padded map (xoffp): 2 pixels a pass, the odd last one's
 * partner window (inside the map, see dwg_layer) stored to a spare word. */
#define DWG_PADDED_ROWS(K, SW, P, NS)                                                                    \
    for (int32_t oy = 0; oy < p->out.h; ++oy) {                                                           \
        const int8_t *x = (const int8_t *)(buf + (size_t)oy * (size_t)pitch);                             \
        int8_t *o = o_b + (size_t)oy * (size_t)p->out.w * (size_t)c;                                      \
        int32_t ox = 0;                                                                                   \
        for (; ox + 1 < p->out.w; ox += 2, x += 8 * (SW), o += 2 * c) {                                   \
            DWG_PAIRS_AT(K, K, SW, P, bias_in, xoffp, w, NS, g, x, o, o + c);                              \
        }                                                                                                 \
        if (ox < p->out.w) {                                                                              \
            DWG_PAIRS_AT(K, K, SW, P, bias_in, xoffp, w, NS, g, x, o, &spare);                             \
        }                                                                                                 \
    }

/* Small maps at stride 1 (g->pad_wp > 0): the group's 4 channels copied, one word a pixel, into a map padded with the
 * input zero point (x + input offset = 0: the padding adds nothing to bias_in's sums), so that every output pixel,
 * borders included, takes DWG_PAIRS (on small maps most pixels are border pixels). buf: the map, its padding
 * already written (dwg_padded_groups: once a layer); the input rows and columns are copied here. */
static MCU_ALWAYS_INLINE void dwg_padded(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, int8_t *out,
                                         int32_t ch, uint32_t *buf)
{
    uint32_t spare;
    const int32_t wp = g->pad_wp, hp = g->pad_hp, pitch = g->pad_pitch, c = p->in.c, in_w = p->in.w, in_h = p->in.h;
    /* map columns [x0, x1) and rows [pad_top, y1) are input columns x - pad_left, rows y - pad_top */
    const int32_t x0 = p->pad_left < wp ? p->pad_left : wp;
    const int32_t x1 = p->pad_left + in_w < wp ? p->pad_left + in_w : wp;
    const int32_t y1 = p->pad_top + in_h < hp ? p->pad_top + in_h : hp;
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)c + (size_t)ch;
        int8_t *o_b = out + (size_t)b * (size_t)p->out.h * (size_t)p->out.w * (size_t)c + (size_t)ch;
        /* the assembly reads buf without telling the compiler: the copy stays between these barriers */
        __asm__ volatile("" : : "r"(buf) : "memory");
        for (int32_t r = p->pad_top; r < y1; ++r) {
            const int8_t *xi = in_b + ((size_t)(r - p->pad_top) * (size_t)in_w + (size_t)(x0 - p->pad_left)) * (size_t)c;
            uint32_t *q = buf + (size_t)r * (size_t)pitch + (size_t)x0, *q_end = q + (x1 - x0);
            for (; q != q_end; ++q, xi += c) {
                *q = mcu_load4(xi);
            }
        }
        __asm__ volatile("" : : "r"(buf) : "memory");
        if (p->filter.w == 3 && pitch == DWG_PAD_PITCH && g->nosub) {
            DWG_PADDED_ROWS(3, 1, DWG_PAD_PITCH, 1)
        } else if (p->filter.w == 3 && pitch == DWG_PAD_PITCH) {
            DWG_PADDED_ROWS(3, 1, DWG_PAD_PITCH, 0)
        } else if (p->filter.w == 3) {
            DWG_PADDED_ROWS(3, 1, 0, 0)
        } else {
            DWG_PADDED_ROWS(5, 1, 0, 0)
        }
    }
    (void)spare;
}
#undef DWG_PADDED_ROWS
#endif

/* (not inlined into depthwise_groups: the group's constants stay where g points, not copied around) */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline, optimize("no-schedule-insns")))
#endif
static void dwg_run_rq2(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, int8_t *out, int32_t ch)
{
#if defined(DWG_HAVE_PAIRS)
    if (g->v_oy1 > g->v_oy0) {
        dwg_vpairs(p, g, in, out, ch);
    }
#endif
    dwg_run(p, g, in, out, ch, 1);
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline, optimize("no-schedule-insns")))
#endif
static void dwg_run_rq(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, int8_t *out, int32_t ch)
{
    dwg_run(p, g, in, out, ch, 0);
}

#if defined(DWG_HAVE_PAIRS)
/* depthwise_groups on a small map at stride 1 (g->pad_wp > 0, after dwg_layer): the padded map (DWG_PAD_WORDS words
 * of stack) is filled with the input zero point once, then each rq2 group copies its input into it (dwg_padded). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline))
#endif
static void dwg_padded_groups(const mcu_conv_params_t *p, dw_group_t *g, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out)
{
    uint32_t buf[DWG_PAD_WORDS];
    const uint32_t padw = ((uint32_t)(-g->off) & 0xFFu) * 0x01010101u;
    for (int32_t i = 0; i < g->pad_hp * g->pad_pitch; ++i) {
        buf[i] = padw;
    }
    for (int32_t ch = 0; ch < (p->out.c & ~3); ch += 4) {
        if (dwg_setup(g, p, filter, bias, ch)) {
            dwg_padded(p, g, in, out, ch, buf);
        } else {
            dwg_run_rq(p, g, in, out, ch);
        }
    }
}
#endif

/* Depth multiplier 1, channels [0, c & ~3) in groups of 4 (the caller does the rest). */
static void depthwise_groups(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                             const int32_t *bias, int8_t *out)
{
    const int32_t c4 = p->out.c & ~3;
    dw_group_t g;
    dwg_layer(&g, p);
#if defined(DWG_HAVE_PAIRS)
    if (g.pad_wp > 0) {
        dwg_padded_groups(p, &g, in, filter, bias, out);
        return;
    }
#endif
    for (int32_t ch = 0; ch < c4; ch += 4) {
        if (dwg_setup(&g, p, filter, bias, ch)) {
            dwg_run_rq2(p, &g, in, out, ch);
        } else {
            dwg_run_rq(p, &g, in, out, ch);
        }
    }
}

#endif /* !MCU_NN_MVE */

#if defined(MCU_NN_MVE)
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
static void depthwise_groups_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
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
#endif /* MCU_NN_MVE */

/* Depthwise, any depth multiplier: 4 output channels [ch0, c) per pass over the valid taps. */
static void depthwise_fast(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
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

#if defined(MCU_NN_DSP)
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
#define WIN_MAXN 96                     /* values in one window */

/* Windows of one input image: src at the first of the window's channels of input pixel (0, 0), tc
 * channels per tap (a conv: all in.c; a depthwise conv: 1). */
typedef struct {
    const int8_t *src, *end;            /* end: one past the input image */
    int32_t tc, n, groups;
    uint32_t off2;                      /* the input offset in both int16 lanes */
    int8_t zp;                          /* the input zero point: (zp + offset) = 0 */
} win_src_t;

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
static void win_build_inside(const win_src_t *s, const int8_t *src, size_t step, int32_t kh, int32_t row,
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

static void win_build(const mcu_conv_params_t *p, const win_src_t *s, int32_t iy0, int32_t ix0, int8_t *raw,
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
                    win_build_inside(s, src, step, kh, row, 0, raw, x);
                    win_build_inside(s, src1, step, kh, row, 0, raw, x + 2);
                }
            } else {
                win_build(p, s, iy0, ix0, raw, NULL);      /* cut by padding: raw windows, widened together */
                win_build(p, s, iy0, ix1, raw1, NULL);
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
static void conv_win(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
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
static void depthwise_win(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
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
static void win_stack(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                      int depthwise)
{
    uint32_t work[WIN_STACK_WORDS];
    if (depthwise) {
        depthwise_win(p, in, bias, out, work);
    } else {
        conv_win(p, in, bias, out, work);
    }
}
#endif /* !MCU_NN_MVE */

#if defined(MCU_NN_MVE)
/*
 * Helium: depthwise by windows (multiplier > 1, in.c <= 4), and convs with few input channels (in.c % 4
 * != 0, n <= WIN_MAXN). Each output pixel's window (a depthwise conv: of one input channel) is gathered
 * as for the DSP window kernels (int8, not widened; taps outside the input hold the zero point), then 4
 * output channels at a time by mcu_mve_dot4 over the chunk's filter rows (a conv's own; a depthwise
 * conv's transposed at compile time: p->win_w, n bytes each), the input offset as offset * (sum of the row) in the
 * accumulator's start (so (x + offset) w summed over every tap, padding included, where it is 0),
 * requantised 4 lanes at a time (mcu_mve_requant4).
 */
#define WIN_MVE_CH 16                   /* output channels per chunk */

/* Output channels [oc0, oc0 + nch) (nch <= WIN_MVE_CH) of every output pixel: windows from s (s->tc
 * channels a tap), filter rows w (n bytes each, n apart), accumulator starts init. */
static void win_mve_run(const mcu_conv_params_t *p, const win_src_t *s, const int8_t *w, int32_t n,
                        const int32_t *init, int32_t oc0, int32_t nch, int8_t *out_b)
{
    const int32_t kh = p->filter.h, kw = p->filter.w, out_c = p->out.c;
    const int32_t in_w = p->in.w, in_c = p->in.c, out_h = p->out.h, out_w = p->out.w, row = kw * s->tc;
    const int runs = p->dilation_w == 1 && s->tc == in_c;     /* a filter row's taps: one run of input */
    const size_t step = (size_t)p->dilation_h * (size_t)in_w * (size_t)in_c;
    const size_t last_run = (size_t)(kh - 1) * step + (size_t)((row + 3) & ~3);
    int8_t raw[WIN_MAXN + 8] = {0};
    for (int32_t oy = 0; oy < out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int rows_inside = runs && iy0 >= 0 && iy0 + (kh - 1) * p->dilation_h < p->in.h;
        int8_t *o = out_b + (size_t)oy * (size_t)out_w * (size_t)out_c + (size_t)oc0;
        for (int32_t ox = 0; ox < out_w; ++ox, o += out_c) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            if (rows_inside && ix0 >= 0 && ix0 + kw <= in_w) {
                const int8_t *src = s->src + ((size_t)iy0 * (size_t)in_w + (size_t)ix0) * (size_t)in_c;
                win_build_inside(s, src, step, kh, row, src + last_run <= s->end, raw, NULL);
            } else {
                win_build(p, s, iy0, ix0, raw, NULL);
            }
            for (int32_t c = 0; c < nch; c += 4) {
                const int32_t lanes = nch - c < 4 ? nch - c : 4;
                const mve_pred16_t pr = vctp32q((uint32_t)lanes);
                const int8_t *f0 = w + (size_t)c * (size_t)n;        /* lanes past nch repeat the last */
                const int8_t *f1 = f0 + (lanes > 1 ? n : 0), *f2 = f0 + (lanes > 2 ? 2 : lanes - 1) * n;
                const int8_t *f3 = f0 + (lanes - 1) * n;
                const int32x4_t acc = mcu_mve_dot4(raw, f0, f1, f2, f3, n, vldrwq_z_s32(init + c, pr));
                const int32x4_t y = mcu_mve_requant4(acc, vldrwq_z_s32(p->out_mult + oc0 + c, pr),
                                                     vldrwq_z_s32(p->out_shift + oc0 + c, pr),
                                                     p->output_offset, p->act_min, p->act_max);
                vstrbq_p_s32(o + c, y, pr);
            }
        }
    }
}

/* Helium conv by windows (in.c % 4 != 0, kh * kw * in.c <= WIN_MAXN): the filter's own rows, chunks of
 * WIN_MVE_CH output channels, bias + offset * (sum of the row) as each channel's start. */
static void conv_win_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                         int8_t *out)
{
    const int32_t n = p->filter.h * p->filter.w * p->in.c, out_c = p->out.c;
    const size_t in_size = (size_t)p->in.h * (size_t)p->in.w * (size_t)p->in.c;
    const size_t out_size = (size_t)p->out.h * (size_t)p->out.w * (size_t)out_c;
    win_src_t s = {in, in, p->in.c, n, (n + 3) >> 2, 0, (int8_t)(-p->input_offset)};
    int32_t init[WIN_MVE_CH];
    for (int32_t oc0 = 0; oc0 < out_c; oc0 += WIN_MVE_CH) {
        const int32_t nch = out_c - oc0 < WIN_MVE_CH ? out_c - oc0 : WIN_MVE_CH;
        for (int32_t j = 0; j < nch; ++j) {
            const int32_t sum = mcu_sum_s8(filter + (size_t)(oc0 + j) * (size_t)n, n);
            init[j] = (int32_t)((uint32_t)(bias != NULL ? bias[oc0 + j] : 0) + (uint32_t)p->input_offset * (uint32_t)sum);
        }
        for (int32_t b = 0; b < p->in.n; ++b) {
            s.src = in + (size_t)b * in_size;
            s.end = s.src + in_size;
            win_mve_run(p, &s, filter + (size_t)oc0 * (size_t)n, n, init, oc0, nch, out + (size_t)b * out_size);
        }
    }
}

/* Helium depthwise by windows: the channels' taps transposed at compile time (p->win_w: channel c's n
 * taps at byte c * n), chunks of WIN_MVE_CH of one input channel's, bias + offset * (sum of the taps) as
 * each channel's start. */
static void depthwise_win_mve(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out)
{
    const int32_t kh = p->filter.h, kw = p->filter.w, n = kh * kw, out_c = p->out.c, m = p->depth_multiplier;
    const int32_t in_c = p->in.c;
    const size_t in_size = (size_t)p->in.h * (size_t)p->in.w * (size_t)in_c;
    const size_t out_size = (size_t)p->out.h * (size_t)p->out.w * (size_t)out_c;
    const int8_t *const rows = (const int8_t *)(const void *)p->win_w;
    win_src_t s = {in, in, 1, n, (n + 3) >> 2, 0, (int8_t)(-p->input_offset)};
    int32_t init[WIN_MVE_CH];
    for (int32_t ic = 0; ic < in_c; ++ic) {
        for (int32_t j0 = 0; j0 < m; j0 += WIN_MVE_CH) {
            const int32_t nch = m - j0 < WIN_MVE_CH ? m - j0 : WIN_MVE_CH, oc0 = ic * m + j0;
            const int8_t *const w = rows + (size_t)oc0 * (size_t)n;
            for (int32_t j = 0; j < nch; ++j) {     /* bias + offset * the sum of channel oc0 + j's taps */
                const int32_t sum = mcu_sum_s8(w + (size_t)j * (size_t)n, n);
                init[j] = (int32_t)((uint32_t)(bias != NULL ? bias[oc0 + j] : 0)
                                    + (uint32_t)p->input_offset * (uint32_t)sum);
            }
            for (int32_t b = 0; b < p->in.n; ++b) {
                s.src = in + (size_t)b * in_size + (size_t)ic;
                s.end = in + (size_t)(b + 1) * in_size;
                win_mve_run(p, &s, w, n, init, oc0, nch, out + (size_t)b * out_size);
            }
        }
    }
}
#endif /* MCU_NN_MVE */
#endif /* MCU_NN_DSP */

#endif /* !MCU_NN_REFERENCE */

void mcu_conv2d_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                   const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;                                  /* only the DSP paths (1x1, im2col, windows) use it */
#if defined(MCU_NN_MVE) || !defined(MCU_NN_DSP) || defined(MCU_NN_REFERENCE)
    if (filter == NULL) {                           /* a 1x1 conv with only the pre-widened weights */
        conv_1x1_stream(p, in, bias, out);
        return;
    }
#endif
#if defined(MCU_NN_MVE)
    if (p->filter.h == 1 && p->filter.w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0
        && p->pad_left == 0 && p->out.h == p->in.h && p->out.w == p->in.w) {
        conv_1x1_mve(p, in, filter, bias, out);
        return;
    }
    if (p->in.c % 4 != 0 && p->filter.h * p->filter.w * p->in.c <= WIN_MAXN) {
        conv_win_mve(p, in, filter, bias, out);     /* few input channels: whole windows */
        return;
    }
    if (p->dilation_w == 1) {
        conv_rows_mve(p, in, filter, bias, out);
        return;
    }
#elif !defined(MCU_NN_REFERENCE)
    if (p->filter.h == 1 && p->filter.w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0
        && p->pad_left == 0 && p->out.h == p->in.h && p->out.w == p->in.w) {
#if defined(MCU_NN_DSP)
        if (scratch != NULL && ((uintptr_t)scratch & 3u) == 0 && p->in.c >= 4 && p->in.c < 32000
            && p->in.n * p->in.h * p->in.w >= 4) {
            conv_1x1_wide_any(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
            return;
        }
        if (scratch == NULL && conv_1x1_in_own_output(p, in, filter, bias, out)) {
            return;
        }
        if (filter == NULL) {                       /* only the pre-widened weights */
            wide_pre_rows_any(p, in, bias, out, 0, p->in.n * p->in.h * p->in.w);
            return;
        }
#endif
        conv_1x1(p, in, filter, bias, out);
        return;
    }
#if defined(MCU_NN_DSP)
    if (p->wide_filter != NULL && p->in.c % 4 != 0 && scratch != NULL && ((uintptr_t)scratch & 3u) == 0
        && p->dilation_h == 1 && p->dilation_w == 1 && p->out.n * p->out.h * p->out.w >= 4) {
        /* few input channels, the stream's window rows padded to whole groups (mcu_nn.h) */
        conv_im2col_rows(p, in, NULL, bias, out, (uint32_t *)(void *)scratch);     /* (no int8 row is read) */
        return;
    }
    if (p->win_w != NULL && p->in.c % 4 != 0 && p->filter.h * p->filter.w * p->in.c >= 4
        && p->filter.h * p->filter.w * p->in.c <= WIN_MAXN) {      /* few input channels: windows */
        if (scratch != NULL && ((uintptr_t)scratch & 3u) == 0) {
            conv_win(p, in, bias, out, (uint32_t *)(void *)scratch);
        } else {
            win_stack(p, in, bias, out, 0);
        }
        return;
    }
    if (scratch != NULL && ((uintptr_t)scratch & 3u) == 0 && p->dilation_h == 1 && p->dilation_w == 1
        && (p->in.c & 3) == 0 && p->filter.h * p->filter.w * p->in.c < 32000
        && p->out.n * p->out.h * p->out.w >= 4) {
        conv_im2col_wide_any(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
        return;
    }
    if (scratch == NULL && p->dilation_h == 1 && p->dilation_w == 1 && (p->in.c & 3) == 0
        && p->filter.h * p->filter.w * p->in.c < 32000 && conv_im2col_in_own_output(p, in, filter, bias, out)) {
        return;
    }
#endif
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
                             const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;                                  /* only the DSP window and rows paths use it */
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int32_t mult = p->depth_multiplier;

#if !defined(MCU_NN_REFERENCE)
    if (mult >= 1 && in_c * mult == out_c) {
        int32_t ch0 = 0;
#if defined(MCU_NN_DSP)
#if !defined(MCU_NN_MVE)
        if (in_c == 1 && p->wide_filter != NULL && scratch != NULL && ((uintptr_t)scratch & 3u) == 0
            && p->dilation_h == 1 && p->dilation_w == 1 && p->out.n * out_h * out_w >= 4) {
            /* one input channel: the conv of the transposed filter, its stream's window rows padded (mcu_nn.h) */
            conv_im2col_rows(p, in, NULL, bias, out, (uint32_t *)(void *)scratch);
            return;
        }
#endif
        if (mult >= 2 && in_c <= 4 && kh * kw <= WIN_MAXN) {
#if defined(MCU_NN_MVE)
            if (p->win_w != NULL) {
                depthwise_win_mve(p, in, bias, out);        /* few input channels, multiplier > 1 */
                return;
            }
#else
            if (p->win_w != NULL && scratch != NULL && ((uintptr_t)scratch & 3u) == 0) {
                depthwise_win(p, in, bias, out, (uint32_t *)(void *)scratch);
                return;
            }
            if (p->win_w != NULL) {
                win_stack(p, in, bias, out, 1);
                return;
            }                                               /* no win_w: the per-pixel path below */
#endif
        }
#endif
#if defined(MCU_NN_MVE)
        if (mult == 1) {
            depthwise_groups_mve(p, in, filter, bias, out);
            return;
        }
#else
        if (mult == 1 && p->filter.h * p->filter.w <= DWG_TAPS) {
            depthwise_groups(p, in, filter, bias, out);
            ch0 = out_c & ~3;
        }
#endif
        if (ch0 < out_c) {
            depthwise_fast(p, in, filter, bias, out, ch0);
        }
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
