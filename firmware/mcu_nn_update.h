/* mcu_nn_update.h - DYNAMIC_UPDATE_SLICE (included by mcu_nn.h). */
#ifndef MCU_NN_UPDATE_H
#define MCU_NN_UPDATE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DYNAMIC_UPDATE_SLICE: out = operand with `update` written at the start indices, each clamped to
 * [0, max_start[d]] (operand dim - update dim, computed at compile time). Dims right-aligned in
 * MCU_MAX_DIMS (leading update dims 1, their out_strides and max_start 0); `start` holds `rank` int32
 * values: the model's index tensor read at run time, or a compile-time constant already clamped. */
typedef struct {
    int32_t rank;                          /* 1..6: entries of start                                */
    int32_t size;                          /* operand (= output) elements                           */
    int32_t update_dims[6];
    int32_t out_strides[6];                /* output element step per dimension                     */
    int32_t max_start[6];
} mcu_update_slice_params_t;

void mcu_dynamic_update_slice_s8(const mcu_update_slice_params_t *p, const int32_t *start, const int8_t *operand,
                                 const int8_t *update, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_UPDATE_H */
