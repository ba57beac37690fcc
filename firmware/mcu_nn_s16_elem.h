/*
 * mcu_nn_s16_elem.h - 16x8 quantisation (int16 activations, zero point 0) for the elementwise ops, pooling, softmax
 * and the unary activations (LOGISTIC, TANH, LEAKY_RELU, RELU, RELU6); included by mcu_nn.h. Every multiplier, shift and table is computed by mcucompile
 * at compile time (mcucompile/codegen/ops/s16.py) as TFLite Micro's Prepare computes it; the kernels only
 * apply TFLite Micro's int16 reference arithmetic.
 */
#ifndef MCU_NN_S16_ELEM_H
#define MCU_NN_S16_ELEM_H

#include "mcu_nn.h"

/* ADD, SUB: TFLite's general rescaling with a left shift of 15 (mcu_add_params_t, left_shift = 15); MUL:
 * MultiplyByQuantizedMultiplier of the product. Broadcasting as the int8 kernels (rank, dims, strides). */
void mcu_add_s16(const mcu_add_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void mcu_sub_s16(const mcu_sub_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *out);
void mcu_mul_s16(const mcu_mul_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *out);

/* AVERAGE_POOL_2D, MAX_POOL_2D on int16 NHWC (the int8 kernels' parameters and window clipping) */
void mcu_avg_pool2d_s16(const mcu_pool_params_t *p, const int16_t *in, int16_t *out);
void mcu_max_pool2d_s16(const mcu_pool_params_t *p, const int16_t *in, int16_t *out);

/* SOFTMAX over the last axis, int16 -> int16 (output scale 2^-15): exp and 1 / (1 + x) by 513-entry
 * interpolated tables (TFLite's LUTPopulate, computed at compile time) */
typedef struct {
    int32_t outer, depth;
    int32_t input_multiplier, input_shift;     /* input scale x beta / (10 / 65535)                    */
    const int16_t *exp_lut;                    /* exp on [-10, 0]                                       */
    const int16_t *one_over_one_plus_x_lut;    /* 1 / (1 + x) on [0, 1]                                 */
} mcu_softmax_s16_params_t;

void mcu_softmax_s16(const mcu_softmax_s16_params_t *p, const int16_t *in, int16_t *out);

/* LOGISTIC, TANH int16 -> int16 (output scale 2^-15): the input rescaled to v = (x * mult + round) >> shift,
 * then TFLite's interpolated sigmoid table (mcu_sigmoid_s16.h) */
typedef struct {
    int32_t size;
    int32_t input_multiplier, input_shift;     /* the power-of-two case already folded into the multiplier */
} mcu_sigmoid_s16_params_t;

void mcu_logistic_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *in, int16_t *out);
void mcu_tanh_s16(const mcu_sigmoid_s16_params_t *p, const int16_t *in, int16_t *out);

/* LEAKY_RELU int16 -> int16: identity and alpha multipliers (alpha may be > 1 or negative) */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t identity_mult, identity_shift;
    int32_t alpha_mult, alpha_shift;           /* |multiplier|; alpha_negative negates the product    */
    int32_t alpha_negative;
} mcu_leaky_relu_s16_params_t;

void mcu_leaky_relu_s16(const mcu_leaky_relu_s16_params_t *p, const int16_t *in, int16_t *out);

/* RELU (requantised to the output) and RELU6 (identity multiplier: TFLite Micro clamps the input codes) */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;
    int32_t act_min, act_max;
} mcu_relu_s16_params_t;

void mcu_relu_s16(const mcu_relu_s16_params_t *p, const int16_t *in, int16_t *out);

#endif /* MCU_NN_S16_ELEM_H */
