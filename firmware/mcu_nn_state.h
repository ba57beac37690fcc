/* mcu_nn_state.h - kernels of the persistent state region (included by mcu_nn.h).
 *
 * State kept between invokes (resource variables; the LSTM's and SVDF's variable tensors) lives in the
 * model's state region, outside the arena: <MODEL>_STATE_SIZE bytes that <model>_reset() sets to their
 * initial values. The kernels here only move bytes in and out of it. */
#ifndef MCU_NN_STATE_H
#define MCU_NN_STATE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* READ_VARIABLE / ASSIGN_VARIABLE: copy `bytes` bytes from src to dst (a variable's slot and a tensor;
 * they never overlap). */
void mcu_variable_copy(int32_t bytes, const void *src, void *dst);

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_STATE_H */
