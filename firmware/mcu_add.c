/* Elementwise ADD, int8, with broadcasting up to MCU_MAX_DIMS dimensions (TFLite reference arithmetic).
 *
 * Both inputs are rescaled to a common scale with `left_shift` bits of headroom, added, and the sum is
 * requantised to the output. Broadcasting is expressed by element strides of 0 (computed at compile
 * time), so the same loop serves the plain elementwise case (rank 1, strides 1). The three
 * requantisations split their per-tensor part off once per call (mcu_rq_channel, exact; the plain
 * mcu_requant in MCU_NN_REFERENCE builds). Helium (Cortex-M55): 4 values at a time (mcu_mve_rq_n, exact);
 * Armv7E-M DSP: SMMLAR requantisations from doubled values (mcu_rqd, exact) where they qualify.
 */
#include "mcu_nn.h"
#include "mcu_simd.h"

typedef struct {
    mcu_rq_t in1, in2, out;
    int32_t in1_offset, in2_offset, left_shift, output_offset, act_min, act_max;
} add_consts_t;

static inline int8_t add_one(const add_consts_t *k, int32_t a, int32_t b)
{
    const int32_t x1 = (a + k->in1_offset) * ((int32_t)1 << k->left_shift);
    const int32_t x2 = (b + k->in2_offset) * ((int32_t)1 << k->left_shift);
    const int32_t s1 = mcu_rq_apply(&k->in1, x1);
    const int32_t s2 = mcu_rq_apply(&k->in2, x2);
    const int32_t y = mcu_rq_apply(&k->out, s1 + s2) + k->output_offset;
    return (int8_t)mcu_clamp(y, k->act_min, k->act_max);
}

#if defined(MCU_NN_MVE)
/* Helium: one requantisation's scalars for mcu_mve_rq_n */
typedef struct {
    int32_t mult, left, right, neg;
} mve_rq_t;

static mve_rq_t mve_rq_make(int32_t mult, int32_t shift)
{
    const mve_rq_t r = {mult, shift > 0 ? shift : 0, shift < 0 ? shift : 0, shift < 0};
    return r;
}

/* n outputs of the innermost dimension, 4 lanes at a time (the tail predicated); input strides 0
 * (broadcast) or 1 */
static void add_row_mve(const mcu_add_params_t *p, const mve_rq_t r[3], const int8_t *a, int32_t st1,
                        const int8_t *b, int32_t st2, int8_t *out, int32_t n)
{
    const int32_t ls = p->left_shift;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    for (int32_t i = 0; i < n; i += 4) {
        const mve_pred16_t pr = vctp32q((uint32_t)(n - i));
        int32x4_t x1 = st1 != 0 ? vldrbq_z_s32(a + i, pr) : vdupq_n_s32(a[0]);
        int32x4_t x2 = st2 != 0 ? vldrbq_z_s32(b + i, pr) : vdupq_n_s32(b[0]);
        x1 = mcu_mve_rq_n(vshlq_r_s32(vaddq_n_s32(x1, p->in1_offset), ls), r[0].mult, r[0].left, r[0].right,
                          r[0].neg);
        x2 = mcu_mve_rq_n(vshlq_r_s32(vaddq_n_s32(x2, p->in2_offset), ls), r[1].mult, r[1].left, r[1].right,
                          r[1].neg);
        int32x4_t y = mcu_mve_rq_n(vaddq_s32(x1, x2), r[2].mult, r[2].left, r[2].right, r[2].neg);
        y = vminq_s32(vmaxq_s32(vaddq_n_s32(y, p->output_offset), lo), hi);
        vstrbq_p_s32(out + i, y, pr);
    }
}
#elif defined(MCU_NN_DSP)
/*
 * Armv7E-M: the requantisations in mcu_rqd form (SMMLAR, SUB, ASR; the output offset folded into the
 * last one's constant, mcu_rq2_channel) where they qualify: input rescales with a right shift, the
 * output's e <= 22, left_shift in [1, 20], so the doubled rescaled inputs x2 = 2 (x + offset) 2^left_shift
 * stay below 2^29 and the doubled sum of the two rescaled values below 2^30 (each is at most its input in
 * magnitude: multipliers below 1). The input with the larger scale always has the multiplier 1/2 exactly
 * (2^30, shift 0): its rescale halves x, which is even, so it is x2 / 4 exactly (`half`). The inputs are
 * swapped (ADD commutes) so that only the second one, or both, take that form.
 */
typedef struct {
    mcu_rqd_t in1, in2, out;
    int32_t sh, k1, k2, lo, hi;     /* x2 = (x << sh) + k */
    int32_t out_offset;
    int half1, half2, swap;
} add_dsp_t;

static int add_dsp_input(int32_t mult, int32_t shift, mcu_rqd_t *r, int *half)
{
    *half = mult == (1 << 30) && shift == 0;
    if (!*half && !(mcu_rqd_ok(mult, shift) && shift <= -1)) {
        return 0;
    }
    *r = mcu_rqd_channel(mult, shift);
    return 1;
}

static int add_dsp_setup(const mcu_add_params_t *p, add_dsp_t *k)
{
    if (p->left_shift < 1 || p->left_shift > 20 || !add_dsp_input(p->in1_mult, p->in1_shift, &k->in1, &k->half1)
        || !add_dsp_input(p->in2_mult, p->in2_shift, &k->in2, &k->half2)
        || !mcu_rq2_channel(p->out_mult, p->out_shift, p->output_offset, &k->out)) {
        return 0;
    }
    int32_t off1 = p->in1_offset, off2 = p->in2_offset;
    k->swap = k->half1 && !k->half2;
    if (k->swap) {
        const mcu_rqd_t r = k->in1;
        k->in1 = k->in2;
        k->in2 = r;
        k->half1 = 0;
        k->half2 = 1;
        off1 = p->in2_offset;
        off2 = p->in1_offset;
    }
    k->sh = p->left_shift + 1;
    k->k1 = (int32_t)((uint32_t)off1 << k->sh);
    k->k2 = (int32_t)((uint32_t)off2 << k->sh);
    k->lo = p->act_min;
    k->hi = p->act_max;
    k->out_offset = p->output_offset;
    return 1;
}

/* one input's rescaled value from x2 */
static inline __attribute__((always_inline)) int32_t add_dsp_rescale(const mcu_rqd_t *r, int half, int32_t x2)
{
    return half ? x2 >> 2 : mcu_rqd_apply(r, x2);
}

/* (constant strides and forms, once inlined: the common strides 1 and 1 free two registers) */
static inline __attribute__((always_inline)) void add_row_dsp(const add_dsp_t *k, const int8_t *a, int32_t st1,
                                                              const int8_t *b, int32_t st2, int8_t *out,
                                                              int32_t n, int half1, int half2)
{
    const int32_t sh = k->sh, k1 = k->k1, k2 = k->k2, lo = k->lo, hi = k->hi;
    const mcu_rqd_t r1 = k->in1, r2 = k->in2, ro = k->out;
    for (int8_t *const end = out + n; out != end; a += st1, b += st2) {
        const int32_t s1 = add_dsp_rescale(&r1, half1, (int32_t)((uint32_t)*a << sh) + k1);
        const int32_t s2 = add_dsp_rescale(&r2, half2, (int32_t)((uint32_t)*b << sh) + k2);
        *out++ = (int8_t)mcu_clamp(mcu_rqd_apply(&ro, 2 * (s1 + s2)), lo, hi);
    }
}

/* The common form 4 values a pass: strides 1 and 1, the second input halved (half2, not half1), n >= 4; the inputs
 * read a word at a time (SXTAB: x + offset), the doubled sum 2 s1 + 2 s2 formed as 2 s1 + ((x2 + off2) << (sh - 1))
 * (x2 / 4 above, exactly: sh >= 2), the 4 bytes stored as one word. nosub: the activation's lower bound at least
 * the output zero point (mcu_rqd_apply_clamped) and full: the range all of int8 (the clamp is SSAT #8), the
 * common case after a ReLU with the output zero point at -128; otherwise neither. The last
 * n % 4 values one at a time. out apart from a and b or equal to them (an in-place ADD). */
static inline __attribute__((always_inline)) int32_t add4_one(const add_dsp_t *k, int32_t x1, int32_t x2, int nosub,
                                                             int full)
{
    const int32_t s1 = mcu_rqd_apply(&k->in1, (int32_t)((uint32_t)x1 << k->sh));
    const int32_t y2 = (int32_t)(2u * (uint32_t)s1 + ((uint32_t)x2 << (k->sh - 1)));
    const int32_t y = nosub ? mcu_rqd_apply_clamped(&k->out, y2) : mcu_rqd_apply(&k->out, y2);
    return full ? __ssat(y, 8) : mcu_clamp(y, k->lo, k->hi);
}

static inline __attribute__((always_inline)) void add_row4_half2_run(const add_dsp_t *k, const int8_t *a,
                                                                     const int8_t *b, int8_t *out, int32_t n,
                                                                     int nosub, int full)
{
    const int32_t off1 = k->k1 >> k->sh, off2 = k->k2 >> k->sh;   /* k = offset << sh, |offset| <= 255 */
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t va = mcu_load4(a + i), vb = mcu_load4(b + i);
        const int32_t y0 = add4_one(k, off1 + (int8_t)va, off2 + (int8_t)vb, nosub, full);
        const int32_t y1 = add4_one(k, off1 + (int8_t)(va >> 8), off2 + (int8_t)(vb >> 8), nosub, full);
        const int32_t y2 = add4_one(k, off1 + (int8_t)(va >> 16), off2 + (int8_t)(vb >> 16), nosub, full);
        const int32_t y3 = add4_one(k, off1 + (int8_t)(va >> 24), off2 + (int8_t)(vb >> 24), nosub, full);
        const uint32_t v = ((uint32_t)y0 & 0xFFu) | ((uint32_t)y1 & 0xFFu) << 8 | ((uint32_t)y2 & 0xFFu) << 16
                           | (uint32_t)y3 << 24;
        memcpy(out + i, &v, 4);
    }
    for (; i < n; ++i) {
        out[i] = (int8_t)add4_one(k, off1 + a[i], off2 + b[i], nosub, full);
    }
}

__attribute__((noinline)) static void add_row4_half2(const add_dsp_t *k, const int8_t *a, const int8_t *b,
                                                     int8_t *out, int32_t n, int32_t out_offset)
{
    if (k->lo == -128 && k->hi == 127 && k->lo >= out_offset) {    /* (two copies only: the code's flash) */
        add_row4_half2_run(k, a, b, out, n, 1, 1);
    } else {
        add_row4_half2_run(k, a, b, out, n, 0, 0);
    }
}

__attribute__((noinline)) static void add_row_dsp_any(const add_dsp_t *k, const int8_t *a, int32_t st1,
                                                       const int8_t *b, int32_t st2, int8_t *out, int32_t n)
{
    if (k->swap) {
        const int8_t *const t = a;
        const int32_t st = st1;
        a = b;
        b = t;
        st1 = st2;
        st2 = st;
    }
    if (st1 == 1 && st2 == 1) {
        if (k->half2 && !k->half1 && n >= 4 && (out == a || out + n <= a || a + n <= out)
            && (out == b || out + n <= b || b + n <= out)) {
            add_row4_half2(k, a, b, out, n, k->out_offset);
        } else if (k->half1) {
            add_row_dsp(k, a, 1, b, 1, out, n, 1, 1);
        } else if (k->half2) {
            add_row_dsp(k, a, 1, b, 1, out, n, 0, 1);
        } else {
            add_row_dsp(k, a, 1, b, 1, out, n, 0, 0);
        }
    } else {
        add_row_dsp(k, a, st1, b, st2, out, n, k->half1, k->half2);
    }
}
#endif

void mcu_add_s8(const mcu_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const int32_t rank = p->rank;
    const int32_t last = rank - 1;
    const int32_t n = p->out_dims[last];
    const int32_t st1 = p->in1_strides[last];
    const int32_t st2 = p->in2_strides[last];
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    size_t off1 = 0, off2 = 0, o = 0;
    int32_t outer = 1;
    const add_consts_t k = {mcu_rq_channel(p->in1_mult, p->in1_shift), mcu_rq_channel(p->in2_mult, p->in2_shift),
                            mcu_rq_channel(p->out_mult, p->out_shift), p->in1_offset, p->in2_offset,
                            p->left_shift, p->output_offset, p->act_min, p->act_max};
#if defined(MCU_NN_MVE)
    const mve_rq_t rq[3] = {mve_rq_make(p->in1_mult, p->in1_shift), mve_rq_make(p->in2_mult, p->in2_shift),
                            mve_rq_make(p->out_mult, p->out_shift)};
#elif defined(MCU_NN_DSP)
    add_dsp_t kd = {0};
    const int dsp = add_dsp_setup(p, &kd);
#endif
    for (int32_t d = 0; d < last; ++d) {
        outer *= p->out_dims[d];
    }
    for (int32_t r = 0; r < outer; ++r) {
        /* innermost dimension */
        const int8_t *a = in1 + off1;
        const int8_t *b = in2 + off2;
#if defined(MCU_NN_MVE)
        if ((st1 == 0 || st1 == 1) && (st2 == 0 || st2 == 1)) {
            add_row_mve(p, rq, a, st1, b, st2, out + o, n);
            o += (size_t)n;
        } else
#elif defined(MCU_NN_DSP)
        if (dsp) {
            add_row_dsp_any(&kd, a, st1, b, st2, out + o, n);
            o += (size_t)n;
        } else
#endif
        {
            for (int32_t i = 0; i < n; ++i) {
                out[o++] = add_one(&k, a[(ptrdiff_t)i * st1], b[(ptrdiff_t)i * st2]);
            }
        }
        /* odometer over the outer dimensions */
        for (int32_t d = last - 1; d >= 0; --d) {
            off1 += (size_t)p->in1_strides[d];
            off2 += (size_t)p->in2_strides[d];
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            idx[d] = 0;
            off1 -= (size_t)p->in1_strides[d] * (size_t)p->out_dims[d];
            off2 -= (size_t)p->in2_strides[d] * (size_t)p->out_dims[d];
        }
    }
}
