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

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_HELIUM_H */
