/*
 * Unquantised int32 ADD, MUL, DIV, MINIMUM, MAXIMUM (TFLite Micro's int32 paths: the reference kernels on raw
 * values), elementwise or with one operand a single value (step 0). ADD and MUL keep the low 32 bits of the
 * result (what those kernels compute on every target TFLite builds for), DIV truncates towards zero as C's
 * `/` (a zero divisor, which TFLite leaves undefined, gives 0 here; INT32_MIN / -1 wraps), then the fused
 * activation's clamp [act_min, act_max] (the full int32 range for NONE, and always for ADD, whose int32
 * path ignores the activation).
 */
#include "mcu_nn.h"

static inline int32_t clamp32(int32_t v, const mcu_arith_s32_params_t *p)
{
    return v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v);
}

void mcu_add_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        out[i] = clamp32((int32_t)((uint32_t)a[i * p->a_step] + (uint32_t)b[i * p->b_step]), p);
    }
}

void mcu_mul_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int64_t v = (int64_t)a[i * p->a_step] * (int64_t)b[i * p->b_step];
        out[i] = clamp32((int32_t)(uint32_t)(uint64_t)v, p);
    }
}

void mcu_div_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = a[i * p->a_step], d = b[i * p->b_step];
        const int32_t q = d == 0 ? 0 : (d == -1 ? (int32_t)(0u - (uint32_t)x) : x / d);
        out[i] = clamp32(q, p);
    }
}

void mcu_minimum_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = a[i * p->a_step], y = b[i * p->b_step];
        out[i] = x < y ? x : y;
    }
}

void mcu_maximum_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = a[i * p->a_step], y = b[i * p->b_step];
        out[i] = x > y ? x : y;
    }
}
