"""The accumulators of an accumulating patch stage (passes/reduce_stage.py), lowered per patch.

Every patch adds its own rectangle of each reduced map (rows [r0, r1) x columns [c0, c1) of the grid)
from the map's buffer, which holds the patch's region of it (recomputing) or the rows the band needs
at its top (caching rows): the rectangle's first element and row stride follow from that region. The
first patch starts the int32 sums (the op's scratch buffer, alive through the stage), the last one
writes the requantised results: the per-patch fields `first` and `last`.
"""

from __future__ import annotations

import numpy as np

from ..ir import Graph
from ..ir.quant import quantize_multiplier
from ..passes.patch_plan import PatchSchedule
from ..passes.reduce_stage import token_view
from ..passes.regions import Region
from .ops.reduce import mean_multiplier
from .records import Act, KernelCall, ParamArray, TileOffset, c_int


def _maps(g: Graph, s: PatchSchedule, op) -> list[int]:
    """The maps op reads: its inputs, token views resolved to the maps they flatten."""
    views = {g.ops[k].outputs[0]: g.ops[k].inputs[0] for k in range(s.start, s.split)
             if token_view(g, g.ops[k]) is not None}
    n = 1 if op.kind in ("SUM", "MEAN") else 2
    return [views.get(t, t) for t in op.inputs[:n]]


def _rect(s: PatchSchedule, k: int) -> Region:
    r, c = s.tile_rc(k)
    return Region(s.rows[r], s.rows[r + 1], s.cols[c], s.cols[c + 1])


def _place(g: Graph, s: PatchSchedule, k: int, t: int) -> tuple[int, int]:
    """Patch k's rectangle in map t's buffer: (offset of its first element, row stride), elements."""
    rect, reg = _rect(s, k), s.regions(k)[t]
    c = g.tensors[t].shape[3]
    return ((rect.y0 - reg.y0) * reg.w + (rect.x0 - reg.x0)) * c, reg.w * c


def accumulate_call(ctx, g: Graph, s: PatchSchedule, index: int, op, arrays: list) -> KernelCall:
    """The per-patch call of accumulator op (mcu_pixel_sum_s8 / mcu_pixel_matmul_s8); its parameter
    array is appended to `arrays`."""
    maps = _maps(g, s, op)
    y = g.tensors[op.outputs[0]]
    ntiles = s.tiles
    placed = [[_place(g, s, k, t) for k in range(ntiles)] for t in maps]
    if op.kind in ("SUM", "MEAN"):          # the fields every patch shares
        x = g.tensors[maps[0]]
        n = x.shape[1] * x.shape[2]
        src = g.tensors[op.inputs[0]]
        if op.kind == "SUM":
            mult, shift = quantize_multiplier(float(src.scale) / float(y.scale))
        else:
            mult, shift = mean_multiplier(src.scale, y.scale, n)
        rest = {"num_elements_reduced": c_int(n), "input_zero_point": c_int(src.zero_point),
                "output_zero_point": c_int(y.zero_point), "mult": c_int(mult), "shift": c_int(shift)}
    else:
        a, b = (g.tensors[t] for t in op.inputs)
        mult, shift = quantize_multiplier(float(a.scale) * float(b.scale) / float(y.scale))
        rest = {"a_offset": c_int(-a.zero_point), "b_offset": c_int(-b.zero_point),
                "output_offset": c_int(y.zero_point), "mult": c_int(mult), "shift": c_int(shift),
                "act_min": c_int(-128), "act_max": c_int(127)}
    entries = []
    for k in range(ntiles):
        rect = _rect(s, k)
        f = {"rows": c_int(rect.h), "cols": c_int(rect.w)}
        if op.kind in ("SUM", "MEAN"):
            f.update(channels=c_int(x.shape[3]), in_row_stride=c_int(placed[0][k][1]))
        else:
            f.update(a_row_stride=c_int(placed[0][k][1]), b_row_stride=c_int(placed[1][k][1]),
                     a_depth=c_int(g.tensors[maps[0]].shape[3]), b_depth=c_int(g.tensors[maps[1]].shape[3]))
        f.update(first=c_int(int(k == 0)), last=c_int(int(k == ntiles - 1)))
        f.update(rest)
        entries.append(tuple(f.items()))
    kind = "sum" if op.kind in ("SUM", "MEAN") else "matmul"
    name = ctx.unique(f"p{index}_{op.kind.lower()}{op.index}")
    arrays.append(ParamArray(f"mcu_pixel_{kind}_params_t", f"{name}_tiles", tuple(entries)))
    srcs = []
    for j, t in enumerate(maps):
        offs = np.array([placed[j][k][0] for k in range(ntiles)], dtype=np.int32)
        arg = Act(t)
        srcs.append(TileOffset(arg, ctx.const(offs, "int32_t", f"{name}_off{j + 1}")) if np.any(offs) else arg)
    what = (f"sum of {list(g.tensors[maps[0]].shape)} over its pixels" if kind == "sum"
            else f"{list(g.tensors[maps[0]].shape)}^T x {list(g.tensors[maps[1]].shape)} over their pixels")
    return KernelCall(op.index, op.kind, f"mcu_pixel_{kind}_s8",
                      (f"&{name}_tiles[t]", ctx.scratch(op, "int32_t"), *srcs, Act(y.index)),
                      None, (f"mcu_pixel_{kind}.c",), f"{what}, patch by patch -> {list(y.shape)}")
