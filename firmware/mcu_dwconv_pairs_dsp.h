/*
 * mcu_dwconv_pairs_dsp.h - internal to mcu_dwconv_groups.c, which includes it after dw_group_t and its helpers:
 * DWG_PAIRS, the DSP cores' inline assembly for two neighbouring output pixels of a channel group (each input word
 * widened once for both pixels, the input offset folded into the bias). Its operands declare every read: the
 * group (g_) and the input windows (x_, as an array of unknown extent); the outputs are stored in C.
 */
#ifndef MCU_DWCONV_PAIRS_DSP_H
#define MCU_DWCONV_PAIRS_DSP_H
#if defined(DWG_HAVE_PAIRS)
/*
 * The doubled sums of two neighbouring pixels (a: the window at x, b: the one SW columns on) of a K x K
 * filter whose windows are all inside, dilation 1 (K 3 or 5, SW 1 or 2; g->pairs): inline assembly holding
 * the 8 sums in registers (all 14 allocatable registers; builds with -fno-omit-frame-pointer define
 * MCU_NN_NO_ASM and take dwg_sums one pixel at a time). The input offset is in the bias (bias_in: every
 * tap is inside), so a row's K + SW input words are widened by SXTB16 alone, once each, and feed both
 * windows; the words' offsets from x come from g->xoff (PITCH 0), or are immediates (dwg_padded's map: 4-byte
 * pixels, rows PITCH words apart). The columns j of a row go by j mod SW, then j,
 * and a column serves b (tap j - SW) before a (tap j): b's tap is the one a took at the previous column,
 * still in registers, so each filter tap is loaded once (LDRD) per row for both pixels. Then dwg_pack for
 * both pixels with each channel's constants loaded once, and the two words stored. Per 2 pixels of a 3x3
 * at stride 1: 6 to set up the sums, 12 words (LDR offset, LDR, 2 SXTB16), 9 LDRD, 72 SMLAxy, 57 to
 * requantise, pack and clamp (191; the loop around it ~9); stride 2: 15 words.
 */
/* the layout the assembly relies on: mcu_rqd_t is {mult, c, e}; span4 follows lo4 (one LDRD) */
typedef char dwg_layout_ok[(sizeof(mcu_rqd_t) == 12 && offsetof(mcu_rqd_t, c) == 4 && offsetof(mcu_rqd_t, e) == 8
                            && offsetof(dw_group_t, span4) == offsetof(dw_group_t, lo4) + 4) ? 1 : -1];
/* mcu_rqd_apply (rq2[J]: mult, c, e) and USAT #8 of channel J of both pixels, in place; without the SUB (NS, the
 * operand ns: mcu_rqd_apply_clamped) where the activation's lower bound is at least the output zero point (the offset
 * folded into c, output offset - act_min, is then <= 0 and USAT's lower bound 0 does the clamping) */
#define DWG_PAIR_RQ(J, aj, bj)                                                      \
    "ldrd   %[wa], %[wb], [%[g], #%c[rq] + 12 * " #J "]\n\t"                        \
    "ldr    %[t0], [%[g], #%c[rq] + 12 * " #J " + 8]\n\t"                           \
    "smmlar %[t1], " aj ", %[wa], %[wb]\n\t"                                        \
    ".if %c[ns] == 0\n\t"                                                           \
    "sub    %[t1], %[t1], " aj ", lsr #31\n\t"                                      \
    ".endif\n\t"                                                                    \
    "asr    %[t1], %[t1], %[t0]\n\t"                                                \
    "usat   " aj ", #8, %[t1]\n\t"                                                  \
    "smmlar %[t1], " bj ", %[wa], %[wb]\n\t"                                        \
    ".if %c[ns] == 0\n\t"                                                           \
    "sub    %[t1], %[t1], " bj ", lsr #31\n\t"                                      \
    ".endif\n\t"                                                                    \
    "asr    %[t1], %[t1], %[t0]\n\t"                                                \
    "usat   " bj ", #8, %[t1]\n\t"
#define DWG_PAIRS_AT(NO, K, SW, PITCH, BI, XO, W, NS, g_, x_, oa_, ob_)                               \
    do {                                                                                                  \
        uint32_t t0_, t1_, wa_, wb_;                                                                      \
        uint32_t a0_, a1_, a2_, a3_, b0_, b1_, b2_, b3_;                                                  \
        __asm__(".set dwg_k, %c[k]\n\t"                                                                   \
                ".set dwg_sw, %c[sw]\n\t"                                                                 \
                "ldrd   %[a0], %[a1], [%[g], #%c[bi]]\n\t"                                                \
                "ldrd   %[a2], %[a3], [%[g], #%c[bi] + 8]\n\t"                                            \
                "mov    %[b0], %[a0]\n\t"                                                                 \
                "mov    %[b1], %[a1]\n\t"                                                                 \
                "mov    %[b2], %[a2]\n\t"                                                                 \
                "mov    %[b3], %[a3]\n\t"                                                                 \
                ".set dwg_r, 0\n\t"                                                                       \
                ".rept %c[no]\n\t"                                                                        \
                ".set dwg_p, 0\n\t"                                                                       \
                ".rept dwg_sw\n\t"                                                                        \
                ".set dwg_j, dwg_p\n\t"                                                                   \
                ".rept (dwg_k + 2 * dwg_sw - 1 - dwg_p) / dwg_sw\n\t"                                     \
                ".if dwg_r + dwg_j == 0\n\t"                                                              \
                "ldr    %[t0], [%[x]]\n\t"                                                                \
                ".elseif %c[pitch]\n\t" /* rows PITCH words apart, 4-byte pixels: immediate offsets */   \
                "ldr    %[t0], [%[x], #4 * (dwg_r * %c[pitch] + dwg_j)]\n\t"                              \
                ".else\n\t"                                                                               \
                "ldr    %[t0], [%[g], #%c[xo] + 4 * (dwg_r * (dwg_k + dwg_sw) + dwg_j)]\n\t"              \
                "ldr    %[t0], [%[x], %[t0]]\n\t"                                                         \
                ".endif\n\t"                                                                              \
                "sxtb16 %[t1], %[t0]\n\t"                                                                 \
                "sxtb16 %[t0], %[t0], ror #8\n\t"                                                         \
                ".if dwg_j >= dwg_sw\n\t" /* b's tap j - SW: the one a took at the previous column */     \
                "smlabb %[b0], %[t1], %[wa], %[b0]\n\t"                                                   \
                "smlatt %[b2], %[t1], %[wa], %[b2]\n\t"                                                   \
                "smlabb %[b1], %[t0], %[wb], %[b1]\n\t"                                                   \
                "smlatt %[b3], %[t0], %[wb], %[b3]\n\t"                                                   \
                ".endif\n\t"                                                                              \
                ".if dwg_j < dwg_k\n\t"                                                                   \
                "ldrd   %[wa], %[wb], [%[g], #%c[w] + 8 * (dwg_r * dwg_k + dwg_j)]\n\t"                   \
                "smlabb %[a0], %[t1], %[wa], %[a0]\n\t"                                                   \
                "smlatt %[a2], %[t1], %[wa], %[a2]\n\t"                                                   \
                "smlabb %[a1], %[t0], %[wb], %[a1]\n\t"                                                   \
                "smlatt %[a3], %[t0], %[wb], %[a3]\n\t"                                                   \
                ".endif\n\t"                                                                              \
                ".set dwg_j, dwg_j + dwg_sw\n\t"                                                          \
                ".endr\n\t"                                                                               \
                ".set dwg_p, dwg_p + 1\n\t"                                                               \
                ".endr\n\t"                                                                               \
                ".set dwg_r, dwg_r + 1\n\t"                                                               \
                ".endr\n\t"                                                                               \
                DWG_PAIR_RQ(0, "%[a0]", "%[b0]") DWG_PAIR_RQ(1, "%[a1]", "%[b1]")                         \
                DWG_PAIR_RQ(2, "%[a2]", "%[b2]") DWG_PAIR_RQ(3, "%[a3]", "%[b3]")                         \
                "orr    %[a2], %[a2], %[a3], lsl #8\n\t"                                                  \
                "orr    %[a1], %[a1], %[a2], lsl #8\n\t"                                                  \
                "orr    %[a0], %[a0], %[a1], lsl #8\n\t"                                                  \
                "orr    %[b2], %[b2], %[b3], lsl #8\n\t"                                                  \
                "orr    %[b1], %[b1], %[b2], lsl #8\n\t"                                                  \
                "orr    %[b0], %[b0], %[b1], lsl #8\n\t"                                                  \
                "ldrd   %[wa], %[wb], [%[g], #%c[lo4]]\n\t" /* act_min, act_max - act_min bytes */          \
                "usub8  %[t0], %[a0], %[wb]\n\t"                                                          \
                "sel    %[a0], %[wb], %[a0]\n\t"                                                          \
                "uadd8  %[a0], %[a0], %[wa]\n\t"                                                          \
                "usub8  %[t0], %[b0], %[wb]\n\t"                                                          \
                "sel    %[b0], %[wb], %[b0]\n\t"                                                          \
                "uadd8  %[b0], %[b0], %[wa]"                                                              \
                : [a0] "=&r"(a0_), [a1] "=&r"(a1_), [a2] "=&r"(a2_), [a3] "=&r"(a3_), [b0] "=&r"(b0_),    \
                  [b1] "=&r"(b1_), [b2] "=&r"(b2_), [b3] "=&r"(b3_), [t0] "=&r"(t0_), [t1] "=&r"(t1_),   \
                  [wa] "=&r"(wa_), [wb] "=&r"(wb_)                                                        \
                : [g] "r"(g_), [x] "r"(x_), [k] "i"(K), [sw] "i"(SW), [no] "i"(NO), [pitch] "i"(PITCH),   \
                  [ns] "i"(NS),                                                                           \
                  [bi] "i"(offsetof(dw_group_t, BI)), [xo] "i"(offsetof(dw_group_t, XO)),                 \
                  [w] "i"(offsetof(dw_group_t, W)),                                                       \
                  [rq] "i"(offsetof(dw_group_t, rq2)), [lo4] "i"(offsetof(dw_group_t, lo4)),              \
                  "m"(*(const dw_group_t *)(g_)),                                                         \
                  "m"(*(const int8_t(*)[])(x_)) /* the windows read from x_: an extent GCC need not know */ \
                : "cc");                                                                              \
        (void)a1_, (void)a2_, (void)a3_, (void)b1_, (void)b2_, (void)b3_;                                   \
        memcpy((oa_), &a0_, sizeof a0_);                                                                  \
        memcpy((ob_), &b0_, sizeof b0_);                                                                  \
    } while (0)
/* every row of a K x K filter whose windows are all inside */
#define DWG_PAIRS(K, SW, NS, g_, x_, oa_, ob_) DWG_PAIRS_AT(K, K, SW, 0, bias_in, xoff, w, NS, g_, x_, oa_, ob_)
#endif
#endif /* MCU_DWCONV_PAIRS_DSP_H */
