"""The per-instruction-class cycle tables behind `simulate --board qemu-m4|qemu-m7`'s estimated cycles.

This table is the only place the figures live: run_qemu hands them to the TCG plugin
(plugin/insn_count.c, as `cyc_<class>=<cycles>` arguments), which decodes each Thumb/Thumb-2 instruction
of a translated block into one of these classes and prices the block once, at translation time, with the
rules below; tests/test_cycles.py computes its expected figures from the same table.

Cortex-M4 figures: the Cortex-M4 Technical Reference Manual (Arm DDI 0439), section 3.3.1 "Cortex-M4
instructions" (Table 3-1, cycle counts of the processor instructions), section 3.3.2 "Load/store timings"
(the pipelining notes) and section 7.2.3 "FPU instruction set" (Table 7-1, FPU cycle counts): the TRM's
published figures as commonly cited (the TRM could not be consulted while writing this):

  alu            1     data processing, shifts, bit-field, extends, SIMD (SADD8, SXTB16, ...), saturation,
                       IT, NOP, MRS/MSR, barriers: 1 cycle (Table 3-1)
  load           2     LDR/LDRB/LDRH/LDRSB/LDRSH, any addressing mode, PC-relative included (Table 3-1: 2)
  store          2     STR/STRB/STRH (Table 3-1: 2)
  after_load     1     a single load or store directly after a single load: "neighboring load and store
                       single instructions can pipeline their address and data phases" (3.3.2) — applied
                       to a load/store whose predecessor in the same translated block is a single load;
                       nothing pipelines after a store (3.3.2)
  load_double    3     LDRD (Table 3-1: 1+N with N = 2)
  store_double   3     STRD (Table 3-1: 1+N with N = 2)
  multi          1     LDM/STM/PUSH/POP: 1+N, N registers (Table 3-1); `multi` is the 1, `per_reg` the N part
  per_reg        1
  mul            1     MUL/MLA/MLS, SMUL<x><y>, SMLA<x><y>, SMULW<y>, SMLAD/SMLSD, SMUAD/SMUSD, SMMUL/SMMLA/
                       SMMLAR, USAD8, and the long multiplies UMULL/SMULL/UMLAL/SMLAL/SMLALD/UMAAL: 1 (M4:
                       single-cycle MAC, Table 3-1)
  div            7     SDIV/UDIV: the TRM gives 2-12 cycles, depending on the operands' values; a
                       constant 7 (the middle of the range) is used
  branch         1     B, B<c>, BL, BX, BLX, CBZ/CBNZ, and ADD/MOV with PC as destination: 1 (+ taken)
  taken          2     pipeline refill P when the branch is taken (Table 3-1: 1+P, P "1 to 3" depending on
                       alignment and width of the target): a constant 2. Also added to TBB/TBH, LDR PC and
                       POP/LDM with PC (which always leave the block's fall-through)
  table_branch   2     TBB/TBH: 2+P (Table 3-1)
  exclusive      2     LDREX/STREX and their byte/halfword forms: 2 (as single loads/stores)
  vfp            1     FPU data processing not listed below, VMOV, VMRS/VMSR, VCVT, VCMP (Table 7-1: 1)
  vfp_mac        3     VMLA/VMLS/VNMLA/VNMLS/VFMA/VFMS/VFNMA/VFNMS (Table 7-1: 3)
  vfp_divsqrt   14     VDIV, VSQRT (Table 7-1: 14)
  vfp_load       2     VLDR/VSTR (Table 7-1: 2); VLDM/VSTM/VPUSH/VPOP are 1+N, N the words moved
                       (priced with `multi` and `per_reg`)

Taken or not: QEMU ends a translated block at every instruction that may write the PC, so a block whose
last instruction is a branch was taken exactly when the next block executed does not start at the
branch's fall-through address; the plugin compares successive block start addresses and adds `taken`.

Flash wait states: by default none (the MPS2 boards' code memory is SSRAM). A board entry's
`flash_wait_states` (boards.json, with the `clock_hz` they apply at) or simulate's --flash-wait-states N
adds N cycles per aligned 32-bit word of instructions fetched from the board's flash region, every time a
block runs (the M4 fetches 32 bits at a time).

What the estimate leaves out (it is an estimate, not a cycle-accurate model):
  - with wait states: constant and weight loads from flash (only instruction fetches pay them), the
    prefetch buffer, flash accelerators (e.g. ST's ART) and caches, which hide most of them on real parts:
    the figure is an upper bound for fetches, a lower one for flash data;
  - the TRM's exceptions to load/store pipelining (a load whose address depends on the previous load,
    writeback forms, LDR PC-relative contention with the fetch unit, a full write buffer), and pipelining
    across a translated-block boundary that is not a branch;
  - conditional instructions that fail their condition (an IT block) are priced as if executed (the TRM:
    they take 1 cycle);
  - IT folding, branch target alignment (P is always 2), SDIV/UDIV early termination (always 7),
    register-dependency stalls (e.g. a loaded value used as an address, MLA accumulator forwarding), bus
    contention, interrupts and exceptions.

Cortex-M4 rows the M7 adds (so one plugin prices both): regs_per_beat 1 (LDM/STM move one register a
cycle), mispredict 0 (no predictor: every taken branch pays `taken`), dual 0, load_use 0.

Cortex-M7 (qemu-m7, mps2-an500): Arm publishes no instruction timing table for the Cortex-M7 (its TRM,
Arm DDI 0489, refers to the Armv7-M ARM, which has none). The figures and dual-issue rules below follow
what is publicly measured and commonly cited for its six-stage, in-order, dual-issue pipeline (e.g. the
cycle counts and dual-issue combinations measured on an STM32H7 and published as "Cortex-M7 instruction
cycle counts, timings, and dual-issue combinations"), simplified where noted; code and data are assumed
in TCM or cache (no wait states):

  alu, load, store, load_double, store_double, mul, exclusive, vfp, vfp_load   1 each (64-bit load/store
                       path: LDRD/STRD in one cycle; single-cycle MAC pipeline)
  multi 1 + per_reg 1 per regs_per_beat = 2 registers: LDM/STM/PUSH/POP move 64 bits a cycle
  div 7, vfp_mac 3, vfp_divsqrt 14, table_branch 2   as on the M4 (assumed; not measured here)
  branch 1, taken 0    a correctly predicted branch costs its issue slot only (branch target cache)
  mispredict 6         a branch whose outcome differs from its previous one refills the pipeline (a 1-bit
                       predictor per branch; before its first run a conditional branch is predicted not
                       taken, an unconditional one (B, BL, BX, POP/LDR PC) taken)
  dual 1               two neighbouring instructions of one translated block issue in one cycle (the pair
                       costs the longer of the two) when all of these hold (the plugin's pairs()):
                         - each is a single-issue ALU op, load/store (single or double) or multiply/MAC,
                           or the second is a branch; never two loads/stores, never LDM/STM/PUSH/POP,
                           divides, table branches, exclusives or FPU ops;
                         - a multiply/MAC or DSP/SIMD op (SXTB16, SADD16, REV, SEL, QADD, PKHBT, ...) only
                           as the first of the two; at most one shifted/extended/bit-field operand;
                         - the second neither reads nor writes a register the first writes;
                         - the first did not already issue as the second of a pair
  load_use 1           an instruction that reads a register the load/LDRD right before it loads waits a
                       cycle (the loaded value is ready one cycle late)

The M7 estimate leaves out even more than the M4's: cache misses and AXI/flash latency (qemu-m7's code
and data sit in 0-wait RAM, as TCM), the predictor's real organisation (a branch target cache with static
backward-taken prediction; its misses on a branch's first run), load-use distances beyond one
instruction, forwarding differences between the early and late ALUs, flag dependencies (a flag-setting
op pairs with the conditional branch after it), two loads dual issuing (counted as never), FPU dual
issue, and the limits on wide immediates.

Cortex-M55 is not modelled: qemu-m55 reports instructions only.
"""

from __future__ import annotations

CORTEX_M4: dict[str, int] = {
    "alu": 1, "load": 2, "store": 2, "after_load": 1, "load_double": 3, "store_double": 3,
    "multi": 1, "per_reg": 1, "mul": 1, "div": 7, "branch": 1, "taken": 2, "table_branch": 2,
    "exclusive": 2, "vfp": 1, "vfp_mac": 3, "vfp_divsqrt": 14, "vfp_load": 2,
    "regs_per_beat": 1, "mispredict": 0, "dual": 0, "load_use": 0,
}

CORTEX_M7: dict[str, int] = {
    "alu": 1, "load": 1, "store": 1, "after_load": 1, "load_double": 1, "store_double": 1,
    "multi": 1, "per_reg": 1, "mul": 1, "div": 7, "branch": 1, "taken": 0, "table_branch": 2,
    "exclusive": 1, "vfp": 1, "vfp_mac": 3, "vfp_divsqrt": 14, "vfp_load": 1,
    "regs_per_beat": 2, "mispredict": 6, "dual": 1, "load_use": 1,
}

# the cores whose cycles are estimated, and how the estimate is labelled in reports
TIMINGS: dict[str, dict[str, int]] = {"cortex-m4": CORTEX_M4, "cortex-m7": CORTEX_M7}
MODEL_LABEL = {"cortex-m4": "Cortex-M4 TRM timings, no wait states",
               "cortex-m7": "Cortex-M7 dual-issue model (measured public timings), no wait states"}


def label(core: str, flash_wait_states: int = 0) -> str:
    """How a cycle estimate for `core` is described in reports."""
    if not flash_wait_states:
        return MODEL_LABEL[core]
    return MODEL_LABEL[core].replace("no wait states", f"{flash_wait_states} flash wait states per instruction "
                                                       "fetch (no prefetch, accelerator or cache)")


def timing_for(core: str) -> dict[str, int] | None:
    """The cycle table for `core`, or None when its cycles are not modelled."""
    return TIMINGS.get(core)


def plugin_args(core: str, flash: tuple[int, int] | None = None, flash_wait_states: int = 0) -> str:
    """The plugin's `cyc_<class>=<cycles>` arguments for `core` ('' when not modelled), with the wait
    states of instruction fetches from `flash` (start, end)."""
    t = timing_for(core)
    if t is None:
        return ""
    args = "".join(f",cyc_{k}={v}" for k, v in t.items())
    if flash_wait_states and flash is not None:
        args += f",flash={flash[0]:#x}:{flash[1]:#x},wait={flash_wait_states}"
    return args
