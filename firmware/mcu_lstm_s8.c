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

#include "mcu_sigmoid_s16.h"

static inline int16_t lstm_sat16(int32_t v)
{
    return (int16_t)mcu_clamp(v, -32768, 32767);
}

/* int16 sigmoid of TFLite's reference Logistic with an input multiplier of 3 (input at scale 2^-12) */
static int16_t lstm_sigmoid(int16_t x)
{
    return mcu_sigmoid_s16_one(x, 3, 0);
}

/* int16 tanh of TFLite's reference Tanh: the input scaled by (x * mult + round) >> shift first */
static int16_t lstm_tanh(int16_t x, int32_t mult, int32_t shift)
{
    return mcu_tanh_s16_one(x, mult, shift);
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
