/*
 * Convolution and depthwise convolution, int8 activations and weights, int32 bias
 * (TFLite reference arithmetic: per-output-channel double-rounding requantisation).
 *
 * Padding is implicit: window taps that fall outside the input are skipped, which is the same as
 * padding with the input zero point (their (x + input_offset) term is 0). The window of output
 * (oy, ox) starts at input row oy * stride_h - pad_top and column ox * stride_w - pad_left.
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

/*
 * Fast paths. mcu_conv2d_s8 and mcu_depthwise_conv2d_s8 pick one at run time from the parameters;
 * shapes no fast path covers take the reference loops. Define MCU_NN_REFERENCE to build the reference
 * loops only. The fast paths only reorder exact int32 sums and requantise with mcu_requant_fast (equal
 * to mcu_requant, see mcu_simd.h), so they give the reference results bit for bit:
 *   - 1x1, stride 1, no padding: a matrix multiply (pixels x input channels) x (input channels x
 *     output channels), the input offset folded into a per-output-channel bias (bias + input_offset *
 *     sum of the channel's weights);
 *   - any other conv with dilation_w 1: each filter row's valid taps are one contiguous run of
 *     (taps x input channels);
 *   - convs with input channels not a multiple of 4 (first layers) and depthwise convs with a depth
 *     multiplier > 1 and at most 4 input channels, on the DSP and Helium cores: each output pixel's whole
 *     window gathered into a small buffer on the stack, then dotted with contiguous filter rows (the
 *     window kernels, win_*);
 *   - depthwise: 4 output channels per pass over the valid taps (depth multiplier 1: 4 neighbouring
 *     input channels; multiplier > 1: each lane's input channel is its output channel / multiplier,
 *     one shared input when the multiplier is a multiple of 4); multiplier 1 on the DSP and Helium cores
 *     by channel groups outside, pixels inside (depthwise_groups, depthwise_groups_mve).
 * Armv7E-M DSP (Cortex-M4, M7, M33; MCU_NN_DSP): 2 pixels x 2 output channels per pass for both convs
 * (conv rows pair neighbouring output pixels with the same valid taps), 4 int8 values per load widened
 * with SXTB16 / SXTAB16 (which adds the input offset too) into SMLAD; the 1x1 conv, given a scratch by
 * the caller, widens 4 input pixels at a time (plus the input offset, doubled) once into it and runs 4
 * pixels x 2 output channels per pass, so that in the inner loop only the weights are widened, then
 * requantises with SMMLAR, the output offset folded in (conv_1x1_wide, mcu_rqd / mcu_rq2_channel in
 * mcu_simd.h); any other conv with dilation 1 and input channels a multiple of 4 the same way on 4 output
 * pixels' whole windows (im2col, padding as 0 words) gathered into the scratch (conv_im2col_wide; without
 * one, both borrow the end of the conv's own output); depthwise through SMLABB/SMLATT on filter taps widened once per channel group, 2 interior
 * pixels per pass. Helium (Cortex-M55; MCU_NN_MVE): 4 output channels per pass, 16 int8 lanes per
 * VMLADAVA (the input offset as offset * sum of weights), depthwise in 4 int32 lanes, and requantisation
 * 4 lanes at a time (mcu_mve_requant4). Elsewhere (host, Cortex-M0+) the DSP
 * blocking in plain C.
 *
 * This file holds the two dispatchers and the reference loops; the fast paths are one family a file (their
 * shared helpers and the functions one file calls in another: mcu_conv_internal.h):
 *   mcu_conv_rows.c             conv_1x1, conv_rows: 2 x 2 blocks in C (DSP: SMLAD), not Helium;
 *                               conv_1x1_stream (no DSP paths, the pre-widened weights alone)
 *   mcu_conv_1x1_wide_dsp.c     DSP: the 1x1 conv on 4 widened pixels (conv_1x1_wide*), wide_pre_rows,
 *                               conv_1x1_in_own_output
 *   mcu_conv_im2col_wide_dsp.c  DSP: any conv with dilation 1 on im2col-widened windows (conv_im2col_wide*,
 *                               conv_im2col_rows), conv_im2col_in_own_output
 *   mcu_conv_wide_dsp.h         DSP: the engine both wide files specialise (conv_1x1_wide_run, its assembly)
 *   mcu_conv_win_dsp.c          DSP: the window kernels (conv_win, depthwise_win, win_stack), the window
 *                               gather (win_build*, Helium's too)
 *   mcu_conv_mve.c              Helium: conv_1x1_mve, conv_rows_mve
 *   mcu_conv_win_mve.c          Helium: the window kernels (conv_win_mve, depthwise_win_mve)
 *   mcu_dwconv_groups.c         depthwise, multiplier 1, channel groups (depthwise_groups; DSP pairs), not Helium
 *   mcu_dwconv_mve.c            Helium: depthwise, multiplier 1, channel groups (depthwise_groups_mve)
 *   mcu_dwconv_fast.c           depthwise, any multiplier, 4 channels per pass (depthwise_fast)
 * The functions the dispatchers call carry an mcu_ prefix (mcu_conv_1x1, mcu_conv_win, ...).
 */

void mcu_conv2d_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                   const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;                                  /* only the DSP paths (1x1, im2col, windows) use it */
#if defined(MCU_NN_MVE) || !defined(MCU_NN_DSP) || defined(MCU_NN_REFERENCE)
    if (filter == NULL) {                           /* a 1x1 conv with only the pre-widened weights */
        mcu_conv_1x1_stream(p, in, bias, out);
        return;
    }
#endif
#if defined(MCU_NN_MVE)
    if (p->filter.h == 1 && p->filter.w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0
        && p->pad_left == 0 && p->out.h == p->in.h && p->out.w == p->in.w) {
        mcu_conv_1x1_mve(p, in, filter, bias, out);
        return;
    }
    if (p->in.c % 4 != 0 && p->filter.h * p->filter.w * p->in.c <= WIN_MAXN) {
        mcu_conv_win_mve(p, in, filter, bias, out);     /* few input channels: whole windows */
        return;
    }
    if (p->dilation_w == 1) {
        mcu_conv_rows_mve(p, in, filter, bias, out);
        return;
    }
#elif !defined(MCU_NN_REFERENCE)
    if (p->filter.h == 1 && p->filter.w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0
        && p->pad_left == 0 && p->out.h == p->in.h && p->out.w == p->in.w) {
#if defined(MCU_NN_DSP)
        if (scratch != NULL && ((uintptr_t)scratch & 3u) == 0 && p->in.c >= 4 && p->in.c < 32000
            && p->in.n * p->in.h * p->in.w >= 4) {
            mcu_conv_1x1_wide_any(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
            return;
        }
        if (scratch == NULL && mcu_conv_1x1_in_own_output(p, in, filter, bias, out)) {
            return;
        }
        if (filter == NULL) {                       /* only the pre-widened weights */
            mcu_wide_pre_rows_any(p, in, bias, out, 0, p->in.n * p->in.h * p->in.w);
            return;
        }
#endif
        mcu_conv_1x1(p, in, filter, bias, out);
        return;
    }
#if defined(MCU_NN_DSP)
    if (p->wide_filter != NULL && p->in.c % 4 != 0 && scratch != NULL && ((uintptr_t)scratch & 3u) == 0
        && p->dilation_h == 1 && p->dilation_w == 1 && p->out.n * p->out.h * p->out.w >= 4) {
        /* few input channels, the stream's window rows padded to whole groups (mcu_nn.h) */
        mcu_conv_im2col_rows(p, in, NULL, bias, out, (uint32_t *)(void *)scratch);     /* (no int8 row is read) */
        return;
    }
    if (p->win_w != NULL && p->in.c % 4 != 0 && p->filter.h * p->filter.w * p->in.c >= 4
        && p->filter.h * p->filter.w * p->in.c <= WIN_MAXN) {      /* few input channels: windows */
        if (scratch != NULL && ((uintptr_t)scratch & 3u) == 0) {
            mcu_conv_win(p, in, bias, out, (uint32_t *)(void *)scratch);
        } else {
            mcu_win_stack(p, in, bias, out, 0);
        }
        return;
    }
    if (scratch != NULL && ((uintptr_t)scratch & 3u) == 0 && p->dilation_h == 1 && p->dilation_w == 1
        && (p->in.c & 3) == 0 && p->filter.h * p->filter.w * p->in.c < 32000
        && p->out.n * p->out.h * p->out.w >= 4) {
        mcu_conv_im2col_wide_any(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
        return;
    }
    if (scratch == NULL && p->dilation_h == 1 && p->dilation_w == 1 && (p->in.c & 3) == 0
        && p->filter.h * p->filter.w * p->in.c < 32000 && mcu_conv_im2col_in_own_output(p, in, filter, bias, out)) {
        return;
    }
#endif
    if (p->dilation_w == 1) {
        mcu_conv_rows(p, in, filter, bias, out);
        return;
    }
#endif
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const size_t filter_stride = (size_t)kh * (size_t)kw * (size_t)in_c;

    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
            const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int32_t kx0 = first_tap(ix0, p->dilation_w, kw);
                const int32_t kx1 = end_tap(ix0, p->dilation_w, kw, in_w);
                int8_t *o = out + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox)
                                  * (size_t)out_c;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *f_oc = filter + (size_t)oc * filter_stride;
                    int32_t acc = 0;
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t iy = iy0 + ky * p->dilation_h;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t ix = ix0 + kx * p->dilation_w;
                            const int8_t *x = in_b + ((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c;
                            const int8_t *f = f_oc + ((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)in_c;
                            for (int32_t ic = 0; ic < in_c; ++ic) {
                                acc += (int32_t)f[ic] * ((int32_t)x[ic] + p->input_offset);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    acc = mcu_requant(acc, p->out_mult[oc], p->out_shift[oc]) + p->output_offset;
                    o[oc] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}

void mcu_depthwise_conv2d_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                             const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;                                  /* only the DSP window and rows paths use it */
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, out_c = p->out.c;
    const int32_t mult = p->depth_multiplier;

#if !defined(MCU_NN_REFERENCE)
    if (mult >= 1 && in_c * mult == out_c) {
        int32_t ch0 = 0;
#if defined(MCU_NN_DSP)
#if !defined(MCU_NN_MVE)
        if (in_c == 1 && p->wide_filter != NULL && scratch != NULL && ((uintptr_t)scratch & 3u) == 0
            && p->dilation_h == 1 && p->dilation_w == 1 && p->out.n * out_h * out_w >= 4) {
            /* one input channel: the conv of the transposed filter, its stream's window rows padded (mcu_nn.h) */
            mcu_conv_im2col_rows(p, in, NULL, bias, out, (uint32_t *)(void *)scratch);
            return;
        }
#endif
        if (mult >= 2 && in_c <= 4 && kh * kw <= WIN_MAXN) {
#if defined(MCU_NN_MVE)
            if (p->win_w != NULL) {
                mcu_depthwise_win_mve(p, in, bias, out);        /* few input channels, multiplier > 1 */
                return;
            }
#else
            if (p->win_w != NULL && scratch != NULL && ((uintptr_t)scratch & 3u) == 0) {
                mcu_depthwise_win(p, in, bias, out, (uint32_t *)(void *)scratch);
                return;
            }
            if (p->win_w != NULL) {
                mcu_win_stack(p, in, bias, out, 1);
                return;
            }                                               /* no win_w: the per-pixel path below */
#endif
        }
#endif
#if defined(MCU_NN_MVE)
        if (mult == 1) {
            mcu_depthwise_groups_mve(p, in, filter, bias, out);
            return;
        }
#else
        if (mult == 1 && p->filter.h * p->filter.w <= DWG_TAPS) {
            mcu_depthwise_groups(p, in, filter, bias, out);
            ch0 = out_c & ~3;
        }
#endif
        if (ch0 < out_c) {
            mcu_depthwise_fast(p, in, filter, bias, out, ch0);
        }
        return;
    }
#endif
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b = in + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            const int32_t ky0 = first_tap(iy0, p->dilation_h, kh);
            const int32_t ky1 = end_tap(iy0, p->dilation_h, kh, in_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                const int32_t kx0 = first_tap(ix0, p->dilation_w, kw);
                const int32_t kx1 = end_tap(ix0, p->dilation_w, kw, in_w);
                int8_t *o = out + (((size_t)b * (size_t)out_h + (size_t)oy) * (size_t)out_w + (size_t)ox)
                                  * (size_t)out_c;
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    for (int32_t m = 0; m < mult; ++m) {
                        const int32_t oc = ic * mult + m;
                        int32_t acc = 0;
                        for (int32_t ky = ky0; ky < ky1; ++ky) {
                            const int32_t iy = iy0 + ky * p->dilation_h;
                            for (int32_t kx = kx0; kx < kx1; ++kx) {
                                const int32_t ix = ix0 + kx * p->dilation_w;
                                const int32_t x = in_b[((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c
                                                       + (size_t)ic];
                                const int32_t f = filter[((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)out_c
                                                         + (size_t)oc];
                                acc += f * (x + p->input_offset);
                            }
                        }
                        if (bias != NULL) {
                            acc += bias[oc];
                        }
                        acc = mcu_requant(acc, p->out_mult[oc], p->out_shift[oc]) + p->output_offset;
                        o[oc] = (int8_t)mcu_clamp(acc, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}
