/*
 * Any conv with dilation 1 on the DSP cores (not Helium) through the wide engine (mcu_conv_wide_dsp.h) on
 * im2col-gathered windows: in.c a multiple of 4 (conv_im2col_wide, conv_im2col_wide_pre), in.c % 4 != 0 on the
 * padded pre-widened stream (mcu_conv_im2col_rows; also a depthwise conv of one input channel); the gather
 * (mcu_im2col_cut4, mcu_im2col_widen4) and the path without planned scratch (mcu_conv_im2col_in_own_output).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"
#include "mcu_conv_wide_dsp.h"

#if !defined(MCU_NN_REFERENCE) && !defined(MCU_NN_MVE) && defined(MCU_NN_DSP)

/* im2col_row4's blocks with some pixels cut by the padding on the left or right (or whose last group would read past
 * the input): each such pixel's window row built in a small buffer (the zero point, then its valid bytes), the
 * others read from the input; run4 <= WIDE_CUT_BYTES. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void mcu_im2col_cut4(const mcu_conv_params_t *p, const int8_t *in, ptrdiff_t at, int32_t ix, uint32_t *wide,
                     uint32_t off2, int dbl)
{
    const int32_t in_w = p->in.w, in_c = p->in.c, kh = p->filter.h, kw = p->filter.w, run = kw * in_c;
    const int32_t run4 = (run + 3) & ~3;
    const ptrdiff_t row_step = (ptrdiff_t)in_w * in_c, st = (ptrdiff_t)p->stride_w * in_c;
    const ptrdiff_t in_total = (ptrdiff_t)p->in.n * p->in.h * row_step;
    const uint32_t zp4 = (uint32_t)(uint8_t)(int8_t)(-p->input_offset) * 0x01010101u;
    uint32_t tmp[4][WIDE_CUT_BYTES / 4];
    int32_t a[4], e[4], cut[4];                     /* pixel q's row elements [a, e) are inside the input */
    for (int32_t q = 0; q < 4; ++q) {
        const int32_t ix0 = ix + q * p->stride_w;
        a[q] = first_tap(ix0, 1, kw) * in_c;
        e[q] = end_tap(ix0, 1, kw, in_w) * in_c;
        if (e[q] < a[q]) {
            e[q] = a[q];
        }
        cut[q] = a[q] != 0 || e[q] != run || at + q * st + (kh - 1) * row_step + run4 > in_total;
    }
    uint32_t *d = wide;
    for (int32_t ky = 0; ky < kh; ++ky) {
        const int8_t *src[4];
        for (int32_t q = 0; q < 4; ++q) {
            const ptrdiff_t rq = at + q * st + ky * row_step;      /* element j: input byte rq + j */
            if (!cut[q]) {
                src[q] = in + rq;
                continue;
            }
            for (int32_t i = 0; i < run4 / 4; ++i) {
                tmp[q][i] = zp4;
            }
            int8_t *t = (int8_t *)(void *)tmp[q];
            for (int32_t j = a[q]; j < e[q]; ++j) {
                t[j] = in[rq + j];
            }
            src[q] = t;
        }
        for (int32_t j = 0; j < run4; j += 4, d += 8) {
            widen_group4(d, off2, mcu_load4(src[0] + j), mcu_load4(src[1] + j), mcu_load4(src[2] + j),
                         mcu_load4(src[3] + j), dbl);
        }
    }
}

/*
 * The im2col gather of conv_im2col_wide: the windows of the 4 consecutive output pixels px .. px + 3 (in
 * output raster order over batch, rows, columns: a block may wrap rows) widened like conv_1x1_wide's
 * block. A window row (kw taps, run = kw in.c contiguous input bytes) takes run4 = run rounded up to a
 * multiple of 4 elements: element e = ky run4 + j (j = kx in.c + ic, the filter row's order) in group e / 4;
 * with in.c a multiple of 4 run4 = run (a group never straddles two taps), otherwise (conv_im2col_rows: in.c
 * % 4 != 0, the stream's rows padded alike with zero weights, see mcu_nn.h) the row's last group holds up to 3
 * elements past the run, whatever the input has there (they meet zero weights). Taps outside the input
 * (padding) get widened 0 words (a padded input is the zero point: x + input offset = 0). (Most blocks take
 * im2col_row4 instead.) A window row inside the input for all 4 pixels (its run4 bytes too) is widened 4
 * pixels at a time straight from the input; otherwise pixel by pixel: 0 words before and after the valid
 * taps, whole words inside them, and a group holding both (in.c % 4 != 0) assembled byte by byte, the padding
 * as the zero point.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void mcu_im2col_widen4(const mcu_conv_params_t *p, const int8_t *in, int32_t px, uint32_t *wide,
                       uint32_t off2, int dbl)
{
    const int32_t in_h = p->in.h, in_w = p->in.w, in_c = p->in.c, kh = p->filter.h, kw = p->filter.w;
    const int32_t out_h = p->out.h, out_w = p->out.w, run = kw * in_c;    /* a window row's elements */
    const int32_t run4 = (run + 3) & ~3;
    const ptrdiff_t row_step = (ptrdiff_t)in_w * in_c;
    const ptrdiff_t in_total = (ptrdiff_t)p->in.n * in_h * row_step;      /* the input's bytes */
    const uint32_t zp = (uint32_t)(uint8_t)(int8_t)(-p->input_offset);
    ptrdiff_t base[4];                              /* the input offset of each window's tap (0, 0) */
    int32_t iy0[4], a[4], e[4];                     /* window row elements [a, e) are inside the input */
    int32_t ox = px % out_w, t = px / out_w, oy = t % out_h, b = t / out_h;
    int32_t full = 1;                               /* every pixel has all kw taps of its rows */
    for (int32_t q = 0; q < 4; ++q) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        iy0[q] = oy * p->stride_h - p->pad_top;
        a[q] = first_tap(ix0, 1, kw) * in_c;
        e[q] = end_tap(ix0, 1, kw, in_w) * in_c;
        full &= a[q] == 0 && e[q] == run;
        base[q] = ((ptrdiff_t)(b * in_h + iy0[q]) * in_w + ix0) * in_c;
        if (++ox == out_w) {
            ox = 0;
            if (++oy == out_h) {
                oy = 0;
                ++b;
            }
        }
    }
    uint32_t *d = wide;
    for (int32_t ky = 0; ky < kh; ++ky, d += 2 * run4) {
        int32_t rows = full;
        for (int32_t q = 0; q < 4; ++q) {
            rows &= (uint32_t)(iy0[q] + ky) < (uint32_t)in_h;
        }
        const ptrdiff_t ro = (ptrdiff_t)ky * row_step;
        if (rows && base[3] + ro + run4 <= in_total) {      /* 4 pixels at a time (base grows with q) */
            const int8_t *s0 = in + base[0] + ro, *s1 = in + base[1] + ro;
            const int8_t *s2 = in + base[2] + ro, *s3 = in + base[3] + ro;
            uint32_t *dg = d;
            for (int32_t j = 0; j < run4; j += 4, dg += 8) {
                widen_group4(dg, off2, mcu_load4(s0 + j), mcu_load4(s1 + j), mcu_load4(s2 + j),
                             mcu_load4(s3 + j), dbl);
            }
            continue;
        }
        for (int32_t q = 0; q < 4; ++q) {           /* pixel by pixel: lane q of each group */
            const int row_in = (uint32_t)(iy0[q] + ky) < (uint32_t)in_h;
            const ptrdiff_t at = base[q] + ro;      /* element j of the row: input byte at + j (j in [lo, hi)) */
            const int32_t lo = row_in ? a[q] : run4;
            /* a row whole on the right reads its last group's elements past the run from the input (any value:
             * zero weights) where they are inside it */
            const int32_t hi = !row_in || e[q] <= a[q] ? lo : e[q] == run && at + run4 <= in_total ? run4 : e[q];
            uint32_t *dq = d + q;
            int32_t j = 0;
            for (; j + 4 <= lo; j += 4, dq += 8) {
                dq[0] = dq[4] = 0;
            }
            for (; j < hi; j += 4, dq += 8) {
                uint32_t v;
                if (j >= lo && j + 4 <= hi) {
                    v = mcu_load4(in + at + j);
                } else {                            /* a group cut by the padding (in.c % 4 != 0) */
                    v = 0;
                    for (int32_t i = 3; i >= 0; --i) {
                        const int32_t el = j + i;
                        v = v << 8 | (el >= lo && el < hi ? (uint32_t)(uint8_t)in[at + el] : zp);
                    }
                }
                dq[0] = widen_dbl(__sxtab16(off2, v), dbl);
                dq[4] = widen_dbl(mcu_sxtab16_ror8(off2, v), dbl);
            }
            for (; j < run4; j += 4, dq += 8) {
                dq[0] = dq[4] = 0;
            }
        }
    }
}

/* conv_1x1_wide_run's im2col specialisations (see mcu_conv_wide_dsp.h) */
WIDE_VARIANT(static, conv_im2col_wide, 0, 1, 0)
WIDE_VARIANT(static, conv_im2col_wide_pre, 0, 1, 1)
WIDE_VARIANT(extern, mcu_conv_im2col_rows, 0, 2, 1)
#undef WIDE_VARIANT
#undef WIDE_NOINLINE

/* conv_im2col_wide with or without the pre-widened weights */
void mcu_conv_im2col_wide_any(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out, uint32_t *wide)
{
    if (p->wide_filter != NULL) {
        conv_im2col_wide_pre(p, in, filter, bias, out, wide);
    } else {
        conv_im2col_wide(p, in, filter, bias, out, wide);
    }
}

/*
 * conv_im2col_wide's conv (dilation 1, in.c a multiple of 4) without a planned scratch (the planner leaves
 * it out where it would raise the arena's peak), like conv_1x1_in_own_output: the 8 kh kw in.c bytes are
 * borrowed from the end of the conv's own output, which nothing else holds while it runs; the output rows
 * lying wholly before them go through conv_im2col_wide, then conv_rows writes the rows left (the same conv
 * shifted down: its first row's window starts stride_h (rows) input rows lower) over the borrowed bytes.
 * One batch, input and output apart, at least 4 pixels before; returns whether it ran.
 */
int mcu_conv_im2col_in_own_output(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                  const int32_t *bias, int8_t *out)
{
    const size_t row_bytes = (size_t)p->out.w * (size_t)p->out.c, out_bytes = (size_t)p->out.h * row_bytes;
    const size_t in_bytes = (size_t)p->in.h * (size_t)p->in.w * (size_t)p->in.c;
    const size_t need = 8u * (size_t)p->filter.h * (size_t)p->filter.w * (size_t)p->in.c;
    const uintptr_t wide = p->in.n == 1 ? own_output_scratch(in, in_bytes, out, out_bytes, need) : 0;
    if (wide == 0) {
        return 0;
    }
    const int32_t rows = (int32_t)((wide - (uintptr_t)out) / row_bytes);   /* output rows before `wide` */
    if (rows * p->out.w < 4) {
        return 0;
    }
    mcu_conv_params_t q = *p;
    q.out.h = rows;
    mcu_conv_im2col_wide_any(&q, in, filter, bias, out, (uint32_t *)(void *)wide);
    q.out.h = p->out.h - rows;
    q.pad_top = p->pad_top - rows * p->stride_h;
    mcu_conv_rows(&q, in, filter, bias, out + (size_t)rows * row_bytes);
    return 1;
}

/* dilation 1, in.c a multiple of 4, kh kw in.c < 32000, at least 4 output pixels: 4 windows widened into the
 * scratch */
void mcu_conv_im2col_wide_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                 const int32_t *bias, int8_t *out, int16_t *scratch)
{
    mcu_conv_im2col_wide_any(p, in, filter, bias, out, (uint32_t *)(void *)scratch);
}

/* The same without scratch: the end of the conv's own output borrowed where the buffers allow it, else
 * the 2 x 2 blocks */
void mcu_conv_im2col_own_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    if (!mcu_conv_im2col_in_own_output(p, in, filter, bias, out)) {
        mcu_conv_rows(p, in, filter, bias, out);
    }
}

/* dilation 1, in.c % 4 != 0, at least 4 output pixels, with the row-padded pre-widened stream (mcu_nn.h; no
 * int8 row is read) */
void mcu_conv_im2col_rows_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                 const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)filter;
    mcu_conv_im2col_rows(p, in, NULL, bias, out, (uint32_t *)(void *)scratch);
}

/* A depthwise conv of one input channel, dilation 1, at least 4 output pixels: the conv of its transposed
 * filter, through that filter's row-padded stream */
void mcu_dwconv_im2col_rows_s8_dsp(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                   const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)filter;
    mcu_conv_im2col_rows(p, in, NULL, bias, out, (uint32_t *)(void *)scratch);
}

#endif /* !MCU_NN_REFERENCE && !MCU_NN_MVE && MCU_NN_DSP */

int32_t mcu_conv_im2col_wide_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_WINDOW_SCRATCH_BYTES(p->filter.h, p->filter.w, p->in.c);
}

MCU_NO_SCRATCH(mcu_conv_im2col_own_s8_dsp)

int32_t mcu_conv_im2col_rows_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_ROWS_SCRATCH_BYTES(p->filter.h, p->filter.w, p->in.c);
}

int32_t mcu_dwconv_im2col_rows_s8_dsp_get_buffer_size(const mcu_conv_params_t *p)
{
    return MCU_CONV_ROWS_SCRATCH_BYTES(p->filter.h, p->filter.w, 1);
}
