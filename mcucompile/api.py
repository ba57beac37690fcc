"""The orchestrating functions behind the CLI: analyze, compile, simulate."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__, pipeline
from .codegen.generate import Compiled, Options
from .errors import McuCompileError, OutputFolderError
from .frontend.keras_convert import ConvertOptions, ConvertResult, Progress, convert_model
from .ir import Graph
from .passes.analysis import LayerInfo, flash_weight_bytes, op_macs, op_weight_bytes
from .passes.liveness import live_bytes_per_step
from .passes.patch_plan import patch_macs
from .pipeline import board_options, compile_for_board, load, resolve_model

__all__ = ["Options", "ConvertOptions", "load", "resolve_model", "board_options", "compile_for_board", "analyze",
           "compile_model", "simulate", "convert", "Analysis", "SimResult", "Comparison"]

MARKER = ".mcucompile"


# ---- convert ------------------------------------------------------------------------------------

def convert(model: str | os.PathLike, output: str | os.PathLike | None = None,
            options: ConvertOptions = ConvertOptions(), progress: Progress | None = None) -> ConvertResult:
    """Keras model (.keras, .h5, SavedModel folder) or float ONNX model (.onnx) -> full-int8 .tflite, with a
    float-vs-int8 report.
    The result is cached by content hash; `output`, when given, receives a copy of the .tflite."""
    if output is not None and Path(output).is_dir():      # before converting: that can take minutes
        raise OutputFolderError(f"{output} is a folder: give the path of the .tflite file to write")
    r = convert_model(model, options, progress)
    if output is not None:
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(r.tflite, out)
        r.tflite = out
    return r


# ---- analyze ------------------------------------------------------------------------------------

@dataclass
class Analysis:
    model: str
    peak_sram_bytes: int
    lower_bound_bytes: int
    flash_weights_bytes: int
    macs: int
    layers: list[LayerInfo]
    planner_strategy: str
    io_in_arena: bool
    layer_by_layer_peak_bytes: int = 0
    layer_by_layer_macs: int = 0
    patch: dict | None = None          # the chosen patch schedule, None when layer by layer
    explored: list = field(default_factory=list)   # the peak/MACs trade-off the patch search explored
    board: str | None = None           # the plan is for this board's kernels (None: the host's)
    fit: dict | None = None            # with a board: the fit check (boards.firmware.Fit.as_dict)
    rewrites: list = field(default_factory=list)   # graph normalisation's rewrites (ir.Rewrite.as_dict)
    stage_breaks: list = field(default_factory=list)   # with a patch search: ops that end every stage there
    code: dict | None = None           # with a board: flash by part (boards.codesize.CodeSize.as_dict)
    latency: dict | None = None        # with a board and latency: cycles and ms per op (sim.latency.Latency)
    regions: list | None = None        # with memory banks (--memory): each region's plan (passes.banks.BankPlan)
    state_bytes: int = 0               # the persistent state region, outside the arena (not in the peak)
    state: list = field(default_factory=list)   # its slots: owner, offset, size, initial
    wide: dict | None = None           # DSP boards: the convs given pre-widened weights (kernels.wide_cost)

    def as_dict(self) -> dict:
        return {"model": self.model, "peak_sram_bytes": self.peak_sram_bytes,
                "lower_bound_bytes": self.lower_bound_bytes, "flash_weights_bytes": self.flash_weights_bytes,
                "macs": self.macs, "planner_strategy": self.planner_strategy, "io_in_arena": self.io_in_arena,
                "layer_by_layer_peak_bytes": self.layer_by_layer_peak_bytes,
                "layer_by_layer_macs": self.layer_by_layer_macs, "patch": self.patch,
                "explored": self.explored, "board": self.board, "fit": self.fit, "rewrites": self.rewrites,
                "stage_breaks": self.stage_breaks, "code": self.code,
                "layers": [l.as_dict() for l in self.layers], "latency": self.latency, "regions": self.regions,
                "state_bytes": self.state_bytes, "state": self.state, "wide": self.wide}


def analyze(model: str | os.PathLike, options: Options = Options(),
            convert: ConvertOptions | None = None, board: str | None = None, build: bool = True,
            latency: bool = False) -> Analysis:
    """Per-layer figures and the memory plan; with `board`, the plan for that board's kernels (the DSP
    cores' 1x1 conv scratch), the fit check against its SRAM and flash (reported, not raised) and the flash
    by part: from the link map of a cross-build when arm-none-eabi-gcc is there and `build`, else estimated.
    `latency` (with `board`): estimated cycles per op and in all, and milliseconds at the board's clock,
    from one QEMU run of the harness firmware (sim/latency.py; raises LatencyUnavailableError when the
    board's core is not modelled)."""
    if latency:
        from .sim.latency import emulator_for, latency_boards
        if board is None:
            raise McuCompileError("the latency estimate is for a board: add --board (boards with a cycle model: "
                                  f"{', '.join(b.name for b in latency_boards())})")
        from .boards import get_board
        emulator_for(get_board(board))          # before any work: a board without a cycle model is refused
    b = pipeline.run(model, options, board, convert)
    g, c, lbl = b.graph, b.compiled, b.layer_by_layer
    options = c.options
    live = live_bytes_per_step(list(c.all_buffers), len(g.ops))
    layers = [LayerInfo(op.index, op.kind, g.tensors[op.outputs[0]].shape if op.outputs else (), op_macs(g, op),
                        op_weight_bytes(g, op), live[k]) for k, op in enumerate(g.ops)]
    lbl_macs = sum(l.macs for l in layers)
    patch, explored = None, []
    macs = lbl_macs
    if c.stages:
        macs = patch_macs(g, c.stages)
        patch = {"stages": [{"first_op": s.start, "split": s.split, "grid": list(s.grid),
                             "cache_rows": s.cache_rows, "inplace_ops": sorted(s.inplace),
                             "stage_output": g.tensors[s.stage_output].name,
                             "stage_output_shape": list(g.tensors[s.stage_output].shape),
                             "accumulates": [{"op": k, "kind": g.ops[k].kind,
                                              "output_shape": list(g.tensors[g.ops[k].outputs[0]].shape)}
                                             for k in s.reduce]} for s in c.stages],
                 "split": c.stages[0].split, "grid": list(c.stages[0].grid),
                 "mac_overhead": round(macs / lbl_macs - 1, 5) if lbl_macs else 0.0,
                 "input": "arena" if options.io_in_arena else "caller's buffer (outside the arena)"}
    if c.patch_search is not None:
        explored = [x.as_dict() for x in c.patch_search.frontier()]
    fit = code = None
    if board is not None:
        from .boards import get_board
        from .boards.firmware import fit_check
        from .sim.target import flash_by_part
        bd = get_board(board)
        fit = fit_check(c, bd).as_dict()
        code = flash_by_part(c, bd, build).as_dict()
    lat = None
    if latency:
        from .sim.latency import estimate_latency
        lat = estimate_latency(c, board, random_inputs(c.graph, 1, 0)).as_dict()
    peak, lower = c.plan.arena_bytes, c.plan.lower_bound
    if c.banks is not None:            # memory banks: all the regions' arenas together
        peak, lower = sum(p.arena_bytes for p in c.banks.plans.values()), max(live)
    return Analysis(g.name, peak, lower, flash_weight_bytes(g),
                    macs, layers, c.plan.strategy, options.io_in_arena, lbl.plan.arena_bytes, lbl_macs,
                    patch, explored, board, fit, [r.as_dict() for r in g.rewrites],
                    stage_breaks(g) if c.patch_search is not None else [], code, lat,
                    c.banks.as_dict(g) if c.banks is not None else None, c.state_bytes, c.memory_map()["state"],
                    c.wide.as_dict() if c.wide is not None else None)


def stage_breaks(g: Graph) -> list[dict]:
    """The ops that no patch stage can cross (each ends a run of ops that could run per patch), and why."""
    from .passes.reduce_stage import reduce_candidates
    from .passes.regions import break_reason
    # token views and reductions that an accumulating stage can take in (passes/reduce_stage.py)
    summed = {k for a in range(len(g.ops)) for split, _, accs in reduce_candidates(g, a, 16)
              for k in range(a, split) if k >= min(accs) or g.ops[k].kind == "RESHAPE"}
    out, prev_ok = [], False
    for op in g.ops:
        why = None if op.index in summed else break_reason(g, op)
        if why is not None and prev_ok:
            out.append({"op": op.index, "kind": op.kind, "reason": why})
        prev_ok = why is None
    return out


# ---- compile ------------------------------------------------------------------------------------

def compile_model(model: str | os.PathLike, out_dir: str | os.PathLike, options: Options = Options(),
                  force: bool = False, convert: ConvertOptions | None = None, board: str | None = None,
                  test_inputs: list[np.ndarray] | None = None, project: str = "make") -> Compiled:
    """Write the C project; with `board`, a whole firmware project for it (after the fit check, which
    raises FitError when the model does not fit). test_inputs: [N, *shape] per input embedded in the
    firmware (default: one random sample, seed 0). project: the library's layout for a build system
    (codegen/packaging.py: make, cmake, zephyr, arduino, platformio)."""
    from .codegen.generate import kernel_defines
    from .codegen.packaging import PROJECT_KINDS, package
    if project not in PROJECT_KINDS:
        raise McuCompileError(f"unknown project kind {project!r}; one of {', '.join(PROJECT_KINDS)}")
    if board is not None and project != "make":
        raise McuCompileError("--project lays out a model library; --board writes a whole firmware project "
                              "(with its own Makefile and CMakeLists.txt): choose one")
    built = pipeline.run(model, options, board, convert)
    g, c = built.graph, built.compiled
    files = package(built.files, g.name, kernel_defines(c.options), project)
    c.files = files
    if board is not None:
        from .boards import get_board
        from .boards.firmware import render_firmware, require_fit
        b = get_board(board)
        test_inputs = test_inputs if test_inputs is not None else random_inputs(g, 1)
        require_fit(c, b, samples=int(test_inputs[0].shape[0]))
        files = render_firmware(c, b, test_inputs)
        c.files = files
    write_project(Path(out_dir), files, force=force)
    return c


MODELS_HEADER = "mcucompile_models.h"


def compile_models(models: list, out_dir: str | os.PathLike, options: Options = Options(), force: bool = False,
                   convert: ConvertOptions | None = None, concurrent: bool = False) -> list[Compiled]:
    """Several models into one folder (one firmware): each model's sources (names prefixed with the model
    name), the kernels they use once, one Makefile (libmcucompile_models.a) and mcucompile_models.h with
    the arena: one shared arena as large as the largest when the models run one after another, or
    (concurrent) one region per model, MODELS_<NAME>_ARENA_OFFSET bytes into it."""
    from .codegen.generate import ARENA_ALIGN, kernel_defines, render_makefile
    from .passes.liveness import align_up
    if len(models) < 2:
        raise McuCompileError("compile_models takes two or more models")
    built = [pipeline.run(m, options, None, convert) for m in models]
    names = [b.graph.name for b in built]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise McuCompileError(f"two models are named {dup[0]!r} (their C names would clash); rename a model file")
    files: dict[str, str] = {}
    for b in built:
        for rel, text in b.files.items():
            if rel == "Makefile":
                continue
            if rel in files and files[rel] != text:
                raise McuCompileError(f"{rel} differs between the models (compile them with the same options)")
            files[rel] = text
    sources = sorted({s for b in built for s in b.compiled.sources})
    files["Makefile"] = render_makefile(names, sources, kernel_defines(options), "mcucompile_models")
    sizes = [align_up(b.compiled.arena_bytes, ARENA_ALIGN) for b in built]
    lines = [f"/* {MODELS_HEADER} - generated by mcucompile {__version__}. Do not edit. */",
             "#ifndef MCUCOMPILE_MODELS_H", "#define MCUCOMPILE_MODELS_H", ""]
    lines += [f'#include "{n}.h"' for n in names]
    lines.append("")
    if concurrent:
        lines.append("/* The models may run at the same time: each has its own region of one arena. */")
        off = 0
        for n, size in zip(names, sizes):
            lines.append(f"#define MODELS_{n.upper()}_ARENA_OFFSET {off}")
            off += size
        lines.append(f"#define MODELS_ARENA_SIZE {off}")
    else:
        lines.append("/* The models run one after another: one arena serves them all (the largest). */")
        lines += [f"#define MODELS_{n.upper()}_ARENA_OFFSET 0" for n in names]
        lines.append(f"#define MODELS_ARENA_SIZE {max(sizes)}")
    lines += [f"#define MODELS_ARENA_ALIGN {ARENA_ALIGN}", "", "#endif /* MCUCOMPILE_MODELS_H */", ""]
    files[MODELS_HEADER] = "\n".join(lines)
    write_project(Path(out_dir), files, force=force)
    out = []
    for b in built:
        b.compiled.files = files
        out.append(b.compiled)
    return out


def write_project(out: Path, files: dict[str, str], force: bool = False) -> None:
    """Write files into `out` all or nothing; refuse a non-empty folder we did not create."""
    if out.exists():
        if not out.is_dir():
            raise OutputFolderError(f"{out} exists and is not a folder")
        entries = [p for p in out.iterdir()]
        if entries and not (out / MARKER).exists() and not force:
            raise OutputFolderError(
                f"{out} is not empty and was not created by mcucompile ({len(entries)} entries, e.g. "
                f"{entries[0].name}); choose another folder or pass --force to write into it")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for rel, text in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text)
        (tmp / MARKER).write_text("generated by mcucompile; this folder may be overwritten by it\n")
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            if (out / MARKER).exists():
                out.rename(old)
                tmp.rename(out)
                shutil.rmtree(old)
            else:   # --force into a foreign folder: add/overwrite our files, leave the others alone
                for p in tmp.iterdir():
                    dest = out / p.name
                    if dest.is_dir():
                        shutil.rmtree(dest)
                    shutil.move(str(p), dest)
                shutil.rmtree(tmp)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---- simulate -----------------------------------------------------------------------------------

# Ops for which LiteRT's BUILTIN_REF kernels are known to differ from TFLite Micro (the oracle), with the
# evidence in tests/test_reference_discrepancies.py.
KNOWN_LITERT_DIFFERENCES = {
    "FULLY_CONNECTED": "LiteRT's int8 reference FULLY_CONNECTED requantises with single rounding; "
                       "TFLite Micro (and we) use TFLite's double rounding",
    "SUM": "LiteRT's reference int8 SUM gives wrong values",
    "TFLite_Detection_PostProcess": "LiteRT's fast NMS puts several classes per box in consecutive rows; "
                                    "TFLite Micro (and we) at row categories x k + rank",
    "RELU6": "TFLite Micro's int8 RELU6 clamps input codes and ignores the output scale; LiteRT rescales "
             "(tests/test_elementwise_activation_ops.py)",
}


@dataclass
class Comparison:
    reference: str
    available: bool
    error: str = ""
    note: str = ""
    mismatches: int = 0
    max_abs_diff: int = 0
    first_index: list[int] | None = None   # [output, sample, *element index]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class SimResult:
    model: str
    samples: int
    arena_bytes: int
    touched_bytes: int
    touched_extent: int
    guard_violations: int
    nondeterministic: int
    outputs: list[np.ndarray]
    comparisons: list[Comparison] = field(default_factory=list)
    extra: dict = field(default_factory=dict)     # runner-specific figures (e.g. instructions on a board)

    @property
    def mismatches(self) -> int:
        """Mismatches against the oracle (TFLite Micro), or the second opinion when TFLM could not run."""
        primary = [c for c in self.comparisons if c.available]
        return primary[0].mismatches if primary else 0

    @property
    def ok(self) -> bool:
        """Bit-exact against the oracle (the first reference that ran: TFLite Micro, else LiteRT), and
        no touch outside the plan. Second opinions are reported, not required: LiteRT's reference
        kernels are known to round differently for some ops (see KNOWN_LITERT_DIFFERENCES)."""
        primary = [c for c in self.comparisons if c.available]
        return (bool(primary) and primary[0].mismatches == 0
                and self.guard_violations == 0 and self.nondeterministic == 0
                and self.touched_extent <= self.arena_bytes)

    @property
    def compared_with(self) -> str | None:
        """The reference `ok` and `mismatches` are judged against (None: none of the requested ran)."""
        primary = [c for c in self.comparisons if c.available]
        return primary[0].reference if primary else None

    def as_dict(self) -> dict:
        return {"model": self.model, "samples": self.samples, "ok": self.ok, "mismatches": self.mismatches,
                "compared_with": self.compared_with,
                "arena_bytes": self.arena_bytes, "touched_bytes": self.touched_bytes,
                "touched_extent": self.touched_extent, "guard_violations": self.guard_violations,
                "nondeterministic": self.nondeterministic,
                "references": [c.as_dict() for c in self.comparisons], **self.extra}


STANDARD_STATS = {"samples", "arena_bytes", "touched_bytes", "touched_extent", "guard_violations", "nondeterministic"}


def random_inputs(g: Graph, samples: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for t in g.inputs:
        ten = g.tensors[t]
        if ten.dtype == "int8":
            out.append(rng.integers(-128, 128, size=(samples, *ten.shape), dtype=np.int8))
        elif ten.dtype == "bool":
            out.append(rng.integers(0, 2, size=(samples, *ten.shape)).astype(bool))
        elif ten.dtype == "int16" and ten.quant is not None:     # 16x8 activations: the whole int16 range
            out.append(rng.integers(-32768, 32768, size=(samples, *ten.shape), dtype=np.int16))
        elif ten.dtype in ("int32", "int64", "int16"):
            out.append(_random_ints(g, t, samples, rng))
        else:
            out.append(rng.standard_normal(size=(samples, *ten.shape)).astype(ten.dtype))
    return out


def _random_ints(g: Graph, t: int, samples: int, rng) -> np.ndarray:
    """Integer model input t: indices in range where a GATHER / GATHER_ND reads it (TFLite leaves an index
    out of range undefined) or EMBEDDING_LOOKUP reads it as ids; DYNAMIC_UPDATE_SLICE's start indices from
    one below to one above their range (the kernel clamps them); else small integers."""
    ten = g.tensors[t]
    hi = np.full(ten.shape[-1:] if ten.shape else (), 100, dtype=np.int64)
    lo = -hi
    for op in g.ops:
        if op.kind == "DYNAMIC_UPDATE_SLICE" and len(op.inputs) == 3 and op.inputs[2] == t:
            x, u = (g.tensors[k].shape for k in op.inputs[:2])
            lo, hi = np.full_like(hi, -1), np.array([a - b + 1 for a, b in zip(x, u)], dtype=np.int64)
            continue
        if op.kind == "EMBEDDING_LOOKUP" and len(op.inputs) == 2 and op.inputs[0] == t:
            lo, hi = np.zeros_like(hi), np.minimum(hi, g.tensors[op.inputs[1]].shape[0] - 1)
            continue
        if len(op.inputs) < 2 or op.inputs[1] != t or op.kind not in ("GATHER", "GATHER_ND"):
            continue
        x = g.tensors[op.inputs[0]].shape
        if op.kind == "GATHER":
            axis = op.attrs.axis + len(x) if op.attrs.axis < 0 else op.attrs.axis
            lo, hi = np.zeros_like(hi), np.minimum(hi, x[axis] - 1)
        elif ten.shape and ten.shape[-1] <= len(x):
            lo, hi = np.zeros_like(hi), np.minimum(hi, np.array(x[:ten.shape[-1]]) - 1)
    u = rng.random(size=(samples, *ten.shape))
    return (lo + np.floor(u * (hi - lo + 1))).astype(ten.dtype)


def model_layout(g: Graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Inputs in our layout ([N, *shape] per input of g) -> in the model file's layout, for the references
    (an input whose TRANSPOSE normalisation dropped is transposed back)."""
    out = list(inputs)
    for r in g.rewrites:
        if r.kind == "drop_input_transpose":
            inv = np.argsort(r.perm)
            out[r.input] = np.ascontiguousarray(np.transpose(out[r.input], (0, *(1 + inv))))
    return out


def compare(name: str, ours: Sequence[np.ndarray], ref, masks: Sequence | None = None) -> Comparison:
    """Exact comparison of our outputs with a reference's; `masks` (per output, None for all) limits it to
    the entries the reference defines (kernels/detection.py: rows an op leaves unwritten)."""
    if ref.outputs is None:
        return Comparison(name, False, ref.error)
    c = Comparison(name, True)
    for k, (a, b) in enumerate(zip(ours, ref.outputs)):
        if b.size != a.size:
            return Comparison(name, False, f"output {k} has shape {tuple(b.shape[1:])} there, "
                                           f"{tuple(a.shape[1:])} here (the model's)")
        b = b.reshape(a.shape)
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        diff[np.isnan(diff) & ~(np.isnan(a) & np.isnan(b))] = np.inf     # a NaN on one side only
        diff[np.isnan(diff)] = 0
        if masks is not None and masks[k] is not None:
            diff[~masks[k].reshape(a.shape)] = 0
        bad = np.argwhere(diff != 0)
        c.mismatches += len(bad)
        if len(bad):
            m = float(diff.max())
            c.max_abs_diff = max(c.max_abs_diff, int(m) if np.isfinite(m) and m == int(m) else m)
            if c.first_index is None:
                c.first_index = [k, *map(int, bad[0])]
    return c


def simulate(model: str | os.PathLike, inputs: list[np.ndarray] | None = None, samples: int = 20,
             seed: int = 0, options: Options = Options(), references: Sequence[str] = ("tflm", "litert_ref"),
             sanitize: bool = True, workdir: str | os.PathLike | None = None,
             board: str | None = None, convert: ConvertOptions | None = None,
             progress: Progress | None = None, flash_wait_states: int | None = None,
             sequence: bool = False) -> SimResult:
    """Compile, run on the host (or on `board`, an emulated Cortex-M), compare with the references.
    Each sample from the initial state (reset before it), or with `sequence` the samples as one stream:
    invoked one after the other, the state (resource variables, LSTM / SVDF state) carried over, in the
    generated C and in the references alike, every step's outputs compared.
    `progress(stage, done, total)` hears of each build, run and reference step. `flash_wait_states`: for
    the cycle estimate on `board` (qemu-m4), instead of the board entry's (mcucompile/sim/timing.py)."""
    from .kernels.detection import defined_entries
    from .sim.host import build_host, run_host
    from .sim.reference import require_reference, run_reference

    if flash_wait_states is not None and board is None:
        raise McuCompileError("flash wait states are for the cycle estimate on a QEMU board (--board qemu-m4)")
    for which in references:            # before any build: a missing oracle is an error, not a silent fallback
        require_reference(which)
    b = pipeline.run(model, options, board, convert)
    g, c, model = b.graph, b.compiled, b.source
    _ = b.files                                     # rendered once, before the builds
    if inputs is None:
        inputs = random_inputs(g, samples, seed)
    own_tmp = workdir is None
    wd = Path(tempfile.mkdtemp(prefix=f"mcusim_{g.name}_")) if own_tmp else Path(workdir)
    tell = progress or (lambda stage, done, total: None)
    n = int(inputs[0].shape[0])
    try:
        if board is None:
            tell("host build", 0, 1)
            exe = build_host(c, wd, sanitize=sanitize)
            tell("host build", 1, 1)
            tell(f"running {n} samples", 0, 1)
            run = run_host(c, exe, inputs, sequence=sequence)
            tell(f"running {n} samples", 1, 1)
        else:
            from .sim.target import run_on_board
            run = run_on_board(c, board, inputs, wd, progress=progress, flash_wait_states=flash_wait_states,
                               sequence=sequence)
    finally:
        if own_tmp:
            shutil.rmtree(wd, ignore_errors=True)
    res = SimResult(g.name, int(inputs[0].shape[0]), c.plan.arena_bytes, run.stats["touched_bytes"],
                    run.stats["touched_extent"], run.stats["guard_violations"], run.stats["nondeterministic"],
                    run.outputs, extra={k: v for k, v in run.stats.items() if k not in STANDARD_STATS})
    res.extra["state_bytes"] = c.state_bytes
    res.extra["sequence"] = sequence
    kinds = {op.kind for op in g.ops}
    for which in references:
        label = {"tflm": "TFLite Micro", "litert_ref": "LiteRT reference"}.get(which, which)
        tell(label, 0, 1)
        ref = run_reference(which, model, model_layout(g, inputs), len(g.outputs), sequence=sequence,
                            fresh=bool(g.variables))
        tell(label, 1, 1)
        masks = defined_entries(g, ref.outputs) if ref.outputs is not None else None
        cmp = compare(which, run.outputs, ref, masks)
        if which == "litert_ref" and cmp.mismatches:
            cmp.note = "; ".join(v for k, v in KNOWN_LITERT_DIFFERENCES.items() if k in kinds)
        res.comparisons.append(cmp)
    return res
