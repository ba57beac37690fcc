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

static void on_begin(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    start = executed;
    counting = true;
    memcpy(func_mark, func_count, n_funcs * sizeof func_count[0]);
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
        fprintf(out, "%" PRIu64 "\n", executed - start);
        if (n_funcs > 0) {
            fputc('F', out);
            for (size_t i = 0; i < n_funcs; ++i) {
                if (func_count[i] != func_mark[i]) {
                    fprintf(out, " %zu:%" PRIu64, i, func_count[i] - func_mark[i]);
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
    if (n_funcs > 0 && n > 0) {
        long f = func_of(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)));
        if (f >= 0) {
            qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &func_count[f], n);
        }
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
        } else {
            fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]);
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
