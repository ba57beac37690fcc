/* READ_VARIABLE and ASSIGN_VARIABLE: a resource variable's bytes copied between its slot of the persistent
 * state region and a tensor, as TFLite Micro's MicroResourceVariables::Read / Assign (memcpy). */
#include <string.h>

#include "mcu_nn.h"

void mcu_variable_copy(int32_t bytes, const void *src, void *dst)
{
    memcpy(dst, src, (size_t)bytes);
}
