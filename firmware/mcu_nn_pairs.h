/*
 * The DSP wide convs on the pair-interleaved int8 filter (Armv7E-M DSP cores: Cortex-M4, M7, M33; the flash of
 * the int8 filter, no pre-widened weights). Included by mcu_nn.h (which defines mcu_conv_params_t).
 *
 * The filter argument is the conv's int8 filter [Cout, KH, KW, Cin] re-laid out at compile time
 * (mcucompile/codegen/ops/conv.py pair_interleaved): its rows of k = KH KW Cin weights taken in pairs of
 * channels (a, b) = (2j, 2j + 1) and, per pair, per group of 4 consecutive weights e0..e3 of a row, the 8 bytes
 * a e0, b e0, a e2, b e2, a e1, b e1, a e3, b e3 (one word per half group: SXTB16 gives a's, ROR #8 b's). Taken only where k is a multiple of 4 (Cin a multiple of 4), Cout is even
 * and the 1x1 conv has no dead-channel hint; the scratch as the variants without _pairs.
 *
 *   mcu_conv_1x1_wide_pairs_s8_dsp     as mcu_conv_1x1_wide_s8_dsp (1x1, stride 1, unpadded, >= 4 pixels)
 *   mcu_conv_im2col_wide_pairs_s8_dsp  as mcu_conv_im2col_wide_s8_dsp (dilation 1, >= 4 output pixels)
 *   mcu_conv_1x1_stack_pairs_s8_dsp, mcu_conv_im2col_stack_pairs_s8_dsp  the same two without scratch: their
 *                                      8 k bytes on the stack, k <= MCU_PAIRS_STACK_BYTES / 8
 *   mcu_conv_im2col_rows_pairs_s8_dsp  as mcu_conv_im2col_rows_s8_dsp (in.c % 4 != 0, kw in.c % 4 != 0, dilation
 *                                      1, >= 4 output pixels, planned scratch) on the int8 filter whose rows of
 *                                      kw in.c weights were padded with zeros to a multiple of 4 before the
 *                                      pair-interleaving (k = kh run4)
 */
#ifndef MCU_NN_PAIRS_H
#define MCU_NN_PAIRS_H

/* the stack variants' block of 4 pixels' widened windows: k = kh kw in.c <= 144 (kernels/conv.py PAIRS_STACK_BYTES) */
#define MCU_PAIRS_STACK_BYTES 1152

#ifdef __cplusplus
extern "C" {
#endif

void mcu_conv_1x1_wide_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                    const int32_t *bias, int8_t *out, int16_t *scratch);
int32_t mcu_conv_1x1_wide_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p);
void mcu_conv_im2col_wide_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                       const int32_t *bias, int8_t *out, int16_t *scratch);
int32_t mcu_conv_im2col_wide_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p);
void mcu_conv_1x1_stack_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                     const int32_t *bias, int8_t *out, int16_t *scratch);
int32_t mcu_conv_1x1_stack_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p);
void mcu_conv_im2col_stack_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                        const int32_t *bias, int8_t *out, int16_t *scratch);
int32_t mcu_conv_im2col_stack_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p);
void mcu_conv_im2col_rows_pairs_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                       const int32_t *bias, int8_t *out, int16_t *scratch);
int32_t mcu_conv_im2col_rows_pairs_s8_dsp_get_buffer_size(const mcu_conv_params_t *p);

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_PAIRS_H */
