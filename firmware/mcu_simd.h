/*
 * mcu_simd.h - internal to the kernel library (not part of the public API in mcu_nn.h): the helpers
 * the fast paths of the conv files (mcu_conv*.c, mcu_dwconv*.c) and mcu_fc.c share.
 *
 * MCU_NN_DSP is defined where the Armv7E-M DSP extension is there (Cortex-M4, M7, M33, M55) and
 * MCU_NN_MVE where Helium (MVE) is (Cortex-M55, -mcpu=cortex-m55); neither when MCU_NN_REFERENCE is
 * defined (reference loops only). Every helper gives the exact int32 results of the plain loops.
 */
#ifndef MCU_SIMD_H
#define MCU_SIMD_H

#include "mcu_nn.h"

#include <string.h>

#if defined(__ARM_FEATURE_DSP) && !defined(MCU_NN_REFERENCE)
#include <arm_acle.h>
#define MCU_NN_DSP 1
#endif

#if defined(__ARM_FEATURE_MVE) && !defined(MCU_NN_REFERENCE)
#include <arm_mve.h>
#define MCU_NN_MVE 1
#endif

/* 4 bytes from any address: one unaligned LDR on Armv7-M and later */
static inline uint32_t mcu_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#if defined(MCU_NN_DSP)
/* bytes 1 and 3 of x, sign-extended to two int16 lanes: SXTB16 with ROR #8 (GCC 12's ACLE has no __ror) */
static inline uint32_t mcu_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* a + bytes 1 and 3 of x sign-extended, lane by lane (16-bit lanes): SXTAB16 with ROR #8 */
static inline uint32_t mcu_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}
#endif

/* sum_k w[k], k < n */
static inline int32_t mcu_sum_s8(const int8_t *w, int32_t n)
{
    int32_t s = 0;
    for (int32_t k = 0; k < n; ++k) {
        s += w[k];
    }
    return s;
}

/* acc[j] += sum_k (x[k] + offset) * w_j[k], k < n, for two weight rows (DSP: 4 values per load, the
 * offset added by SXTAB16) */
static inline void mcu_dot_1x2_offset(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                                      int32_t offset, int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    int32_t k = 0;
#if defined(MCU_NN_DSP)
    const uint32_t off2 = ((uint32_t)offset & 0xFFFFu) * 0x10001u;
    for (; k + 4 <= n; k += 4) {
        const uint32_t xv = mcu_load4(x + k);
        const uint32_t x02 = __sxtab16(off2, xv), x13 = mcu_sxtab16_ror8(off2, xv);
        const uint32_t wa = mcu_load4(w0 + k), wb = mcu_load4(w1 + k);
        a0 = __smlad(x02, __sxtb16(wa), a0);
        a0 = __smlad(x13, mcu_sxtb16_ror8(wa), a0);
        a1 = __smlad(x02, __sxtb16(wb), a1);
        a1 = __smlad(x13, mcu_sxtb16_ror8(wb), a1);
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
 * mcu_requant (TFLite's MultiplyByQuantizedMultiplier, two roundings) in one 64-bit rounding step,
 * equal for every multiplier in [0, 2^31) (TFLite's are 0 or in [2^30, 2^31); INT32_MIN takes
 * mcu_requant). With x' = x << max(shift, 0), e = max(-shift, 0) and ab = x' * mult:
 *   high = floor((ab + 2^30) / 2^31)                   (SaturatingRoundingDoublingHighMul; it only
 *                                                        saturates for INT32_MIN * INT32_MIN)
 *   out  = floor((high + 2^(e-1) - [high < 0]) / 2^e)  (RoundingDivideByPOT, e >= 1)
 * and floor((floor(a / m) + c) / n) = floor((a + c m) / (m n)) for integers a, c and m, n > 0, so
 *   out  = floor((ab + 2^30 + (2^(e-1) - [high < 0]) 2^31) / 2^(31+e)),
 * the high word of that sum shifted right by e - 1 (31 + e >= 32). [high < 0] may be replaced by
 * [x < 0]: they differ only when x < 0 and high = 0, where both give 0 (0 <= 2^(e-1) - 1 < 2^e).
 * |ab| < 2^62: no overflow.
 */
static inline int32_t mcu_requant_fast(int32_t x, int32_t mult, int32_t shift)
{
#if defined(MCU_NN_REFERENCE)
    return mcu_requant(x, mult, shift);                         /* reference builds: the plain form */
#endif
    if (mult < 0) {
        return mcu_requant(x, mult, shift);
    }
    if (shift >= 0) {
        const int64_t t = (int64_t)(int32_t)((uint32_t)x << shift) * mult + ((int64_t)1 << 30);
        return (int32_t)(t >> 31);
    }
    const int32_t e1 = -shift - 1;                               /* e - 1, 0..30 */
    const int32_t half = ((int32_t)1 << e1) - (int32_t)((uint32_t)x >> 31);
    const int64_t t = (int64_t)x * mult + (int64_t)(((uint64_t)(uint32_t)half << 31) | ((uint64_t)1 << 30));
    return (int32_t)(t >> 32) >> e1;
}

/*
 * mcu_requant_fast split into a per-channel part and a per-value part, for kernels that requantise
 * many values of one channel: mcu_rq_channel(mult, shift) once, then mcu_rq_apply(&r, x) per value
 * (5 instructions on Armv7-M for a right shift: AND, SUBS, SBC, SMLAL, ASR). With the notation of
 * mcu_requant_fast, a right shift (e >= 1) adds the constant 2^30 + 2^(e-1) 2^31 (`base`, 64 bits)
 * and subtracts [x < 0] 2^31 before taking the high word >> (e - 1); a left shift keeps its own form;
 * a negative multiplier (never made by TFLite) takes mcu_requant.
 */
typedef struct {
    int32_t mult;
    int32_t e1;                 /* e - 1 >= 0 for a right shift; -1: left shift; -2: mcu_requant */
    int32_t shift;
    uint32_t base_lo;
    int32_t base_hi;
} mcu_rq_t;

static inline mcu_rq_t mcu_rq_channel(int32_t mult, int32_t shift)
{
    mcu_rq_t r = {mult, -1, shift, (uint32_t)1 << 30, 0};
#if defined(MCU_NN_REFERENCE)
    r.e1 = -2;
#endif
    if (mult < 0) {
        r.e1 = -2;
    } else if (shift < 0 && r.e1 == -1) {
        r.e1 = -shift - 1;
        const uint64_t base = ((uint64_t)1 << (r.e1 + 31)) | ((uint64_t)1 << 30);
        r.base_lo = (uint32_t)base;
        r.base_hi = (int32_t)(base >> 32);
    }
    return r;
}

static inline int32_t mcu_rq_apply(const mcu_rq_t *r, int32_t x)
{
    if (r->e1 >= 0) {
        const int64_t base = (int64_t)(((uint64_t)(uint32_t)r->base_hi << 32) | r->base_lo);
        const int64_t t = base - ((int64_t)((uint32_t)x >> 31) << 31) + (int64_t)x * r->mult;
        return (int32_t)(t >> 32) >> r->e1;
    }
    if (r->e1 == -1) {
        const int64_t t = (int64_t)(int32_t)((uint32_t)x << r->shift) * r->mult + ((int64_t)1 << 30);
        return (int32_t)(t >> 31);
    }
    return mcu_requant(x, r->mult, r->shift);
}

/*
 * Requantisation of a doubled sum, for kernels that know every sum x satisfies |x| < 2^30 (so 2x is an
 * int32) and every channel has mcu_rqd_ok(mult, shift): mult 0, or mult > 0 with a right shift e = -shift
 * in 1..31 (every TFLite multiplier below 1/2). With high = floor((x mult + 2^30) / 2^31) (as in
 * mcu_requant_fast), mcu_requant(x) = floor((high + 2^(e-1) - [x < 0]) / 2^e) = (c + high - [x < 0]) >> e,
 * c = 2^(e-1), and high = floor((2x mult + 2^31) / 2^32) is what SMMLAR (most significant word multiply
 * accumulate, rounded) gives with c as the accumulator: per value SMMLAR, SUB (x's sign bit), ASR on
 * Armv7E-M. No overflow: |x| < 2^30 and mult < 2^31 give |high| < 2^30, and c <= 2^30. A multiplier of 0
 * (high = 0) takes e >= 1: the result is 0 either way. mcu_rqd_apply takes the doubled sum 2x.
 */
typedef struct {
    int32_t mult;
    int32_t c;
    int32_t e;
} mcu_rqd_t;

static inline int mcu_rqd_ok(int32_t mult, int32_t shift)
{
#if defined(MCU_NN_REFERENCE)
    (void)mult;
    (void)shift;
    return 0;
#else
    return shift >= -31 && (mult == 0 || (mult > 0 && shift <= -1));
#endif
}

static inline mcu_rqd_t mcu_rqd_channel(int32_t mult, int32_t shift)
{
    const int32_t e = -shift < 1 ? 1 : -shift;     /* a multiplier of 0 may come with shift 0 */
    const mcu_rqd_t r = {mult, (int32_t)((uint32_t)1 << (e - 1)), e};
    return r;
}

/* Inline-assembly loop over groups of 4 values, two per pass, an odd one first: GROUP advances operand x
 * by one group; the statement names a scratch register t and memory operands odd (non-zero: an odd
 * number of groups) and end (x's value after the last group). */
#define MCU_ASM_GROUPS_BY_2(GROUP)                                                                    \
    "ldr    %[t], %[odd]\n\t"                                                                         \
    "cmp    %[t], #0\n\t"                                                                             \
    "bne    2f\n\t"                                                                                   \
    "1:\n\t" GROUP                                                                                    \
    "2:\n\t" GROUP                                                                                    \
    "ldr    %[t], %[end]\n\t"                                                                         \
    "cmp    %[x], %[t]\n\t"                                                                           \
    "bne    1b\n\t"

/* c + floor((a b + 2^31) / 2^32): SMMLAR */
static inline int32_t mcu_smmlar(int32_t a, int32_t b, int32_t c)
{
#if defined(MCU_NN_DSP)
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
#else
    return (int32_t)(((int64_t)c * 4294967296LL + (int64_t)a * b + 2147483648LL) >> 32);
#endif
}

static inline int32_t mcu_rqd_apply(const mcu_rqd_t *r, int32_t x2)
{
    const int32_t t = mcu_smmlar(x2, r->mult, r->c) - (int32_t)((uint32_t)x2 >> 31);
    return t >> r->e;
}

/* mcu_rqd_apply without the SUB, for outputs clamped below at (or above) the offset folded into c (mcu_rq2_channel's
 * c = 2^(e-1) + offset 2^e; the activation's lower bound at least the output zero point, as ReLU and ReLU6 give):
 * then the two agree after the clamp. They differ only for x < 0, where high <= 0 (mult >= 0), so that without the
 * SUB the result is offset + floor((high + 2^(e-1)) / 2^e) <= offset (e >= 1), and with it no larger: both clamp to
 * the lower bound. One instruction less per value. */
static inline int32_t mcu_rqd_apply_clamped(const mcu_rqd_t *r, int32_t x2)
{
    return mcu_smmlar(x2, r->mult, r->c) >> r->e;
}

/* mcu_rqd_ok for a channel whose sums are bias plus n products (x + offset) w (int8 x and w, input
 * offset in [-127, 128]: each product at most 255 * 128 in magnitude), and within mcu_rqd's bound |sum| <
 * 2^30 for any input. */
static inline int mcu_rqd_fits(int32_t mult, int32_t shift, int32_t bias, int32_t n)
{
    const int32_t lim = n >= 0 && n < 32000 ? (1 << 30) - n * 32640 : 0;
    return mcu_rqd_ok(mult, shift) && bias < lim && bias > -lim;
}

#if defined(MCU_NN_MVE)
/* Helium: acc + [sum_k x[k] * w_j[k]]_j, k < n, for 4 weight rows (repeat a row for fewer): 16 int8
 * lanes per VMLADAVA, the tail predicated. */
static inline int32x4_t mcu_mve_dot4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                     const int8_t *w3, int32_t n, int32x4_t acc)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    int32_t k = 0;
    for (; k + 16 <= n; k += 16) {
        const int8x16_t xv = vldrbq_s8(x + k);
        a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0 + k));
        a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1 + k));
        a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2 + k));
        a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3 + k));
    }
    if (k < n) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n - k));
        const int8x16_t xv = vldrbq_z_s8(x + k, pr);
        a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0 + k, pr));
        a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1 + k, pr));
        a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2 + k, pr));
        a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3 + k, pr));
    }
    const int32_t dots[4] = {a0, a1, a2, a3};
    return vaddq_s32(acc, vld1q_s32(dots));
}

/* Helium: acc + [sum_k w_j[k]]_j, k < n, for 4 weight rows (what an input offset multiplies) */
static inline int32x4_t mcu_mve_sum4(const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                                     int32_t n, int32x4_t acc)
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int32_t k = 0; k < n; k += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n - k));
        s0 = vaddvaq_p_s8(s0, vldrbq_z_s8(w0 + k, pr), pr);
        s1 = vaddvaq_p_s8(s1, vldrbq_z_s8(w1 + k, pr), pr);
        s2 = vaddvaq_p_s8(s2, vldrbq_z_s8(w2 + k, pr), pr);
        s3 = vaddvaq_p_s8(s3, vldrbq_z_s8(w3 + k, pr), pr);
    }
    const int32_t sums[4] = {s0, s1, s2, s3};
    return vaddq_s32(acc, vld1q_s32(sums));
}

/*
 * Helium: mcu_requant of 4 lanes at once, plus the output offset, clamped to [lo, hi]. VQRDMULH is
 * SaturatingRoundingDoublingHighMul exactly (it rounds floor((ab + 2^30) / 2^31), which TFLite's
 * nudge-and-truncate equals); RoundingDivideByPOT rounds half away from zero where VRSHL rounds half
 * up, so negative lanes first lose 1 (saturating: INT32_MIN stays, with the same result).
 */
/* mcu_requant on 4 lanes with its shift split as left = max(shift, 0), right = min(shift, 0) = -e */
static inline int32x4_t mcu_mve_rq(int32x4_t x, int32x4_t mult, int32x4_t left, int32x4_t right)
{
    x = vqrdmulhq_s32(vshlq_s32(x, left), mult);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, right), 31);          /* -1: x < 0 and e > 0 */
    return vrshlq_s32(vqaddq_s32(x, fixup), right);
}

/* mcu_mve_rq with one multiplier and shift for all lanes (scalar operands, no vector registers held):
 * right = min(shift, 0), neg = 1 when right < 0 (the fixup's factor) */
static inline int32x4_t mcu_mve_rq_n(int32x4_t x, int32_t mult, int32_t left, int32_t right, int32_t neg)
{
    x = vqrdmulhq_n_s32(vshlq_r_s32(x, left), mult);
    return vrshlq_n_s32(vqaddq_s32(x, vmulq_n_s32(vshrq_n_s32(x, 31), neg)), right);
}

static inline int32x4_t mcu_mve_requant4(int32x4_t x, int32x4_t mult, int32x4_t shift, int32_t offset,
                                         int32_t lo, int32_t hi)
{
    const int32x4_t zero = vdupq_n_s32(0);
    x = mcu_mve_rq(x, mult, vmaxq_s32(shift, zero), vminq_s32(shift, zero));
    x = vaddq_s32(x, vdupq_n_s32(offset));
    return vminq_s32(vmaxq_s32(x, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}
#endif

/*
 * Requantisation from a doubled sum, for kernels that can accumulate 2x instead of x (their weights and
 * bias doubled, |x| < 2^30): with e = -shift in [1, 22] and a multiplier in [0, 2^31),
 *   h   = floor((2x * mult + 2^31) / 2^32) = floor((x * mult + 2^30) / 2^31)   (TFLite's SRDHM)
 *   out = floor((h + 2^(e-1) - [h < 0]) / 2^e) + offset                      (RoundingDivideByPOT)
 *       = (h + k - [x < 0]) >> e,  k = 2^(e-1) + offset * 2^e
 * (an added multiple of 2^e passes through the floor; [h < 0] and [x < 0] differ only when x < 0 and
 * h = 0, where both give offset, as 0 <= 2^(e-1) - 1 < 2^e). h + k is one SMMLAR (k * 2^32 + 2x * mult
 * + 2^31, high word); |h| <= 2^30 and, with the offset in [-255, 255], |k| < 2^30: no overflow (an
 * offset beyond int8's: the depthwise groups fold act_min into it, see dwg_pack). 3 instructions per
 * value on Armv7E-M: SMMLAR, SUB (x LSR 31), ASR: mcu_rqd_apply with k as its constant c. mcu_rq2_channel says whether a
 * channel qualifies (then fills r); the caller checks |x| < 2^30.
 */
static inline int mcu_rq2_channel(int32_t mult, int32_t shift, int32_t offset, mcu_rqd_t *r)
{
    if (mult < 0 || shift > -1 || shift < -22 || offset < -255 || offset > 255) {
        return 0;
    }
    r->mult = mult;
    r->e = -shift;
    r->c = (int32_t)((uint32_t)1 << (r->e - 1)) + (int32_t)((uint32_t)offset << r->e);
    return 1;
}

#endif /* MCU_SIMD_H */
