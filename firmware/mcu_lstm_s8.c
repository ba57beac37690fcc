/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM with int8 activations and weights, int32 biases and an int16 cell state:
 * TFLite Micro's integer LSTM (kernels/lstm_eval.h), bit-exact.
 *
 * Per time step and gate: two fully connected layers to int16 at scale 2^-12 (the input x the gate's input
 * weights plus its bias; the hidden state x the recurrent weights, no bias), added with int16 saturation,
 * then the int16 sigmoid (input, forget, output gates) or tanh (cell gate). Then the cell state
 * c = sat16(forget * c + input * cell_gate) (two int16 x int16 -> int16 multiplications with their own
 * multipliers), clipped when the model asks; then the hidden state h = output * tanh(c) -> int8 around the
 * hidden state's zero point, which is also the step's output.
 *
 * The cell state (int16) and the hidden state (int8), batch x state elements each, are the model's variable
 * tensors: they live in the persistent state region and carry over from one invoke to the next, as TFLite
 * Micro's (zero, h at its zero point, after <model>_reset()). Scratch: the 4 gate buffers (int16, batch x
 * state elements each; mcucompile/kernels/lstm.py).
 */
#include <string.h>

#include "mcu_nn.h"

/* sigmoid(i / 24) in unsigned 0.16 fixed point, i = 0..255, the table TFLite Micro's int16 Logistic and
 * Tanh interpolate, with its rounding (which bit-exactness requires): derived by bench/derive_lstm_tables.py
 * from the tflite-micro interpreter's int16 LOGISTIC and TANH outputs for all 65,536 inputs at a few input
 * scales (tests/test_lstm.py re-derives it and checks this initialiser) */
static const uint16_t lstm_sigmoid_q16[256] = {
    0x8000, 0x82AB, 0x8555, 0x87FD, 0x8AA5, 0x8D49, 0x8FEB, 0x9289, 0x9524, 0x97B9, 0x9A4A, 0x9CD5,
    0x9F5A, 0xA1D8, 0xA450, 0xA6C0, 0xA928, 0xAB88, 0xADDF, 0xB02E, 0xB273, 0xB4AF, 0xB6E1, 0xB909,
    0xBB27, 0xBD3B, 0xBF44, 0xC143, 0xC337, 0xC520, 0xC6FE, 0xC8D1, 0xCA99, 0xCC57, 0xCE09, 0xCFB1,
    0xD14D, 0xD2DF, 0xD466, 0xD5E3, 0xD755, 0xD8BD, 0xDA1A, 0xDB6E, 0xDCB7, 0xDDF7, 0xDF2D, 0xE059,
    0xE17C, 0xE297, 0xE3A8, 0xE4B0, 0xE5B0, 0xE6A8, 0xE798, 0xE87F, 0xE95F, 0xEA37, 0xEB08, 0xEBD2,
    0xEC95, 0xED51, 0xEE07, 0xEEB6, 0xEF5F, 0xF001, 0xF09F, 0xF136, 0xF1C8, 0xF254, 0xF2DC, 0xF35E,
    0xF3DC, 0xF455, 0xF4CA, 0xF53A, 0xF5A6, 0xF60E, 0xF672, 0xF6D2, 0xF72F, 0xF788, 0xF7DE, 0xF830,
    0xF87F, 0xF8CB, 0xF915, 0xF95B, 0xF99F, 0xF9E0, 0xFA1E, 0xFA5A, 0xFA94, 0xFACC, 0xFB01, 0xFB34,
    0xFB65, 0xFB95, 0xFBC2, 0xFBEE, 0xFC18, 0xFC40, 0xFC66, 0xFC8C, 0xFCAF, 0xFCD1, 0xFCF2, 0xFD12,
    0xFD30, 0xFD4D, 0xFD69, 0xFD84, 0xFD9E, 0xFDB6, 0xFDCE, 0xFDE5, 0xFDFB, 0xFE0F, 0xFE24, 0xFE37,
    0xFE49, 0xFE5B, 0xFE6C, 0xFE7D, 0xFE8C, 0xFE9B, 0xFEAA, 0xFEB8, 0xFEC5, 0xFED2, 0xFEDE, 0xFEEA,
    0xFEF5, 0xFF00, 0xFF0B, 0xFF15, 0xFF1E, 0xFF27, 0xFF30, 0xFF39, 0xFF41, 0xFF48, 0xFF50, 0xFF57,
    0xFF5E, 0xFF65, 0xFF6B, 0xFF71, 0xFF77, 0xFF7C, 0xFF82, 0xFF87, 0xFF8C, 0xFF91, 0xFF95, 0xFF99,
    0xFF9E, 0xFFA2, 0xFFA5, 0xFFA9, 0xFFAD, 0xFFB0, 0xFFB3, 0xFFB6, 0xFFB9, 0xFFBC, 0xFFBF, 0xFFC2,
    0xFFC4, 0xFFC7, 0xFFC9, 0xFFCB, 0xFFCD, 0xFFD0, 0xFFD1, 0xFFD3, 0xFFD5, 0xFFD7, 0xFFD9, 0xFFDA,
    0xFFDC, 0xFFDD, 0xFFDF, 0xFFE0, 0xFFE1, 0xFFE3, 0xFFE4, 0xFFE5, 0xFFE6, 0xFFE7, 0xFFE8, 0xFFE9,
    0xFFEA, 0xFFEB, 0xFFEC, 0xFFED, 0xFFED, 0xFFEE, 0xFFEF, 0xFFF0, 0xFFF0, 0xFFF1, 0xFFF2, 0xFFF2,
    0xFFF3, 0xFFF3, 0xFFF4, 0xFFF4, 0xFFF5, 0xFFF5, 0xFFF6, 0xFFF6, 0xFFF6, 0xFFF7, 0xFFF7, 0xFFF8,
    0xFFF8, 0xFFF8, 0xFFF9, 0xFFF9, 0xFFF9, 0xFFF9, 0xFFFA, 0xFFFA, 0xFFFA, 0xFFFA, 0xFFFB, 0xFFFB,
    0xFFFB, 0xFFFB, 0xFFFB, 0xFFFC, 0xFFFC, 0xFFFC, 0xFFFC, 0xFFFC, 0xFFFC, 0xFFFD, 0xFFFD, 0xFFFD,
    0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE, 0xFFFE,
    0xFFFE, 0xFFFE, 0xFFFE, 0xFFFF,
};

static inline int16_t lstm_sat16(int32_t v)
{
    return (int16_t)mcu_clamp(v, -32768, 32767);
}

/* int16 sigmoid of TFLite's reference Logistic with an input multiplier of 3 (input at scale 2^-12) */
static int16_t lstm_sigmoid(int16_t x)
{
    const int32_t v = 3 * (int32_t)x;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 9;
    uint32_t r;
    if (hi >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t lo = lstm_sigmoid_q16[hi], up = lstm_sigmoid_q16[hi + 1];
        r = (lo << 9) + (a & 0x1FFu) * (up - lo);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

/* int16 tanh of TFLite's reference Tanh: the input scaled by (x * mult + round) >> shift first */
static int16_t lstm_tanh(int16_t x, int32_t mult, int32_t shift)
{
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const int32_t v = ((int32_t)x * mult + round) >> shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t hi = a >> 8;
    int32_t r;
    if (hi >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        const uint32_t lo = lstm_sigmoid_q16[hi], up = lstm_sigmoid_q16[hi + 1];
        r = (int32_t)((lo << 8) + (a & 0xFFu) * (up - lo));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

/* out[r, o] = sat16(requant(sum_d (w[o, d] + w_offset) (x[r, d] + x_offset) + bias[o])), rows x n_out */
static void lstm_fc(const int8_t *x, int32_t rows, int32_t depth, int32_t x_offset, const int8_t *w,
                    int32_t w_offset, const int32_t *bias, int32_t mult, int32_t shift, int32_t n_out,
                    int16_t *out)
{
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *xr = x + r * depth;
        for (int32_t o = 0; o < n_out; o++) {
            const int8_t *wo = w + o * depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < depth; d++) {
                acc += ((int32_t)wo[d] + w_offset) * ((int32_t)xr[d] + x_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            out[r * n_out + o] = lstm_sat16(mcu_requant(acc, mult, shift));
        }
    }
}

/* one gate for `rows` rows: FC(input) + FC(hidden), saturated, then its non-linearity, into out */
static void lstm_gate(const mcu_lstm_params_t *p, int32_t g, const int8_t *x, const int8_t *h, int32_t rows,
                      int16_t *out, int16_t *tmp)
{
    const int32_t n = rows * p->state_dim;
    lstm_fc(x, rows, p->input_dim, p->input_offset, p->in_w[g], p->in_w_offset[g], p->bias[g], p->in_mult[g],
            p->in_shift[g], p->state_dim, out);
    lstm_fc(h, rows, p->state_dim, p->hidden_offset, p->rec_w[g], p->rec_w_offset[g], NULL, p->rec_mult[g],
            p->rec_shift[g], p->state_dim, tmp);
    for (int32_t i = 0; i < n; i++) {
        const int16_t s = lstm_sat16((int32_t)out[i] + (int32_t)tmp[i]);
        out[i] = g == MCU_LSTM_CELL ? lstm_tanh(s, p->gate_tanh_mult, p->gate_tanh_shift) : lstm_sigmoid(s);
    }
}

/* (a * b) requantised, plus offset, clamped to [lo, hi] (TFLite's MulElementwise, symmetric inputs) */
static inline int32_t lstm_mul(int16_t a, int16_t b, int32_t mult, int32_t shift, int32_t offset, int32_t lo,
                               int32_t hi)
{
    return mcu_clamp(offset + mcu_requant((int32_t)a * (int32_t)b, mult, shift), lo, hi);
}

/* one time step of `rows` rows (x: rows x input_dim; h, c: rows x state_dim), the new h copied to out */
static void lstm_step(const mcu_lstm_params_t *p, const int8_t *x, int8_t *h, int16_t *c, int32_t rows,
                      int16_t *gates, int8_t *out)
{
    const int32_t n = rows * p->state_dim;
    const int32_t stride = p->batch * p->state_dim;
    int16_t *ig = gates, *fg = gates + stride, *cg = gates + 2 * stride, *tmp = gates + 3 * stride;
    lstm_gate(p, MCU_LSTM_FORGET, x, h, rows, fg, tmp);
    lstm_gate(p, MCU_LSTM_INPUT, x, h, rows, ig, tmp);
    lstm_gate(p, MCU_LSTM_CELL, x, h, rows, cg, tmp);
    for (int32_t i = 0; i < n; i++) {
        const int32_t kept = lstm_mul(fg[i], c[i], p->forget_mult, p->forget_shift, 0, -32768, 32767);
        const int32_t added = lstm_mul(ig[i], cg[i], p->input_mult, p->input_shift, 0, -32768, 32767);
        int32_t v = lstm_sat16(kept + added);
        if (p->use_cell_clip) {
            v = mcu_clamp(v, -p->cell_clip, p->cell_clip);
        }
        c[i] = (int16_t)v;
    }
    int16_t *og = ig;                               /* the input gate is spent */
    lstm_gate(p, MCU_LSTM_OUTPUT, x, h, rows, og, tmp);
    for (int32_t i = 0; i < n; i++) {
        const int16_t t = lstm_tanh(c[i], p->cell_tanh_mult, p->cell_tanh_shift);
        h[i] = (int8_t)lstm_mul(t, og[i], p->output_mult, p->output_shift, p->hidden_zero_point, -128, 127);
    }
    memcpy(out, h, (size_t)n);
}

void mcu_lstm_s8(const mcu_lstm_params_t *p, const int8_t *in, int16_t *scratch, int16_t *cell, int8_t *hidden,
                 int8_t *out)
{
    const int32_t B = p->batch, T = p->time_steps, I = p->input_dim, S = p->state_dim;
    int16_t *gates = scratch;
    if (p->time_major) {                            /* [T, B, I]: all rows of a time step at once */
        for (int32_t t = 0; t < T; t++) {
            lstm_step(p, in + t * B * I, hidden, cell, B, gates, out + t * B * S);
        }
        return;
    }
    for (int32_t b = 0; b < B; b++) {               /* [B, T, I]: one sequence after the other */
        for (int32_t t = 0; t < T; t++) {
            lstm_step(p, in + (b * T + t) * I, hidden + b * S, cell + b * S, 1, gates, out + (b * T + t) * S);
        }
    }
}
