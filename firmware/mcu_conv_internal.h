/*
 * Internal header of the conv kernel library, the variant files mcu_conv_*.c and mcu_dwconv_*.c (their public
 * entry points: mcu_nn.h). It holds the helpers several variants share and declares the functions one file
 * calls in another (mcu_ names, not part of the library's interface).
 *
 *   mcu_conv_ref.c, mcu_dwconv_ref.c  the reference loops (mcu_conv_ref_s8, mcu_dwconv_ref_s8)
 *   mcu_conv_rows.c             mcu_conv_1x1_s8, mcu_conv_rows_s8: 2 x 2 blocks in C (DSP: SMLAD)
 *   mcu_conv_1x1_wide_dsp.c     DSP: the 1x1 conv on 4 widened pixels (mcu_conv_1x1_wide[_pre]_s8_dsp, _own_)
 *   mcu_conv_im2col_wide_dsp.c  DSP: any conv with dilation 1 on im2col-widened windows
 *                               (mcu_conv_im2col_wide_s8_dsp, _own_, _rows_; mcu_dwconv_im2col_rows_s8_dsp)
 *   mcu_conv_wide_dsp.h         DSP: the engine both wide files specialise (conv_1x1_wide_run, its assembly)
 *   mcu_conv_win_dsp.c          DSP: the window kernels (mcu_conv_win_s8_dsp, mcu_dwconv_win_s8_dsp, _stack_),
 *                               the window gather (win_build*, Helium's too)
 *   mcu_conv_mve.c              Helium: mcu_conv_1x1_s8_mve, mcu_conv_rows_s8_mve
 *   mcu_conv_win_mve.c          Helium: the depthwise window kernel (mcu_dwconv_win_s8_mve)
 *   mcu_conv_im2col_mve.c       Helium: any conv with kh kw in.c <= MCU_MVE_COL_MAX (mcu_conv_im2col_s8_mve,
 *                               declared in mcu_nn_helium.h: compile-time filter and constant layouts)
 *   mcu_conv_1x1_g3_mve.c       Helium: 1x1 stride 1, in.c % 16 == 0, no dead hint (mcu_conv_1x1_g3_s8_mve)
 *   mcu_mve_g3.h                Helium: the 2-pixel x 3-channel dot product and output stage both share
 *   mcu_dwconv_groups.c         depthwise, multiplier 1, channel groups (mcu_dwconv_groups_s8; DSP pairs)
 *   mcu_dwconv_mve.c            Helium: depthwise, multiplier 1, channel groups (mcu_dwconv_groups_s8_mve)
 *   mcu_dwconv_taps_mve.c       Helium: depthwise, multiplier 1, narrow outputs (mcu_dwconv_taps_s8_mve)
 *   mcu_dwconv_fast.c           depthwise, any multiplier, 4 channels per pass (mcu_dwconv_fast_s8)
 *
 * The fast variants only reorder exact int32 sums and requantise with mcu_requant_fast (equal to
 * mcu_requant, see mcu_simd.h), so they give the reference results bit for bit. Padding is implicit
 * everywhere: window taps outside the input are skipped (the same as padding with the input zero point).
 */
#ifndef MCU_CONV_INTERNAL_H
#define MCU_CONV_INTERNAL_H

#include "mcu_simd.h"

/* The *_get_buffer_size of a variant that takes no scratch (defined on every core, like the others) */
#define MCU_NO_SCRATCH(name)                                                                              \
    int32_t name##_get_buffer_size(const mcu_conv_params_t *p)                                            \
    {                                                                                                     \
        (void)p;                                                                                          \
        return 0;                                                                                         \
    }

/* First tap k in [0, taps) whose coordinate origin + k * dilation is >= 0. */
static inline int32_t first_tap(int32_t origin, int32_t dilation, int32_t taps)
{
    if (origin >= 0) {
        return 0;
    }
    const int32_t k = (-origin + dilation - 1) / dilation;
    return k < taps ? k : taps;
}

/* One past the last tap k whose coordinate origin + k * dilation is < size. */
static inline int32_t end_tap(int32_t origin, int32_t dilation, int32_t taps, int32_t size)
{
    if (origin >= size) {
        return 0;
    }
    const int32_t k = (size - origin + dilation - 1) / dilation;
    return k < taps ? k : taps;
}

#if !defined(MCU_NN_REFERENCE)

#if defined(__GNUC__)
#define MCU_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MCU_ALWAYS_INLINE inline
#endif

/* The output stage's scalars, read once per call (int8 stores may alias the params, so the compiler
 * would otherwise reload them for every output). */
typedef struct {
    const int32_t *mult, *shift;
    int32_t offset, lo, hi;
} out_stage_t;

static inline out_stage_t out_stage(const mcu_conv_params_t *p)
{
    const out_stage_t q = {p->out_mult, p->out_shift, p->output_offset, p->act_min, p->act_max};
    return q;
}

static inline int8_t requant_out(const out_stage_t *q, int32_t acc, int32_t oc)
{
    acc = mcu_requant_fast(acc, q->mult[oc], q->shift[oc]) + q->offset;
    return (int8_t)mcu_clamp(acc, q->lo, q->hi);
}

#if defined(MCU_NN_DSP)
#define WIN_MAXN 96                     /* values in one window */

/* Windows of one input image: src at the first of the window's channels of input pixel (0, 0), tc
 * channels per tap (a conv: all in.c; a depthwise conv: 1). */
typedef struct {
    const int8_t *src, *end;            /* end: one past the input image */
    int32_t tc, n, groups;
    uint32_t off2;                      /* the input offset in both int16 lanes */
    int8_t zp;                          /* the input zero point: (zp + offset) = 0 */
} win_src_t;
#endif

#define DWG_TAPS 25                     /* filters up to 5x5 (or any kh * kw <= 25) */

/* The requantisation constants of a depthwise group's channels [ch, ch + 4) (mcu_dwconv_groups.c's dwg_setup,
 * mcu_dwconv_k3v_dsp.c's k3v_setup: g a dw_group_t or k3v_group_t, each with rq2[4] and rq[4]). fast = 1 if they take
 * the doubled sums and mcu_rqd_apply (mcu_rq2_channel into g->rq2, and |sum| < 2^30 for any input: |bias| < 2^30 -
 * taps * 255 * 128, as |x + input offset| <= 255 and |w| <= 128), else 0 with mcu_rq_channel's constants in g->rq.
 * A macro, not a function over the two arrays: the callers' code stays as it was when each had the loops inline. */
#define DW4_RQ_SETUP(g, p, bias, ch, taps, fast)                                                              \
    do {                                                                                                      \
        const int32_t lim_ = (1 << 30) - (taps) * 32640;                                                      \
        (fast) = 1;                                                                                           \
        for (int32_t j_ = 0; j_ < 4; ++j_) {                                                                  \
            const int32_t b_ = (bias) != NULL ? (bias)[(ch) + j_] : 0;                                        \
            (fast) = (fast) && b_ < lim_ && b_ > -lim_                                                        \
                     && mcu_rq2_channel((p)->out_mult[(ch) + j_], (p)->out_shift[(ch) + j_],                  \
                                        (p)->output_offset - (p)->act_min, &(g)->rq2[j_]);                    \
        }                                                                                                     \
        if (!(fast)) {                                                                                        \
            for (int32_t j_ = 0; j_ < 4; ++j_) {                                                              \
                (g)->rq[j_] = mcu_rq_channel((p)->out_mult[(ch) + j_], (p)->out_shift[(ch) + j_]);            \
            }                                                                                                 \
        }                                                                                                     \
    } while (0)

#endif /* !MCU_NN_REFERENCE */

/* The functions one file calls in another, by file, under the conditions that compile them. */
#if !defined(MCU_NN_REFERENCE)
/* mcu_dwconv_fast.c */
void mcu_depthwise_fast(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                        const int32_t *bias, int8_t *out, int32_t ch0);

/* mcu_conv_rows.c */
void mcu_conv_1x1(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                  int8_t *out);
void mcu_conv_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                   int8_t *out);

#if defined(MCU_NN_MVE)
/* mcu_conv_mve.c */
void mcu_conv_1x1_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                      int8_t *out);
void mcu_conv_rows_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                       int8_t *out);

/* mcu_dwconv_mve.c */
void mcu_depthwise_groups_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out);
#endif

#if defined(MCU_NN_DSP)
/* mcu_conv_win_dsp.c: the window gather (Helium's window kernels use it too) */
void mcu_win_build_inside(const win_src_t *s, const int8_t *src, size_t step, int32_t kh, int32_t row,
                          int words, int8_t *raw, uint32_t *x);
void mcu_win_build(const mcu_conv_params_t *p, const win_src_t *s, int32_t iy0, int32_t ix0, int8_t *raw,
                   uint32_t *x);

#if !defined(MCU_NN_MVE)
/* mcu_conv_1x1_wide_dsp.c (also called by the im2col variants) */
void mcu_wide4_out_plain(const mcu_conv_params_t *p, const int32_t acc[8], const int32_t *bias, int32_t oc,
                         int32_t oc1, int8_t *o);
void mcu_wide4_finish(const mcu_conv_params_t *p, const int32_t *bias, const int32_t acc[8], const int8_t *xt,
                      const int8_t *w0, const int8_t *w1, int32_t oc, int32_t oc1, int8_t *o, int fastpair,
                      int tail);
void mcu_wide_pre_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                       int8_t *out, int32_t px0, int32_t px1, int32_t n_live, int fast);
void mcu_wide_pre_rows_any(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,
                           int8_t *out, int32_t px0, int32_t px1);

/* mcu_conv_im2col_wide_dsp.c */
void mcu_im2col_cut4(const mcu_conv_params_t *p, const int8_t *in, ptrdiff_t at, int32_t ix, uint32_t *wide,
                     uint32_t off2, int dbl);
void mcu_im2col_widen4(const mcu_conv_params_t *p, const int8_t *in, int32_t px, uint32_t *wide,
                       uint32_t off2, int dbl);
void mcu_conv_im2col_rows(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                          const int32_t *bias, int8_t *out, uint32_t *wide);
void mcu_conv_im2col_wide_any(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                              const int32_t *bias, int8_t *out, uint32_t *wide);
int mcu_conv_im2col_in_own_output(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                                  const int32_t *bias, int8_t *out);

/* mcu_conv_win_dsp.c */
void mcu_conv_win(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                  uint32_t *work);
void mcu_depthwise_win(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                       uint32_t *work);
void mcu_win_stack(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out,
                   int depthwise);
#else
/* mcu_conv_win_mve.c */
void mcu_depthwise_win_mve(const mcu_conv_params_t *p, const int8_t *in, const int32_t *bias, int8_t *out);
#endif /* !MCU_NN_MVE */
#endif /* MCU_NN_DSP */
#endif /* !MCU_NN_REFERENCE */

#endif /* MCU_CONV_INTERNAL_H */
