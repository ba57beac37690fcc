/*
 * In-place depthwise convolution (depth multiplier 1), int8, TFLite reference arithmetic.
 *
 * Output channel c depends on input channel c only. Each channel is computed into `temp`
 * (out.h * out.w bytes) and then stored at pixel * C + c: those slots held input channel c,
 * which is no longer needed, while channels c+1.. are still intact. Requires out.h * out.w <=
 * in.h * in.w and in.c == out.c; the memory planner gives input and output one buffer.
 */
#include "mcu_nn.h"

void mcu_depthwise_conv2d_inplace_s8(const mcu_conv_params_t *p, int8_t *buf, const int8_t *filter,
                                     const int32_t *bias, int8_t *temp)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, ch = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w;
    for (int32_t c = 0; c < ch; ++c) {
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                int32_t acc = 0;
                for (int32_t ky = 0; ky < kh; ++ky) {
                    const int32_t iy = iy0 + ky * p->dilation_h;
                    if (iy < 0 || iy >= in_h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < kw; ++kx) {
                        const int32_t ix = ix0 + kx * p->dilation_w;
                        if (ix < 0 || ix >= in_w) {
                            continue;
                        }
                        const int32_t x = buf[((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)ch + (size_t)c];
                        const int32_t w = filter[((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)ch + (size_t)c];
                        acc += (x + p->input_offset) * w;
                    }
                }
                if (bias != NULL) {
                    acc += bias[c];
                }
                acc = mcu_requant(acc, p->out_mult[c], p->out_shift[c]) + p->output_offset;
                temp[(size_t)oy * (size_t)out_w + (size_t)ox] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
            }
        }
        const size_t pixels = (size_t)out_h * (size_t)out_w;
        for (size_t q = 0; q < pixels; ++q) {
            buf[q * (size_t)ch + (size_t)c] = temp[q];
        }
    }
}
