/* Average and max pooling, int8 NHWC (TFLite reference arithmetic).
 *
 * The window of output (oy, ox) starts at input row oy*stride_h - pad_top, column ox*stride_w - pad_left
 * and is clipped to the input: padded positions are neither summed nor counted (average) and never win
 * (max). Input and output share scale and zero point, so no requantisation is needed.
 */
#include "mcu_nn.h"
#include "mcu_simd.h"

static inline int32_t pool_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t pool_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

static inline int32_t pool_avg(int32_t acc, int32_t count)
{
    /* round half away from zero, as TFLite does */
    return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

/* The window walk both poolings share; `is_max` is a constant in each caller once inlined. */
static inline void pool2d(const mcu_pool_params_t *p, const int8_t *in, int8_t *out, int is_max)
{
    const int32_t ih = p->in.h, iw = p->in.w, depth = p->in.c;
    for (int32_t b = 0; b < p->out.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)ih * (size_t)iw * (size_t)depth;
        for (int32_t oy = 0; oy < p->out.h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t fy_start = pool_max_i32(0, -y0);
            const int32_t fy_end = pool_min_i32(p->filter_h, ih - y0);
            for (int32_t ox = 0; ox < p->out.w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t fx_start = pool_max_i32(0, -x0);
                const int32_t fx_end = pool_min_i32(p->filter_w, iw - x0);
                const int32_t count = (fy_end - fy_start) * (fx_end - fx_start);
                int8_t *o = out + (((size_t)b * (size_t)p->out.h + (size_t)oy) * (size_t)p->out.w + (size_t)ox)
                                      * (size_t)depth;
                for (int32_t c = 0; c < depth; ++c) {
                    int32_t acc = is_max ? -128 : 0;
                    for (int32_t fy = fy_start; fy < fy_end; ++fy) {
                        const int8_t *row = in_b + ((size_t)(y0 + fy) * (size_t)iw) * (size_t)depth + (size_t)c;
                        for (int32_t fx = fx_start; fx < fx_end; ++fx) {
                            const int32_t v = row[(size_t)(x0 + fx) * (size_t)depth];
                            acc = is_max ? pool_max_i32(acc, v) : acc + v;
                        }
                    }
                    if (!is_max && count > 0) {
                        acc = pool_avg(acc, count);
                    }
                    o[c] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

#if defined(MCU_NN_DSP) && !defined(MCU_NN_REFERENCE)
/* Average pooling on the DSP cores: 4 channels at a time, each window value added into int16 lanes by SXTAB16
 * (channels 0, 2 and 1, 3: one load and two SXTAB16 per 4 values); windows of up to 255 values keep every lane's
 * |sum| <= 128 * 255 < 2^15. Larger windows and the channels past the groups of 4 as pool2d. */
static void avg_pool_dsp(const mcu_pool_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t ih = p->in.h, iw = p->in.w, depth = p->in.c, d4 = depth & ~3;
    const size_t row = (size_t)iw * (size_t)depth;
    for (int32_t b = 0; b < p->out.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)ih * row;
        for (int32_t oy = 0; oy < p->out.h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_top;
            const int32_t fy_start = pool_max_i32(0, -y0), fy_end = pool_min_i32(p->filter_h, ih - y0);
            for (int32_t ox = 0; ox < p->out.w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_left;
                const int32_t fx_start = pool_max_i32(0, -x0), fx_end = pool_min_i32(p->filter_w, iw - x0);
                const int32_t count = (fy_end - fy_start) * (fx_end - fx_start);
                int8_t *o = out + (((size_t)b * (size_t)p->out.h + (size_t)oy) * (size_t)p->out.w + (size_t)ox)
                                      * (size_t)depth;
                const int32_t c4 = count > 0 && count <= 255 ? d4 : 0;
                const int8_t *const first = in_b + (size_t)(y0 + fy_start) * row + (size_t)(x0 + fx_start) * (size_t)depth;
                const int32_t ny = fy_end - fy_start, nx = fx_end - fx_start;
                for (int32_t c = 0; c < c4; c += 4) {
                    uint32_t a02 = 0, a13 = 0;
                    const int8_t *r = first + c;
                    for (int32_t fy = 0; fy < ny; ++fy, r += row) {
                        const int8_t *v = r;
                        for (int32_t fx = 0; fx < nx; ++fx, v += depth) {
                            const uint32_t x = mcu_load4(v);
                            a02 = __sxtab16(a02, x);
                            a13 = mcu_sxtab16_ror8(a13, x);
                        }
                    }
                    const int32_t s[4] = {(int16_t)(a02 & 0xFFFFu), (int16_t)(a13 & 0xFFFFu), (int16_t)(a02 >> 16),
                                          (int16_t)(a13 >> 16)};
                    for (int32_t j = 0; j < 4; ++j) {
                        o[c + j] = (int8_t)mcu_clamp(pool_avg(s[j], count), p->act_min, p->act_max);
                    }
                }
                for (int32_t c = c4; c < depth; ++c) {
                    int32_t acc = 0;
                    for (int32_t fy = fy_start; fy < fy_end; ++fy) {
                        const int8_t *r = in_b + (size_t)(y0 + fy) * row + (size_t)c;
                        for (int32_t fx = fx_start; fx < fx_end; ++fx) {
                            acc += r[(size_t)(x0 + fx) * (size_t)depth];
                        }
                    }
                    o[c] = (int8_t)mcu_clamp(count > 0 ? pool_avg(acc, count) : 0, p->act_min, p->act_max);
                }
            }
        }
    }
}
#endif

void mcu_avg_pool2d_s8(const mcu_pool_params_t *p, const int8_t *in, int8_t *out)
{
#if defined(MCU_NN_DSP) && !defined(MCU_NN_REFERENCE)
    avg_pool_dsp(p, in, out);
#else
    pool2d(p, in, out, 0);
#endif
}

void mcu_max_pool2d_s8(const mcu_pool_params_t *p, const int8_t *in, int8_t *out)
{
    pool2d(p, in, out, 1);
}
