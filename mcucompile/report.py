"""`mcucompile report`: one self-contained HTML page answering "will it fit, and where does the memory go?".

The page holds the per-layer table (op, shapes, MACs, weight bytes, live bytes, arena offset), a memory
timeline (live bytes per step for the layer-by-layer schedule and, with patches, the patch-based one,
against the board's SRAM), an arena layout picture (every buffer as a box over time and address) and the
totals against the board. Figures are drawn with matplotlib and embedded as base64 PNG, so the file has no
external references and can be mailed around.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from . import TEMPLATES_DIR, __version__
from .codegen.generate import Compiled, Options
from .errors import McuCompileError, OutputFolderError
from .ir import Graph
from .passes.analysis import flash_weight_bytes, op_macs, op_weight_bytes
from .passes.liveness import alias_roots, live_bytes_per_step
from .pipeline import Build, run

Progress = Callable[[str, int, int], None]


@dataclass
class Schedule:
    """One way to run the model: its compiled form and the live bytes at every step."""
    label: str
    compiled: Compiled
    live: list[int]
    macs: int

    @property
    def peak(self) -> int:
        """The arena's bytes (with memory banks: all the regions' arenas together)."""
        if self.compiled.banks is not None:
            return sum(p.arena_bytes for p in self.compiled.banks.plans.values())
        return self.compiled.plan.arena_bytes


@dataclass
class ReportData:
    model: str
    source: str
    graph: Graph
    schedules: list[Schedule]            # [layer by layer] or [layer by layer, patches]
    board: object | None = None       # boards.Board
    fit: object | None = None         # boards.firmware.Fit of the chosen schedule
    code: object | None = None        # boards.codesize.CodeSize: flash by part (link map or estimate)
    layers: list[dict] = field(default_factory=list)
    latency: dict | None = None       # --latency: sim.latency.Latency.as_dict of the chosen schedule

    @property
    def chosen(self) -> Schedule:
        return self.schedules[-1]

    @property
    def regions(self) -> list | None:
        """With memory banks (--memory): each region's plan (passes.banks.BankPlan.as_dict)."""
        banks = self.chosen.compiled.banks
        return banks.as_dict(self.graph) if banks is not None else None

    def as_dict(self) -> dict:
        c = self.chosen
        d = {"model": self.model, "schedules": [
                {"label": s.label, "peak_sram_bytes": s.peak, "lower_bound_bytes": s.compiled.plan.lower_bound,
                 "macs": s.macs, "live_bytes": s.live,
                 "stages": [{"first_op": st.start, "split": st.split, "grid": list(st.grid)}
                            for st in s.compiled.stages]} for s in self.schedules],
             "flash_weights_bytes": flash_weight_bytes(self.graph), "peak_sram_bytes": c.peak,
             "state_bytes": c.compiled.state_bytes,
             "layers": self.layers}
        if self.fit is not None:
            d["board"] = self.fit.as_dict()
        if self.code is not None:
            d["code"] = self.code.as_dict()
        if self.latency is not None:
            d["latency"] = self.latency
        if self.regions is not None:
            d["regions"] = self.regions
        if c.compiled.wide is not None:
            d["wide"] = c.compiled.wide.as_dict()
        return d


def _search_progress(progress: Progress | None):
    if progress is None:
        return None

    def wrap(steps):
        steps = list(steps)
        for k, s in enumerate(steps):
            progress("patch search", k, len(steps))
            yield s
        progress("patch search", len(steps), len(steps))
    return wrap


def collect(built: Build, latency: bool = False) -> ReportData:
    """The report's figures of one pipeline run (pipeline.run / pipeline.build): the layer-by-layer schedule
    and, when the run chose patches, the patch-based one; with `latency`, the estimated cycles per op on the
    board (sim/latency.py: one cross-build and QEMU run)."""
    from .passes.patch_plan import patch_macs
    g, chosen = built.graph, built.compiled
    lbl = built.layer_by_layer
    base_macs = sum(op_macs(g, op) for op in g.ops)
    scheds = [Schedule("layer by layer", lbl, live_bytes_per_step(list(lbl.all_buffers), len(g.ops)), base_macs)]
    if chosen.stages:
        grids = ", ".join(f"ops {s.start}-{s.split - 1} {s.grid[0]}x{s.grid[1]}"
                          f"{' rows cached' if s.cache_rows else ''}" for s in chosen.stages)
        scheds.append(Schedule(f"patches ({grids})", chosen,
                               live_bytes_per_step(list(chosen.all_buffers), len(g.ops)),
                               patch_macs(g, chosen.stages)))
    data = ReportData(g.name, str(built.source or ""), g, scheds)
    _ = built.files                      # fit_check estimates code size from the rendered C
    if built.board is not None:
        from .boards import get_board
        from .boards.firmware import fit_check
        data.board = get_board(built.board)
        data.fit = fit_check(chosen, data.board)
        from .sim.target import flash_by_part
        data.code = flash_by_part(chosen, data.board)
        if latency:
            from .api import random_inputs
            from .sim.latency import estimate_latency
            data.latency = estimate_latency(chosen, built.board, random_inputs(chosen.graph, 1, 0)).as_dict()
    data.layers = _layers(data)
    return data


def _layers(data: ReportData) -> list[dict]:
    g = data.graph
    c = data.chosen.compiled
    root = alias_roots(g)
    stage_of = {k: s for s in c.stages for k in range(s.start, s.split)}
    rows = []
    per_op = {l["index"]: l for l in data.latency["layers"]} if data.latency else {}
    for k, op in enumerate(g.ops):
        out = op.outputs[0]
        r = root.get(out, out)
        offsets = c.pointers.offsets if c.pointers is not None else c.plan.offsets     # every region's
        bank = c.banks.where.get(r) if c.banks is not None else None
        region = f"{bank} " if bank is not None and c.banks is not None and c.banks.plans[bank] is not c.plan else ""
        if r in offsets:
            st = stage_of.get(k)
            where = region + (f"{offsets[r]:,}" if st is None or (out == st.stage_output and not st.accumulates)
                              or k in st.reduce else f"{offsets[r]:,} (tile)")
        else:
            where = "caller"
        rows.append({
            "index": op.index, "op": op.kind,
            "inputs": [list(g.tensors[t].shape) for t in op.inputs if t >= 0 and not g.tensors[t].is_const],
            "output": list(g.tensors[out].shape), "tensor": out, "macs": op_macs(g, op),
            "weight_bytes": op_weight_bytes(g, op),
            "live_bytes": data.chosen.live[k], "offset": where,
            "stage": (f"{stage_of[k].grid[0]}x{stage_of[k].grid[1]}" if k in stage_of else ""),
            **({"cycles": per_op[op.index]["cycles"], "ms": per_op[op.index]["ms"]} if op.index in per_op
               else {"cycles": 0, "ms": 0.0} if per_op else {}),
        })
    return rows


# ---- figures ------------------------------------------------------------------------------------

def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _thousands():
    from matplotlib.ticker import FuncFormatter
    return FuncFormatter(lambda v, _: f"{int(v):,}")


def timeline_figure(data: ReportData) -> str:
    """Live bytes per step, one line per schedule, the board's SRAM as a horizontal line."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 3.8))
    n = len(data.graph.ops)
    steps = list(range(n))
    colors = ["#1f77b4", "#d62728"]
    for s, col in zip(data.schedules, colors):
        ax.step(steps, s.live, where="mid", color=col, lw=2,
                label=f"{s.label}: peak live {max(s.live):,} B, arena {s.peak:,} B")
        ax.axhline(s.peak, color=col, ls=":", lw=1)
    top = max(max(s.peak for s in data.schedules), 1) * 1.25
    if data.board is not None:
        sram = data.board.sram.length
        if sram <= top * 1.6:
            top = max(top, sram * 1.08)
            ax.axhline(sram, color="black", ls="--", lw=1.5, label=f"{data.board.name} SRAM {sram:,} B")
        else:   # far above: say so instead of squashing the curves to the bottom of the plot
            ax.plot([], [], color="black", ls="--", lw=1.5,
                    label=f"{data.board.name} SRAM {sram:,} B: {sram / max(data.chosen.peak, 1):.1f}x the peak "
                          "(off the scale)")
    for st in data.chosen.compiled.stages:
        ax.axvspan(st.start - 0.5, st.split - 0.5, color="#d62728", alpha=0.07)
    ax.set_xlabel("step (op index)")
    ax.set_ylabel("live activation bytes")
    ax.set_xlim(-0.5, max(n - 0.5, 0.5))
    ax.set_ylim(0, top)
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"{data.model}: memory timeline")
    return _png(fig)


def layout_figure(s: Schedule, model: str, plan=None, region: str = "") -> str:
    """Every arena buffer as a box: x = the steps it is alive, y = its address range. `plan`: one memory
    bank's plan (`region` its name) instead of the schedule's arena."""
    plt = _plt()
    from matplotlib.patches import Rectangle
    c = s.compiled
    g = c.graph
    plan = plan if plan is not None else c.plan
    fig, ax = plt.subplots(figsize=(10, 4.2))
    colors = {"tensor": "#4c9be8", "scratch": "#f2a541", "tile": "#d65f5f"}
    arena = max(plan.arena_bytes, 1)
    for b in plan.buffers:
        off = plan.offsets[b.id]
        ax.add_patch(Rectangle((b.first - 0.45, off), b.last - b.first + 0.9, b.size,
                               facecolor=colors.get(b.kind, "#999999"), edgecolor="black", lw=0.6, alpha=0.85))
        if b.size >= arena * 0.08:
            label = f"t{b.tensors[0]}" if b.tensors else ("tile" if b.kind == "tile" else f"op{-b.id - 1}")
            ax.text((b.first + b.last) / 2, off + b.size / 2, f"{label}\n{b.size:,} B", ha="center",
                    va="center", fontsize=6.5, clip_on=True)
    ax.set_xlim(-0.6, max(len(g.ops) - 0.4, 0.6))
    ax.set_ylim(0, arena * 1.02)
    ax.set_xlabel("step (op index)")
    ax.set_ylabel("arena offset (bytes)")
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_title(f"{model}: arena layout, {s.label}{', region ' + region if region else ''} ({plan.arena_bytes:,} B)")
    handles = [Rectangle((0, 0), 1, 1, facecolor=v, edgecolor="black", lw=0.6) for v in colors.values()]
    ax.legend(handles, ["tensor", "kernel scratch", "patch tile"], loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def totals_figure(data: ReportData) -> str | None:
    """SRAM and flash needed, stacked by part, against the board's capacity."""
    if data.fit is None:
        return None
    plt = _plt()
    f, code = data.fit, data.code
    fig, ax = plt.subplots(figsize=(10, 1.9))
    flash = ([("weights", f.weights), ("code (estimate)", f.code_estimate), ("test input", f.test_data)]
             if code is None else
             [("weights", code.weights), (f"kernels ({code.source})", code.kernel_total),
              ("model code + rest", code.model + code.rest), ("test input", code.test_data)])
    parts = [("SRAM", [("arena", f.arena), ("stack", f.stack), ("I/O + other", f.io + f.harness + f.state)],
              f.sram_capacity),
             ("flash", flash, f.flash_capacity)]
    palette = ["#4c9be8", "#f2a541", "#8cc084", "#c7a0d9"]
    for y, (_name, segs, cap) in enumerate(parts):
        left = 0.0
        for (label, v), col in zip(segs, palette):
            frac = v / cap if cap else 0
            ax.barh(y, frac, left=left, color=col, edgecolor="black", lw=0.5)
            if frac > 0.08:
                ax.text(left + frac / 2, y, label, ha="center", va="center", fontsize=7)
            left += frac
        ax.text(max(left, 0) + 0.01, y, f"{left:.0%} of {cap:,} B", va="center", fontsize=8)
    ax.axvline(1.0, color="black", ls="--", lw=1.5)
    ax.set_yticks([0, 1], [p[0] for p in parts])
    ax.set_xlim(0, max(1.25, max(sum(v for _, v in p[1]) / p[2] for p in parts if p[2]) + 0.25))
    ax.set_xlabel(f"share of {data.board.name}'s capacity")
    ax.invert_yaxis()
    return _png(fig)


# ---- page ---------------------------------------------------------------------------------------

def _layouts(s: Schedule, model: str) -> list[str]:
    """The schedule's arena layout, or with memory banks one per region that holds buffers."""
    if s.compiled.banks is None:
        return [layout_figure(s, model)]
    return [layout_figure(s, model, p, name) for name, p in s.compiled.banks.plans.items() if p.buffers]


def render_html(data: ReportData) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    lbl = data.schedules[0]
    chosen = data.chosen
    fit = data.fit
    verdict = None
    if fit is not None:
        verdict = {"fits": fit.fits, "sram_ok": fit.sram_needed <= fit.sram_capacity,
                   "flash_ok": fit.flash_needed <= fit.flash_capacity}
    wide = chosen.compiled.wide
    return env.get_template("report.html.j2").render(code=data.code, latency=data.latency,
        wide=wide.as_dict() if wide is not None else None,
        d=data, version=__version__, lbl=lbl, chosen=chosen, fit=fit, verdict=verdict,
        flash_weights=flash_weight_bytes(data.graph),
        timeline=timeline_figure(data),
        layouts=[img for s in data.schedules for img in _layouts(s, data.model)],
        totals=totals_figure(data))


def write_report(data: ReportData, out: str | os.PathLike, force: bool = False) -> Path:
    """Write the page atomically (a temporary file renamed into place: never half a page)."""
    out = Path(out)
    if out.is_dir():
        raise OutputFolderError(f"{out} is a folder: give the path of the .html file to write")
    if out.exists() and not force:
        head = out.read_bytes()[:4096]
        if b"generated by mcucompile" not in head:
            raise OutputFolderError(f"{out} exists and was not written by `mcucompile report`; "
                                    "choose another name or pass --force to overwrite it")
    html = render_html(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def report(model: str | os.PathLike, out: str | os.PathLike, options: Options = Options(),
           board: str | None = None, force: bool = False, progress: Progress | None = None,
           latency: bool = False) -> ReportData:
    """Write the page; `latency` (with `board`): estimated cycles and ms per op at the board's clock."""
    if latency:
        from .boards import get_board
        from .sim.latency import emulator_for
        if board is None:
            raise McuCompileError("the latency estimate is for a board: add --board")
        emulator_for(get_board(board))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise McuCompileError("`mcucompile report` needs matplotlib: pip install matplotlib") from None
    data = collect(run(model, options, board, search_progress=_search_progress(progress)), latency=latency)
    write_report(data, out, force=force)
    return data
