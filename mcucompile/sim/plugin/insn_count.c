/*
 * insn_count.c - a QEMU TCG plugin (API version 1, QEMU 7.2 and later) that counts the guest
 * instructions executed between calls of two marker functions.
 *
 *   qemu-system-arm ... -plugin libinsn_count.so,begin=0xADDR,end=0xADDR,out=FILE
 *
 * begin/end are the addresses of the marker functions (from arm-none-eabi-nm; the Thumb bit is
 * ignored). Every time `end` executes, the number of instructions executed since the latest `begin`
 * is appended to FILE as one decimal line. Every translated block adds its instruction count to a
 * counter with an inline operation; only the marker instructions get a callback, so the count is
 * exact and does not depend on timing.
 *
 * With funcs=FILE2 (lines "START SIZE NAME", hex, the name ignored here, one per function, sorted by START, non-overlapping), each
 * block also adds its count to the counter of the function holding its first instruction, and every
 * `end` is followed by a line "F i:n i:n ..." with the instructions each function i (its line number
 * in FILE2, from 0) ran in that interval, functions that ran none left out.
 *
 * With cyc_<name>=N arguments (every name of TIMING_NAMES below; the figures come from
 * mcucompile/sim/timing.py, the one place they are kept and documented with their TRM sections) the plugin
 * also estimates cycles: at translation time it decodes every Thumb/Thumb-2 instruction of the block into a
 * timing class and prices the block (a single load or store directly after a single load in the same
 * block costs `after_load`; LDM/STM/PUSH/POP/VLDM/VSTM cost multi + per_reg * ceil(N / regs_per_beat)).
 * With dual=1 (the Cortex-M7) it also decodes each instruction's register operands and lets two
 * neighbouring instructions issue together by the rules of pairs() (documented in timing.py), and adds
 * load_use when an instruction reads what the load right before it loaded. Every executed block then gets a
 * callback that adds its price, plus `taken` when the previous block ended in a branch (any instruction that
 * may write the PC) and this block does not start at that branch's fall-through address, plus `mispredict`
 * when that outcome differs from the branch's previous one (a 1-bit predictor per block-ending branch).
 * Each count line then reads "INSTRUCTIONS CYCLES", and with funcs= a line "C i:c ..." follows the F line
 * (a taken branch's refill is counted to the function holding the branch). With flash=LO:HI,wait=W (hex
 * or decimal) every executed block also pays W cycles per aligned 32-bit word of its instructions inside
 * [LO, HI) (flash wait states on instruction fetches, each word fetched anew every time the block runs: no
 * prefetch buffer, accelerator or cache). classes=FILE3 writes "ADDR CLASS N CYCLES SIZE:HW1:HW2 DST SRC KIND"
 * for every translated instruction (to check the decoder against a disassembly: DST/SRC are the register
 * masks the dual-issue model reads, KIND its K_* bits). The cycle estimate reads instruction
 * bytes with qemu_plugin_insn_data as declared before QEMU 9.0 (which changed its signature).
 *
 * With splits=FILE4 as well (lines "ADDR INDEX", hex then decimal: addresses where a translated block
 * starts, e.g. the return address of each kernel call of the model's invoke function), the estimated cycles
 * of every interval are also cut at those addresses: when a block starting at a split address runs, the
 * cycles since the previous cut (or since `begin`; a taken branch's refill into the block included) are
 * added to that split's INDEX. Every `end` is then followed by a line "S TAIL j:c j:c ..." (TAIL: the cycles
 * from the last cut to `end`); TAIL plus every c is exactly the interval's cycles.
 *
 * The few API declarations used are written out here because distributions ship QEMU without
 * qemu-plugin.h; they follow the stable v1 plugin ABI.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the plugin API subset (declarations as in QEMU's include/qemu/qemu-plugin.h) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;   /* not inspected */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);   /* QEMU < 9 signature */
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);

/* ---- the plugin ---- */
static uint64_t executed;          /* instructions of every block entered so far (one vCPU) */
static uint64_t start;
static bool counting;
static uint64_t begin_addr, end_addr;
static FILE *out;

#define MAX_FUNCS 8192
static uint64_t func_start[MAX_FUNCS], func_end[MAX_FUNCS];
static uint64_t func_count[MAX_FUNCS], func_mark[MAX_FUNCS];
static size_t n_funcs;

/* ---- cycle estimate: timing classes, the Thumb/Thumb-2 decoder, block prices ---- */
enum cls {
    C_ALU, C_LOAD, C_STORE, C_LOAD_DOUBLE, C_STORE_DOUBLE, C_MULTI, C_MUL, C_DIV, C_BRANCH,
    C_TABLE_BRANCH, C_LOAD_PC, C_MULTI_PC, C_ALU_PC, C_EXCLUSIVE, C_VFP, C_VFP_MAC, C_VFP_DIVSQRT,
    C_VFP_LOAD, C_VFP_MULTI, N_CLS
};
static const char *const CLASS_NAMES[N_CLS] = {
    "alu", "load", "store", "load_double", "store_double", "multi", "mul", "div", "branch",
    "table_branch", "load_pc", "multi_pc", "alu_pc", "exclusive", "vfp", "vfp_mac", "vfp_divsqrt",
    "vfp_load", "vfp_multi",
};
/* the cyc_<name>=N arguments: one per table entry of mcucompile/sim/timing.py */
enum { T_ALU, T_LOAD, T_STORE, T_AFTER_LOAD, T_LOAD_DOUBLE, T_STORE_DOUBLE, T_MULTI, T_PER_REG,
       T_REGS_PER_BEAT, T_MUL, T_DIV, T_BRANCH, T_TAKEN, T_MISPREDICT, T_TABLE_BRANCH, T_EXCLUSIVE, T_VFP,
       T_VFP_MAC, T_VFP_DIVSQRT, T_VFP_LOAD, T_DUAL, T_LOAD_USE, N_T };
static const char *const TIMING_NAMES[N_T] = {
    "alu", "load", "store", "after_load", "load_double", "store_double", "multi", "per_reg",
    "regs_per_beat", "mul", "div", "branch", "taken", "mispredict", "table_branch", "exclusive", "vfp",
    "vfp_mac", "vfp_divsqrt", "vfp_load", "dual", "load_use",
};
static uint64_t timing[N_T];
static bool timing_given[N_T];
static bool estimating;             /* any cyc_ argument given */
static FILE *classes_out;
static uint64_t flash_lo, flash_hi, flash_wait;   /* wait states per 32-bit instruction fetch in [lo, hi) */

static uint64_t cycles, cycles_start;

#define MAX_SPLITS 4096
static uint64_t split_addr[MAX_SPLITS];
static unsigned split_index[MAX_SPLITS];
static size_t n_splits;
#define MAX_SPLIT_INDEX 4096
static uint64_t split_cycles[MAX_SPLIT_INDEX];
static bool split_seen[MAX_SPLIT_INDEX];
static uint64_t split_mark;             /* the cycles at the latest cut */
static uint64_t func_cycles[MAX_FUNCS], func_cycles_mark[MAX_FUNCS];

struct block {
    uint64_t start, fallthrough;    /* first instruction; the address after the last one */
    uint64_t price;                 /* the block's cycles, its last branch not taken */
    long func;                      /* the function holding the first instruction, or -1 */
    long split;                     /* the split INDEX of the block's start address, or -1 */
    bool ends_in_branch;            /* the last instruction may write the PC */
    bool last_taken;                /* the branch's outcome the last time the block ran (the predictor) */
};
static struct block *previous;

static unsigned popcount(uint32_t v)
{
    return (unsigned)__builtin_popcount(v);
}

/* the timing class of one instruction (hw1: its first halfword, hw2: its second, 32-bit ones only) and
 * the registers/words a multiple transfer moves (*n) */
static enum cls classify(uint16_t hw1, uint16_t hw2, bool wide, unsigned *n)
{
    *n = 0;
    if (!wide) {
        if ((hw1 & 0xF800) == 0x4800) return C_LOAD;                                  /* LDR literal */
        if ((hw1 & 0xF000) == 0x5000) return ((hw1 >> 9) & 7) < 3 ? C_STORE : C_LOAD;  /* register offset */
        if ((hw1 & 0xE000) == 0x6000 || (hw1 & 0xF000) == 0x8000 || (hw1 & 0xF000) == 0x9000)
            return (hw1 & 0x0800) ? C_LOAD : C_STORE;                                   /* immediate, SP */
        if ((hw1 & 0xFE00) == 0xB400) { *n = popcount(hw1 & 0x1FF); return C_MULTI; }   /* PUSH */
        if ((hw1 & 0xFE00) == 0xBC00) {                                                 /* POP */
            *n = popcount(hw1 & 0x1FF);
            return (hw1 & 0x0100) ? C_MULTI_PC : C_MULTI;
        }
        if ((hw1 & 0xF000) == 0xC000) { *n = popcount(hw1 & 0xFF); return C_MULTI; }    /* LDMIA/STMIA */
        if ((hw1 & 0xF500) == 0xB100) return C_BRANCH;                                  /* CBZ/CBNZ */
        if ((hw1 & 0xF000) == 0xD000) return ((hw1 >> 8) & 0xF) < 0xE ? C_BRANCH : C_ALU; /* B<c>; UDF/SVC */
        if ((hw1 & 0xF800) == 0xE000) return C_BRANCH;                                  /* B */
        if ((hw1 & 0xFF00) == 0x4700) return C_BRANCH;                                  /* BX/BLX Rm */
        if ((hw1 & 0xFF87) == 0x4487 || (hw1 & 0xFF87) == 0x4687) return C_ALU_PC;      /* ADD/MOV PC, Rm */
        if ((hw1 & 0xFFC0) == 0x4340) return C_MUL;                                     /* MULS */
        return C_ALU;
    }
    if ((hw1 & 0xEC00) == 0xEC00) {                                    /* coprocessor, FPU */
        if ((hw2 & 0x0E00) != 0x0A00) return C_ALU;
        if ((hw1 & 0xEE00) == 0xEC00) {
            if ((hw1 & 0xFFE0) == 0xEC40) return C_VFP;                /* VMOV two core registers */
            if ((hw1 & 0x0120) == 0x0100) return C_VFP_LOAD;           /* VLDR/VSTR */
            *n = hw2 & 0xFF;                                           /* VLDM/VSTM/VPUSH/VPOP: words */
            return C_VFP_MULTI;
        }
        if ((hw1 & 0xEF00) == 0xEE00 && !(hw2 & 0x0010)) {
            unsigned opc = (hw1 >> 4) & 0xB;
            if (opc == 0x0 || opc == 0x1 || opc == 0x9 || opc == 0xA) return C_VFP_MAC;
            if (opc == 0x8) return C_VFP_DIVSQRT;                      /* VDIV */
            if (opc == 0xB && (hw1 & 0xF) == 0x1 && (hw2 & 0x00C0) == 0x00C0) return C_VFP_DIVSQRT;  /* VSQRT */
        }
        return C_VFP;
    }
    if ((hw1 & 0xFE40) == 0xE800) {                                    /* LDM/STM (.W), PUSH.W/POP.W */
        *n = popcount(hw2);
        return (hw1 & 0x0010) && (hw2 & 0x8000) ? C_MULTI_PC : C_MULTI;
    }
    if ((hw1 & 0xFE40) == 0xE840) {                                    /* dual, exclusive, table branch */
        if (hw1 & 0x0120) return (hw1 & 0x0010) ? C_LOAD_DOUBLE : C_STORE_DOUBLE;
        if ((hw1 & 0xFFF0) == 0xE8D0 && (hw2 & 0xFFE0) == 0xF000) return C_TABLE_BRANCH;
        return C_EXCLUSIVE;
    }
    if ((hw1 & 0x1800) == 0x1000 && (hw2 & 0x8000)) {                  /* branches, misc control */
        if ((hw2 & 0x5000) != 0 || (hw1 & 0x0380) != 0x0380) return C_BRANCH;
        return C_ALU;
    }
    if ((hw1 & 0xFF10) == 0xF800) return C_STORE;                      /* STR/STRB/STRH (.W) */
    if ((hw1 & 0xFE10) == 0xF810) {                                    /* LDR/LDRB/LDRH/LDRS*, PLD */
        return (hw1 & 0x0060) == 0x0040 && (hw2 >> 12) == 0xF ? C_LOAD_PC : C_LOAD;
    }
    if ((hw1 & 0xFF80) == 0xFB00) return C_MUL;                        /* multiply, MAC, USAD8 */
    if ((hw1 & 0xFF80) == 0xFB80) {                                    /* long multiply, divide */
        return (hw1 & 0xFFD0) == 0xFB90 && (hw2 & 0x00F0) == 0x00F0 ? C_DIV : C_MUL;
    }
    return C_ALU;                                                      /* data processing, SIMD, ... */
}

/* ---- the dual-issue model's operands (timing dual=1: Cortex-M7) ---- */
enum { K_SHIFT = 1, K_DSP = 2 };    /* a shifted/extended/bit-field operand; a DSP/SIMD or multiply op */
#define R(x) (1u << ((x) & 15u))

/* the core registers an instruction writes (*dst) and reads (*src) and its kind bits (K_*): exact for
 * the data-processing, load/store and multiply encodings, every register field counted as read for the
 * rest (a pair is then refused, never wrongly allowed) */
static void operands(uint16_t hw1, uint16_t hw2, bool wide, enum cls c, uint32_t *dst, uint32_t *src,
                     unsigned *kind)
{
    *dst = 0;
    *src = 0;
    *kind = 0;
    if (!wide) {
        unsigned lo = hw1 & 7u, mid = (hw1 >> 3) & 7u, hi = (hw1 >> 8) & 7u;
        if ((hw1 & 0xE000) == 0x0000 && (hw1 & 0x1800) != 0x1800) {        /* LSL/LSR/ASR #imm */
            *dst = R(lo); *src = R(mid); *kind = K_SHIFT;
        } else if ((hw1 & 0xF800) == 0x1800) {                             /* ADD/SUB reg, imm3 */
            *dst = R(lo); *src = R(mid) | ((hw1 & 0x0400) ? 0 : R((hw1 >> 6) & 7u));
        } else if ((hw1 & 0xE000) == 0x2000) {                             /* MOV/CMP/ADD/SUB #imm8 */
            unsigned op = (hw1 >> 11) & 3u;
            *dst = op == 1 ? 0 : R(hi);
            *src = op == 0 ? 0 : R(hi);
        } else if ((hw1 & 0xFC00) == 0x4000) {                             /* data processing */
            unsigned op = (hw1 >> 6) & 15u;
            bool no_dst = op == 8 || op == 10 || op == 11;                 /* TST, CMP, CMN */
            *dst = no_dst ? 0 : R(lo);
            *src = R(mid) | (op == 9 || op == 15 ? 0 : R(lo));             /* RSB, MVN: Rm only */
            if (op == 2 || op == 3 || op == 4 || op == 7) *kind = K_SHIFT;  /* shifts by register, ROR */
        } else if ((hw1 & 0xFC00) == 0x4400) {                             /* ADD/CMP/MOV high, BX */
            unsigned op = (hw1 >> 8) & 3u, rdn = lo | ((hw1 >> 4) & 8u), rm = (hw1 >> 3) & 15u;
            *dst = op == 0 || op == 2 ? R(rdn) : 0;
            *src = R(rm) | (op == 2 || op == 3 ? 0 : R(rdn));
        } else if ((hw1 & 0xF800) == 0x4800) {                             /* LDR literal */
            *dst = R(hi); *src = R(15);
        } else if ((hw1 & 0xF000) == 0x5000) {                             /* load/store register offset */
            *src = R(mid) | R((hw1 >> 6) & 7u);
            if (c == C_LOAD) *dst = R(lo); else *src |= R(lo);
        } else if ((hw1 & 0xE000) == 0x6000 || (hw1 & 0xF000) == 0x8000) { /* load/store immediate */
            *src = R(mid);
            if (c == C_LOAD) *dst = R(lo); else *src |= R(lo);
        } else if ((hw1 & 0xF000) == 0x9000) {                             /* SP-relative */
            *src = R(13);
            if (c == C_LOAD) *dst = R(hi); else *src |= R(hi);
        } else if ((hw1 & 0xF000) == 0xA000) {                             /* ADR, ADD Rd, SP */
            *dst = R(hi); *src = (hw1 & 0x0800) ? R(13) : R(15);
        } else if ((hw1 & 0xFF00) == 0xB000) {                             /* ADD/SUB SP, #imm */
            *dst = R(13); *src = R(13);
        } else if ((hw1 & 0xFF00) == 0xB200 || (hw1 & 0xFF00) == 0xBA00) { /* extends; REV */
            *dst = R(lo); *src = R(mid); *kind = (hw1 & 0xFF00) == 0xB200 ? K_SHIFT : K_DSP;
        } else if ((hw1 & 0xF500) == 0xB100) {                             /* CBZ/CBNZ */
            *src = R(lo);
        } else if ((hw1 & 0xFF00) == 0xBF00) {                             /* IT, NOP, hints */
        } else if ((hw1 & 0xF000) == 0xD000 || (hw1 & 0xF800) == 0xE000) { /* branches */
        } else {
            *dst = 0xFFFF; *src = 0xFFFF;
        }
        if (c == C_MUL) *kind = K_DSP;
        return;
    }
    unsigned rn = hw1 & 15u, rd = (hw2 >> 8) & 15u, rt = hw2 >> 12, rm = hw2 & 15u;
    if ((hw1 & 0xFE00) == 0xEA00) {                                        /* data processing, shifted reg */
        unsigned op = (hw1 >> 5) & 15u, amount = ((hw2 >> 10) & 0x1Cu) | ((hw2 >> 6) & 3u);
        bool test = rd == 15 && (hw1 & 0x0010) && (op == 0 || op == 4 || op == 8 || op == 13);
        *dst = test ? 0 : R(rd);
        *src = R(rm) | (rn == 15 && (op == 2 || op == 3) ? 0 : R(rn));      /* MOV/MVN have no Rn */
        if (amount != 0 || ((hw2 >> 4) & 3u) == 3) *kind = K_SHIFT;
        if (op == 6) *kind = K_DSP;                                         /* PKHBT/PKHTB */
    } else if ((hw1 & 0xF800) == 0xF000 && !(hw2 & 0x8000)) {              /* data processing, immediate */
        *dst = R(rd);
        if (hw1 & 0x0200) {                                                 /* plain binary immediate */
            unsigned op = (hw1 >> 4) & 0x1Fu;
            *src = op == 0x04 ? 0 : op == 0x0C ? R(rd) : R(rn);            /* MOVW; MOVT keeps Rd's low half */
            if (op == 0x16) *src = R(rd) | (rn == 15 ? 0 : R(rn));          /* BFI/BFC keep Rd's other bits */
            if (op >= 0x10) *kind = K_SHIFT;                                /* saturate, bit-field */
        } else {
            unsigned op = (hw1 >> 5) & 15u;
            bool test = rd == 15 && (hw1 & 0x0010) && (op == 0 || op == 4 || op == 8 || op == 13);
            *dst = test ? 0 : R(rd);
            *src = rn == 15 && (op == 2 || op == 3) ? 0 : R(rn);
        }
    } else if ((hw1 & 0xFE00) == 0xF800 && (c == C_LOAD || c == C_STORE)) {  /* load/store single */
        bool reg_form = !(hw1 & 0x0080) && (hw2 & 0x0FC0) == 0 && rn != 15;
        bool writeback = !(hw1 & 0x0080) && rn != 15 && (hw2 & 0x0900) == 0x0900;
        *src = R(rn) | (reg_form ? R(rm) : 0);
        if (c == C_LOAD) *dst = rt == 15 ? 0 : R(rt); else *src |= R(rt);   /* PLD writes nothing */
        if (writeback) *dst |= R(rn);
    } else if ((c == C_LOAD_DOUBLE || c == C_STORE_DOUBLE)) {
        *src = R(rn);
        if (c == C_LOAD_DOUBLE) *dst = R(rt) | R(rd); else *src |= R(rt) | R(rd);
        if (hw1 & 0x0020) *dst |= R(rn);                                    /* writeback */
    } else if ((hw1 & 0xFF00) == 0xFA00) {                                 /* shifts by register, extends,
                                                                              SIMD, REV, CLZ, SEL, QADD */
        *dst = R(rd);
        *src = R(rm) | (rn == 15 ? 0 : R(rn));
        *kind = K_DSP;
    } else if ((hw1 & 0xFF80) == 0xFB00) {                                 /* multiply, MAC */
        *dst = R(rd);
        *src = R(rn) | R(rm) | (rt == 15 ? 0 : R(rt));
        *kind = K_DSP;
    } else if ((hw1 & 0xFF80) == 0xFB80) {                                 /* long multiply, divide */
        unsigned op = (hw1 >> 4) & 7u;
        *dst = c == C_DIV ? R(rd) : R(rt) | R(rd);
        *src = R(rn) | R(rm) | (op >= 4 ? R(rt) | R(rd) : 0);               /* the accumulating forms */
        *kind = K_DSP;
    } else if ((hw1 & 0xF800) == 0xF000) {                                 /* branches, misc control */
    } else {
        *dst = 0xFFFF; *src = 0xFFFF;
    }
}

/* can `b` issue in the same cycle as `a`, the instruction before it (the dual-issue model's rules,
 * documented in mcucompile/sim/timing.py) */
static bool pairs(enum cls a, unsigned ka, uint32_t da, enum cls b, unsigned kb, uint32_t db, uint32_t sb)
{
    bool mem_a = a == C_LOAD || a == C_STORE || a == C_LOAD_DOUBLE || a == C_STORE_DOUBLE;
    bool mem_b = b == C_LOAD || b == C_STORE || b == C_LOAD_DOUBLE || b == C_STORE_DOUBLE;
    bool simple_a = mem_a || a == C_ALU || a == C_MUL;
    bool simple_b = mem_b || b == C_ALU || b == C_BRANCH;
    if (!simple_a || !simple_b || (mem_a && mem_b)) return false;
    if (kb & K_DSP) return false;                            /* DSP/SIMD and multiplies issue first only */
    if ((ka & (K_SHIFT | K_DSP)) && (kb & K_SHIFT)) return false;   /* one shifter */
    if ((da & (sb | db)) != 0 || da == 0xFFFF || sb == 0xFFFF) return false;   /* a dependency */
    return true;
}

static bool is_branch(enum cls c)
{
    return c == C_BRANCH || c == C_TABLE_BRANCH || c == C_LOAD_PC || c == C_MULTI_PC || c == C_ALU_PC;
}

/* the cycles of one instruction of class c (taken branch refill not included) */
static uint64_t price(enum cls c, unsigned n, bool after_load)
{
    switch (c) {
    case C_LOAD: return after_load ? timing[T_AFTER_LOAD] : timing[T_LOAD];
    case C_STORE: return after_load ? timing[T_AFTER_LOAD] : timing[T_STORE];
    case C_LOAD_DOUBLE: return timing[T_LOAD_DOUBLE];
    case C_STORE_DOUBLE: return timing[T_STORE_DOUBLE];
    case C_MULTI: case C_MULTI_PC: case C_VFP_MULTI: {
        uint64_t beat = timing[T_REGS_PER_BEAT] ? timing[T_REGS_PER_BEAT] : 1;
        return timing[T_MULTI] + (n + beat - 1) / beat * timing[T_PER_REG];
    }
    case C_MUL: return timing[T_MUL];
    case C_DIV: return timing[T_DIV];
    case C_BRANCH: return timing[T_BRANCH];
    case C_TABLE_BRANCH: return timing[T_TABLE_BRANCH];
    case C_LOAD_PC: return timing[T_LOAD];
    case C_EXCLUSIVE: return timing[T_EXCLUSIVE];
    case C_VFP: return timing[T_VFP];
    case C_VFP_MAC: return timing[T_VFP_MAC];
    case C_VFP_DIVSQRT: return timing[T_VFP_DIVSQRT];
    case C_VFP_LOAD: return timing[T_VFP_LOAD];
    case C_ALU: case C_ALU_PC: default: return timing[T_ALU];
    }
}

static void on_block(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    struct block *b = udata;
    struct block *p = previous;
    if (p != NULL && p->ends_in_branch) {
        bool taken = b->start != p->fallthrough;
        uint64_t extra = (taken ? timing[T_TAKEN] : 0) + (taken != p->last_taken ? timing[T_MISPREDICT] : 0);
        p->last_taken = taken;
        cycles += extra;
        if (p->func >= 0) {
            func_cycles[p->func] += extra;
        }
    }
    if (b->split >= 0 && counting) {
        split_cycles[b->split] += cycles - split_mark;
        split_seen[b->split] = true;
        split_mark = cycles;
    }
    cycles += b->price;
    if (b->func >= 0) {
        func_cycles[b->func] += b->price;
    }
    previous = b;
}

/* price the block at translation time and register its callback */
static void estimate_block(struct qemu_plugin_tb *tb, size_t n, long func)
{
    struct block *b = calloc(1, sizeof *b);      /* lives as long as QEMU may run the block */
    if (b == NULL) {
        return;
    }
    bool after_load = false;
    uint64_t last_word = UINT64_MAX;
    bool dual = timing[T_DUAL] != 0;
    /* the dual-issue model's state: the instruction before this one, whether it issued as the second of a
     * pair (then this one cannot join it; so, too, the block's first instruction) */
    enum cls prev_c = C_ALU;
    unsigned prev_kind = 0;
    uint32_t prev_dst = 0;
    uint64_t prev_p = 0;
    bool prev_paired = true;
    for (size_t i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const uint8_t *d = qemu_plugin_insn_data(insn);
        /* the width from the first halfword: QEMU 7.2 appends the next halfword to the data of a 16-bit
         * instruction 4 bytes before a page end (its page-crossing check reads it) */
        size_t size = qemu_plugin_insn_size(insn);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        uint16_t hw1 = (uint16_t)(d[0] | d[1] << 8);
        bool wide = (hw1 >> 11) >= 0x1D;
        uint16_t hw2 = wide && size >= 4 ? (uint16_t)(d[2] | d[3] << 8) : 0;
        size = wide ? 4 : 2;
        unsigned regs;
        enum cls c = classify(hw1, hw2, wide, &regs);
        uint64_t p = price(c, regs, after_load);
        uint32_t dst = 0, src = 0;
        unsigned kind = 0;
        if (dual || classes_out != NULL) {
            operands(hw1, hw2, wide, c, &dst, &src, &kind);
        }
        if (dual) {
            uint64_t stall = (prev_c == C_LOAD || prev_c == C_LOAD_DOUBLE) && (prev_dst & src)
                             ? timing[T_LOAD_USE] : 0;
            if (!prev_paired && pairs(prev_c, prev_kind, prev_dst, c, kind, dst, src)) {
                p = p > prev_p ? p - prev_p : 0;          /* issued with the one before: the longer counts */
                prev_paired = true;
            } else {
                prev_paired = false;
            }
            p += stall;
            prev_c = c;
            prev_kind = kind;
            prev_dst = dst;
            prev_p = prev_paired ? 0 : p - stall;
        }
        b->price += p;
        after_load = c == C_LOAD;
        if (flash_wait > 0 && va >= flash_lo && va < flash_hi) {
            for (uint64_t w = va >> 2; w <= (va + size - 1) >> 2; ++w) {
                if (w != last_word) {
                    b->price += flash_wait;
                    last_word = w;
                }
            }
        }
        if (i == 0) {
            b->start = va;
        }
        if (i + 1 == n) {
            b->fallthrough = va + size;
            b->ends_in_branch = is_branch(c);
            /* the predictor's state before the first run: unconditional branches (B, BL, BX, returns)
             * predicted taken, conditional ones (B<c>, CBZ/CBNZ) not taken */
            bool conditional = wide ? c == C_BRANCH && (hw2 & 0x5000) == 0 && (hw1 & 0x0380) != 0x0380
                                    : (hw1 & 0xF000) == 0xD000 || (hw1 & 0xF500) == 0xB100;
            b->last_taken = !conditional;
        }
        if (classes_out != NULL) {
            fprintf(classes_out, "%" PRIx64 " %s %u %" PRIu64 " %zu:%04x:%04x %x %x %u\n", va, CLASS_NAMES[c], regs,
                    p, size, hw1, hw2, dst, src, kind);
        }
    }
    b->func = func;
    b->split = -1;
    for (size_t k = 0; k < n_splits; ++k) {
        if (split_addr[k] == b->start) {
            b->split = (long)split_index[k];
        }
    }
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void on_begin(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    start = executed;
    cycles_start = cycles;
    counting = true;
    memcpy(func_mark, func_count, n_funcs * sizeof func_count[0]);
    memcpy(func_cycles_mark, func_cycles, n_funcs * sizeof func_cycles[0]);
    memset(split_cycles, 0, sizeof split_cycles);
    memset(split_seen, 0, sizeof split_seen);
    split_mark = cycles;
}

static int read_splits(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "insn_count: cannot read %s\n", path);
        return -1;
    }
    unsigned long long a;
    unsigned k;
    while (fscanf(f, "%llx %u", &a, &k) == 2) {
        if (n_splits == MAX_SPLITS || k >= MAX_SPLIT_INDEX) {
            fprintf(stderr, "insn_count: too many splits in %s\n", path);
            fclose(f);
            return -1;
        }
        split_addr[n_splits] = a & ~1ULL;
        split_index[n_splits] = k;
        ++n_splits;
    }
    fclose(f);
    return 0;
}

/* the function holding `va`, or -1 */
static long func_of(uint64_t va)
{
    size_t lo = 0, hi = n_funcs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (func_start[mid] <= va) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo > 0 && va < func_end[lo - 1] ? (long)(lo - 1) : -1;
}

static int read_funcs(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "insn_count: cannot read %s\n", path);
        return -1;
    }
    unsigned long long s, n;
    while (n_funcs < MAX_FUNCS && fscanf(f, "%llx %llx%*[^\n]", &s, &n) == 2) {
        func_start[n_funcs] = s & ~1ULL;
        func_end[n_funcs] = (s & ~1ULL) + n;
        ++n_funcs;
    }
    fclose(f);
    return 0;
}

static void on_end(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (counting) {
        if (estimating) {
            fprintf(out, "%" PRIu64 " %" PRIu64 "\n", executed - start, cycles - cycles_start);
        } else {
            fprintf(out, "%" PRIu64 "\n", executed - start);
        }
        if (n_funcs > 0) {
            fputc('F', out);
            for (size_t i = 0; i < n_funcs; ++i) {
                if (func_count[i] != func_mark[i]) {
                    fprintf(out, " %zu:%" PRIu64, i, func_count[i] - func_mark[i]);
                }
            }
            fputc('\n', out);
        }
        if (n_funcs > 0 && estimating) {
            fputc('C', out);
            for (size_t i = 0; i < n_funcs; ++i) {
                if (func_cycles[i] != func_cycles_mark[i]) {
                    fprintf(out, " %zu:%" PRIu64, i, func_cycles[i] - func_cycles_mark[i]);
                }
            }
            fputc('\n', out);
        }
        if (n_splits > 0 && estimating) {
            fprintf(out, "S %" PRIu64, cycles - split_mark);
            for (size_t k = 0; k < MAX_SPLIT_INDEX; ++k) {
                if (split_seen[k]) {
                    fprintf(out, " %zu:%" PRIu64, k, split_cycles[k]);
                }
            }
            fputc('\n', out);
        }
        fflush(out);
    }
    counting = false;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
    long f = n_funcs > 0 && n > 0 ? func_of(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0))) : -1;
    if (f >= 0) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &func_count[f], n);
    }
    if (estimating && n > 0) {
        estimate_block(tb, n, f);
    }
    for (size_t i = 0; i < n; ++i) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        if (va == begin_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        } else if (va == end_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
    }
}

static void on_exit_cb(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    if (out != NULL) {
        fclose(out);
        out = NULL;
    }
    if (classes_out != NULL) {
        fclose(classes_out);
        classes_out = NULL;
    }
}

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    const char *path = NULL;
    for (int i = 0; i < argc; ++i) {
        if (strncmp(argv[i], "begin=", 6) == 0) {
            begin_addr = strtoull(argv[i] + 6, NULL, 0) & ~(uint64_t)1;
        } else if (strncmp(argv[i], "end=", 4) == 0) {
            end_addr = strtoull(argv[i] + 4, NULL, 0) & ~(uint64_t)1;
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            path = argv[i] + 4;
        } else if (strncmp(argv[i], "funcs=", 6) == 0) {
            if (read_funcs(argv[i] + 6) != 0) {
                return -1;
            }
        } else if (strncmp(argv[i], "splits=", 7) == 0) {
            if (read_splits(argv[i] + 7) != 0) {
                return -1;
            }
        } else if (strncmp(argv[i], "flash=", 6) == 0) {
            char *colon = NULL;
            flash_lo = strtoull(argv[i] + 6, &colon, 0);
            if (colon == NULL || *colon != ':') {
                fprintf(stderr, "insn_count: flash=LO:HI expected, got %s\n", argv[i]);
                return -1;
            }
            flash_hi = strtoull(colon + 1, NULL, 0);
        } else if (strncmp(argv[i], "wait=", 5) == 0) {
            flash_wait = strtoull(argv[i] + 5, NULL, 0);
        } else if (strncmp(argv[i], "classes=", 8) == 0) {
            classes_out = fopen(argv[i] + 8, "w");
            if (classes_out == NULL) {
                fprintf(stderr, "insn_count: cannot write %s\n", argv[i] + 8);
                return -1;
            }
        } else if (strncmp(argv[i], "cyc_", 4) == 0 && strchr(argv[i], '=') != NULL) {
            size_t len = (size_t)(strchr(argv[i], '=') - argv[i]) - 4;
            int k = 0;
            while (k < N_T && (strlen(TIMING_NAMES[k]) != len || strncmp(argv[i] + 4, TIMING_NAMES[k], len) != 0)) {
                ++k;
            }
            if (k == N_T) {
                fprintf(stderr, "insn_count: unknown timing class in %s\n", argv[i]);
                return -1;
            }
            timing[k] = strtoull(strchr(argv[i], '=') + 1, NULL, 0);
            timing_given[k] = true;
            estimating = true;
        } else {
            fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    for (int k = 0; estimating && k < N_T; ++k) {
        if (!timing_given[k]) {
            fprintf(stderr, "insn_count: the cycle estimate needs cyc_%s=N too\n", TIMING_NAMES[k]);
            return -1;
        }
    }
    if (path == NULL || begin_addr == 0 || end_addr == 0) {
        fprintf(stderr, "insn_count: needs begin=ADDR,end=ADDR,out=FILE\n");
        return -1;
    }
    out = fopen(path, "w");
    if (out == NULL) {
        fprintf(stderr, "insn_count: cannot write %s\n", path);
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
