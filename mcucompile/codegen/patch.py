"""Lowering of a patch stage into one loop over tiles that calls the ordinary kernels.

Every op of the stage is lowered once per tile by its ordinary lowering function; only the geometry
fields of its parameters change per tile (tensor dims = the tile's region, padding = the tile origin
relative to the op's window), so the same kernel serves whole tensors and patches. Tensors inside the
stage live in tile buffers laid out as their region; tensors from before the stage are read whole in
global coordinates; the stage output's producer writes a tile buffer that mcu_tile_copy_s8 copies into
the full output tensor.
"""

from __future__ import annotations

import numpy as np

from ..errors import McuCompileError
from ..ir import Graph
from ..passes.patch_plan import PatchSchedule
from ..passes.regions import ELEMENTWISE, Region, full, window
from .lowering import REGISTRY
from .records import KernelCall, ParamArray, PatchLoop, c_dims4, c_int, c_list


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
    c = g.tensors[op.outputs[0]].shape[3]
    f = {"rank": c_int(3), "out_dims": c_list([r_out.h, r_out.w, c, 1, 1, 1])}
    offsets = []
    for k, r in enumerate(regions):
        f[f"in{k + 1}_strides"] = c_list([r.w * c, c, 1, 0, 0, 0])
        offsets.append(((r_out.y0 - r.y0) * r.w + (r_out.x0 - r.x0)) * c)
    return f, offsets


def lower_stage(ctx, g: Graph, s: PatchSchedule, index: int, tile_ptr: str, full_ptr: str) -> PatchLoop:
    """ctx: the model's LowerCtx; tile_ptr / full_ptr: C pointers to the stage output's tile buffer and
    its full buffer."""
    inside = s.stage_tensors()
    ntiles = s.tiles
    per_op_fields: dict[int, list[dict]] = {}
    per_op_offsets: dict[int, list[list[int]]] = {}
    templates: dict[int, KernelCall] = {}
    saved = ctx._pointer

    def pointer(t: int, ctype: str) -> str:
        return f"(({ctype} *){tile_ptr})" if t == s.stage_output else saved(t, ctype)

    ctx._pointer = pointer
    try:
        for k in range(ntiles):
            regions = s.regions(k)
            for op in g.ops[s.start:s.split]:
                calls = REGISTRY[op.kind].fn(ctx, op)
                if len(calls) != 1 or calls[0].params is None:
                    raise McuCompileError(f"{op.kind} (op {op.index}) cannot run per patch")
                call = calls[0]
                fields = dict(call.params.fields)
                r_out = regions[op.outputs[0]]
                acts = [t for t in op.inputs if t >= 0 and not g.tensors[t].is_const]
                r_ins = [regions[t] if t in inside else full(g.tensors[t].shape) for t in acts]
                if op.kind in ELEMENTWISE:
                    upd, offs = _add_fields(g, op, r_ins, r_out)
                else:
                    upd, offs = _window_fields(g, op, r_ins[0], r_out), []
                fields.update({f: v for f, v in upd.items() if f in fields})
                per_op_fields.setdefault(op.index, []).append(fields)
                per_op_offsets.setdefault(op.index, []).append(offs)
                templates.setdefault(op.index, call)
    finally:
        ctx._pointer = saved

    calls, arrays = [], []
    for op in g.ops[s.start:s.split]:
        call = templates[op.index]
        name = ctx.unique(f"p{index}_{op.kind.lower()}{op.index}")
        arrays.append(ParamArray(call.params.ctype, f"{name}_tiles",
                                 tuple(tuple(f.items()) for f in per_op_fields[op.index])))
        args = [f"&{name}_tiles[t]", *call.args[1:]]
        offs = np.array(per_op_offsets[op.index], dtype=np.int64)
        for j in range(offs.shape[1] if offs.size else 0):
            if np.any(offs[:, j]):
                arr = ctx.const(offs[:, j].astype(np.int32), "int32_t", f"{name}_off{j + 1}")
                args[1 + j] = f"({args[1 + j]} + {arr}[t])"
        calls.append(KernelCall(op.index, op.kind, call.func, tuple(args), None, call.sources,
                                call.comment + " (per patch)"))
        if s.stage_output in op.outputs:
            calls.append(_copy_call(ctx, g, s, index, op.index, tile_ptr, full_ptr, arrays))
    return PatchLoop(index, s.start, s.split, ntiles, s.grid, tuple(calls), tuple(arrays))


def _copy_call(ctx, g, s, index, op_index, tile_ptr, full_ptr, arrays) -> KernelCall:
    t = g.tensors[s.stage_output]
    _, h, w, c = t.shape
    entries = []
    k = 0
    for r in range(len(s.rows) - 1):
        for q in range(len(s.cols) - 1):
            rect = Region(s.rows[r], s.rows[r + 1], s.cols[q], s.cols[q + 1])
            need = s.regions(k)[s.stage_output]
            entries.append((
                ("rows", c_int(rect.h)), ("cols", c_int(rect.w)), ("channels", c_int(c)),
                ("src_offset", c_int(((rect.y0 - need.y0) * need.w + (rect.x0 - need.x0)) * c)),
                ("src_row_stride", c_int(need.w * c)),
                ("dst_offset", c_int((rect.y0 * w + rect.x0) * c)),
                ("dst_row_stride", c_int(w * c)),
            ))
            k += 1
    name = ctx.unique(f"p{index}_copy")
    arrays.append(ParamArray("mcu_tile_copy_params_t", f"{name}_tiles", tuple(entries)))
    return KernelCall(op_index, "TILE_COPY", "mcu_tile_copy_s8",
                      (f"&{name}_tiles[t]", f"((const int8_t *){tile_ptr})", f"((int8_t *){full_ptr})"),
                      None, ("mcu_tile.c",), f"patch -> {list(t.shape)}")



def in_place(ctx, op, call: KernelCall) -> KernelCall:
    """The depthwise call turned into its in-place form: (params, buffer, filter, bias, one-channel temp)."""
    assert call.func == "mcu_depthwise_conv2d_s8", call.func
    params, buf, filt, bias, _out = call.args
    return KernelCall(call.op_index, call.op_kind, "mcu_depthwise_conv2d_inplace_s8",
                      (params, buf, filt, bias, ctx.scratch(op, "int8_t")),
                      call.params, (*call.sources, "mcu_dw_inplace.c"), call.comment + " (in place)")
