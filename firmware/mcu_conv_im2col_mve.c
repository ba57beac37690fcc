/*
 * Helium (Cortex-M55): any conv whose window kh kw in.c fits MCU_MVE_COL_MAX bytes
 * (mcu_conv_im2col_s8_mve, firmware/mcu_nn_helium.h). Two output pixels at a time: their windows gathered
 * into two columns on the stack (a window inside the input row by row, 16 bytes per load; at the borders
 * tap by tap, the taps outside the input set to the input zero point, so x + input_offset is 0 there, the
 * same as skipping them); then every group of 3 output channels takes both columns' dot products with its
 * 3 filter rows at once (dot_2x3: 6 VMLADAVA.S8 per 16 bytes, the rows interleaved at compile time). The
 * input offset needs no run-time work: the codegen folded bias + input_offset * (sum of the channel's
 * weights) into each group's constants (the same for every pixel since padded taps are zero points), with
 * the multipliers and the shifts split into their left and right parts; requantised 4 lanes at once
 * (mcu_mve_rq, lane 3 unused and overwritten by the next group; the last group's store predicated).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"
#include "mcu_mve_g3.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

/* dst[0 .. n) = src[0 .. n), 16 bytes per step, the last 1..15 predicated */
static inline void col_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (int32_t k = n >> 4; k > 0; --k, dst += 16, src += 16) {
        vstrbq_s8(dst, vldrbq_s8(src));
    }
    if (n & 15) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n & 15));
        vstrbq_p_s8(dst, vldrbq_z_s8(src, pr), pr);
    }
}

/* dst[0 .. n) = v */
static inline void col_fill(int8_t *dst, int8x16_t v, int32_t n)
{
    for (; n > 0; n -= 16, dst += 16) {
        vstrbq_p_s8(dst, v, vctp8q((uint32_t)n));
    }
}

/* The window of the output pixel whose top-left tap is input (iy0, ix0), as kh kw in.c bytes */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void col_build(const mcu_conv_params_t *p, const int8_t *in_b, int32_t iy0, int32_t ix0, int8_t *col,
                      int8x16_t zp)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c, kh = p->filter.h, kw = p->filter.w;
    const int32_t row = kw * in_c;
    for (int32_t ky = 0; ky < kh; ++ky, col += row) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= in_h) {
            col_fill(col, zp, row);
            continue;
        }
        const int8_t *src = in_b + (size_t)iy * (size_t)in_w * (size_t)in_c;
        if (p->dilation_w == 1 && ix0 >= 0 && ix0 + kw <= in_w) {
            col_copy(col, src + (size_t)ix0 * (size_t)in_c, row);            /* the whole row at once */
            continue;
        }
        for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            if (ix < 0 || ix >= in_w) {
                col_fill(col + kx * in_c, zp, in_c);
            } else {
                col_copy(col + kx * in_c, src + (size_t)ix * (size_t)in_c, in_c);
            }
        }
    }
}

/* The window whose top-left tap is input (iy, ix) and lies inside the input (dilation_w 1): kh rows of
 * kw in.c contiguous bytes each */
static inline void col_inside(const mcu_conv_params_t *p, const int8_t *in_b, int32_t iy, int32_t ix, int8_t *col)
{
    const int32_t row = p->filter.w * p->in.c;
    const size_t stride = (size_t)p->dilation_h * (size_t)p->in.w * (size_t)p->in.c;
    const int8_t *src = in_b + ((size_t)iy * (size_t)p->in.w + (size_t)ix) * (size_t)p->in.c;
    for (int32_t ky = p->filter.h; ky > 0; --ky, src += stride, col += row) {
        col_copy(col, src, row);
    }
}

/* whether the window at (iy, ix) lies inside the input and its rows are contiguous (col_inside) */
static inline int inside(const mcu_conv_params_t *p, int32_t iy, int32_t ix, int32_t span_h, int32_t span_w)
{
    return p->dilation_w == 1 && iy >= 0 && ix >= 0 && iy + span_h <= p->in.h && ix + span_w <= p->in.w;
}

/* Output pixel px's batch image (its input) and window origin (iy, ix) */
static inline const int8_t *pixel_at(const mcu_conv_params_t *p, const int8_t *in, int32_t px, int32_t *iy,
                                     int32_t *ix)
{
    const int32_t per_image = p->out.h * p->out.w;
    const int32_t b = px / per_image, r = px - b * per_image, oy = r / p->out.w, ox = r - oy * p->out.w;
    *iy = oy * p->stride_h - p->pad_top;
    *ix = ox * p->stride_w - p->pad_left;
    return in + (size_t)b * (size_t)p->in.h * (size_t)p->in.w * (size_t)p->in.c;
}

/*
 * Two output pixels (px and the next; an odd last one twice, stored once) per pass over the filter's groups
 * of 3 channels, both windows gathered into columns first (an odd last pixel's twice).
 */
void mcu_conv_im2col_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                            const int32_t *groups, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    int8_t cols[2][MCU_MVE_COL_MAX];
    const int32_t n = p->filter.h * p->filter.w * p->in.c, blocks = (n + 15) >> 4;
    const int32_t out_c = p->out.c;
    const int32_t span_h = (p->filter.h - 1) * p->dilation_h + 1, span_w = p->filter.w;
    const int32_t pixels = p->in.n * p->out.h * p->out.w;
    const size_t group = (size_t)blocks * 48;                   /* bytes of 3 interleaved filter rows */
    const int8x16_t zp = vdupq_n_s8((int8_t)(-p->input_offset));
    const int32x4_t off = vdupq_n_s32(p->output_offset), lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t last = (out_c - 1) / 3 * 3;                   /* the last group's first channel */
    const mve_pred16_t pr = vctp32q((uint32_t)(out_c - last));
    col_fill(cols[0] + n, vdupq_n_s8(0), blocks * 16 - n);     /* past the window: any value (weights 0) */
    col_fill(cols[1] + n, vdupq_n_s8(0), blocks * 16 - n);
    for (int32_t px = 0; px < pixels; px += 2) {
        int8_t *o0 = out + (size_t)px * (size_t)out_c, *o1 = o0 + out_c;
        const int32_t px1 = px + 1 < pixels ? px + 1 : px;
        if (px1 == px) {
            o1 = o0;                                             /* an odd last pixel: computed twice */
        }
        int32_t iy0, ix0, iy1, ix1;
        const int8_t *in0 = pixel_at(p, in, px, &iy0, &ix0), *in1 = pixel_at(p, in, px1, &iy1, &ix1);
        if (inside(p, iy0, ix0, span_h, span_w)) {
            col_inside(p, in0, iy0, ix0, cols[0]);
        } else {
            col_build(p, in0, iy0, ix0, cols[0], zp);
        }
        if (inside(p, iy1, ix1, span_h, span_w)) {
            col_inside(p, in1, iy1, ix1, cols[1]);
        } else {
            col_build(p, in1, iy1, ix1, cols[1], zp);
        }
        const int8_t *w = filter;
        const int32_t *g = groups;
        int32x4_t y0, y1;
        int32_t oc = 0;
        for (; oc < last; oc += 3, w += group, g += 16) {     /* whole stores: lane 3 rewritten next pass */
            dot_2x3(cols[0], cols[1], w, blocks, g, &y0, &y1);
            vstrbq_s32(o0 + oc, rq_out(y0, g, off, lo, hi));
            vstrbq_s32(o1 + oc, rq_out(y1, g, off, lo, hi));
        }
        dot_2x3(cols[0], cols[1], w, blocks, g, &y0, &y1);      /* the last group: its 1..3 channels */
        vstrbq_p_s32(o0 + oc, rq_out(y0, g, off, lo, hi), pr);
        vstrbq_p_s32(o1 + oc, rq_out(y1, g, off, lo, hi), pr);
    }
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_conv_im2col_s8_mve)
