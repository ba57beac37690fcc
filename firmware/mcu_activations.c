/* Unary int8 activations (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU, RELU6, RELU_N1_TO_1) as a table.
 *
 * An int8 -> int8 elementwise op has 256 possible inputs, so mcucompile evaluates TFLite's reference
 * integer arithmetic for all of them at compile time and emits the 256 results as a const table
 * (index = input + 128). The kernel only looks up; it also works in place (in == out).
 */
#include "mcu_nn.h"

void mcu_lut_s8(const mcu_lut_params_t *p, const int8_t *in, int8_t *out)
{
    const int8_t *table = p->table;
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = table[(int32_t)in[i] + 128];
    }
}
