/*
 * RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8, NHWC (TFLite Micro's reference kernels).
 * Neither rescales: input and output share one quantisation.
 *
 * Nearest neighbour: TFLite picks each source row/column with float arithmetic; mcucompile evaluates
 * that at compile time and passes the picks as two index tables, so this kernel only copies.
 * Bilinear: TFLite's integer variant (ResizeBilinearInteger): source coordinates in 1/1024 pixels,
 * four-tap weighted sum in 64 bits, divided by 2^20 rounding half away from zero.
 */
#include <string.h>

#include "mcu_nn.h"

void mcu_resize_nearest_s8(const mcu_resize_nearest_params_t *p, const int8_t *in, int8_t *out)
{
    const size_t depth = (size_t)p->in.c;
    const size_t row = (size_t)p->in.w * depth;
    const size_t image = (size_t)p->in.h * row;
    for (int32_t b = 0; b < p->out.n; ++b) {
        const int8_t *in_b = in + (size_t)b * image;
        for (int32_t y = 0; y < p->out.h; ++y) {
            const int8_t *in_row = in_b + (size_t)p->rows[y] * row;
            for (int32_t x = 0; x < p->out.w; ++x) {
                memcpy(out, in_row + (size_t)p->cols[x] * depth, depth);
                out += depth;
            }
        }
    }
}

/* Source coordinate (1/1024 pixels) of output index v, and the two neighbouring input indices. */
static void source(int32_t v, int32_t scale, int32_t offset, int32_t size, int32_t *pos, int32_t *lo,
                   int32_t *hi)
{
    const int32_t s = v * scale + offset;
    const int32_t l = s / 1024;                  /* C division truncates, as TFLite's does */
    const int32_t h = (s + 1023) / 1024;
    *pos = s;
    *lo = l > 0 ? l : 0;
    *hi = h < size - 1 ? h : size - 1;
}

void mcu_resize_bilinear_s8(const mcu_resize_bilinear_params_t *p, const int8_t *in, int8_t *out)
{
    /* Source rows and columns are computed in the whole tensors' coordinates (a patch's output starts at
     * out_y0/out_x0, its input buffer holds the input from in_y0/in_x0) and clamped to the whole input. */
    const int32_t depth = p->in.c;
    const size_t row = (size_t)p->in.w * (size_t)depth;
    for (int32_t b = 0; b < p->out.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)p->in.h * row;
        for (int32_t y = 0; y < p->out.h; ++y) {
            int32_t sy, y0, y1;
            source(y + p->out_y0, p->scale_h, p->offset_h, p->src_h, &sy, &y0, &y1);
            const int64_t wy1 = sy - 1024 * y0;      /* weight of row y1 */
            const int64_t wy0 = 1024 - wy1;
            const int8_t *row0 = in_b + (size_t)(y0 - p->in_y0) * row;
            const int8_t *row1 = in_b + (size_t)(y1 - p->in_y0) * row;
            for (int32_t x = 0; x < p->out.w; ++x) {
                int32_t sx, x0, x1;
                source(x + p->out_x0, p->scale_w, p->offset_w, p->src_w, &sx, &x0, &x1);
                const int64_t wx1 = sx - 1024 * x0;
                const int64_t wx0 = 1024 - wx1;
                const size_t c0 = (size_t)(x0 - p->in_x0) * (size_t)depth;
                const size_t c1 = (size_t)(x1 - p->in_x0) * (size_t)depth;
                const int8_t *a = row0 + c0, *bb = row1 + c0, *c = row0 + c1, *d = row1 + c1;
                for (int32_t ch = 0; ch < depth; ++ch) {
                    const int64_t sum = (int64_t)a[ch] * wy0 * wx0 + (int64_t)bb[ch] * wy1 * wx0
                                        + (int64_t)c[ch] * wy0 * wx1 + (int64_t)d[ch] * wy1 * wx1;
                    const int64_t round = sum > 0 ? ((int64_t)1 << 19) : -((int64_t)1 << 19);
                    *out++ = (int8_t)((sum + round) / ((int64_t)1 << 20));
                }
            }
        }
    }
}
