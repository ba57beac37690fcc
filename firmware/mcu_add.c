/* Elementwise ADD, int8, with broadcasting up to MCU_MAX_DIMS dimensions (TFLite reference arithmetic).
 *
 * Both inputs are rescaled to a common scale with `left_shift` bits of headroom, added, and the sum is
 * requantised to the output. Broadcasting is expressed by element strides of 0 (computed at compile
 * time), so the same loop serves the plain elementwise case (rank 1, strides 1). The three
 * requantisations split their per-tensor part off once per call (mcu_rq_channel, exact; the plain
 * mcu_requant in MCU_NN_REFERENCE builds).
 */
#include "mcu_nn.h"
#include "mcu_simd.h"

typedef struct {
    mcu_rq_t in1, in2, out;
    int32_t in1_offset, in2_offset, left_shift, output_offset, act_min, act_max;
} add_consts_t;

static inline int8_t add_one(const add_consts_t *k, int32_t a, int32_t b)
{
    const int32_t x1 = (a + k->in1_offset) * ((int32_t)1 << k->left_shift);
    const int32_t x2 = (b + k->in2_offset) * ((int32_t)1 << k->left_shift);
    const int32_t s1 = mcu_rq_apply(&k->in1, x1);
    const int32_t s2 = mcu_rq_apply(&k->in2, x2);
    const int32_t y = mcu_rq_apply(&k->out, s1 + s2) + k->output_offset;
    return (int8_t)mcu_clamp(y, k->act_min, k->act_max);
}

void mcu_add_s8(const mcu_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    const int32_t rank = p->rank;
    const int32_t last = rank - 1;
    const int32_t n = p->out_dims[last];
    const int32_t st1 = p->in1_strides[last];
    const int32_t st2 = p->in2_strides[last];
    int32_t idx[MCU_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
    size_t off1 = 0, off2 = 0, o = 0;
    int32_t outer = 1;
    const add_consts_t k = {mcu_rq_channel(p->in1_mult, p->in1_shift), mcu_rq_channel(p->in2_mult, p->in2_shift),
                            mcu_rq_channel(p->out_mult, p->out_shift), p->in1_offset, p->in2_offset,
                            p->left_shift, p->output_offset, p->act_min, p->act_max};
    for (int32_t d = 0; d < last; ++d) {
        outer *= p->out_dims[d];
    }
    for (int32_t r = 0; r < outer; ++r) {
        /* innermost dimension */
        const int8_t *a = in1 + off1;
        const int8_t *b = in2 + off2;
        for (int32_t i = 0; i < n; ++i) {
            out[o++] = add_one(&k, a[(ptrdiff_t)i * st1], b[(ptrdiff_t)i * st2]);
        }
        /* odometer over the outer dimensions */
        for (int32_t d = last - 1; d >= 0; --d) {
            off1 += (size_t)p->in1_strides[d];
            off2 += (size_t)p->in2_strides[d];
            if (++idx[d] < p->out_dims[d]) {
                break;
            }
            idx[d] = 0;
            off1 -= (size_t)p->in1_strides[d] * (size_t)p->out_dims[d];
            off2 -= (size_t)p->in2_strides[d] * (size_t)p->out_dims[d];
        }
    }
}
