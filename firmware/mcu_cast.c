/*
 * CAST (TFLite Micro's cast.cc): every element static_cast from the input's type to the output's, on the
 * raw values (an int8 code becomes the same integer, not its real value). Integer narrowing keeps the low
 * bits (two's complement modulo, what GCC and Clang do on every target TFLite is built for).
 */
#include "mcu_nn.h"

static inline int32_t load_int(const void *in, int32_t type, int32_t i)
{
    switch (type) {
    case MCU_TYPE_INT8: return ((const int8_t *)in)[i];
    case MCU_TYPE_INT16: return ((const int16_t *)in)[i];
    case MCU_TYPE_INT32: return ((const int32_t *)in)[i];
    default: return ((const uint8_t *)in)[i] != 0u;     /* bool */
    }
}

void mcu_cast(const mcu_cast_params_t *p, const void *in, void *out)
{
    const int32_t n = p->size;
    switch (p->out_type) {
    case MCU_TYPE_INT8:
        for (int32_t i = 0; i < n; ++i) {
            ((int8_t *)out)[i] = (int8_t)(uint8_t)((uint32_t)load_int(in, p->in_type, i) & 0xffu);
        }
        break;
    case MCU_TYPE_INT16:
        for (int32_t i = 0; i < n; ++i) {
            ((int16_t *)out)[i] = (int16_t)(uint16_t)((uint32_t)load_int(in, p->in_type, i) & 0xffffu);
        }
        break;
    case MCU_TYPE_INT32:
        for (int32_t i = 0; i < n; ++i) {
            ((int32_t *)out)[i] = load_int(in, p->in_type, i);
        }
        break;
    default:                                           /* float32 */
        for (int32_t i = 0; i < n; ++i) {
            ((float *)out)[i] = (float)load_int(in, p->in_type, i);
        }
        break;
    }
}
