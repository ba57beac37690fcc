/*
 * mcu_nn.h - the one public header of the mcucompile kernel library.
 *
 * C99, no malloc, no globals. Tensors are int8 (16x8: int16, mcu_nn_s16.h) NHWC, row-major. Every kernel
 * takes a pointer to a const parameter struct (filled in at compile time by mcucompile, so it lives in
 * flash), then the data pointers, output last. Arithmetic follows TFLite's reference kernels bit-exactly
 * (double-rounding requantisation).
 */
#ifndef MCU_NN_H
#define MCU_NN_H

#include <stdint.h>
#include <stddef.h>
#include "mcu_nn_state.h"

#include "mcu_nn_detect.h"
#include "mcu_nn_svdf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- requantisation helpers (TFLite reference arithmetic) ------------------------------ */

static inline int32_t mcu_srdhm(int32_t a, int32_t b)
{
    /* SaturatingRoundingDoublingHighMul */
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

static inline int32_t mcu_rdbpot(int32_t x, int32_t exponent)
{
    /* RoundingDivideByPOT: round half away from zero */
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t mcu_requant(int32_t x, int32_t multiplier, int32_t shift)
{
    /* MultiplyByQuantizedMultiplier (double rounding) */
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return mcu_rdbpot(mcu_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

static inline int32_t mcu_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* ---- fixed-point helpers (gemmlowp arithmetic of TFLite's DIV, SOFTMAX, ...) ------------- */

/* int32 addition and subtraction that wrap (gemmlowp's fixed-point + and -) */
static inline int32_t mcu_wrap_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t mcu_wrap_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* SaturatingRoundingMultiplyByPOT with an exponent in [1, 31]: saturating left shift */
static inline int32_t mcu_sat_shl(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* leading zero bits of x (32 for 0) */
static inline int32_t mcu_clz32(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* RoundingHalfSum: (a + b) / 2 rounded to nearest, ties away from zero */
static inline int32_t mcu_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), Q0.31 in and out,
 * Newton-Raphson in Q2.29 */
static inline int32_t mcu_one_over_one_plus_x(int32_t a)
{
    const int32_t half_denominator = mcu_rounding_half_sum(a, INT32_MAX);
    int32_t x = mcu_wrap_add(1515870810, mcu_srdhm(half_denominator, -1010580540));   /* 48/17 - 32/17 d */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = mcu_wrap_sub((int32_t)1 << 29, mcu_srdhm(half_denominator, x));
        x = mcu_wrap_add(x, mcu_sat_shl(mcu_srdhm(x, one_minus), 2));       /* Q4.27 product -> Q2.29 */
    }
    return mcu_sat_shl(x, 1);                                              /* Q1.30 x / 2 -> Q0.31 */
}

/* ---- shapes ------------------------------------------------------------------------------ */

typedef struct {
    int32_t n, h, w, c;
} mcu_dims_t;

/* ---- convolution (conv, depthwise) ------------------------------------------------------ */

typedef struct {
    mcu_dims_t in;           /* input  [N, H, W, Cin]                                         */
    mcu_dims_t filter;       /* conv: [Cout, KH, KW, Cin]; depthwise: [1, KH, KW, Cin*M]      */
    mcu_dims_t out;          /* output [N, OH, OW, Cout]                                      */
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;      /* input row/col of output (0,0)'s window = -pad            */
    int32_t pad_bottom, pad_right;  /* informational: the kernel clips at the input border      */
    int32_t depth_multiplier;       /* depthwise only                                          */
    int32_t input_offset;           /* -input zero point                                       */
    int32_t output_offset;          /* +output zero point                                      */
    int32_t act_min, act_max;
    const int32_t *out_mult;        /* per output channel                                      */
    const int32_t *out_shift;       /* per output channel                                      */
    /* Optional compile-time hint of dead output channels (all weights 0: the sum is the bias alone, so
     * every pixel gets the same output). NULL: no channel is dead. Otherwise dead_out[c] (out.c bytes) is
     * that constant output for each dead channel c (any value for live ones) and live[0 .. live_c) lists
     * the other channels in ascending order. The 1x1 fast paths compute live channels only; every other
     * path ignores the hint (it computes the same constants). */
    const int8_t *dead_out;
    const uint16_t *live;           /* NULL when live_c is 0                                   */
    int32_t live_c;
    /* Optional compile-time weights of the DSP window kernels (Armv7E-M; see MCU_WIN_SCRATCH_BYTES),
     * NULL elsewhere (the op then takes the other paths): each output channel's n = kh kw (in.c for a
     * conv, 1 for a depthwise conv) weights, zero past n up to g = (n + 3) / 4 groups of 4, widened to int16
     * pairs as SXTB16 gives them (group k..k+3: the words (k, k+2), (k+1, k+3)), by pairs of channels (a
     * conv: 2j, 2j + 1; a depthwise conv: those of one input channel, ic m + 2j and ic m + 2j + 1), the last
     * of an odd count paired with itself: per pair 4 g words, per group the first channel's two words,
     * then the second's. Helium (depthwise window kernel, same ops): the channels' taps transposed, int8,
     * channel c's n taps at byte c n. */
    const uint32_t *win_w;
    /* Optional (Armv7E-M DSP builds; NULL: absent), the weights pre-widened to int16 at compile time for
     * the wide paths: 1x1 stride-1 convs (conv_1x1_wide, k = in.c), convs with dilation 1 and in.c a
     * multiple of 4 (conv_im2col_wide, k = kh kw in.c: the whole window) and other convs with dilation 1
     * and in.c % 4 != 0 (conv_im2col_rows, k = kh run4: each filter row's kw in.c weights followed by zeros
     * up to run4 = kw in.c rounded up to a multiple of 4; mcucompile emits it when k <= 4/3 kh kw in.c, and
     * the kernel takes it with planned scratch, MCU_CONV_ROWS_SCRATCH_BYTES; also depthwise convs of one
     * input channel, as the conv of the transposed filter [m, kh, kw, 1]). One stream of pairs of channels
     * as the kernels walk them (0 and 1, 2 and 3, ... or with the dead-channel hint of a 1x1 conv live[0]
     * and live[1], ...; an odd count pairs the last channel with itself), k4 + 10 words per pair (oc, oc1),
     * k4 = k & ~3:
     *   2 bias[oc], 2 bias[oc1] (wrapping; 0 without a bias);
     *   per group of 4 window elements c0..c3 (the k4 first), 4 words of two int16 (low half first), the
     *   weights doubled (the kernels' doubled sums without doubling the input):
     *   [oc (c0, c2)] [oc1 (c0, c2)] [oc (c1, c3)] [oc1 (c1, c3)];
     *   m, e, c, oc then the same for oc1: mcu_rq2_channel's constants (m = out_mult, e = -out_shift,
     *   c = (2 output_offset + 1) 2^(e-1) when 1 <= e <= 22, else 0) and the channel.
     * When a 1x1 conv's in.c is a multiple of 4 the stream holds the whole filter and mcucompile passes filter NULL
     * (no int8 copy in flash): the variants taking it then read the stream; otherwise the int8
     * filter stays (the channels past the groups and the other paths read it). */
    const uint32_t *wide_filter;
    /* With the dead-channel hint, 1: the int8 filter holds the live channels' rows only, in live[] order
     * (mcu_conv_1x1_s8: mcucompile leaves the all-zero rows out of flash); 0: every channel's row. */
    int32_t filter_live_rows;
} mcu_conv_params_t;

/*
 * Conv and depthwise conv kernels, one entry point per variant (CMSIS-NN style). mcucompile picks the
 * variant for each op at compile time (mcucompile/kernels/conv.py) and calls it by name; nothing chooses
 * at run time. All take (params, input, filter, bias, output, scratch): bias may be NULL; scratch is
 * 4-byte aligned, of the variant's *_get_buffer_size(params) bytes, or NULL where that is 0 (the variants
 * ending _own or _stack take none: they borrow the end of their own output or hold it on the stack).
 * The _dsp variants exist on Armv7E-M DSP cores (Cortex-M4, M7, M33), the _mve ones on Helium cores
 * (Cortex-M55); the others everywhere (the _ref ones are TFLite's reference loops).
 *
 *   conv:      mcu_conv_ref_s8          any conv
 *              mcu_conv_1x1_s8          1x1, stride 1, unpadded (in and out the same size)
 *              mcu_conv_rows_s8         dilation_w 1
 *              mcu_conv_1x1_wide_s8_dsp 1x1 (above), 4 <= in.c < 32000, >= 4 pixels: 4 pixels widened in scratch
 *              mcu_conv_1x1_wide_pre_s8_dsp  the same on the pre-widened weights (wide_filter)
 *              mcu_conv_1x1_own_s8_dsp, mcu_conv_1x1_own_pre_s8_dsp  the same two without scratch (the end of
 *                                       the output borrowed when free; any number of pixels)
 *              mcu_conv_im2col_wide_s8_dsp  dilation 1, in.c % 4 == 0, kh kw in.c < 32000, >= 4 output pixels
 *              mcu_conv_im2col_own_s8_dsp   the same without scratch
 *              mcu_conv_im2col_rows_s8_dsp  dilation 1, in.c % 4 != 0, with the row-padded wide_filter
 *              mcu_conv_win_s8_dsp / mcu_conv_win_stack_s8_dsp  in.c % 4 != 0, kh kw in.c in [4, 96], win_w
 *              mcu_conv_1x1_s8_mve, mcu_conv_rows_s8_mve (+ mcu_nn_helium.h: mcu_conv_im2col_s8_mve)
 *   depthwise: mcu_dwconv_ref_s8        any depthwise conv
 *              mcu_dwconv_fast_s8       any multiplier, 4 channels per pass
 *              mcu_dwconv_groups[_k3|_k5][_small][_tail]_s8  multiplier 1, kh kw <= 25: channel groups
 *                                       outside, pixels inside; _k3 / _k5 for filter width 3 / 5, none for the
 *                                       others; _small without the DSP pairs; _tail where out.c % 4 != 0
 *              mcu_dwconv_groups_s8_mve multiplier 1
 *              mcu_dwconv_im2col_rows_s8_dsp  one input channel, dilation 1, >= 4 output pixels, wide_filter
 *              mcu_dwconv_win_s8_dsp / mcu_dwconv_win_stack_s8_dsp / mcu_dwconv_win_s8_mve  multiplier >= 2,
 *                                       in.c <= 4, kh kw <= 96, win_w
 */
#define MCU_CONV_VARIANT(name)                                                                                 \
    void name(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter, const int32_t *bias,         \
              int8_t *out, int16_t *scratch);                                                                  \
    int32_t name##_get_buffer_size(const mcu_conv_params_t *p);
MCU_CONV_VARIANT(mcu_conv_ref_s8)
MCU_CONV_VARIANT(mcu_conv_1x1_s8)
MCU_CONV_VARIANT(mcu_conv_rows_s8)
MCU_CONV_VARIANT(mcu_conv_1x1_wide_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_1x1_wide_pre_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_1x1_own_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_1x1_own_pre_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_im2col_wide_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_im2col_own_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_im2col_rows_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_win_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_win_stack_s8_dsp)
MCU_CONV_VARIANT(mcu_conv_1x1_s8_mve)
MCU_CONV_VARIANT(mcu_conv_rows_s8_mve)
MCU_CONV_VARIANT(mcu_dwconv_ref_s8)
MCU_CONV_VARIANT(mcu_dwconv_fast_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_tail_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k3_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k3_tail_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k5_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k5_tail_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k3_small_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k3_small_tail_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k5_small_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_k5_small_tail_s8)
MCU_CONV_VARIANT(mcu_dwconv_groups_s8_mve)
MCU_CONV_VARIANT(mcu_dwconv_k3v_s8_dsp)
MCU_CONV_VARIANT(mcu_dwconv_k3v_tail_s8_dsp)
MCU_CONV_VARIANT(mcu_dwconv_im2col_rows_s8_dsp)
MCU_CONV_VARIANT(mcu_dwconv_win_s8_dsp)
MCU_CONV_VARIANT(mcu_dwconv_win_stack_s8_dsp)
MCU_CONV_VARIANT(mcu_dwconv_win_s8_mve)
#undef MCU_CONV_VARIANT

/* The scratch sizes behind the *_get_buffer_size functions. The DSP window kernels' work memory for
 * windows of n values and `total` output channels to chunk (a conv: out.c; a depthwise conv: m):
 * g = (n + 3) / 4 groups of 4 values; chunks of MCU_WIN_CHUNK channels (at most 16); per pair of a chunk's
 * channels 40 bytes of output-stage constants; 16 g for two pixels' widened windows; two raw windows of
 * 4 g + 4 bytes (at most 904 B). */
#define MCU_CONV_SCRATCH_BYTES(in_c) (8 * ((in_c) & ~3))
#define MCU_CONV_WINDOW_SCRATCH_BYTES(kh, kw, in_c) (8 * (kh) * (kw) * (in_c))
#define MCU_CONV_ROWS_SCRATCH_BYTES(kh, kw, in_c) (8 * (kh) * (((kw) * (in_c) + 3) & ~3))
#define MCU_WIN_GROUPS(n) (((n) + 3) / 4)
#define MCU_WIN_CAP 16
#define MCU_WIN_CHUNK(total) ((total) < MCU_WIN_CAP ? (total) : MCU_WIN_CAP)
#define MCU_WIN_SCRATCH_BYTES(n, total) ((MCU_WIN_CHUNK(total) + 1) / 2 * 40 + 24 * MCU_WIN_GROUPS(n) + 8)

/* In place (depth multiplier 1, no more output pixels than input pixels): the output overwrites the
 * input in `buf`, channel by channel, through `temp` of out.h * out.w bytes. */
void mcu_depthwise_conv2d_inplace_s8(const mcu_conv_params_t *p, int8_t *buf, const int8_t *filter,
                                     const int32_t *bias, int8_t *temp);

/* ---- fully connected --------------------------------------------------------------------- */

typedef struct {
    int32_t batches;         /* rows of the input                                              */
    int32_t accum_depth;     /* input features                                                 */
    int32_t out_depth;       /* output features; weights are [out_depth, accum_depth]          */
    int32_t input_offset;    /* -input zero point                                              */
    int32_t filter_offset;   /* -weights zero point (0 for symmetric weights)                  */
    int32_t output_offset;
    int32_t act_min, act_max;
    int32_t per_channel;     /* 0: out_mult[0]/out_shift[0] for all; 1: one per output feature */
    const int32_t *out_mult;
    const int32_t *out_shift;
} mcu_fc_params_t;

void mcu_fully_connected_s8(const mcu_fc_params_t *p, const int8_t *in, const int8_t *weights,
                            const int32_t *bias, int8_t *out);

/* ---- pooling ----------------------------------------------------------------------------- */

typedef struct {
    mcu_dims_t in;
    mcu_dims_t out;
    int32_t filter_h, filter_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t act_min, act_max;
} mcu_pool_params_t;

void mcu_avg_pool2d_s8(const mcu_pool_params_t *p, const int8_t *in, int8_t *out);
void mcu_max_pool2d_s8(const mcu_pool_params_t *p, const int8_t *in, int8_t *out);

/* ---- elementwise add with broadcasting (up to 6-D) --------------------------------------- */

#define MCU_MAX_DIMS 6

typedef struct {
    int32_t rank;                          /* 1..6                                              */
    int32_t out_dims[MCU_MAX_DIMS];        /* output shape                                      */
    int32_t in1_strides[MCU_MAX_DIMS];     /* element strides; 0 on broadcast dimensions        */
    int32_t in2_strides[MCU_MAX_DIMS];
    int32_t in1_offset, in2_offset;        /* -zero points                                      */
    int32_t output_offset;
    int32_t left_shift;                    /* 20 for int8                                       */
    int32_t in1_mult, in1_shift;
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;
    int32_t act_min, act_max;
} mcu_add_params_t;

void mcu_add_s8(const mcu_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

/* ---- softmax (last axis) ----------------------------------------------------------------- */

typedef struct {
    int32_t outer;           /* number of rows                                                 */
    int32_t depth;           /* length of the last axis                                        */
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} mcu_softmax_params_t;

void mcu_softmax_s8(const mcu_softmax_params_t *p, const int8_t *in, int8_t *out);

/* ---- dequantise int8 -> float (DEQUANTIZE); int8 -> int8 QUANTIZE is a table (mcu_lut_s8) -- */

typedef struct {
    int32_t size;
    int32_t zero_point;
    float scale;
} mcu_dequantize_params_t;

void mcu_dequantize_s8_f32(const mcu_dequantize_params_t *p, const int8_t *in, float *out);

/* QUANTIZE float -> int8 (model input): out = clamp(round(in / scale) + zero_point), float math */
typedef mcu_dequantize_params_t mcu_quantize_params_t;
void mcu_quantize_f32_s8(const mcu_quantize_params_t *p, const float *in, int8_t *out);

/* ---- data movement: pad, transpose, concatenation ---------------------------------------- */

typedef struct {
    int32_t rank;                          /* shapes right-aligned in MCU_MAX_DIMS, leading 1s */
    int32_t in_dims[MCU_MAX_DIMS];
    int32_t pad_before[MCU_MAX_DIMS];
    int32_t pad_after[MCU_MAX_DIMS];
    int32_t pad_value;                     /* output zero point unless PADV2 says otherwise    */
} mcu_pad_params_t;

void mcu_pad_s8(const mcu_pad_params_t *p, const int8_t *in, int8_t *out);

typedef struct {
    int32_t rank;
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t in_strides[MCU_MAX_DIMS];      /* stride in the input of each output dimension     */
} mcu_transpose_params_t;

void mcu_transpose_s8(const mcu_transpose_params_t *p, const int8_t *in, int8_t *out);

typedef struct {
    int32_t outer;               /* product of dims before the axis                             */
    int32_t out_row;             /* out elements per outer step (= sum of in_rows)              */
    int32_t in_row;              /* elements of this input per outer step                       */
    int32_t out_col;             /* where this input starts inside an output row               */
    int32_t requant;             /* 0: plain copy; 1: rescale with the fields below             */
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;
    int32_t rows;                /* `outer` steps are repeated for this many rows (whole tensors: 1) */
    int32_t in_row_stride;       /* elements from one row to the next in the input (a patch's buffer) */
    int32_t out_row_stride;      /* and in the output                                           */
} mcu_concat_part_t;

/* concatenation = one call per input (so any number of inputs works without arrays of pointers) */
void mcu_concat_part_s8(const mcu_concat_part_t *p, const int8_t *in, int8_t *out);

/* ---- MEAN over axes ------------------------------------------------------------------------ */

typedef struct {
    int32_t rank;
    int32_t in_dims[MCU_MAX_DIMS];
    int32_t reduce[MCU_MAX_DIMS];          /* 1 where the axis is reduced                       */
    int32_t num_elements_reduced;
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;                   /* as TFLite's int8 MEAN computes them              */
} mcu_mean_params_t;

void mcu_mean_s8(const mcu_mean_params_t *p, int32_t *scratch, const int8_t *in, int8_t *out);

/* REDUCE_MAX / REDUCE_MIN over any axes (mcu_reduce_minmax.c): raw codes, one quantisation in and out */
typedef struct {
    int32_t is_max;                        /* 1: max, 0: min                                    */
    int32_t out_size;
    int32_t in_dims[MCU_MAX_DIMS];         /* right-aligned, leading 1s                          */
    int32_t out_strides[MCU_MAX_DIMS];     /* output element stride per input axis; 0 if reduced */
} mcu_reduce_minmax_params_t;

void mcu_reduce_minmax_s8(const mcu_reduce_minmax_params_t *p, const int8_t *in, int8_t *out);

/* L2_NORMALIZATION over the last axis (mcu_l2norm.c): output scale 1/128, zero point 0 */
typedef struct {
    int32_t rows, depth;                   /* depth: the last axis                               */
    int32_t input_zero_point;
} mcu_l2norm_params_t;

void mcu_l2norm_s8(const mcu_l2norm_params_t *p, const int8_t *in, int8_t *out);

/* LOG_SOFTMAX over the last axis (mcu_log_softmax.c): output scale 16/256, zero point 127. exp_q12 and
 * diff_q5 hold one int32 per difference max - q (0..255), computed at compile time. */
typedef struct {
    int32_t rows, depth;
    int32_t diff_min;
    int32_t reverse_mult, reverse_shift;   /* 2^(31 - left_shift) / input multiplier (shift <= 0) */
} mcu_log_softmax_params_t;

void mcu_log_softmax_s8(const mcu_log_softmax_params_t *p, const int32_t *exp_q12, const int32_t *diff_q5,
                        const int8_t *in, int8_t *out);

/* ---- patch-based inference: copy a patch into (or out of) a larger tensor ------------------- */

typedef struct {
    int32_t rows, cols, channels;          /* the rectangle to copy                             */
    int32_t src_offset, src_row_stride;    /* elements                                          */
    int32_t dst_offset, dst_row_stride;
} mcu_tile_copy_params_t;

void mcu_tile_copy_s8(const mcu_tile_copy_params_t *p, const int8_t *src, int8_t *dst);

/* A spatial PAD on a patch: a rows x cols x channels tile of the padded map whose rows [real_y0, real_y1)
 * and columns [real_x0, real_x1) come from the input (in points at the first of them, rows in_row_stride
 * elements apart); the rest is pad_value. */
typedef struct {
    int32_t rows, cols, channels;
    int32_t real_y0, real_y1, real_x0, real_x1;
    int32_t in_row_stride;
    int32_t pad_value;
} mcu_pad_tile_params_t;

void mcu_pad_tile_s8(const mcu_pad_tile_params_t *p, const int8_t *in, int8_t *out);

/* ---- resize: nearest neighbour (index tables), bilinear (TFLite's 10-bit fixed point) ------- */

typedef struct {
    mcu_dims_t in;                         /* [N, H, W, C] (a patch: the input region it reads) */
    mcu_dims_t out;                        /* [N, OH, OW, C] (a patch: the tile)               */
    const int32_t *rows;                   /* OH entries: input row of each output row         */
    const int32_t *cols;                   /* OW entries: input column of each output column   */
} mcu_resize_nearest_params_t;

void mcu_resize_nearest_s8(const mcu_resize_nearest_params_t *p, const int8_t *in, int8_t *out);

typedef struct {
    mcu_dims_t in;                         /* the input buffer (a patch: the region it holds)  */
    mcu_dims_t out;                        /* the output buffer (a patch: the tile)            */
    int32_t scale_h, scale_w;              /* input step per output pixel, in 1/1024 pixels    */
    int32_t offset_h, offset_w;            /* added to y * scale_h (half-pixel centres), 1/1024 */
    int32_t out_y0, out_x0;                /* the output buffer's first row/column in the whole output */
    int32_t in_y0, in_x0;                  /* the input buffer's first row/column in the whole input */
    int32_t src_h, src_w;                  /* the whole input's height and width (edge clamping) */
} mcu_resize_bilinear_params_t;

void mcu_resize_bilinear_s8(const mcu_resize_bilinear_params_t *p, const int8_t *in, int8_t *out);

/* ---- transpose convolution: mcu_conv_params_t with filter [Cout, KH, KW, Cin], dilation 1 ----- */

/* bias may be NULL; pad_top/pad_left: output row/col that input (0,0) times filter tap (0,0) lands
 * on is -pad. No scratch: each output element gathers its taps (integer sums, so the same result
 * as TFLite's scatter). */
void mcu_transpose_conv_s8(const mcu_conv_params_t *p, const int8_t *in, const int8_t *filter,
                           const int32_t *bias, int8_t *out);

/* ---- batch matmul: out[b] = lhs[b] x rhs[b], broadcast batch dims, up to 3 of them ---------- */

typedef struct {
    int32_t batch_dims[3];                 /* output batch dims, right-aligned, leading 1s     */
    int32_t lhs_batch_strides[3];          /* element strides; 0 on broadcast dims             */
    int32_t rhs_batch_strides[3];
    int32_t rows, cols, depth;             /* out [rows, cols] = sum_k lhs [rows, k] rhs [k, cols] */
    int32_t lhs_row_stride, lhs_depth_stride;   /* encode adj_x                                 */
    int32_t rhs_depth_stride, rhs_col_stride;   /* encode adj_y                                 */
    int32_t lhs_offset, rhs_offset;        /* -zero points                                     */
    int32_t output_offset;
    int32_t mult, shift;
    int32_t act_min, act_max;
} mcu_batch_matmul_params_t;

void mcu_batch_matmul_s8(const mcu_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                         int8_t *out);

/* ---- reductions over a map's pixels, a patch at a time (patch stages that end in them) ------ */

typedef struct {
    int32_t rows, cols, channels;          /* the patch's pixels to add                          */
    int32_t in_row_stride;                 /* elements from one patch row to the next            */
    int32_t first, last;                   /* first patch: sums start at 0; last: write out     */
    int32_t num_elements_reduced;          /* the whole map's pixels                             */
    int32_t input_zero_point, output_zero_point;
    int32_t mult, shift;                   /* as mcu_mean_params_t                               */
} mcu_pixel_sum_params_t;

/* acc: one int32 per channel, kept from patch to patch */
void mcu_pixel_sum_s8(const mcu_pixel_sum_params_t *p, int32_t *acc, const int8_t *in, int8_t *out);

typedef struct {
    int32_t rows, cols;                    /* the patch's pixels (tokens)                        */
    int32_t a_row_stride, b_row_stride;    /* elements from one patch row to the next, per map   */
    int32_t a_depth, b_depth;              /* channels of each map: out is [a_depth, b_depth]    */
    int32_t first, last;
    int32_t a_offset, b_offset;            /* -zero points                                       */
    int32_t output_offset;
    int32_t mult, shift;
    int32_t act_min, act_max;
} mcu_pixel_matmul_params_t;

/* out = a^T b over all the map's pixels; acc: a_depth * b_depth int32, kept from patch to patch */
void mcu_pixel_matmul_s8(const mcu_pixel_matmul_params_t *p, int32_t *acc, const int8_t *a, const int8_t *b,
                         int8_t *out);

/* ---- strided copy: STRIDED_SLICE, SPLIT, SPLIT_V, TILE ------------------------------------ */

typedef struct {
    int32_t rank;                          /* 1..6, dims right-aligned in MCU_MAX_DIMS          */
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t in_strides[MCU_MAX_DIMS];      /* input step per output index: may be 0 or negative */
    int32_t in_offset;                     /* input element of output element 0                */
} mcu_strided_copy_params_t;

void mcu_strided_copy_s8(const mcu_strided_copy_params_t *p, const int8_t *in, int8_t *out);

/* ---- ARG_MAX / ARG_MIN over one axis (first index wins ties) ------------------------------ */

typedef struct {
    int32_t outer, axis_size, inner;
    int32_t is_max;                        /* 1: ARG_MAX, 0: ARG_MIN                           */
    int32_t index_bytes;                   /* 4: int32 output, 8: int64 output                 */
} mcu_arg_minmax_params_t;

/* out: int32_t or int64_t indices, written bytewise (any alignment) */
void mcu_arg_minmax_s8(const mcu_arg_minmax_params_t *p, const int8_t *in, void *out);

/* ---- elementwise MUL / SUB / DIV with broadcasting (the same stride plan as ADD) ----------- */

typedef struct {
    int32_t rank;                          /* 1..6                                              */
    int32_t out_dims[MCU_MAX_DIMS];        /* output shape                                      */
    int32_t in1_strides[MCU_MAX_DIMS];     /* element strides; 0 on broadcast dimensions        */
    int32_t in2_strides[MCU_MAX_DIMS];
    int32_t in1_offset, in2_offset;        /* -zero points                                      */
    int32_t output_offset;
    int32_t out_mult, out_shift;           /* MUL: s1 * s2 / s_out; DIV: s1 / (s2 * s_out)      */
    int32_t act_min, act_max;
} mcu_mul_params_t;

void mcu_mul_s8(const mcu_mul_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

/* DIV: in1 / in2 (TFLite's integer reciprocal arithmetic); a divisor equal to its zero point gives
 * what TFLite Micro gives, not an error */
typedef mcu_mul_params_t mcu_div_params_t;
void mcu_div_s8(const mcu_div_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

/* SUB: in1 - in2 with ADD's fields (SUB's multipliers come from float32 arithmetic, see elementwise.py) */
typedef mcu_add_params_t mcu_sub_params_t;
void mcu_sub_s8(const mcu_sub_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

/* ---- PRELU, SQUARED_DIFFERENCE (broadcasting, mcu_prelu.c / mcu_squared_diff.c) and ADD_N ---------- */

typedef struct {
    int32_t rank;                          /* 1..6; in1 = the input, in2 = alpha                */
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t in1_strides[MCU_MAX_DIMS];
    int32_t in2_strides[MCU_MAX_DIMS];
    int32_t input_offset, alpha_offset;    /* -zero points                                      */
    int32_t output_offset;
    int32_t mult_pos, shift_pos;           /* s_in / s_out (x >= 0)                              */
    int32_t mult_neg, shift_neg;           /* s_in * s_alpha / s_out (x < 0)                     */
} mcu_prelu_params_t;

void mcu_prelu_s8(const mcu_prelu_params_t *p, const int8_t *in, const int8_t *alpha, int8_t *out);

typedef struct {
    int32_t rank;
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t in1_strides[MCU_MAX_DIMS];
    int32_t in2_strides[MCU_MAX_DIMS];
    int32_t in1_offset, in2_offset;        /* -zero points                                      */
    int32_t output_offset;
    int32_t left_shift;                    /* 7                                                 */
    int32_t in1_mult, in1_shift;           /* s1 / (2 max(s1, s2))                               */
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;           /* (2 max(s1, s2))^2 / (2^14 s_out)                   */
} mcu_squared_diff_params_t;

void mcu_squared_diff_s8(const mcu_squared_diff_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

#define MCU_ADD_N_MAX_INPUTS 8

typedef struct {
    int32_t n;                             /* inputs used, 2..MCU_ADD_N_MAX_INPUTS             */
    int32_t size;                          /* elements per input                                */
    int32_t input_offset;                  /* -zero point (shared by all inputs)                */
    int32_t output_offset;
    int32_t left_shift;                    /* 20                                                */
    int32_t in_mult, in_shift;             /* 1/2                                               */
    int32_t out_mult, out_shift;           /* 2 s_in / (2^20 s_out)                              */
    int32_t act_min, act_max;
} mcu_add_n_params_t;

/* unused trailing inputs are NULL */
void mcu_add_n_s8(const mcu_add_n_params_t *p, const int8_t *in0, const int8_t *in1, const int8_t *in2,
                  const int8_t *in3, const int8_t *in4, const int8_t *in5, const int8_t *in6, const int8_t *in7,
                  int8_t *out);

/* CUMSUM along one axis (mcu_cumsum.c), TFLite Micro's ADD_N-like arithmetic */
typedef struct {
    int32_t before, depth, after;          /* elements before / along / after the axis           */
    int32_t exclusive, reverse;
    int32_t input_offset, output_offset;   /* -input zero point, output zero point               */
    int32_t left_shift;                    /* 20                                                 */
    int32_t in_mult, in_shift;             /* 1/2                                                */
    int32_t out_mult, out_shift;           /* 2 s_in / (2^20 s_out)                               */
} mcu_cumsum_params_t;

void mcu_cumsum_s8(const mcu_cumsum_params_t *p, const int8_t *in, int8_t *out);

/* ---- elementwise MAXIMUM / MINIMUM with broadcasting (the same stride plan as ADD) --------- */

/* TFLite's int8 MAXIMUM/MINIMUM compare the raw codes: the compiler accepts them only when both inputs
 * and the output share one quantisation, so no rescaling is needed (firmware/mcu_binary.c) */
typedef struct {
    int32_t rank;                          /* 1..6                                              */
    int32_t out_dims[MCU_MAX_DIMS];        /* output shape                                      */
    int32_t in1_strides[MCU_MAX_DIMS];     /* element strides; 0 on broadcast dimensions        */
    int32_t in2_strides[MCU_MAX_DIMS];
} mcu_minmax_params_t;

void mcu_maximum_s8(const mcu_minmax_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);
void mcu_minimum_s8(const mcu_minmax_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out);

/* ---- unary int8 ops as a 256-entry table (LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, RELU...) -- */

typedef struct {
    int32_t size;            /* elements of a row                                              */
    const int8_t *table;     /* 256 entries: out = table[in + 128]                             */
    int32_t rows;            /* rows of `size` elements (a whole tensor: 1; a patch: its rows)  */
    int32_t in_row_stride;   /* elements from one input row to the next                       */
    int32_t out_row_stride;  /* elements from one output row to the next                      */
} mcu_lut_params_t;

void mcu_lut_s8(const mcu_lut_params_t *p, const int8_t *in, int8_t *out);

/* ---- copy through per-axis offset tables: GATHER / GATHER_ND with constant indices, MIRROR_PAD -- */

/* out is walked in order over out_dims[0..rank-1] then `inner` contiguous elements; the input element of
 * output index (i0, .., i_{rank-1}) starts at offsets[start_0 + i0] + .. + offsets[start_{rank-1} + i_{rank-1}],
 * where start_d = out_dims[0] + .. + out_dims[d-1] (the tables follow each other in `offsets`) */
typedef struct {
    int32_t rank;                          /* 1..6 tabled dimensions                            */
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t inner;                         /* contiguous elements copied per table entry        */
} mcu_table_copy_params_t;

void mcu_table_copy_s8(const mcu_table_copy_params_t *p, const int32_t *offsets, const int8_t *in, int8_t *out);

/* ---- GATHER / GATHER_ND with indices computed at run time --------------------------------- */

typedef struct {
    int32_t batch;                         /* product of the first batch_dims dimensions        */
    int32_t outer, axis_size, coord_size, inner;   /* coord_size: indices per batch entry       */
    int32_t index_bytes;                   /* 4: int32 indices, 8: int64 indices               */
} mcu_gather_params_t;

/* an index outside [0, axis_size) (an error in TFLite) writes zeros instead of reading out of bounds */
void mcu_gather_s8(const mcu_gather_params_t *p, const int8_t *in, const void *indices, int8_t *out);

typedef struct {
    int32_t n_slices, index_depth, slice_size;
    int32_t params_size;                   /* elements of the params tensor                     */
    int32_t dim_strides[5];                /* element stride of each indexed params dimension   */
} mcu_gather_nd_params_t;

/* a slice out of bounds (TFLite Micro: "gather_nd index out of bounds") is written as zeros */
void mcu_gather_nd_s8(const mcu_gather_nd_params_t *p, const int8_t *in, const int32_t *indices, int8_t *out);

/* ---- comparisons (bool out) and SELECT_V2, with broadcasting (the same stride plan as ADD) -- */

typedef struct {
    int32_t rank;                          /* 1..6                                              */
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t in1_strides[MCU_MAX_DIMS];     /* element strides; 0 on broadcast dimensions        */
    int32_t in2_strides[MCU_MAX_DIMS];
    int32_t op;                            /* MCU_CMP_EQ .. MCU_CMP_GE                          */
    const int32_t *table1;                 /* 256 entries: the rescaled value of each code      */
    const int32_t *table2;
} mcu_compare_params_t;

enum { MCU_CMP_EQ = 0, MCU_CMP_NE = 1, MCU_CMP_LT = 2, MCU_CMP_LE = 3, MCU_CMP_GT = 4, MCU_CMP_GE = 5 };

/* out[i] = table1[in1 + 128] (op) table2[in2 + 128], as 0 / 1 bytes */
void mcu_compare_s8(const mcu_compare_params_t *p, const int8_t *in1, const int8_t *in2, uint8_t *out);

/* int32 / int64 inputs (indices, ARG_MAX results): the raw values compared, as TFLite does */
typedef struct {
    int32_t rank;                          /* 1..6                                              */
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t in1_strides[MCU_MAX_DIMS];     /* element strides; 0 on broadcast dimensions        */
    int32_t in2_strides[MCU_MAX_DIMS];
    int32_t op;                            /* MCU_CMP_EQ .. MCU_CMP_GE                          */
    int32_t elem_bytes;                    /* 4: int32, 8: int64                                */
} mcu_compare_int_params_t;

void mcu_compare_int(const mcu_compare_int_params_t *p, const void *in1, const void *in2, uint8_t *out);

typedef struct {
    int32_t rank;                          /* 1..6                                              */
    int32_t out_dims[MCU_MAX_DIMS];
    int32_t cond_strides[MCU_MAX_DIMS];    /* element strides; 0 on broadcast dimensions        */
    int32_t in1_strides[MCU_MAX_DIMS];
    int32_t in2_strides[MCU_MAX_DIMS];
} mcu_select_params_t;

/* out[i] = cond[..] ? in1[..] : in2[..] (raw codes: all three share one quantisation) */
void mcu_select_s8(const mcu_select_params_t *p, const uint8_t *cond, const int8_t *in1, const int8_t *in2,
                   int8_t *out);

/* ---- CAST between element types (TFLite's static_cast of raw values: no quantisation) ------- */

enum { MCU_TYPE_INT8 = 0, MCU_TYPE_INT16 = 1, MCU_TYPE_INT32 = 2, MCU_TYPE_FLOAT32 = 3, MCU_TYPE_BOOL = 4 };

typedef struct {
    int32_t size;                          /* elements                                          */
    int32_t in_type;                       /* MCU_TYPE_INT8, _INT16, _INT32 or _BOOL            */
    int32_t out_type;                      /* MCU_TYPE_INT8, _INT16, _INT32 or _FLOAT32         */
} mcu_cast_params_t;

/* integers narrow modulo 2^bits (as the compilers TFLite is built with do), bool reads as 0 / 1 */
void mcu_cast(const mcu_cast_params_t *p, const void *in, void *out);

/* ---- FILL / ZEROS_LIKE: one value repeated ---------------------------------------------------- */

typedef struct {
    int32_t size;                          /* elements                                          */
    int32_t elem_bytes;                    /* 1, 4 or 8                                         */
} mcu_fill_params_t;

void mcu_fill(const mcu_fill_params_t *p, const void *value, void *out);

#include "mcu_nn_lstm.h"      /* UNIDIRECTIONAL_SEQUENCE_LSTM (int8 activations, int16 cell state) */

/* ---- SVDF: int8 input/output and feature weights, int16 time weights and activation state ---- */

typedef struct {
    int32_t batch, input_dim, filters, units, rank, memory;    /* filters = units x rank              */
    int32_t input_offset, state_zero_point, output_zero_point;  /* -input zp; the state's, output's zp  */
    const int8_t *w_feature;               /* [filters, input_dim]                                     */
    const int16_t *w_time;                 /* [filters, memory]                                        */
    const int32_t *bias;                   /* [units]                                                  */
    int32_t feature_mult, feature_shift;   /* input x feature weights -> the int16 state               */
    int32_t output_mult, output_shift;     /* state x time weights (+ bias) -> int8 output             */
} mcu_svdf_params_t;

/* state: batch x filters x memory int16 (the activation state), persistent between invokes; no scratch */
void mcu_svdf_s8(const mcu_svdf_params_t *p, const int8_t *in, int16_t *state, int8_t *out);

#include "mcu_nn_s16_elem.h"    /* 16x8: int16 activations (elementwise, pooling, softmax, activations) */

#include "mcu_nn_s16.h"    /* 16x8 quantisation: int16 activations, int8 weights, int64 bias */

#include "mcu_nn_helium.h"   /* the Helium variants with their own arguments */

#ifdef __cplusplus
}
#endif

#include "mcu_nn_signal.h"      /* the audio front end (TFLite Micro's signal library ops) */
#include "mcu_nn_pairs.h"       /* the DSP wide convs on the pair-interleaved int8 filter */
#include "mcu_nn_update.h"      /* DYNAMIC_UPDATE_SLICE */

#endif /* MCU_NN_H */
