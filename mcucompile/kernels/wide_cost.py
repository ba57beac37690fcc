"""Which convs get pre-widened weights (--wide-weights auto, --flash-budget): the one place that weighs the
cycles a conv's pre-widened int16 weights save against the flash they add.

The cost model (estimated Cortex-M4 cycles, sim/timing.py) of the DSP wide paths (kernels/conv.py wide_path),
each against the variant the same conv runs without the pre-widened weights (--wide-weights off):

    saved cycles = a MACs + b outputs + c weights (pixels % 4)

MACs, outputs and weights count the live output channels only (the 1x1 kernels skip the channels whose
weights are all zero either way); pixels are the output pixels. The terms: the narrow kernels widen each
weight in the loop, once per block of 4 pixels (a per MAC), the wide kernels' folded output stage (b per
output), and the pixels after the last block of 4, which the narrow 1x1 kernels take one at a time with the
weights widened again for each (c). How much is left to save depends on that int8 variant: the
pair-interleaved ones (mcu_conv_*_pairs_s8_dsp, kernels/conv.py choose: in.c or kw in.c a multiple of 4,
an even out.c, no dead-channel hint) load the widened words two at a time and leave about a third of the
per-MAC saving of the others. So the coefficients (COEFFS) are per cost class (cost_class: the wide path,
and whether the int8 variant is a pairs one, with or without planned scratch), each a least-relative-error
fit to the per-op estimated cycles of person_detect, vww_96_int8, kws_ref_model and pretrainedResnet_quant
(../shared/models/) on qemu-m4, built with --wide-weights off and on (sim/latency.py cuts the estimate at
the kernel calls), the class taken from the variant the off build really runs; `bench/flash_budget.py
--derive` re-measures them and prints the fit and its error per op. The lowering names the int8 variant
(choose without the pre-widened weights, the same scratch, pixels and hint: codegen/ops/conv.py).

The Cortex-M7 boards (qemu-m7, nucleo-f767zi, ...) run the same DSP kernels and get the same choice: the
M4 coefficients stand in for them (sim/timing.py now estimates M7 cycles too, but no M7 fit is derived).

The extra flash of a conv is exact: what its lowering adds in flash with the pre-widened weights
(codegen/ops/conv.py: the wide_filter stream less the int8 filter it then drops and less the window
kernels' weights (win_w) its int8 variant, a window kernel, reads and the pre-widened one does not;
negative for 1x1 convs whose dead channels the stream leaves out).

The choice (choose): the convs that add no flash always (their negative extra bytes free budget for the
others); of the others, those that save at least THRESHOLD cycles per extra byte are the candidates, and it
takes the set of them that saves the most estimated cycles within the budget (a 0/1 knapsack, solved
exactly over the Pareto front of (bytes, cycles) sets, merged into buckets only past MAX_STATES states).
Not a prefix by cycles per byte: a larger budget never saves fewer estimated cycles, but may widen another
set of convs (a prefix stops at the first conv that does not fit, where the budget left may take smaller
ones: 160,000 estimated cycles more for pretrainedResnet_quant at a 38 KB budget;
tests/test_flash_budget.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .conv import is_pointwise, wide_path

# cycles saved per (MAC, output, weight x leftover pixel), per cost class (cost_class: the wide path and the
# int8 variant it replaces): `bench/flash_budget.py --derive`, least relative error over the ops of the four
# models (the count per class, and how far from the measured saving the worst one's model is). "im2col" (the
# int8 im2col kernel that is not pair-interleaved: an odd out.c, a dead-channel hint) ran in none of them
# since the pairs landed: its fit from before, against that same kernel, is kept
COEFFS: dict[str, tuple[float, float, float]] = {
    "1x1": (0.2515, 5.1308, 3.8282),                # 9 ops, within 4.2% (vww_96_int8's dead-channel convs)
    "1x1_pairs": (0.0008, 4.5167, 0.8501),          # 15 ops, within 3.9%
    "1x1_pairs_stack": (0.0000, 1.8574, 0.0),       # 6 ops, within 57%
    "dw_rows": (2.6498, 0.2944, 0.0),               # 1 op
    "im2col": (0.2830, 8.1905, 0.0),                # no op measured: kept (before the pairs: 8 ops, 13%)
    "im2col_pairs": (0.0000, 3.8630, 0.0),          # 7 ops, within 15.7%
    "im2col_pairs_stack": (0.0, 0.0, 0.0),          # 1 op (widening it measured slower)
    "rows": (0.7640, 0.0283, 0.0),                  # no op measured: kept (before the rows pairs: 2 ops, 17.2%)
    "rows_pairs": (0.0288, 3.6678, 0.0),            # 3 ops, within 3.2% (the rows pairs, mcu_conv_rows_pairs_dsp.c)
}

# An extra flash byte must save at least this many estimated cycles per inference (10 KB of pre-widened
# weights: 40,000 cycles, 0.5 ms at 80 MHz). A 1x1 conv's pre-widened weights add about one byte per weight
# (two int16 bytes for the int8 one dropped, plus 40 bytes of constants per pair of channels); against the
# pair-interleaved int8 kernels (one weight word per half group, all pairs of a block in one loop) they save
# nothing per MAC and about 4.5 cycles per output (COEFFS "1x1_pairs": the output stage), so about 4.5 / in.c
# cycles per extra byte per output pixel: at 128 input channels the threshold asks for over 100 output
# pixels of reuse. Below it are
# the last layers of the MobileNets (6x6 and 3x3 pixels), whose weights are the largest and run on the
# fewest pixels: person_detect's 6x6- and 3x3-pixel 1x1 convs would add over 200 KB for under a fifth of
# the cycles --wide-weights on saves.
THRESHOLD = 4.0

# --wide-weights auto without --flash-budget: the pre-widened weights may take the generated weights up
# to this multiple of those of the int8 build (--wide-weights off; issue 21 item 4: person_detect's
# default build at most 1.2x its int8 weight bytes)
DEFAULT_FLASH_RATIO = 1.2


@dataclass(frozen=True)
class WideLayer:
    """One conv that can take pre-widened weights: its extra flash bytes and estimated cycles saved."""
    op: int
    kind: str
    path: str                   # the cost class (cost_class): "1x1", "im2col", "rows", "dw_rows", + "_pairs"...
    extra_bytes: int
    cycles_saved: int
    widened: bool = False

    @property
    def per_byte(self) -> float:
        """Cycles saved per extra byte (inf when it adds no flash)."""
        return float("inf") if self.extra_bytes <= 0 else self.cycles_saved / self.extra_bytes

    def as_dict(self) -> dict:
        return {"op": self.op, "kind": self.kind, "path": self.path, "extra_bytes": self.extra_bytes,
                "cycles_saved": self.cycles_saved, "widened": self.widened,
                "cycles_per_byte": None if self.extra_bytes <= 0 else round(self.per_byte, 2)}


@dataclass(frozen=True)
class WideChoice:
    """What --wide-weights decided: the candidates (widened or not), the budget and threshold applied."""
    mode: str                   # Options.wide_weights
    budget: int | None          # extra bytes allowed (None: no cap)
    threshold: float
    layers: tuple[WideLayer, ...] = ()

    @property
    def widened(self) -> frozenset[int]:
        return frozenset(x.op for x in self.layers if x.widened)

    @property
    def extra_bytes(self) -> int:
        return sum(x.extra_bytes for x in self.layers if x.widened)

    @property
    def cycles_saved(self) -> int:
        return sum(x.cycles_saved for x in self.layers if x.widened)

    def as_dict(self) -> dict:
        return {"mode": self.mode, "budget_bytes": self.budget, "threshold_cycles_per_byte": self.threshold,
                "extra_bytes": self.extra_bytes, "cycles_saved": self.cycles_saved,
                "candidates_extra_bytes": sum(x.extra_bytes for x in self.layers),
                "candidates_cycles_saved": sum(x.cycles_saved for x in self.layers),
                "layers": [x.as_dict() for x in self.layers]}


def cost_class(path: str, narrow: str | None) -> str:
    """The COEFFS key of a conv on wide path `path` whose int8 variant (what it runs without the pre-widened
    weights, kernels/conv.py choose) is `narrow`: the path, then "_pairs" when that variant is a
    pair-interleaved one (mcu_conv_*_pairs_s8_dsp: it leaves the pre-widened weights less to save), then
    "_stack" when it is one of those without planned scratch (mcu_conv_*_stack_pairs_s8_dsp: the pre-widened
    variant then runs without scratch too, conv_1x1_own_pre / conv_im2col_own)."""
    if narrow is None or not narrow.endswith("_pairs_s8_dsp"):
        return path
    return path + ("_pairs_stack" if "_stack_pairs_" in narrow else "_pairs")


def coeffs(cls: str) -> tuple[float, float, float]:
    """COEFFS of a cost class, else of the class without its last suffix (a variant no model measured)."""
    while cls not in COEFFS:
        cls = cls.rsplit("_", 1)[0]
    return COEFFS[cls]


def features(graph, op, live: int | None = None, narrow: str | None = None) -> tuple[str, np.ndarray] | None:
    """(cost class, [MACs, outputs, weights x (pixels % 4)]) of a conv a DSP wide path can take, else None;
    live: the output channels that run (default: all); narrow: the int8 variant it runs without the
    pre-widened weights (cost_class; None: not a pair-interleaved one)."""
    if op.kind not in ("CONV_2D", "DEPTHWISE_CONV_2D") or len(op.inputs) < 2:
        return None
    x, w, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    depthwise = op.kind == "DEPTHWISE_CONV_2D"
    path = wide_path(x.shape, w.shape, y.shape, op.attrs, depthwise)
    if path is None:
        return None
    out_c = int(y.shape[3])
    live = out_c if live is None else live
    pixels = int(np.prod(y.shape[:3]))
    window = int(w.shape[1]) * int(w.shape[2]) * (1 if depthwise else int(x.shape[3]))
    if depthwise:
        path = "dw_rows"
    elif is_pointwise(x.shape, w.shape, y.shape, op.attrs, False):
        path = "1x1"
    return (cost_class(path, narrow),
            np.array([pixels * live * window, pixels * live, live * window * (pixels % 4)], dtype=np.float64))


def cycles_saved(graph, op, live: int | None = None, narrow: str | None = None) -> int:
    """Estimated cycles the pre-widened weights save this conv against its int8 variant `narrow` (0 when no
    wide path takes it)."""
    f = features(graph, op, live, narrow)
    if f is None:
        return 0
    path, v = f
    return max(0, int(round(float(np.dot(coeffs(path), v)))))


def wide_layer(graph, op, extra_bytes: int, live: int | None = None, narrow: str | None = None) -> WideLayer:
    """The WideLayer of a conv whose pre-widened weights add `extra_bytes` to flash over its int8 variant
    `narrow`."""
    f = features(graph, op, live, narrow)
    assert f is not None, f"op {op.index} has no wide path"
    return WideLayer(op.index, op.kind, f[0], extra_bytes, cycles_saved(graph, op, live, narrow))


MAX_STATES = 20_000     # choose(): the knapsack's Pareto front is exact up to this many (bytes, cycles) sets


def choose(layers: list[WideLayer], budget: int | None, threshold: float = THRESHOLD) -> list[WideLayer]:
    """`layers` with `widened` set: every conv that adds no flash, and of those that clear `threshold` cycles
    per extra byte the set that saves the most estimated cycles with the extra bytes of all widened convs at
    most `budget` (None: no cap, every such conv); of equal savings the fewest bytes."""
    free = [x for x in layers if x.extra_bytes <= 0]
    cand = sorted((x for x in layers if x.extra_bytes > 0 and x.per_byte >= threshold),
                  key=lambda x: (-x.per_byte, x.op))
    room = None if budget is None else budget - sum(x.extra_bytes for x in free)
    if room is None or sum(x.extra_bytes for x in cand) <= room:
        take = {x.op for x in cand}
    else:
        # the Pareto front of the candidates' subsets within `room`: (bytes, cycles, ops), bytes ascending and
        # cycles strictly ascending (a set with more bytes and no more cycles is dropped)
        front: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, ())]
        for x in cand:
            grown = [(b + x.extra_bytes, c + x.cycles_saved, ops + (x.op,)) for b, c, ops in front
                     if b + x.extra_bytes <= room]
            merged = sorted(front + grown, key=lambda s: (s[0], -s[1]))         # (stable: fewer convs first)
            if len(merged) > 2 * MAX_STATES:    # past that: the best set per bucket of room / MAX_STATES bytes
                width = room / MAX_STATES
                best: dict[int, tuple] = {}
                for st in merged:
                    k = int(st[0] // width)
                    if k not in best or st[1] > best[k][1]:
                        best[k] = st
                merged = sorted(best.values(), key=lambda s: (s[0], -s[1]))
            front, top = [], -1
            for st in merged:
                if st[1] > top:
                    front.append(st)
                    top = st[1]
        take = set(front[-1][2])                # the most cycles (the front's last), with the fewest bytes
    take |= {x.op for x in free}
    return [WideLayer(x.op, x.kind, x.path, x.extra_bytes, x.cycles_saved, x.op in take) for x in layers]


def wide_lines(wide: dict) -> list[str]:
    """analyze's lines for a WideChoice.as_dict(): the totals, then each conv (widened or not)."""
    n = sum(x["widened"] for x in wide["layers"])
    budget = "no cap" if wide["budget_bytes"] is None else f"budget {wide['budget_bytes']:,} B"
    out = [f"wide weights     {wide['mode']}: {n} of {len(wide['layers'])} convs pre-widened, "
           f"{wide['extra_bytes']:+,} B of flash for ~{wide['cycles_saved']:,} estimated cycles saved ({budget}, "
           f"threshold {wide['threshold_cycles_per_byte']:g} cycles/B; all: {wide['candidates_extra_bytes']:+,} B, "
           f"~{wide['candidates_cycles_saved']:,} cycles)"]
    if wide["layers"]:
        out.append(f"  {'op':>4} {'kind':<18} {'path':<18} {'extra B':>9} {'~cycles saved':>14} {'cycles/B':>9}"
                   "  widened")
    for x in wide["layers"]:
        per = "—" if x["cycles_per_byte"] is None else f"{x['cycles_per_byte']:.1f}"
        out.append(f"  {x['op']:>4} {x['kind']:<18} {x['path']:<18} {x['extra_bytes']:>+9,} {x['cycles_saved']:>14,} "
                   f"{per:>9}  {'yes' if x['widened'] else 'no'}")
    return out
