"""Lower a graph plus its memory plan into records, then render the C project from templates/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import jinja2
import numpy as np

from .. import FIRMWARE_DIR, TEMPLATES_DIR, __version__
from ..errors import McuCompileError, UnsupportedModelError
from ..ir import Graph
from ..kernels.wide_cost import DEFAULT_FLASH_RATIO, THRESHOLD, WideChoice, choose, wide_layer
from ..passes.analysis import flash_weight_bytes
from ..passes.banks import BankPlan, main_bank, plan_banks, resolve_banks
from ..passes.inplace import inplace_depthwise
from ..passes.liveness import alias_roots, buffers
from ..passes.memory_plan import MemoryPlan, drop_costly_scratch, plan_memory
from ..passes.patch_plan import PatchSearch, patch_buffers, search, stage_free, tile_buffer_id
from .lowering import LowerCtx, load_all
from .patch import in_place, lower_stage
from .records import Act, ConstArray, KernelCall, PatchLoop, Scratch, StateSlot, TileBuf, c_arg
from .registry import REGISTRY

CTYPES = {"int8": "int8_t", "float32": "float", "int32": "int32_t", "int16": "int16_t", "uint8": "uint8_t",
          "int64": "int64_t", "bool": "uint8_t", "uint32": "uint32_t", "uint64": "uint64_t"}
ARENA_ALIGN = 16


@dataclass(frozen=True)
class Options:
    io_in_arena: bool = True      # model inputs/outputs live inside the arena (else: caller's buffers)
    align: int = 4                # byte alignment of every buffer in the arena
    patch: tuple = ()             # PatchSchedule stages run patch by patch (empty: layer by layer)
    patch_mode: str = "none"      # "auto": search stages and grids (when `patch` is empty)
    max_overhead: float = 0.10    # extra MACs allowed by the patch search
    sram_limit: int | None = None   # least MACs whose peak fits (implies the search)
    inplace: bool = False         # depthwise convolutions overwrite their input where they can
    simd: str = "none"            # the target's kernel family, which decides some kernels' scratch: "none"
    #                               (host, Cortex-M0+), "dsp" (Armv7E-M: M4, M7), "dsp-size" (the same
    #                               cores, the small-code kernels: --optimise size), "mve" (Helium: M55);
    #                               set from the board (pipeline.board_options), "none" gives the least memory
    scratch: str = "free"         # optional kernel scratch (faster paths): "free" only where it does not
    #                               raise the arena's peak, "always" wherever a kernel can use it
    input_layout: str = "model"   # "nhwc": a model input's TRANSPOSE NCHW -> NHWC is dropped, the caller
    #                               passes NHWC (graph normalisation, passes/normalize.py; api.load)
    kernels: str = "fast"         # "fast": the core's fast paths; "no-asm": built with MCU_NN_NO_ASM (the DSP
    #                               paths' inline assembly replaced by its plain-C twins); "reference": built
    #                               with MCU_NN_REFERENCE (the plain loops a core without DSP runs, planned
    #                               as such: simd "none", pipeline.board_options). The build flags carry it.
    optimise: str = "speed"       # "speed": the fastest conv variant per op; "size": the small-code set on the
    #                               DSP cores (simd "dsp-size", pipeline.board_options; kernels/conv.choose)
    wide_weights: str = "auto"    # the DSP wide convs' weights pre-widened to int16 in flash (simd "dsp"
    #                               only, faster; 1x1 convs with in.c % 4 == 0 drop the int8 copy): "on"
    #                               (every such conv), "off", "auto" (the convs kernels/wide_cost.py picks by
    #                               cycles saved per extra byte within flash_budget, cut to the flash the
    #                               board leaves free: pipeline.compile_for_board)
    flash_budget: int | None = None   # with wide_weights "auto": extra flash bytes the pre-widened weights
    #                               may add over the int8 build (None: up to wide_cost.DEFAULT_FLASH_RATIO
    #                               times the int8 build's weight bytes in all)
    memory: tuple = ()            # memory banks (passes/banks.Bank, --memory): the arena's buffers spread over
    #                               these RAM regions, fastest first for the most-touched buffers; () = one arena


@dataclass
class IOInfo:
    index: int
    tensor: int
    name: str
    ctype: str
    shape: tuple
    dtype: str
    nbytes: int
    scale: float
    zero_point: int
    offset: int                   # arena offset, -1 when outside
    layout_note: str = ""         # an input whose layout normalisation changed: what the caller passes


@dataclass(frozen=True)
class Pointers:
    """The C text of the calls' pointer records (records.Act, Scratch, TileBuf) from the memory plan."""
    root: dict[int, int]                    # tensor -> the tensor whose buffer it aliases
    offsets: dict[int, int]                 # buffer id -> arena offset
    io: dict[int, tuple[str, int]]          # alias root -> ("inputs" | "outputs", k): a caller's buffer
    scratch_ids: frozenset[int]             # the scratch buffers planned (id -(op + 1))
    base: dict[int, str] = field(default_factory=dict)   # buffer id -> its arena's C name (default "arena")

    def act(self, a: Act) -> str:
        r = self.root[a.tensor]
        if r in self.offsets:
            return f"(({a.ctype} *)({self.base.get(r, 'arena')} + {self.offsets[r]}))"
        where, k = self.io[r]
        const = "const " if where == "inputs" else ""
        return f"(({const}{a.ctype} *){where}[{k}])"

    def scratch(self, s: Scratch) -> str:
        bid = -(s.op_index + 1)
        assert bid in self.scratch_ids, f"op {s.op_index} asked for scratch it did not declare"
        return f"(({s.ctype} *)({self.base.get(bid, 'arena')} + {self.offsets[bid]}))"

    def tile(self, b: TileBuf) -> str:
        bid = tile_buffer_id(b.stage)
        return f"(({b.ctype} *)({self.base.get(bid, 'arena')} + {self.offsets[bid]}))"

    def call(self, k: KernelCall) -> KernelCall:
        """The call with its arguments as C text."""
        return replace(k, args=tuple(c_arg(a, self.act, self.scratch, self.tile) for a in k.args))

    def item(self, item: KernelCall | PatchLoop) -> KernelCall | PatchLoop:
        if isinstance(item, PatchLoop):
            return replace(item, calls=tuple(self.call(k) for k in item.calls))
        return self.call(item)


@dataclass
class Compiled:
    graph: Graph
    options: Options
    plan: MemoryPlan
    calls: list[KernelCall]       # every kernel call, patch loops' calls included
    consts: list[ConstArray]
    inputs: list[IOInfo]
    outputs: list[IOInfo]
    sources: list[str]
    program: list = field(default_factory=list)   # KernelCall | PatchLoop, in execution order
    patch_search: PatchSearch | None = None     # what the patch search explored, when it ran
    stages: tuple = ()                             # the patch stages of this schedule
    pointers: Pointers | None = None               # what the calls' pointer records point at
    banks: BankPlan | None = None                  # with memory banks: every region's plan (plan: the main one's)
    wide: WideChoice | None = None                 # the convs given pre-widened weights (simd "dsp", not off;
    #                                                None without any conv a wide path takes)
    files: dict[str, str] = field(default_factory=dict)
    state: tuple[StateSlot, ...] = ()              # the persistent state region (LowerCtx.persistent)

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def extra_arenas(self) -> list[dict]:
        """The arenas besides the main one (memory banks with buffers), in the order <model>_invoke_banks takes
        them (index 1 on): name, c_name, bytes, section."""
        if self.banks is None:
            return []
        out = []
        for b in self.banks.banks:
            n = self.banks.plans[b.name].arena_bytes
            if not b.main and n > 0:
                out.append({"name": b.name, "c_name": b.cname, "NAME": b.cname.upper(), "bytes": n,
                            "index": len(out) + 1, "section": f".bss.{b.cname}", "origin": b.origin})
        return out

    @property
    def all_buffers(self) -> tuple:
        """Every planned buffer, whichever arena holds it."""
        if self.banks is None:
            return self.plan.buffers
        return tuple(x for p in self.banks.plans.values() for x in p.buffers)

    @property
    def state_bytes(self) -> int:
        """Bytes of the persistent state region (outside the arena; 0: the model keeps no state)."""
        from .lowering import STATE_ALIGN
        return sum(-(-s.nbytes // STATE_ALIGN) * STATE_ALIGN for s in self.state)

    def memory_map(self) -> dict:
        g = self.graph
        bufs = []
        for b in sorted(self.plan.buffers, key=lambda b: (self.plan.offsets[b.id], b.first)):
            bufs.append({
                "kind": b.kind,
                "tensors": [{"index": t, "name": g.tensors[t].name} for t in b.tensors],
                "op": -b.id - 1 if b.kind == "scratch" else None,
                "offset": self.plan.offsets[b.id], "size": b.size,
                "first_step": b.first, "last_step": b.last,
            })
        return {
            "model": g.name, "generator": f"mcucompile {__version__}",
            "arena_bytes": self.plan.arena_bytes, "lower_bound_bytes": self.plan.lower_bound,
            "planner_strategy": self.plan.strategy, "alignment": self.options.align,
            "io_in_arena": self.options.io_in_arena,
            "inputs": [_io_dict(i) for i in self.inputs], "outputs": [_io_dict(o) for o in self.outputs],
            "flash_weights_bytes": flash_weight_bytes(g),
            "state_bytes": self.state_bytes,
            "state": [{"owner": s.owner, "offset": s.offset, "size": s.nbytes,
                       "initial": "constant" if s.initial else f"bytes 0x{s.fill:02x}"} for s in self.state],
            "buffers": bufs,
            **({"regions": self.banks.as_dict(g)} if self.banks is not None else {}),
        }


def _io_dict(io: IOInfo) -> dict:
    return {"name": io.name, "tensor": io.tensor, "shape": list(io.shape), "dtype": io.dtype,
            "bytes": io.nbytes, "scale": io.scale, "zero_point": io.zero_point,
            "arena_offset": io.offset if io.offset >= 0 else None}


SIMD_FAMILIES = ("none", "dsp", "dsp-size", "mve")


def compile_graph(g: Graph, options: Options = Options(), search_progress: Callable | None = None) -> Compiled:
    """Plan (the patch search when options ask for it, the memory plan) and lower `g`; search_progress wraps
    the search's steps (passes/patch_plan.py search(progress=...))."""
    load_all()
    if options.simd not in SIMD_FAMILIES:
        raise McuCompileError(f"unknown kernel family simd={options.simd!r}; one of {', '.join(SIMD_FAMILIES)}")
    kernel_defines(options)                         # an unknown kernel set fails here, before any work
    stages = tuple(sorted(options.patch, key=lambda s: s.start))
    if options.memory and options.sram_limit is not None:
        raise McuCompileError("memory banks (--memory) do not combine with --sram-limit (one arena's budget): "
                              "the regions' sizes are the budget; use --patch auto to cut the peak first")
    found = None
    inplace = inplace_depthwise(g, options.io_in_arena) if options.inplace else frozenset()
    if not stages and (options.patch_mode == "auto" or options.sram_limit is not None):
        found = search(g, options.max_overhead, options.sram_limit, options.align, options.io_in_arena,
                       progress=search_progress, inplace=inplace, simd=options.simd)
        stages = found.chosen
    inplace = stage_free(inplace, stages)
    if stages:
        bufs = patch_buffers(g, stages, align=options.align, io_in_arena=options.io_in_arena, inplace=inplace,
                             simd=options.simd)
    else:
        bufs = buffers(g, align=options.align, io_in_arena=options.io_in_arena, inplace=inplace,
                       simd=options.simd)
    if options.wide_weights not in ("auto", "on", "off"):
        raise McuCompileError(f"unknown wide weights mode {options.wide_weights!r}; one of auto, on, off")
    if options.flash_budget is not None and (options.wide_weights != "auto" or options.flash_budget < 0):
        raise McuCompileError(f"--flash-budget {options.flash_budget} is for --wide-weights auto: a number of "
                              f"bytes >= 0 (got --wide-weights {options.wide_weights})")
    if options.scratch not in ("free", "always"):
        raise McuCompileError(f"unknown scratch policy {options.scratch!r}; one of free, always")
    if options.scratch == "free":
        bufs = drop_costly_scratch(bufs, len(g.ops), options.align)
    banked, base = None, {}
    if options.memory:                  # memory banks: one plan per region, the main one's is `plan`
        banks = resolve_banks(options.memory)
        banked = plan_banks(g, bufs, len(g.ops), banks, options.align, inplace)
        plan = banked.plans[main_bank(banks).name]
        offsets = {bid: p.offsets[bid] for p in banked.plans.values() for bid in p.offsets}
        arena_of = {b.name: f"arena_{b.cname}" for b in banks        # a region without bytes has no arena
                    if not b.main and banked.plans[b.name].arena_bytes > 0}
        base = {bid: arena_of.get(name, "arena") for bid, name in banked.where.items()}
    else:
        plan = plan_memory(bufs, len(g.ops), align=options.align)
        offsets = dict(plan.offsets)
    root = alias_roots(g, inplace)
    io_pos = {}
    for k, t in enumerate(g.inputs):
        io_pos.setdefault(root[t], ("inputs", k))
    for k, t in enumerate(g.outputs):
        io_pos.setdefault(root[t], ("outputs", k))
    scratch_ids = {b.id for b in bufs if b.kind == "scratch"}

    def lower(wide) -> tuple[LowerCtx, list]:
        ctx = LowerCtx(g, lambda op_index: -(op_index + 1) in scratch_ids, simd=options.simd,
                       kernels=options.kernels, wide_weights=wide)
        return ctx, _lower_program(ctx, g, stages, inplace)

    widening = options.simd == "dsp" and options.wide_weights != "off"
    ctx, program = lower(widening)
    wide = None
    if widening and ctx.wide_extra:
        wide = _wide_choice(g, options, ctx)
        chosen = wide.widened
        if len(chosen) < len(wide.layers):
            ctx, program = lower(lambda op_index: op_index in chosen)
    calls = [c for item in program for c in (item.calls if isinstance(item, PatchLoop) else (item,))]

    layout = {g.inputs[r.input]: "NHWC: the model's TRANSPOSE from NCHW was dropped (--input-layout nhwc)"
              for r in g.rewrites if r.kind == "drop_input_transpose"}

    def io_info(k: int, t: int) -> IOInfo:
        ten = g.tensors[t]
        r = root[t]
        return IOInfo(k, t, ten.name, CTYPES[ten.dtype], ten.shape, ten.dtype,
                      ten.nbytes, float(ten.quant.scale[0]) if ten.quant else 0.0,
                      int(ten.quant.zero_point[0]) if ten.quant else 0, plan.offsets.get(r, -1),
                      layout.get(t, ""))

    sources = {s for c in calls for s in c.sources}
    if any(g.tensors[t].dtype == "int8" for t in (*g.inputs, *g.outputs)):
        sources.add("mcu_quantize.c")       # the header's float <-> int8 helpers
    sources = sorted(sources)
    return Compiled(g, options, plan, calls, ctx.consts,
                    [io_info(k, t) for k, t in enumerate(g.inputs)],
                    [io_info(k, t) for k, t in enumerate(g.outputs)], sources, program, found, stages,
                    Pointers(root, offsets, io_pos, frozenset(scratch_ids), base), banks=banked, state=tuple(ctx.state),
                    wide=wide)


def _lower_program(ctx: LowerCtx, g: Graph, stages: tuple, inplace: frozenset) -> list:
    """The kernel calls and patch loops of `g` in execution order."""
    program: list = []
    stage_at = {s.start: (i, s) for i, s in enumerate(stages)}
    k = 0
    while k < len(g.ops):
        if k in stage_at:
            i, s = stage_at[k]
            program.append(lower_stage(ctx, g, s, i))
            k = s.split
            continue
        op = g.ops[k]
        low = REGISTRY.get(op.kind)
        if low is None:
            raise UnsupportedModelError(f"{op.kind} (op {op.index}) is not supported")
        calls = low.fn(ctx, op)
        if k in inplace:
            calls = [in_place(ctx, op, c) for c in calls]
        program.extend(calls)
        k += 1
    return program


def _wide_choice(g: Graph, options: Options, ctx: LowerCtx) -> WideChoice:
    """Which convs keep the pre-widened weights, from a lowering `ctx` that gave them to every conv a wide
    path takes: all with wide_weights "on"; with "auto" those kernels/wide_cost.choose picks within
    options.flash_budget (default: the generated weights up to DEFAULT_FLASH_RATIO x those of the int8
    build, --wide-weights off)."""
    layers = [wide_layer(g, g.ops[op], extra, live, narrow)
              for op, (extra, live, narrow) in sorted(ctx.wide_extra.items())]
    if options.wide_weights == "on":
        return WideChoice("on", None, THRESHOLD, tuple(replace(x, widened=True) for x in layers))
    budget = options.flash_budget
    if budget is None:
        int8_build = sum(np.asarray(c.values).nbytes for c in ctx.consts) - sum(x.extra_bytes for x in layers)
        budget = int((DEFAULT_FLASH_RATIO - 1) * int8_build)
    return WideChoice("auto", budget, THRESHOLD, tuple(choose(layers, budget)))


# ---- rendering --------------------------------------------------------------------------------

def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)


def _const_lines(c: ConstArray, per_line: int = 24) -> list[str]:
    flat = np.asarray(c.values).ravel()
    if c.ctype == "float":
        items = [repr(float(np.float32(v))) + "f" for v in flat.tolist()]
    elif c.ctype == "uint32_t":
        items = [f"{v}u" for v in flat.astype(np.int64).tolist()]
    elif c.ctype == "int32_t":
        items = ["INT32_MIN" if v == -(1 << 31) else str(v) for v in flat.astype(np.int64).tolist()]
    else:
        items = [str(v) for v in flat.astype(np.int64).tolist()]
    return [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)] or ["0"]


KERNEL_SETS = {"fast": [], "no-asm": ["-DMCU_NN_NO_ASM"], "reference": ["-DMCU_NN_REFERENCE"]}


def kernel_defines(options: Options) -> list[str]:
    """Preprocessor flags every kernel file of the project is built with (the generated Makefiles and
    CMake lists carry them)."""
    if options.kernels not in KERNEL_SETS:
        raise McuCompileError(f"unknown kernel set {options.kernels!r}; one of {', '.join(KERNEL_SETS)}")
    return KERNEL_SETS[options.kernels]


def render(c: Compiled) -> dict[str, str]:
    """Return {relative path: text} for the whole generated project."""
    env = _env()
    g = c.graph
    upper = g.name.upper()
    assert c.pointers is not None, "compile_graph gives every Compiled its pointers"
    program = [c.pointers.item(item) for item in c.program]      # the pointer records as C text, once
    consts = [{"name": k.name, "ctype": k.ctype, "count": max(int(np.asarray(k.values).size), 1),
               "lines": _const_lines(k)} for k in c.consts]
    ctx = {
        "name": g.name, "NAME": upper, "version": __version__,
        "arena_bytes": c.plan.arena_bytes, "arena_align": ARENA_ALIGN, "banks": c.extra_arenas,
        "main_bank": main_bank(c.banks.banks).name if c.banks is not None else None,
        "lower_bound": c.plan.lower_bound,
        "inputs": c.inputs, "outputs": c.outputs,
        "program": [{"loop": item} if isinstance(item, PatchLoop) else {"call": item} for item in program],
        "params": [k.params for k in c.calls if k.params is not None],
        "arrays": [a for item in c.program if isinstance(item, PatchLoop) for a in item.arrays],
        "consts": consts, "sources": c.sources,
        "flash_weights_bytes": sum(np.asarray(k.values).nbytes for k in c.consts),
        "defines": kernel_defines(c.options),
        "families": kernel_families(c),
        "models": [g.name], "lib": g.name,
        "state_bytes": c.state_bytes, "state": c.state,
    }
    files = {
        f"{g.name}.h": env.get_template("model.h.j2").render(ctx),
        f"{g.name}.c": env.get_template("model.c.j2").render(ctx),
        f"{g.name}_weights.h": env.get_template("weights.h.j2").render(ctx),
        f"{g.name}_weights.c": env.get_template("weights.c.j2").render(ctx),
        "Makefile": env.get_template("Makefile.j2").render(ctx),
        f"{g.name}_memory.json": json.dumps(c.memory_map(), indent=2) + "\n",
        "mcu_nn.h": (FIRMWARE_DIR / "mcu_nn.h").read_text(),
    }
    todo = ["mcu_nn.h"]
    for s in c.sources:
        files[s] = (FIRMWARE_DIR / s).read_text()
        todo.append(s)
    while todo:     # the library's headers the sources include, and those they include
        text = files[todo.pop()]
        for header in re.findall(r'^#include "(\w+\.h)"', text, re.M):
            if header not in files:
                files[header] = (FIRMWARE_DIR / header).read_text()
                todo.append(header)
    c.files = files
    return files


# library sources that call the C maths library (libm: exp), which a link must then name
LIBM_SOURCES = frozenset({"mcu_detection_postprocess.c"})


def link_libs(sources) -> list[str]:
    """The libraries a program linking these kernel sources needs after its objects (-lm for exp)."""
    return ["-lm"] if LIBM_SOURCES.intersection(sources) else []


def render_makefile(models: list[str], sources: list[str], defines: list[str], lib: str) -> str:
    """The Makefile of a folder holding several models' sources (lib<lib>.a with all of them)."""
    return _env().get_template("Makefile.j2").render(version=__version__, models=models, sources=sources,
                                                      defines=defines, lib=lib)


def kernel_families(c: Compiled) -> dict[str, list[str]]:
    """The core-specific kernel variants the model calls, by family ("dsp", "mve": their name's suffix); the
    generated code refuses to build for a core without them."""
    out: dict[str, list[str]] = {}
    for fam in ("dsp", "mve"):
        funcs = sorted({k.func for k in c.calls if k.func.endswith("_" + fam)})
        if funcs:
            out[fam] = funcs
    return out


def render_host_main(c: Compiled) -> str:
    return _env().get_template("host_main.c.j2").render(name=c.graph.name, NAME=c.graph.name.upper(),
                                                        inputs=c.inputs, outputs=c.outputs, banks=c.extra_arenas)
