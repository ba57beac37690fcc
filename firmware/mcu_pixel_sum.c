/* SUM / MEAN over the pixels of a map, a patch at a time (a patch stage that ends in the reduction):
 * every patch adds the int32 sums of its pixels' channels to acc (one per channel; the first patch
 * starts them at 0), and the last patch writes the result exactly as mcu_mean_s8 does
 * (TFLite Micro's QuantizedMeanOrSum: subtract zero point x pixels, one requantisation; for MEAN the
 * 1/pixels factor is folded into mult/shift at compile time). Integer sums do not depend on their
 * order, so the result is the whole map's. */
#include "mcu_nn.h"

void mcu_pixel_sum_s8(const mcu_pixel_sum_params_t *p, int32_t *acc, const int8_t *in, int8_t *out)
{
    const int32_t c = p->channels;
    if (p->first) {
        for (int32_t k = 0; k < c; ++k) {
            acc[k] = 0;
        }
    }
    for (int32_t y = 0; y < p->rows; ++y) {
        const int8_t *row = in + (ptrdiff_t)y * p->in_row_stride;
        for (int32_t x = 0; x < p->cols; ++x) {
            const int8_t *px = row + (ptrdiff_t)x * c;
            for (int32_t k = 0; k < c; ++k) {
                acc[k] += px[k];
            }
        }
    }
    if (p->last) {
        const int64_t zp_sum = (int64_t)p->input_zero_point * (int64_t)p->num_elements_reduced;
        for (int32_t k = 0; k < c; ++k) {
            const int32_t shifted = (int32_t)((int64_t)acc[k] - zp_sum);
            const int32_t v = mcu_requant(shifted, p->mult, p->shift) + p->output_zero_point;
            out[k] = (int8_t)mcu_clamp(v, -128, 127);
        }
    }
}
