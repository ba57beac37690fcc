/* Average and max pooling, int16 NHWC (16x8; TFLite's reference_integer_ops::AveragePool / MaxPool on int16).
 *
 * As firmware/mcu_pool.c: the window of output (oy, ox) starts at input row oy*stride_h - pad_top, column
 * ox*stride_w - pad_left and is clipped to the input; padded positions are neither summed nor counted
 * (average) and never win (max). The average rounds half away from zero. */
#include "mcu_nn.h"

static inline int32_t pool16_max(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t pool16_min(int32_t a, int32_t b) { return a < b ? a : b; }

static inline void pool2d_s16(const mcu_pool_params_t *p, const int16_t *in, int16_t *out, int is_max)
{
    const int32_t ih = p->in.h, iw = p->in.w, depth = p->in.c;
    for (int32_t b = 0; b < p->out.n; ++b) {
        const int16_t *in_b = in + (size_t)b * (size_t)ih * (size_t)iw * (size_t)depth;
        for (int32_t oy = 0; oy < p->out.h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t fy_start = pool16_max(0, -y0);
            const int32_t fy_end = pool16_min(p->filter_h, ih - y0);
            for (int32_t ox = 0; ox < p->out.w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t fx_start = pool16_max(0, -x0);
                const int32_t fx_end = pool16_min(p->filter_w, iw - x0);
                const int32_t count = (fy_end - fy_start) * (fx_end - fx_start);
                int16_t *o = out + (((size_t)b * (size_t)p->out.h + (size_t)oy) * (size_t)p->out.w + (size_t)ox)
                                       * (size_t)depth;
                for (int32_t c = 0; c < depth; ++c) {
                    int32_t acc = is_max ? INT16_MIN : 0;
                    for (int32_t fy = fy_start; fy < fy_end; ++fy) {
                        const int16_t *row = in_b + ((size_t)(y0 + fy) * (size_t)iw) * (size_t)depth + (size_t)c;
                        for (int32_t fx = fx_start; fx < fx_end; ++fx) {
                            const int32_t v = row[(size_t)(x0 + fx) * (size_t)depth];
                            acc = is_max ? pool16_max(acc, v) : acc + v;
                        }
                    }
                    if (!is_max && count > 0) {
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    o[c] = (int16_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void mcu_avg_pool2d_s16(const mcu_pool_params_t *p, const int16_t *in, int16_t *out)
{
    pool2d_s16(p, in, out, 0);
}

void mcu_max_pool2d_s16(const mcu_pool_params_t *p, const int16_t *in, int16_t *out)
{
    pool2d_s16(p, in, out, 1);
}
