/*
 * Helium (Cortex-M55) depthwise conv along one axis (mcu_dwconv_seq_s8_mve): depth multiplier 1 on a 1-D
 * map (in.w = kw = out.w = 1, along the rows, or in.h = kh = out.h = 1, along the columns) of at most
 * MCU_MVE_SEQ_LEN input steps, a window spanning (k - 1) dilation + 1 <= 16 steps, every window inside the
 * input (no padding reached; the codegen decides, mcucompile/kernels/conv.py seq_taps). The streaming
 * wake-word / TCN shape: [1, T, 1, C] with kernels (k, 1).
 *
 * One channel at a time: its input sequence gathered into a row on the stack (8 steps per VLDRB.S16 gather
 * with offsets i in.c, stored narrowed), its k taps into a 16-byte vector (tap j at lane j dilation, zero
 * elsewhere), the input offset folded into the bias once per channel (bias + input_offset * the weight sum:
 * every window is inside, so every tap counts). Then each output is one 16-byte load of the row at its
 * window and one VMLADAV.S8 (lanes off the taps meet zero weights; the row's 16 bytes past its end are
 * zeros). 4 consecutive outputs of the channel are packed into a vector, requantised with the channel's
 * scalar multiplier and shift and stored by one scatter (offsets i out.c).
 */
#include "mcu_simd.h"
#include "mcu_conv_internal.h"

#if !defined(MCU_NN_REFERENCE) && defined(MCU_NN_MVE)

#define MCU_MVE_SEQ_LEN 512             /* the longest input sequence (the codegen's MVE_SEQ_LEN) */

typedef struct {
    int32_t ks, mult, left, right;          /* bias + input offset x weight sum; the channel's requantisation */
    int32_t offset, lo, hi;
} seq_rq_t;

/* 4 outputs requantised: mcu_mve_rq_n with the channel's shift known to be a right shift (right: no left
 * shift, the fixup -1 on negative sums) or not (no rounding shift, no fixup) */
__attribute__((always_inline)) static inline int32x4_t seq_rq(const seq_rq_t *r, int32_t a0, int32_t a1, int32_t a2,
                                                              int32_t a3, int right)
{
    int32x4_t y = vuninitializedq_s32();
    y = vsetq_lane_s32(a0, y, 0);
    y = vsetq_lane_s32(a1, y, 1);
    y = vsetq_lane_s32(a2, y, 2);
    y = vsetq_lane_s32(a3, y, 3);
    y = vaddq_n_s32(y, r->ks);
    if (right) {
        y = vqrdmulhq_n_s32(y, r->mult);
        y = vrshlq_n_s32(vqaddq_s32(y, vshrq_n_s32(y, 31)), r->right);
    } else {
        y = vqrdmulhq_n_s32(vshlq_r_s32(y, r->left), r->mult);
    }
    y = vaddq_n_s32(y, r->offset);
    return vminq_s32(vmaxq_s32(y, vdupq_n_s32(r->lo)), vdupq_n_s32(r->hi));
}

/* the channel's outputs, 4 at a time (the last 1..3 by a predicated scatter); x: the row at output 0's window */
__attribute__((always_inline)) static inline void seq_run(const seq_rq_t *r, const int8_t *x, int8x16_t w, int8_t *o,
                                                          int32_t len_out, int32_t step, int32_t oc, int right)
{
    const uint32x4_t offo = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)oc);
    int32_t t = len_out;
    for (; t >= 4; t -= 4) {
        const int32_t a0 = vmladavq_s8(vldrbq_s8(x), w), a1 = vmladavq_s8(vldrbq_s8(x + step), w);
        const int32_t a2 = vmladavq_s8(vldrbq_s8(x + 2 * step), w), a3 = vmladavq_s8(vldrbq_s8(x + 3 * step), w);
        vstrbq_scatter_offset_s32(o, offo, seq_rq(r, a0, a1, a2, a3, right));
        x += 4 * step;
        o += 4 * oc;
    }
    if (t > 0) {
        const int32_t a0 = vmladavq_s8(vldrbq_s8(x), w);
        const int32_t a1 = t > 1 ? vmladavq_s8(vldrbq_s8(x + step), w) : 0;
        const int32_t a2 = t > 2 ? vmladavq_s8(vldrbq_s8(x + 2 * step), w) : 0;
        vstrbq_scatter_offset_p_s32(o, offo, seq_rq(r, a0, a1, a2, 0, right), vctp32q((uint32_t)t));
    }
}

void mcu_dwconv_seq_s8_mve(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                           const int32_t *bias, int8_t *out, int16_t *scratch)
{
    (void)scratch;
    const int rows = p->in.w == 1;                                 /* along the rows (H), else the columns */
    const int32_t k = p->filter.h * p->filter.w, c = p->in.c, oc = p->out.c;
    const int32_t len_in = rows ? p->in.h : p->in.w, len_out = rows ? p->out.h : p->out.w;
    const int32_t stride = rows ? p->stride_h : p->stride_w, dil = rows ? p->dilation_h : p->dilation_w;
    const size_t in_b = (size_t)len_in * (size_t)c, out_b = (size_t)len_out * (size_t)oc;
    int8_t row[MCU_MVE_SEQ_LEN + 16];
    int8_t taps[16];
    vstrbq_s8(row + len_in, vdupq_n_s8(0));                        /* read (times zero weights) by the last windows */
    const uint16x8_t offs = vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)c);
    const mve_pred16_t p0 = vctp16q((uint32_t)k), p1 = vctp16q((uint32_t)(k > 8 ? k - 8 : 0));
    seq_rq_t r;
    r.offset = p->output_offset;
    r.lo = p->act_min;
    r.hi = p->act_max;
    for (int32_t b = 0; b < p->in.n; ++b) {
        const int8_t *in_b0 = in + (size_t)b * in_b;
        int8_t *out_b0 = out + (size_t)b * out_b;
        for (int32_t ch = 0; ch < c; ++ch) {
            const int8_t *x = in_b0 + ch;
            int32_t i = 0;
            for (; i + 8 <= len_in; i += 8, x += 8 * c) {
                vstrbq_s16(row + i, vldrbq_gather_offset_s16(x, offs));
            }
            if (i < len_in) {
                const mve_pred16_t pr = vctp16q((uint32_t)(len_in - i));
                vstrbq_p_s16(row + i, vldrbq_gather_offset_z_s16(x, offs, pr), pr);
            }
            if (dil == 1) {
                vstrbq_s16(taps, vldrbq_gather_offset_z_s16(filter + ch, offs, p0));
                vstrbq_s16(taps + 8, vldrbq_gather_offset_z_s16(filter + ch + 8 * c, offs, p1));
            } else {
                vstrbq_s8(taps, vdupq_n_s8(0));
                for (int32_t j = 0; j < k; ++j) {
                    taps[j * dil] = filter[j * c + ch];
                }
            }
            const int8x16_t w = vldrbq_s8(taps);
            const int32_t shift = p->out_shift[ch];
            r.ks = (bias != NULL ? bias[ch] : 0) + p->input_offset * vaddvq_s8(w);
            r.mult = p->out_mult[ch];
            r.left = shift > 0 ? shift : 0;
            r.right = shift < 0 ? shift : 0;
            if (shift < 0) {
                seq_run(&r, row, w, out_b0 + ch, len_out, stride, oc, 1);
            } else {
                seq_run(&r, row, w, out_b0 + ch, len_out, stride, oc, 0);
            }
        }
    }
}

#endif /* !MCU_NN_REFERENCE && MCU_NN_MVE */

MCU_NO_SCRATCH(mcu_dwconv_seq_s8_mve)
