/*
 * Helium (Cortex-M55) kernel variants whose arguments differ from the plain ones (included by mcu_nn.h).
 * The codegen chooses them for the qemu-m55 / Cortex-M55 targets only; each also builds without Helium
 * (a plain-C loop with the same arithmetic), so the host tests run them too.
 */
#ifndef MCU_NN_HELIUM_H
#define MCU_NN_HELIUM_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Fully connected, symmetric int8 weights (filter_offset 0): as mcu_fully_connected_s8, but the third
 * argument is the per-output constant the codegen folded at compile time, kernel_sum[o] = bias[o] +
 * input_offset * sum_k weights[o][k] (int32, wrapping as TFLite's int32 sums do): the kernel adds
 * sum_k x[k] * weights[o][k] only. Helium: 4 outputs per pass (VMLADAVA over 16 inputs), requantised
 * together.
 */
void mcu_fully_connected_s8_mve(const mcu_fc_params_t *p, const int8_t *in, const int8_t *weights,
                                const int32_t *kernel_sum, int8_t *out);

/*
 * Conv (int8, per-channel or per-tensor filter), any strides, dilations and padding, with kh kw in.c <=
 * MCU_MVE_COL_MAX (firmware/mcu_conv_im2col_mve.c): two output pixels' windows gathered into two columns
 * on the stack (2 x MCU_MVE_COL_MAX bytes), 3 output channels per pass. Laid out at compile time
 * (mcucompile/codegen/ops/conv.py): filter, the rows zero-padded to n16 = kh kw in.c rounded up to 16, in
 * groups of 3 (the last completed with zero rows), interleaved by 16-byte chunks (chunk k of row j of group
 * g at byte 48 (g n16 / 16 + k) + 16 j); groups (in the bias argument's place), 16 int32 per group of 3
 * channels c: [kernel_sum c, 0] [out_mult c, 0] [max(out_shift c, 0), 0] [min(out_shift c, 0), 0], where
 * kernel_sum = bias + input_offset * the channel's weight sum (int32, wrapping). scratch is unused (NULL).
 * Helium builds only (the codegen chooses it for Helium targets).
 */
#define MCU_MVE_COL_MAX 576
void mcu_conv_im2col_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                            const int32_t *groups, int8_t *out, int16_t *scratch);
int32_t mcu_conv_im2col_s8_mve_get_buffer_size(const mcu_conv_params_t *p);

/*
 * 1x1 stride-1 unpadded conv with in.c a multiple of 16 (firmware/mcu_conv_1x1_g3_mve.c): the input pixels
 * read in place as the columns, two at a time, 3 output channels per pass; filter and groups laid out as
 * for mcu_conv_im2col_s8_mve (n16 = in.c). Not with the dead-channel hint (mcu_conv_1x1_s8_mve takes those).
 */
void mcu_conv_1x1_g3_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                            const int32_t *groups, int8_t *out, int16_t *scratch);
int32_t mcu_conv_1x1_g3_s8_mve_get_buffer_size(const mcu_conv_params_t *p);

/*
 * Depthwise conv, depth multiplier 1, kh kw <= 64 (firmware/mcu_dwconv_taps_mve.c): one output pixel at a
 * time over its valid taps, 16 channels per pass; for outputs too narrow for mcu_dwconv_groups_s8_mve's
 * 4-pixel row blocks (the codegen decides). Plain bias; scratch unused (NULL). Helium builds only.
 */
void mcu_dwconv_taps_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                            const int32_t *bias, int8_t *out, int16_t *scratch);
int32_t mcu_dwconv_taps_s8_mve_get_buffer_size(const mcu_conv_params_t *p);

/*
 * Depthwise conv, depth multiplier 1, along one axis (firmware/mcu_dwconv_seq_mve.c): a 1-D map (in.w = kw =
 * out.w = 1 or in.h = kh = out.h = 1) of at most 512 input steps, a window spanning (k - 1) dilation + 1 <= 16
 * steps, every window inside the input, at least 4 outputs (the codegen decides): per channel its sequence
 * gathered into a row on the stack, one 16-byte load and one VMLADAV.S8 per output, 4 outputs requantised and
 * scattered at once. Plain bias; scratch unused (NULL). Helium builds only.
 */
void mcu_dwconv_seq_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                           const int32_t *bias, int8_t *out, int16_t *scratch);
int32_t mcu_dwconv_seq_s8_mve_get_buffer_size(const mcu_conv_params_t *p);

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_HELIUM_H */
