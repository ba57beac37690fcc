/* Unary int8 ops (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU, RELU6, RELU_N1_TO_1, int8 QUANTIZE) as a
 * table.
 *
 * An int8 -> int8 elementwise op has 256 possible inputs, so mcucompile evaluates TFLite's reference
 * integer arithmetic for all of them at compile time and emits the 256 results as a const table
 * (index = input + 128). The kernel only looks up; it also works in place (in == out). Rows with their
 * own strides let it run on a patch of a larger buffer (patch-based inference).
 */
#include "mcu_nn.h"

void mcu_lut_s8(const mcu_lut_params_t *p, const int8_t *in, int8_t *out)
{
    const int8_t *table = p->table;
    for (int32_t r = 0; r < p->rows; ++r) {
        const int8_t *src = in + r * p->in_row_stride;
        int8_t *dst = out + r * p->out_row_stride;
        for (int32_t i = 0; i < p->size; ++i) {
            dst[i] = table[(int32_t)src[i] + 128];
        }
    }
}
