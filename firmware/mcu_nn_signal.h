/*
 * The audio front end: TFLite Micro's signal library ops (custom ops "Signal...", signal/micro/kernels/),
 * bit-exact, in integer arithmetic. Included by mcu_nn.h. Every size, shift and table is decided at compile
 * time (mcucompile/codegen/ops/signal.py); the kernels only loop.
 */
#ifndef MCU_NN_SIGNAL_H
#define MCU_NN_SIGNAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Position of the highest set bit, 1-based, as TFLite Micro's MostSignificantBit32 built with GCC/Clang
 * (32 - clz(x)); 32 for x == 0, which is what that build returns. */
static inline uint32_t mcu_msb32(uint32_t x)
{
    uint32_t n = 0;
    if (x == 0u) {
        return 32u;
    }
    while (x != 0u) {
        x >>= 1;
        ++n;
    }
    return n;
}

/* ---- SignalWindow: out = clamp_int16((in x window) >> shift), the window repeated over the frames ---- */
typedef struct {
    int32_t size;                  /* input elements (frames x window length)                   */
    int32_t window_size;
    int32_t shift;
    const int16_t *window;         /* [window_size]                                               */
} mcu_signal_window_params_t;

void mcu_signal_window_s16(const mcu_signal_window_params_t *p, const int16_t *in, int16_t *out);

/* ---- SignalFftAutoScale: shift left so the largest |value| fills int16; out_bits = the shift ---- */
void mcu_signal_fft_auto_scale_s16(int32_t size, const int16_t *in, int16_t *out, int32_t *out_bits);

/* ---- SignalRfft (int16): kiss_fft fixed-point real FFT of each zero-padded frame ---- */
typedef struct {
    int32_t frames;                /* frames in the input                                          */
    int32_t input_length;          /* samples per frame (<= fft_length, zero-padded)               */
    int32_t fft_length;            /* real FFT length; the complex FFT is fft_length / 2 points    */
    int32_t output_length;         /* complex bins written per frame (fft_length / 2 + 1)          */
    const int32_t *factors;        /* the complex FFT's stages: (radix, remaining length) pairs    */
    const int16_t *twiddles;       /* [fft_length / 2] complex (re, im)                            */
    const int16_t *super_twiddles; /* [fft_length / 4] complex: the real-FFT split                 */
} mcu_signal_rfft_params_t;

/* scratch: 2 x fft_length int16 (the padded frame, the complex FFT's output) */
void mcu_signal_rfft_s16(const mcu_signal_rfft_params_t *p, const int16_t *in, int16_t *scratch, int16_t *out);

/* ---- SignalEnergy: re^2 + im^2 of the bins [start, end); the other bins are written 0 ---- */
void mcu_signal_energy_s16(int32_t bins, int32_t start, int32_t end, const int16_t *in, uint32_t *out);

/* ---- SignalFilterBank: triangular mel channels over the energy spectrum, uint64 sums ---- */
typedef struct {
    int32_t num_channels;          /* output channels; the tables hold num_channels + 1 entries    */
    const int16_t *weights, *unweights;
    const int16_t *freq_starts, *weight_starts, *widths;
} mcu_signal_filter_bank_params_t;

void mcu_signal_filter_bank_u32(const mcu_signal_filter_bank_params_t *p, const uint32_t *in, uint64_t *out);

/* ---- SignalFilterBankSquareRoot: rounded square root, shifted right by the auto-scale bits ---- */
void mcu_signal_filter_bank_sqrt_u64(int32_t channels, const uint64_t *in, const int32_t *scale_bits,
                                     uint32_t *out);

/* ---- SignalFilterBankSpectralSubtraction: noise estimate, subtracted with a floor ---- */
typedef struct {
    int32_t num_channels;
    uint32_t smoothing, one_minus_smoothing;              /* even channels                   */
    uint32_t alt_smoothing, alt_one_minus_smoothing;      /* odd channels                    */
    int32_t smoothing_bits, spectral_subtraction_bits;
    uint32_t min_signal_remaining;
    int32_t clamping;
} mcu_signal_spectral_subtraction_params_t;

/* noise: num_channels uint32, the noise estimate, persistent (the model's state region): it carries over from
 * one call to the next, zero after <model>_reset() (TFLite Micro after a reset). */
void mcu_signal_spectral_subtraction_u32(const mcu_signal_spectral_subtraction_params_t *p, const uint32_t *in,
                                         uint32_t *noise, uint32_t *out, uint32_t *noise_out);

/* ---- SignalPCAN: per-channel automatic gain from the noise estimate, then the PCAN shrink ---- */
void mcu_signal_pcan_u32(int32_t channels, int32_t snr_shift, const int16_t *gain_lut, const uint32_t *in,
                         const uint32_t *noise, uint32_t *out);

/* ---- SignalFilterBankLog: fixed-point natural log, scaled, saturated to int16 ---- */
typedef struct {
    int32_t channels;
    int32_t input_correction_bits;
    uint32_t output_scale;
    uint32_t log_coeff;            /* ln(2) in Q16                                                 */
    const uint16_t *log_lut;       /* [130]: log2(1 + x) - x in Q16 at x = i / 128, then a 0     */
} mcu_signal_filter_bank_log_params_t;

void mcu_signal_filter_bank_log_u32(const mcu_signal_filter_bank_log_params_t *p, const uint32_t *in,
                                    int16_t *out);

/* ---- unquantised int32 ADD, MUL, DIV, MINIMUM, MAXIMUM (the front end's integer post-processing) ---- */
typedef struct {
    int32_t size;                  /* output elements                                              */
    int32_t a_step, b_step;        /* 1: elementwise; 0: the operand is a single value             */
    int32_t act_min, act_max;      /* the fused activation's clamp (ADD, MUL, DIV)                 */
} mcu_arith_s32_params_t;

void mcu_add_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out);
void mcu_mul_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out);
void mcu_div_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out);
void mcu_minimum_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out);
void mcu_maximum_s32(const mcu_arith_s32_params_t *p, const int32_t *a, const int32_t *b, int32_t *out);

#ifdef __cplusplus
}
#endif

#endif /* MCU_NN_SIGNAL_H */
