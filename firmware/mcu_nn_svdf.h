/*
 * SVDF with int8 time weights and an int8 activation state (TFLite Micro's second integer SVDF). The int16
 * variant's mcu_svdf_params_t and mcu_svdf_s8 are in mcu_nn.h. Included by mcu_nn.h.
 */
#ifndef MCU_NN_SVDF_H
#define MCU_NN_SVDF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int32_t batch, input_dim, filters, units, rank, memory;    /* filters = units x rank              */
    int32_t input_offset, state_zero_point, output_zero_point;  /* -input zp; the state's, output's zp  */
    const int8_t *w_feature;               /* [filters, input_dim]                                     */
    const int8_t *w_time;                  /* [filters, memory]                                        */
    const int32_t *bias;                   /* [units]                                                  */
    int32_t feature_mult, feature_shift;   /* input x feature weights -> the int8 state                */
    int32_t output_mult, output_shift;     /* state x time weights (+ bias) -> int8 output             */
} mcu_svdf_state_s8_params_t;

/* scratch: batch x filters x memory int8 (the activation state) */
void mcu_svdf_state_s8(const mcu_svdf_state_s8_params_t *p, const int8_t *in, int8_t *state, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_SVDF_H */
