"""Lowering of a patch stage into one loop over tiles that calls the ordinary kernels.

Every op of the stage is lowered once per tile by its ordinary lowering function; only the geometry
fields of its parameters change per tile (tensor dims = the tile's region, padding = the tile origin
relative to the op's window), so the same kernel serves whole tensors and patches. Tensors inside the
stage live in tile buffers laid out as their region; tensors from before the stage are read whole in
global coordinates; the stage output's producer writes a tile buffer that mcu_tile_copy_s8 copies into
the full output tensor. The lowering functions know nothing of patches: their calls' pointer records
(records.Act) are rewritten here (the stage output's into the tile buffer, records.TileBuf; moved per
patch by constant offset arrays, records.TileOffset) and rendered to C with the rest of the program.

Caching rows, the tile buffers are line buffers: before an op computes its band's new rows, the rows
kept from the previous band move to the top of its output's buffer (mcu_tile_copy_s8 again), and the op
writes only the new rows below them, reading the exact receptive field of those rows; per-band row
offsets (constant arrays indexed by the tile) point the kernels at those rows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import McuCompileError
from ..ir import Graph
from ..ir.geometry import nearest_indices, spatial_slice
from ..passes.patch_plan import PatchSchedule
from ..passes.regions import (
    CHANNEL_REDUCE,
    CONCAT,
    ELEMENTWISE,
    LAYOUT,
    PADS,
    POINTWISE,
    RESIZE,
    SLICES,
    TOKEN_MATMUL,
    Region,
    concat_axis,
    concat_spans,
    dims4,
    input_intervals,
    spatial_pads,
    whole,
    window,
)
from .ops.misc import pad_tile_call
from .patch_reduce import accumulate_call
from .records import (
    Act,
    Arg,
    Cast,
    KernelCall,
    ParamArray,
    PatchLoop,
    TileBuf,
    TileOffset,
    c_dims4,
    c_int,
    c_list,
    map_acts,
)
from .registry import REGISTRY


def _window_fields(g: Graph, op, r_in: Region, r_out: Region) -> dict[str, str]:
    win = window(g, op)
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    pt = win.pad_top + r_in.y0 - r_out.y0 * win.sh
    pl = win.pad_left + r_in.x0 - r_out.x0 * win.sw
    f = {"in": c_dims4((1, r_in.h, r_in.w, x.shape[3])), "out": c_dims4((1, r_out.h, r_out.w, y.shape[3])),
         "pad_top": c_int(pt), "pad_left": c_int(pl)}
    f["pad_bottom"] = c_int((r_out.h - 1) * win.sh + (win.kh - 1) * win.dh + 1 - r_in.h - pt)
    f["pad_right"] = c_int((r_out.w - 1) * win.sw + (win.kw - 1) * win.dw + 1 - r_in.w - pl)
    return f


def _add_fields(g: Graph, op, regions: list[Region], r_out: Region) -> tuple[dict[str, str], list[int]]:
    """ADD/SUB/MUL on a patch: each input's buffer holds a region (activations: `regions`, in order;
    constants: whole); an input that broadcasts along an axis has stride 0 there."""
    c = g.tensors[op.outputs[0]].shape[3]
    f = {"rank": c_int(3), "out_dims": c_list([r_out.h, r_out.w, c, 1, 1, 1])}
    acts = iter(regions)
    offsets = []
    for k, t in enumerate(op.inputs):
        x = g.tensors[t]
        _, h, w, cx = dims4(g, t)
        r = Region(0, h, 0, w) if x.is_const else next(acts)
        row, col = (r.w * cx if h > 1 else 0), (cx if w > 1 else 0)
        f[f"in{k + 1}_strides"] = c_list([row, col, 1 if cx > 1 else 0, 0, 0, 0])
        off = (r_out.y0 - r.y0) * row + (r_out.x0 - r.x0) * col
        offsets.append(off if r_out.area else 0)
    return f, offsets


def _lut_fields(g: Graph, op, r_in: Region, r_out: Region) -> tuple[dict[str, str], list[int]]:
    """A pointwise op (mcu_lut_s8) on a patch: the output region's rows, read from the same pixels of the
    input's buffer (which may hold a larger region)."""
    c = g.tensors[op.outputs[0]].shape[3]
    f = {"size": c_int(r_out.w * c), "rows": c_int(r_out.h), "in_row_stride": c_int(r_in.w * c),
         "out_row_stride": c_int(r_out.w * c)}
    off = ((r_out.y0 - r_in.y0) * r_in.w + (r_out.x0 - r_in.x0)) * c if r_out.area else 0
    return f, [off]


def _concat_fields(g: Graph, op, j: int, r_in: Region, r_out: Region) -> tuple[dict[str, str], list[int]]:
    """Input j of a concatenation on a patch. Along the channels: each output pixel's channels
    [col, col + C_j) from the same pixel of input j's buffer (which may hold a larger region). Along rows
    or columns: the part of the tile inside input j's span, row by row, from input j's buffer (its
    coordinates shifted by the span's offset) to its place in the tile; no rows when the tile misses it."""
    axis = concat_axis(g, op)
    cj = g.tensors[op.inputs[j]].shape[3]
    c = g.tensors[op.outputs[0]].shape[3]
    if axis == 3:
        f = {"outer": c_int(r_out.w), "rows": c_int(r_out.h), "in_row_stride": c_int(r_in.w * cj),
             "out_row_stride": c_int(r_out.w * c)}
        off = ((r_out.y0 - r_in.y0) * r_in.w + (r_out.x0 - r_in.x0)) * cj if r_out.area else 0
        return f, [off]
    span, size = concat_spans(g, op)[j]
    (ya, yb, oy), (xa, xb, ox) = (r_out.y0, r_out.y1, 0), (r_out.x0, r_out.x1, 0)
    if axis == 1:
        ya, yb, oy = max(ya, span), min(yb, span + size), span
    else:
        xa, xb, ox = max(xa, span), min(xb, span + size), span
    f = {"outer": c_int(1), "out_row": c_int(r_out.w * c), "in_row_stride": c_int(r_in.w * c),
         "out_row_stride": c_int(r_out.w * c)}
    if yb <= ya or xb <= xa:            # the tile has no pixel of input j
        f.update(rows=c_int(0), in_row=c_int(0), out_col=c_int(0))
        return f, [0]
    f.update(rows=c_int(yb - ya), in_row=c_int((xb - xa) * c),
             out_col=c_int(((ya - r_out.y0) * r_out.w + (xa - r_out.x0)) * c))
    return f, [((ya - oy - r_in.y0) * r_in.w + (xa - ox - r_in.x0)) * c]


def _reduce_fields(g: Graph, op, r_in: Region, r_out: Region) -> tuple[dict[str, str], list[int]]:
    """A SUM/MEAN over each pixel's channels on a patch (mcu_mean_s8 on the tile's pixels): the input's
    buffer holds the same columns (patch_plan checks it), so the tile's rows are one run from its first."""
    c = g.tensors[op.inputs[0]].shape[3]
    f = {"in_dims": c_list([1, 1, 1, r_out.h, r_out.w, c])}
    off = ((r_out.y0 - r_in.y0) * r_in.w + (r_out.x0 - r_in.x0)) * c if r_out.area else 0
    return f, [0, off]


def _token_matmul_fields(g: Graph, op, r_in: Region, r_out: Region) -> tuple[dict[str, str], list[int]]:
    """A map's pixels times one matrix on a patch (mcu_batch_matmul_s8): one batch per tile row, the
    tile's columns as the matrix rows, read from the input's buffer (which may hold a larger region)."""
    k = g.tensors[op.inputs[0]].shape[3]
    f = {"batch_dims": c_list([1, 1, r_out.h]), "lhs_batch_strides": c_list([0, 0, r_in.w * k]),
         "rows": c_int(r_out.w)}
    off = ((r_out.y0 - r_in.y0) * r_in.w + (r_out.x0 - r_in.x0)) * k if r_out.area else 0
    return f, [off]


def _transpose_fields(g: Graph, op, r_out: Region) -> tuple[dict[str, str], list[int]]:
    """A model input's TRANSPOSE (batch first) on a patch: the tile's pixels gathered from the whole
    input, whose strides stay; the input pointer moves to the tile's first pixel."""
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    perm = [int(p) for p in np.asarray(g.tensors[op.inputs[1]].data).reshape(-1)]
    strides = [int(np.prod(x.shape[d + 1:], dtype=np.int64)) for d in range(4)]
    f = {"out_dims": c_list([1, 1, 1, r_out.h, r_out.w, y.shape[3]])}
    off = r_out.y0 * strides[perm[1]] + r_out.x0 * strides[perm[2]] if r_out.area else 0
    return f, [off]


def _pad_fields(g: Graph, op, r_in: Region, r_out: Region) -> tuple[dict[str, str], list[int]]:
    """A PAD on a patch (mcu_pad_tile_s8): the tile r_out of the padded map, its real rectangle, read from
    the input's buffer (region r_in) from its first real pixel on."""
    (pt, _), (pl, _) = spatial_pads(g, op)
    _, h, w, c = g.tensors[op.inputs[0]].shape
    y0, y1 = max(pt, r_out.y0), min(pt + h, r_out.y1)
    x0, x1 = max(pl, r_out.x0), min(pl + w, r_out.x1)
    f = {"rows": c_int(r_out.h), "cols": c_int(r_out.w), "in_row_stride": c_int(r_in.w * c)}
    if y0 >= y1 or x0 >= x1:           # padding only
        f.update(real_y0=c_int(0), real_y1=c_int(0), real_x0=c_int(0), real_x1=c_int(0))
        return f, [0]
    f.update(real_y0=c_int(y0 - r_out.y0), real_y1=c_int(y1 - r_out.y0), real_x0=c_int(x0 - r_out.x0),
             real_x1=c_int(x1 - r_out.x0))
    return f, [((y0 - pt - r_in.y0) * r_in.w + (x0 - pl - r_in.x0)) * c]


def _slice_fields(g: Graph, op, r_in: Region, r_out: Region) -> dict[str, str]:
    """A STRIDED_SLICE on a patch (mcu_strided_copy_s8, a 4-D view): the tile's elements from the input's
    buffer (region r_in), its first one at the slice start of the tile's first pixel."""
    (_, sy, sx, sc), (_, ty, tx, tc) = spatial_slice(g, op)
    c_in, c_out = g.tensors[op.inputs[0]].shape[3], g.tensors[op.outputs[0]].shape[3]
    off = ((sy + r_out.y0 * ty - r_in.y0) * r_in.w + (sx + r_out.x0 * tx - r_in.x0)) * c_in + sc
    return {"rank": c_int(4), "out_dims": c_list([1, 1, 1, r_out.h, r_out.w, c_out]),
            "in_strides": c_list([0, 0, 0, ty * r_in.w * c_in, tx * c_in, tc]),
            "in_offset": c_int(off if r_out.area else 0)}


def _resize_fields(ctx, g: Graph, op, r_in: Region, r_out: Region) -> dict[str, str]:
    """A resize on a patch: the input buffer holds region r_in, the output buffer is tile r_out. Bilinear:
    both origins (the kernel works in the whole tensors' coordinates); nearest: the tile's index tables,
    relative to the input buffer."""
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    c = y.shape[3]
    f = {"in": c_dims4((1, r_in.h, r_in.w, c)), "out": c_dims4((1, r_out.h, r_out.w, c))}
    if op.kind == "RESIZE_BILINEAR":
        f.update(out_y0=c_int(r_out.y0), out_x0=c_int(r_out.x0), in_y0=c_int(r_in.y0), in_x0=c_int(r_in.x0))
        return f
    a = op.attrs
    for field, axis, o0, o1, i0 in (("rows", 1, r_out.y0, r_out.y1, r_in.y0), ("cols", 2, r_out.x0, r_out.x1, r_in.x0)):
        picks = nearest_indices(y.shape[axis], x.shape[axis], a.align_corners, a.half_pixel_centers)[o0:o1]
        local = np.array([p - i0 for p in picks] or [0], dtype=np.int32)
        f[field] = ctx.const(local, "int32_t", f"resize_nearest{op.index}_{field}")
    return f


def _band_geometry(g: Graph, s: PatchSchedule, k: int):
    """Patch k -> {op index: (output region, input regions, row offsets)}. Recomputing, an op computes the
    whole region its tensor needs and reads its inputs' whole regions. Caching rows (s.cache_rows), each
    tensor's line buffer holds the rows [a, e) the band needs, at its top; an op computes only the new rows
    [n, e) into buffer row n - a, reading the exact receptive field of those rows. Row offsets: (op,
    tensor) -> element offset of the rows an op reads or writes inside that tensor's buffer."""
    regions = s.regions(k)
    inside = s.stage_tensors()
    comp = s.computed_rows(s.tile_rc(k)[0]) if s.cache_rows else {}
    out = {}
    for op in g.ops[s.start:s.split]:
        if op.outputs[0] not in inside:         # an accumulator or a token view (accumulating stage)
            continue
        acts = [t for t in op.inputs if t >= 0 and not g.tensors[t].is_const]
        o = op.outputs[0]
        if not s.cache_rows:
            out[op.index] = (regions[o], [regions[t] if t in inside else whole(g, t) for t in acts],
                             {})
            continue

        def row_offset(t: int, y: int) -> int:
            r = regions[t]
            return (y - r.y0) * r.w * g.tensors[t].shape[3]

        n, e = comp[o]
        r_out = Region(n, e, regions[o].x0, regions[o].x1)
        offsets = {o: row_offset(o, n) if e > n else 0}
        rows = input_intervals(g, op, 1, n, e)
        r_ins = []
        for t in acts:
            if t not in inside:
                r_ins.append(whole(g, t))
                continue
            i0, i1 = rows[t] if e > n else (0, 0)
            if i1 <= i0:                  # nothing to read (no rows, or only padding rows)
                i0 = i1 = regions[t].y0
            r_ins.append(Region(i0, i1, regions[t].x0, regions[t].x1))
            offsets[t] = row_offset(t, i0)
        out[op.index] = (r_out, r_ins, offsets)
    return out


def lower_stage(ctx, g: Graph, s: PatchSchedule, index: int) -> PatchLoop:
    """ctx: the model's LowerCtx; index: the stage's number (its tile buffer: TileBuf(index)). The ops'
    calls point at whole tensors (Act records); here the stage output's become its tile buffer and the
    rows an op reads or writes in a line buffer move its pointer by a per-band offset."""
    inside = s.stage_tensors()
    ntiles = s.tiles
    per_call_fields: dict[tuple[int, int], list[dict]] = {}      # (op, call) -> fields per tile
    per_call_offsets: dict[tuple[int, int], list[list[int]]] = {}
    templates: dict[int, list[KernelCall]] = {}
    geometry = [_band_geometry(g, s, k) for k in range(ntiles)]
    row_arrays: dict[tuple[int, int], str] = {}      # (op, tensor) -> per-band row offsets (caching rows)
    maps = [op for op in g.ops[s.start:s.split] if op.outputs[0] in inside]
    for op in maps:
        for t in {t for t in (*op.inputs, *op.outputs) if t in inside}:
            offs = np.array([geo[op.index][2].get(t, 0) for geo in geometry], dtype=np.int32)
            if np.any(offs):
                row_arrays[(op.index, t)] = ctx.const(offs, "int32_t", f"p{index}_rows{op.index}_t{t}")

    def base(a: Act) -> Arg:
        return TileBuf(index, a.ctype) if a.tensor == s.stage_output and not s.accumulates else a

    def per_patch(call: KernelCall) -> KernelCall:
        """The call's pointers inside the stage: tile buffer and row offsets."""
        def pointer(a: Act) -> Arg:
            arr = row_arrays.get((call.op_index, a.tensor))
            return TileOffset(base(a), arr) if arr else base(a)
        return replace(call, args=tuple(map_acts(arg, pointer) for arg in call.args))

    ctx.patch_tiles = {op.index: [geo[op.index][:2] for geo in geometry] for op in maps}
    try:                                # each op lowered once; the patches differ in their fields only
        for op in maps:
            calls = [pad_tile_call(ctx, op)] if op.kind in PADS else REGISTRY[op.kind].fn(ctx, op)
            if (not calls or any(c.params is None for c in calls)
                    or (len(calls) != 1 and op.kind not in CONCAT)):
                raise McuCompileError(f"{op.kind} (op {op.index}) cannot run per patch")
            templates[op.index] = [per_patch(c) for c in calls]
    finally:
        ctx.patch_tiles = {}
    for k in range(ntiles):
        for op in maps:
            r_out, r_ins, _ = geometry[k][op.index]
            for j, call in enumerate(templates[op.index]):
                fields = dict(call.params.fields)
                if op.kind in ELEMENTWISE:
                    upd, offs = _add_fields(g, op, r_ins, r_out)
                elif op.kind in POINTWISE:
                    upd, offs = _lut_fields(g, op, r_ins[0], r_out)
                elif op.kind in RESIZE:
                    upd, offs = _resize_fields(ctx, g, op, r_ins[0], r_out), []
                elif op.kind in LAYOUT:
                    upd, offs = _transpose_fields(g, op, r_out)
                elif op.kind in PADS:
                    upd, offs = _pad_fields(g, op, r_ins[0], r_out)
                elif op.kind in SLICES:
                    upd, offs = _slice_fields(g, op, r_ins[0], r_out), []
                elif op.kind in CHANNEL_REDUCE:
                    upd, offs = _reduce_fields(g, op, r_ins[0], r_out)
                elif op.kind in TOKEN_MATMUL:
                    upd, offs = _token_matmul_fields(g, op, r_ins[0], r_out)
                elif op.kind in CONCAT:     # call j copies input j
                    upd, offs = _concat_fields(g, op, j, r_ins[j], r_out)
                else:
                    upd, offs = _window_fields(g, op, r_ins[0], r_out), []
                fields.update({f: v for f, v in upd.items() if f in fields})
                per_call_fields.setdefault((op.index, j), []).append(fields)
                per_call_offsets.setdefault((op.index, j), []).append(offs)

    calls, arrays = [], []
    cached = s.cached_tensors()
    for op in g.ops[s.start:s.split]:
        if op.index in s.reduce:
            calls.append(accumulate_call(ctx, g, s, index, op, arrays))
            continue
        if op.outputs[0] not in inside:     # a token view: an alias, no code
            continue
        if op.outputs[0] in cached:
            calls.append(_shift_call(ctx, g, s, index, op.index, op.outputs[0], base(Act(op.outputs[0])),
                                     arrays))
        for j, call in enumerate(templates[op.index]):
            if op.index in s.inplace:      # its output overwrites its input's tile buffer
                call = in_place(ctx, op, call)
            name = ctx.unique(f"p{index}_{op.kind.lower()}{op.index}" + (f"_{j}" if j else ""))
            arrays.append(ParamArray(call.params.ctype, f"{name}_tiles",
                                     tuple(tuple(f.items()) for f in per_call_fields[(op.index, j)])))
            args: list[Arg] = [f"&{name}_tiles[t]", *call.args[1:]]
            offs = np.array(per_call_offsets[(op.index, j)], dtype=np.int64)
            for a in range(offs.shape[1] if offs.size else 0):
                if np.any(offs[:, a]):
                    arr = ctx.const(offs[:, a].astype(np.int32), "int32_t", f"{name}_off{a + 1}")
                    args[1 + a] = TileOffset(args[1 + a], arr)
            calls.append(KernelCall(op.index, op.kind, call.func, tuple(args), None, call.sources,
                                    call.comment + " (per patch)"))
        if s.stage_output in op.outputs and not s.accumulates:
            calls.append(_copy_call(ctx, g, s, index, op.index, arrays))
    return PatchLoop(index, s.start, s.split, ntiles, s.grid, tuple(calls), tuple(arrays))


def _copy_call(ctx, g, s, index, op_index, arrays) -> KernelCall:
    t = g.tensors[s.stage_output]
    _, h, w, c = t.shape
    entries = []
    for k in range(s.tiles):
        r, q = s.tile_rc(k)
        rect = Region(s.rows[r], s.rows[r + 1], s.cols[q], s.cols[q + 1])
        need = s.regions(k)[s.stage_output]
        entries.append((
            ("rows", c_int(rect.h)), ("cols", c_int(rect.w)), ("channels", c_int(c)),
            ("src_offset", c_int(((rect.y0 - need.y0) * need.w + (rect.x0 - need.x0)) * c)),
            ("src_row_stride", c_int(need.w * c)),
            ("dst_offset", c_int((rect.y0 * w + rect.x0) * c)),
            ("dst_row_stride", c_int(w * c)),
        ))
    name = ctx.unique(f"p{index}_copy")
    arrays.append(ParamArray("mcu_tile_copy_params_t", f"{name}_tiles", tuple(entries)))
    return KernelCall(op_index, "TILE_COPY", "mcu_tile_copy_s8",
                      (f"&{name}_tiles[t]", TileBuf(index, "const int8_t"),
                       Cast("int8_t *", Act(s.stage_output), wrap=True)),
                      None, ("mcu_tile.c",), f"patch -> {list(t.shape)}")



def _shift_call(ctx, g, s, index, op_index, t, buf, arrays) -> KernelCall:
    """Before a band computes tensor t's new rows: move the rows it keeps from the previous band to the
    top of t's line buffer (rows [a, e_prev) from buffer row a - a_prev to row 0); nothing at the top
    band of a column strip. Whole rows move by at least one row, so the per-row copies never overlap."""
    need = s.row_need(t)
    entries = []
    for k in range(s.tiles):
        b, q = s.tile_rc(k)
        (x0, x1), = [(x0, x1) for u, x0, x1 in s.col_bands[q] if u == t]
        row = (x1 - x0) * g.tensors[t].shape[3]
        shift = need[b][0] - need[b - 1][0] if b else 0
        keep = need[b - 1][1] - need[b][0] if b and shift > 0 else 0
        entries.append((("rows", c_int(max(keep, 0))), ("cols", c_int(x1 - x0)),
                        ("channels", c_int(g.tensors[t].shape[3])),
                        ("src_offset", c_int(shift * row)), ("src_row_stride", c_int(row)),
                        ("dst_offset", c_int(0)), ("dst_row_stride", c_int(row))))
    name = ctx.unique(f"p{index}_keep{op_index}")
    arrays.append(ParamArray("mcu_tile_copy_params_t", f"{name}_tiles", tuple(entries)))
    return KernelCall(op_index, "ROW_SHIFT", "mcu_tile_copy_s8", (f"&{name}_tiles[t]", buf, buf),
                      None, ("mcu_tile.c",), "rows kept from the band above move to the top of the line buffer")


def in_place(ctx, op, call: KernelCall) -> KernelCall:
    """The depthwise call turned into its in-place form: (params, buffer, filter, bias, one-channel temp)."""
    assert call.func.startswith("mcu_dwconv_"), call.func
    params, buf, filt, bias, _out, _scratch = call.args
    return KernelCall(call.op_index, call.op_kind, "mcu_depthwise_conv2d_inplace_s8",
                      (params, buf, filt, bias, ctx.scratch(op, "int8_t")),
                      call.params, ("mcu_dw_inplace.c",), call.comment + " (in place)")
