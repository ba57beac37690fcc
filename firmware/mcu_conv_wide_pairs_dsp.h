/*
 * The wide engine's inline assembly on the pair-interleaved int8 filter (conv_*_wide_pairs: mcu_conv_wide_pairs_dsp.c,
 * the filter's layout in mcu_nn_pairs.h), included by mcu_conv_wide_dsp.h where its assembly is built (GCC with
 * optimisation, no frame pointer; the operands as WIDE4_GROUP's: 8 accumulators a00..a31, x, w, ta, tb, xv, xw).
 */
#ifndef MCU_CONV_WIDE_PAIRS_DSP_H
#define MCU_CONV_WIDE_PAIRS_DSP_H

/* The int8 filter pair-interleaved at compile time (conv_*_wide_pairs, mcu_nn_pairs.h: per pair of channels (oc, oc1)
 * and group of 4 window elements e0..e3, the word [oc e0, oc1 e0, oc e2, oc1 e2] then [oc e1, oc1 e1, oc e3, oc1 e3]):
 * one pointer w (advanced by 4 a half group) and one weight word a half group, whose SXTB16 gives oc's (e0, e2) and
 * SXTB16 ROR #8 oc1's, so that the word and the block's first two words load in one run (LDR after LDR: 1 cycle):
 * 17 cycles a half group (16 MACs). The block is widened without doubling (the sums are doubled before the output
 * stage: WIDE4I_DBL). WIDE4I_HALF: the weight word at w (post-incremented by 4) against the block's words at x0..x3. */
#define WIDE4I_HALF(x0, x1, x2, x3)                                                                   \
    "ldr    %[ta], [%[w]], #4\n\t"                                                                    \
    "ldr    %[xv], " x0 "\n\t"                                                                        \
    "ldr    %[xw], " x1 "\n\t"                                                                        \
    "sxtb16 %[tb], %[ta], ror #8\n\t"                                                                 \
    "sxtb16 %[ta], %[ta]\n\t"                                                                         \
    "smlad  %[a00], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xv], %[tb], %[a01]\n\t"                                                         \
    "smlad  %[a10], %[xw], %[ta], %[a10]\n\t"                                                         \
    "smlad  %[a11], %[xw], %[tb], %[a11]\n\t"                                                         \
    "ldr    %[xv], " x2 "\n\t"                                                                        \
    "ldr    %[xw], " x3 "\n\t"                                                                        \
    "smlad  %[a20], %[xv], %[ta], %[a20]\n\t"                                                         \
    "smlad  %[a21], %[xv], %[tb], %[a21]\n\t"                                                         \
    "smlad  %[a30], %[xw], %[ta], %[a30]\n\t"                                                         \
    "smlad  %[a31], %[xw], %[tb], %[a31]\n\t"
/* the second half (x already advanced by 32) */
#define WIDE4I_ODD_HALF WIDE4I_HALF("[%[x], #-16]", "[%[x], #-12]", "[%[x], #-8]", "[%[x], #-4]")
#define WIDE4I_GROUP                                                                                  \
    WIDE4I_HALF("[%[x]], #32", "[%[x], #-28]", "[%[x], #-24]", "[%[x], #-20]")                        \
    WIDE4I_ODD_HALF
/* the first group when a00 / a01 hold the biases (as WIDE4_FIRST) */
#define WIDE4I_FIRST                                                                                  \
    "ldr    %[ta], [%[w]], #4\n\t"                                                                    \
    "ldr    %[xv], [%[x], #4]\n\t"                                                                    \
    "ldr    %[xw], [%[x], #8]\n\t"                                                                    \
    "sxtb16 %[tb], %[ta], ror #8\n\t"                                                                 \
    "sxtb16 %[ta], %[ta]\n\t"                                                                         \
    "smlad  %[a10], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a11], %[xv], %[tb], %[a01]\n\t"                                                         \
    "smlad  %[a20], %[xw], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a21], %[xw], %[tb], %[a01]\n\t"                                                         \
    "ldr    %[xv], [%[x], #12]\n\t"                                                                   \
    "ldr    %[xw], [%[x]], #32\n\t"                                                                   \
    "smlad  %[a30], %[xv], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a31], %[xv], %[tb], %[a01]\n\t"                                                         \
    "smlad  %[a00], %[xw], %[ta], %[a00]\n\t"                                                         \
    "smlad  %[a01], %[xw], %[tb], %[a01]\n\t"                                                         \
    WIDE4I_ODD_HALF
/* the groups of a pair: 8 per iteration, entered (TBH on `entry`: 0..7 the group that leaves a multiple of 8 for
 * the iterations after the first, 8 no group) and left when x reaches xend */
#define WIDE4I_LOOP(entry)                                                                            \
    "ldr    %[ta], %[" entry "]\n\t"                                                                  \
    "tbh    [pc, %[ta], lsl #1]\n\t"                                                                  \
    "0:\n\t"                                                                                          \
    ".hword (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2, (4f - 0b) / 2, (5f - 0b) / 2\n\t"            \
    ".hword (6f - 0b) / 2, (7f - 0b) / 2, (8f - 0b) / 2, (9f - 0b) / 2\n\t"                           \
    "1:\n\t" WIDE4I_GROUP                                                                             \
    "2:\n\t" WIDE4I_GROUP                                                                             \
    "3:\n\t" WIDE4I_GROUP                                                                             \
    "4:\n\t" WIDE4I_GROUP                                                                             \
    "5:\n\t" WIDE4I_GROUP                                                                             \
    "6:\n\t" WIDE4I_GROUP                                                                             \
    "7:\n\t" WIDE4I_GROUP                                                                             \
    "8:\n\t" WIDE4I_GROUP                                                                             \
    "ldr    %[ta], %[xend]\n\t"                                                                       \
    "cmp    %[x], %[ta]\n\t"                                                                          \
    "bne    1b\n\t"                                                                                   \
    "9:\n\t"
/* the sums doubled for the output stage (the block was widened without doubling) */
#define WIDE4I_DBL                                                                                    \
    "add    %[a00], %[a00], %[a00]\n\t"                                                               \
    "add    %[a10], %[a10], %[a10]\n\t"                                                               \
    "add    %[a20], %[a20], %[a20]\n\t"                                                               \
    "add    %[a30], %[a30], %[a30]\n\t"                                                               \
    "add    %[a01], %[a01], %[a01]\n\t"                                                               \
    "add    %[a11], %[a11], %[a11]\n\t"                                                               \
    "add    %[a21], %[a21], %[a21]\n\t"                                                               \
    "add    %[a31], %[a31], %[a31]\n\t"
/* The output stage of one channel of the pair (as WIDE4_REQ_R): its m and shift read through the pointers at %[mp],
 * %[shp] (each advanced by 4 and stored back), y0..y3 by mcu_rqd_apply and SSAT #8 (mcu_conv_wide_dsp.h's WIDE4P_RQ4
 * on WIDE4I_RQ_SUB), left in y0..y3 (w holds m, xw e, ta c; x a temporary) */
#define WIDE4I_RQ_SUB(y)                                                                              \
    "smmlar %[x], %[" y "], %[w], %[ta]\n\t"                                                          \
    "sub    %[" y "], %[x], %[" y "], lsr #31\n\t"
#define WIDE4I_RQ(y0, y1, y2, y3)                                                                     \
    "ldr    %[ta], %[mp]\n\t"                                                                         \
    "ldr    %[tb], %[shp]\n\t"                                                                        \
    "ldr    %[w], [%[ta]], #4\n\t"                                                                    \
    "ldr    %[xw], [%[tb]], #4\n\t"                                                                   \
    "ldr    %[xv], %[kc]\n\t"                                                                         \
    "str    %[ta], %[mp]\n\t"                                                                         \
    "str    %[tb], %[shp]\n\t"                                                                        \
    "mvn    %[ta], %[xw]\n\t"                                                                         \
    "lsl    %[ta], %[xv], %[ta]\n\t"                                                                  \
    "rsb    %[xw], %[xw], #0\n\t"                                                                     \
    WIDE4P_RQ4(WIDE4I_RQ_SUB, y0, y1, y2, y3)
/* Every pair of channels of a block of 4 pixels in one loop (no C between pairs): per pair its biases through
 * %[bp] (advanced by 8), the groups (WIDE4I_FIRST, WIDE4I_LOOP: w runs on from pair to pair, the filter's pairs
 * being consecutive), the sums doubled, both channels' output stages (WIDE4I_RQ; w kept at %[wsave] meanwhile) and
 * per pixel q the two bytes merged (BFI) into one STRH at %[ob] + q os (%[ob] advanced by 2), until w reaches
 * %[wend]. Labels 0..10. */
#define WIDE4I_ALL                                                                                    \
    "10:\n\t"                                                                                         \
    "ldr    %[ta], %[bp]\n\t"                                                                         \
    "ldr    %[x], %[xbeg]\n\t"                                                                        \
    "ldrd   %[a00], %[a01], [%[ta]], #8\n\t"                                                          \
    "str    %[ta], %[bp]\n\t"                                                                         \
    WIDE4I_FIRST                                                                                      \
    WIDE4I_LOOP("entry81")                                                                            \
    WIDE4I_DBL                                                                                        \
    "str    %[w], %[wsave]\n\t"                                                                       \
    WIDE4I_RQ("a00", "a10", "a20", "a30")                                                             \
    WIDE4I_RQ("a01", "a11", "a21", "a31")                                                             \
    "ldr    %[ta], %[ob]\n\t"                                                                         \
    "ldr    %[tb], %[os]\n\t"                                                                         \
    "bfi    %[a00], %[a01], #8, #8\n\t"                                                               \
    "bfi    %[a10], %[a11], #8, #8\n\t"                                                               \
    "bfi    %[a20], %[a21], #8, #8\n\t"                                                               \
    "bfi    %[a30], %[a31], #8, #8\n\t"                                                               \
    "strh   %[a00], [%[ta]]\n\t"                                                                      \
    "strh   %[a10], [%[ta], %[tb]]\n\t"                                                               \
    "add    %[x], %[ta], %[tb], lsl #1\n\t"                                                           \
    "strh   %[a20], [%[x]]\n\t"                                                                       \
    "strh   %[a30], [%[x], %[tb]]\n\t"                                                                \
    "add    %[ta], %[ta], #2\n\t"                                                                     \
    "str    %[ta], %[ob]\n\t"                                                                         \
    "ldr    %[w], %[wsave]\n\t"                                                                       \
    "ldr    %[ta], %[wend]\n\t"                                                                       \
    "cmp    %[w], %[ta]\n\t"                                                                          \
    "bne    10b\n\t"
#define WIDE4I_OUTPUTS                                                                                \
    : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [a20] "+r"(a20),            \
      [a21] "+r"(a21), [a30] "+r"(a30), [a31] "+r"(a31), [x] "+r"(x), [w] "+r"(w0), [xw] "=&r"(xw),   \
      [ta] "=&r"(ta), [tb] "=&r"(tb), [xv] "=&r"(xv)

#endif /* MCU_CONV_WIDE_PAIRS_DSP_H */
