/*
 * mcu_nn_s16.h - 16x8 quantisation kernels (included by mcu_nn.h): int16 activations (symmetric, zero
 * point 0), int8 symmetric weights, int64 bias, as TFLite Micro's reference integer kernels for 16x8.
 *
 * Conv-like kernels sum in int64 and requantise with TFLite's MultiplyByQuantizedMultiplier for an
 * int64 input: mcucompile reduces each channel's multiplier at compile time, so the kernels get
 * out_mult[c] = the 16-bit reduced multiplier and out_shift[c] = the total right shift 15 - shift (>= 1),
 * and compute (acc * out_mult + 2^(out_shift - 1)) >> out_shift, clamped to [act_min, act_max].
 */
#ifndef MCU_NN_S16_H
#define MCU_NN_S16_H

#include <stdint.h>
#include <stddef.h>

/* MultiplyByQuantizedMultiplier(int64 x, ...) with the compile-time reduced multiplier and total shift */
static inline int32_t mcu_requant64(int64_t acc, int32_t reduced_mult, int32_t total_shift)
{
    const int64_t r = acc * (int64_t)reduced_mult + ((int64_t)1 << (total_shift - 1));
    return (int32_t)(r >> total_shift);
}

/* CONV_2D 16x8 (mcu_conv_params_t as the int8 kernels; input_offset / output_offset are 0; out_mult /
 * out_shift as above). Implicit four-sided padding: taps outside the input are skipped. bias may be NULL. */
void mcu_conv_s16(const mcu_conv_params_t *p, const int16_t *in, const int8_t *filter, const int64_t *bias,
                  int16_t *out);

/* CONV_2D 16x8 with an int32 bias (TFLite Micro's int32-accumulator form): wrapping int32 sums, out_mult /
 * out_shift the int32 double-rounding multipliers (mcu_requant), otherwise as mcu_conv_s16. */
void mcu_conv_s16_b32(const mcu_conv_params_t *p, const int16_t *in, const int8_t *filter, const int32_t *bias,
                      int16_t *out);

/* DEPTHWISE_CONV_2D 16x8: filter [1, KH, KW, in.c * depth_multiplier], otherwise as mcu_conv_s16. */
void mcu_depthwise_conv_s16(const mcu_conv_params_t *p, const int16_t *in, const int8_t *filter,
                            const int64_t *bias, int16_t *out);

/* TRANSPOSE_CONV 16x8: geometry as mcu_transpose_conv_s8 (dilation 1), arithmetic as mcu_conv_s16. */
void mcu_transpose_conv_s16(const mcu_conv_params_t *p, const int16_t *in, const int8_t *filter,
                            const int64_t *bias, int16_t *out);

/* FULLY_CONNECTED 16x8 (mcu_fc_params_t; offsets 0; out_mult / out_shift as above, one per output
 * feature when per_channel, else [0] for all). bias may be NULL. */
void mcu_fully_connected_s16(const mcu_fc_params_t *p, const int16_t *in, const int8_t *weights,
                             const int64_t *bias, int16_t *out);

/* FULLY_CONNECTED 16x8 with an int32 bias: as mcu_conv_s16_b32 is to mcu_conv_s16. */
void mcu_fully_connected_s16_b32(const mcu_fc_params_t *p, const int16_t *in, const int8_t *weights,
                                 const int32_t *bias, int16_t *out);

/* QUANTIZE / DEQUANTIZE with int16 (mcu_quantize_params_t / mcu_dequantize_params_t): float -> int16
 * (round half away from zero of in / scale, + zero point, saturated) and int16 -> float. */
void mcu_quantize_f32_s16(const mcu_quantize_params_t *p, const float *in, int16_t *out);
void mcu_dequantize_s16_f32(const mcu_dequantize_params_t *p, const int16_t *in, float *out);

/* QUANTIZE between integer types (reference_ops::Requantize): out = clamp(MultiplyByQuantizedMultiplier(
 * in - in_zero_point, mult, shift) + out_zero_point, out_min, out_max), the int32 double-rounding form. */
typedef struct {
    int32_t size;
    int32_t in_zero_point, out_zero_point;
    int32_t mult, shift;
    int32_t out_min, out_max;    /* the output type's range */
} mcu_requantize_params_t;

void mcu_requantize_s8_s16(const mcu_requantize_params_t *p, const int8_t *in, int16_t *out);
void mcu_requantize_s16_s8(const mcu_requantize_params_t *p, const int16_t *in, int8_t *out);
void mcu_requantize_s16_s16(const mcu_requantize_params_t *p, const int16_t *in, int16_t *out);

/* PAD / PADV2 of int16 tensors: mcu_pad_params_t as mcu_pad_s8 (shapes in elements), pad_value the int16
 * code (TFLite Micro: 0 for PAD, the constant for PADV2). */
void mcu_pad_s16(const mcu_pad_params_t *p, const int16_t *in, int16_t *out);

#endif /* MCU_NN_S16_H */
