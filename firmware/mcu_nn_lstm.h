/*
 * mcu_nn_lstm.h - part of mcu_nn.h (which includes it): TFLite Micro's integer UNIDIRECTIONAL_SEQUENCE_LSTM,
 * int8 activations and weights, int16 cell state (firmware/mcu_lstm_s8.c).
 */
#ifndef MCU_NN_LSTM_H
#define MCU_NN_LSTM_H

#include <stdint.h>

/* ---- UNIDIRECTIONAL_SEQUENCE_LSTM: int8 activations, int16 cell state (TFLite Micro's integer LSTM) ---- */

enum { MCU_LSTM_INPUT = 0, MCU_LSTM_FORGET = 1, MCU_LSTM_CELL = 2, MCU_LSTM_OUTPUT = 3 };   /* gate index */

typedef struct {
    int32_t batch, time_steps, input_dim, state_dim;
    int32_t time_major;                    /* 1: input [T, B, I], output [T, B, S]; 0: [B, T, I], [B, T, S] */
    int32_t input_offset;                  /* -input zero point                                        */
    int32_t hidden_offset;                 /* -hidden state zero point (the recurrent FCs' input)       */
    int32_t hidden_zero_point;             /* the hidden state's start value and output offset         */
    const int8_t *in_w[4];                 /* per gate: input weights [S, I]                           */
    const int8_t *rec_w[4];                /* per gate: recurrent weights [S, S]                       */
    const int32_t *bias[4];                /* per gate: bias [S] (of the input FC)                     */
    int32_t in_w_offset[4], rec_w_offset[4];                 /* -weights zero points                 */
    int32_t in_mult[4], in_shift[4], rec_mult[4], rec_shift[4];   /* FC -> int16 at scale 2^-12       */
    int32_t gate_tanh_mult, gate_tanh_shift;                 /* the cell gate's tanh input scaling   */
    int32_t cell_tanh_mult, cell_tanh_shift;                 /* tanh(cell state) input scaling       */
    int32_t forget_mult, forget_shift;     /* forget gate x cell state -> cell state                   */
    int32_t input_mult, input_shift;       /* input gate x cell gate -> cell state                     */
    int32_t output_mult, output_shift;     /* output gate x tanh(cell) -> hidden state (int8)          */
    int32_t use_cell_clip, cell_clip;      /* clip the cell state to [-cell_clip, cell_clip]           */
} mcu_lstm_params_t;

/* scratch: 8 x batch x state_dim bytes (4 int16 gate buffers); cell (int16) and hidden (int8) state:
 * batch x state_dim each, persistent between invokes */
void mcu_lstm_s8(const mcu_lstm_params_t *p, const int8_t *in, int16_t *scratch, int16_t *cell, int8_t *hidden,
                 int8_t *out);

#endif /* MCU_NN_LSTM_H */
