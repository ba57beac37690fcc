/*
 * SignalRfft, int16 (TFLite Micro signal library, rfft_int16.cc): the real FFT of each frame, zero-padded to
 * fft_length, as kiss_fft's 16-bit fixed-point kiss_fftr computes it: a complex FFT of fft_length / 2
 * points over the even/odd sample pairs (decimation in time, the stages given by `factors`, radix 4 and 2;
 * every butterfly first divides its inputs by its radix), then the split into fft_length / 2 + 1 bins.
 *
 * Fixed point: a product of two Q15 values is rounded back to Q15 as (a b + 2^14) >> 15 (a complex
 * product rounds each of its two sums); dividing by k multiplies by 32767 / k that way; additions keep the
 * low 16 bits. The twiddles are floor(0.5 + 32767 cos/sin(phase)), computed at compile time
 * (mcucompile/codegen/ops/signal.py).
 *
 * scratch: 2 x fft_length int16: the padded frame (read as fft_length / 2 complex values), then the
 * complex FFT's output.
 */
#include <string.h>

#include "mcu_nn.h"

typedef struct {
    int16_t r, i;
} cpx16_t;

static inline int16_t q15_round(int32_t wide)    /* wide: an int32 sum of Q30 products, wrapped as int32 */
{
    return (int16_t)(uint16_t)(uint32_t)((int32_t)((uint32_t)wide + (1u << 14)) >> 15);
}

static inline int32_t wrap_sum(int32_t a, int32_t b, int32_t sign)
{
    return (int32_t)(sign > 0 ? (uint32_t)a + (uint32_t)b : (uint32_t)a - (uint32_t)b);
}

static inline cpx16_t cmul(cpx16_t a, cpx16_t b)
{
    cpx16_t m;
    m.r = q15_round(wrap_sum((int32_t)a.r * b.r, (int32_t)a.i * b.i, -1));
    m.i = q15_round(wrap_sum((int32_t)a.r * b.i, (int32_t)a.i * b.r, 1));
    return m;
}

static inline int16_t s16(int32_t v)            /* the low 16 bits, as an int16 assignment keeps them */
{
    return (int16_t)(uint16_t)(uint32_t)v;
}

static inline cpx16_t cdiv(cpx16_t c, int32_t k)
{
    const int32_t f = 32767 / k;
    c.r = q15_round((int32_t)c.r * f);
    c.i = q15_round((int32_t)c.i * f);
    return c;
}

static inline cpx16_t cadd(cpx16_t a, cpx16_t b)
{
    cpx16_t c = {s16((int32_t)a.r + b.r), s16((int32_t)a.i + b.i)};
    return c;
}

static inline cpx16_t csub(cpx16_t a, cpx16_t b)
{
    cpx16_t c = {s16((int32_t)a.r - b.r), s16((int32_t)a.i - b.i)};
    return c;
}

static inline cpx16_t twiddle(const int16_t *tw, int32_t k)
{
    cpx16_t t = {tw[2 * k], tw[2 * k + 1]};
    return t;
}

static void radix2(cpx16_t *f, int32_t stride, const int16_t *tw, int32_t m)
{
    for (int32_t k = 0; k < m; k++) {
        f[k] = cdiv(f[k], 2);
        f[k + m] = cdiv(f[k + m], 2);
        const cpx16_t t = cmul(f[k + m], twiddle(tw, k * stride));
        f[k + m] = csub(f[k], t);
        f[k] = cadd(f[k], t);
    }
}

static void radix4(cpx16_t *f, int32_t stride, const int16_t *tw, int32_t m)
{
    for (int32_t k = 0; k < m; k++) {
        cpx16_t *a = f + k;
        a[0] = cdiv(a[0], 4);
        a[m] = cdiv(a[m], 4);
        a[2 * m] = cdiv(a[2 * m], 4);
        a[3 * m] = cdiv(a[3 * m], 4);
        const cpx16_t s0 = cmul(a[m], twiddle(tw, k * stride));
        const cpx16_t s1 = cmul(a[2 * m], twiddle(tw, 2 * k * stride));
        const cpx16_t s2 = cmul(a[3 * m], twiddle(tw, 3 * k * stride));
        const cpx16_t s5 = csub(a[0], s1);
        a[0] = cadd(a[0], s1);
        const cpx16_t s3 = cadd(s0, s2), s4 = csub(s0, s2);
        a[2 * m] = csub(a[0], s3);
        a[0] = cadd(a[0], s3);
        a[m].r = s16((int32_t)s5.r + s4.i);
        a[m].i = s16((int32_t)s5.i - s4.r);
        a[3 * m].r = s16((int32_t)s5.r - s4.i);
        a[3 * m].i = s16((int32_t)s5.i + s4.r);
    }
}

/* one stage: out[0 .. p m) from the input read every `stride` values; recursion over the later stages */
static void fft_stage(cpx16_t *out, const cpx16_t *in, int32_t stride, const int32_t *factors,
                      const int16_t *tw)
{
    const int32_t p = factors[0], m = factors[1];
    if (m == 1) {
        for (int32_t k = 0; k < p; k++) {
            out[k] = in[k * stride];
        }
    } else {
        for (int32_t k = 0; k < p; k++) {
            fft_stage(out + k * m, in + k * stride, stride * p, factors + 2, tw);
        }
    }
    if (p == 4) {
        radix4(out, stride, tw, m);
    } else {
        radix2(out, stride, tw, m);
    }
}

void mcu_signal_rfft_s16(const mcu_signal_rfft_params_t *p, const int16_t *in, int16_t *scratch, int16_t *out)
{
    const int32_t n = p->fft_length / 2;
    cpx16_t *frame = (cpx16_t *)(void *)scratch;
    cpx16_t *spec = (cpx16_t *)(void *)(scratch + p->fft_length);
    for (int32_t f = 0; f < p->frames; f++) {
        int16_t *y = out + 2 * f * p->output_length;
        memset(scratch, 0, (size_t)p->fft_length * sizeof(int16_t));
        memcpy(scratch, in + f * p->input_length, (size_t)p->input_length * sizeof(int16_t));
        fft_stage(spec, frame, 1, p->factors, p->twiddles);
        cpx16_t dc = cdiv(spec[0], 2);
        y[0] = s16((int32_t)dc.r + dc.i);
        y[1] = 0;
        y[2 * n] = s16((int32_t)dc.r - dc.i);
        y[2 * n + 1] = 0;
        for (int32_t k = 1; k <= n / 2; k++) {
            cpx16_t a = spec[k], b;
            b.r = spec[n - k].r;
            b.i = s16(-(int32_t)spec[n - k].i);
            a = cdiv(a, 2);
            b = cdiv(b, 2);
            const cpx16_t sum = cadd(a, b), diff = csub(a, b);
            const cpx16_t t = cmul(diff, twiddle(p->super_twiddles, k - 1));
            y[2 * k] = s16(((int32_t)sum.r + t.r) >> 1);
            y[2 * k + 1] = s16(((int32_t)sum.i + t.i) >> 1);
            y[2 * (n - k)] = s16(((int32_t)sum.r - t.r) >> 1);
            y[2 * (n - k) + 1] = s16(((int32_t)t.i - sum.i) >> 1);
        }
    }
}
