/* Elementwise MUL, SUB, DIV, MAXIMUM and MINIMUM, int8, with broadcasting up to MCU_MAX_DIMS dimensions (TFLite reference
 * arithmetic, as TFLite Micro runs it).
 *
 * The broadcast is the same compile-time stride plan as ADD's (mcu_add.c): element strides per output
 * dimension, 0 on broadcast dimensions, so one walker serves the plain elementwise case (rank 1) and
 * per-patch calls that pass tile strides and offset pointers.
 *   MUL: (a + off1) * (b + off2) requantised to the output.
 *   SUB: both inputs rescaled to a common scale with `left_shift` bits of headroom (as ADD), subtracted,
 *        requantised.
 *   DIV: TFLite's integer division: the divisor's reciprocal from gemmlowp's Newton-Raphson
 *        one_over_one_plus_x_for_x_in_0_1, the dividend normalised by its leading sign bits.
 *   MAXIMUM / MINIMUM: the larger / smaller raw code (inputs and output share one quantisation).
 */
#include "mcu_broadcast.h"


/* ---- MUL ------------------------------------------------------------------------------------- */

static int8_t mul_one(const void *params, int32_t a, int32_t b)
{
    const mcu_mul_params_t *p = (const mcu_mul_params_t *)params;
    const int32_t prod = (a + p->in1_offset) * (b + p->in2_offset);
    const int32_t y = p->output_offset + mcu_requant(prod, p->out_mult, p->out_shift);
    return (int8_t)mcu_clamp(y, p->act_min, p->act_max);
}

void mcu_mul_s8(const mcu_mul_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    mcu_broadcast_pairs(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, mul_one, p);
}

/* ---- SUB ------------------------------------------------------------------------------------- */

static int8_t sub_one(const void *params, int32_t a, int32_t b)
{
    const mcu_sub_params_t *p = (const mcu_sub_params_t *)params;
    const int32_t x1 = (a + p->in1_offset) * ((int32_t)1 << p->left_shift);
    const int32_t x2 = (b + p->in2_offset) * ((int32_t)1 << p->left_shift);
    const int32_t s1 = mcu_requant(x1, p->in1_mult, p->in1_shift);
    const int32_t s2 = mcu_requant(x2, p->in2_mult, p->in2_shift);
    const int32_t y = mcu_requant(s1 - s2, p->out_mult, p->out_shift) + p->output_offset;
    return (int8_t)mcu_clamp(y, p->act_min, p->act_max);
}

void mcu_sub_s8(const mcu_sub_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    mcu_broadcast_pairs(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, sub_one, p);
}

/* ---- DIV ------------------------------------------------------------------------------------- */

/* leading bits equal to the sign bit, excluding the sign bit itself (31 for 0 and -1) */
static inline int32_t clrsb32(int32_t x)
{
    return mcu_clz32((uint32_t)(x < 0 ? ~x : x)) - 1;
}

/* RoundingDivideByPOT for any exponent >= 0. TFLite's DIV reaches exponents of 32 and more when the
 * dividend is 0 or -1 (31 leading sign bits) or the output multiplier is small; gemmlowp's expression is
 * then undefined C. We reproduce what the tflite-micro build we check against computes (x86-64: a 64-bit
 * mask of all ones, and an int32 arithmetic shift whose count is taken modulo 32), so that such elements
 * match it too. (A Cortex-M build of TFLite Micro may differ there: its shifts do not wrap the count.) */
static inline int32_t rdbpot_any(int32_t x, int32_t exponent)
{
    if (exponent < 32) {
        return mcu_rdbpot(x, exponent);
    }
    const int32_t threshold = -1 + (x < 0 ? 1 : 0);     /* (mask >> 1) + (x < 0), mask = -1 */
    return (x >> (exponent & 31)) + (x > threshold ? 1 : 0);
}

static int8_t div_one(const void *params, int32_t a, int32_t b)
{
    const mcu_div_params_t *p = (const mcu_div_params_t *)params;
    int32_t num = a + p->in1_offset;
    int32_t den = b + p->in2_offset;
    if (den < 0) {
        num = -num;
        den = -den;
    }
    /* GetReciprocal(den, 31): den = 2^bits_over_unit * (1 + f), f in [0, 1) */
    const int32_t headroom_plus_one = mcu_clz32((uint32_t)den);
    const int32_t recip_shift = 31 - headroom_plus_one;
    const uint32_t normalised = headroom_plus_one >= 32 ? 0u : (uint32_t)den << headroom_plus_one;
    const int32_t inv = mcu_one_over_one_plus_x((int32_t)(normalised - 0x80000000u));
    /* dividend normalised by its leading sign bits */
    const int32_t headroom = clrsb32(num);
    const int32_t quotient = mcu_srdhm((int32_t)((uint32_t)num << headroom), inv);
    const int32_t total_shift = p->out_shift - recip_shift - headroom;
    const int32_t y = p->output_offset + rdbpot_any(mcu_srdhm(quotient, p->out_mult), -total_shift);
    return (int8_t)mcu_clamp(y, p->act_min, p->act_max);
}

void mcu_div_s8(const mcu_div_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    mcu_broadcast_pairs(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, div_one, p);
}

/* ---- MAXIMUM / MINIMUM ----------------------------------------------------------------------- */

/* TFLite's reference MaximumMinimumBroadcastSlow on the raw int8 codes: el1 > el2 ? el1 : el2 (and <) */
static int8_t max_one(const void *params, int32_t a, int32_t b)
{
    (void)params;
    return (int8_t)(a > b ? a : b);
}

static int8_t min_one(const void *params, int32_t a, int32_t b)
{
    (void)params;
    return (int8_t)(a < b ? a : b);
}

void mcu_maximum_s8(const mcu_minmax_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    mcu_broadcast_pairs(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, max_one, p);
}

void mcu_minimum_s8(const mcu_minmax_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    mcu_broadcast_pairs(p->rank, p->out_dims, p->in1_strides, p->in2_strides, in1, in2, out, min_one, p);
}
