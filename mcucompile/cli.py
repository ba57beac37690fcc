"""Command line: thin wrappers over api.py that print reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from . import __version__
from .cli_options import (  # noqa: F401  (_parse_size: bench and tests use it from here)
    Main,
    _fmt_bytes,
    _options,
    _parse_memory,
    _parse_size,
    _progress,
    _quiet,
    _resolve,
    _set_quiet,
    _stash_patch,
    _warn,
    _warn_random,
    common,
    keras_inputs,
)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcucompile")
def main():
    """mcucompile: compile int8 TFLite models to C for Cortex-M microcontrollers.

    \b
    Typical use:
      mcucompile analyze model.tflite            per-layer table, peak SRAM, MACs, flash
      mcucompile compile model.tflite -o build/   C sources, weights, kernels, Makefile, memory map
      mcucompile simulate model.tflite            build on the host, compare bit-exactly with TFLite Micro
    """


@main.command()
@click.argument("model", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
@click.option("--board", default=None, metavar="BOARD",
              help="Plan for BOARD's kernels (`mcucompile boards`; the Cortex-M4/M7 1x1 conv plans a small "
                   "scratch) and say whether the model fits its SRAM and flash, and by how many bytes; flash by part "
                   "(weights, each kernel file's code, the model's code, the rest) from the link map of a "
                   "cross-build when arm-none-eabi-gcc is installed, else estimated.")
@click.option("--latency", is_flag=True,
              help="With --board: estimated cycles per op and in all, and milliseconds at the board's clock "
                   "(one cross-build and QEMU run, seconds): the cycle estimate under QEMU, for the Cortex-M4 boards "
                   "(Cortex-M4 TRM timings: qemu-m4, nucleo-l4r5zi, nrf52840dk) and the Cortex-M7 boards "
                   "(dual-issue model: qemu-m7, stm32f746g-disco, nucleo-f767zi, nucleo-h743zi).")
@common
@keras_inputs()
def analyze(model, as_json, io_outside, align, board, latency, **keras):
    """Per-layer table: op, output shape, MACs, weight bytes, live activation bytes; and totals."""
    from .api import analyze as run
    from .kernels.wide_cost import wide_lines
    from .sim.latency import latency_columns, latency_lines
    model = _resolve(model, **keras)
    a = run(model, _options(io_outside, align), board=board, latency=latency)
    if as_json:
        click.echo(json.dumps(a.as_dict(), indent=2))
        return
    if a.rewrites:
        click.echo(f"graph normalisation: {len(a.rewrites)} rewrite(s) (op numbers of the model file; the table "
                   "below numbers the ops after them)")
        for r in a.rewrites:
            click.echo(f"  {r['text']}")
        click.echo("")
    cols = latency_columns(a.latency)
    w = max([20, *(len(l.kind) for l in a.layers)])      # the op column fits the longest name
    click.echo(f"{'#':>3}  {'op':<{w}} {'output shape':<18} {'MACs':>12} {'weights B':>10} {'live B':>10}"
               + (f" {'cycles':>11} {'ms':>9}" if cols else ""))
    for l in a.layers:
        click.echo(f"{l.index:>3}  {l.kind:<{w}} {str(list(l.output_shape)):<18} {l.macs:>12,} "
                   f"{l.weight_bytes:>10,} {l.live_bytes:>10,}" + cols.get(l.index, ""))
    click.echo("")
    click.echo(f"model            {a.model}: {len(a.layers)} ops")
    click.echo(f"MACs             {a.macs:,}")
    click.echo(f"flash (weights)  {_fmt_bytes(a.flash_weights_bytes)}")
    click.echo(f"peak SRAM        {_fmt_bytes(a.peak_sram_bytes)}  (arena; lower bound {a.lower_bound_bytes:,} B"
               f", {'I/O inside' if a.io_in_arena else 'I/O outside'})")
    if a.state_bytes:
        click.echo(f"state            {_fmt_bytes(a.state_bytes)}  (kept between invokes, outside the arena: "
                   + ", ".join(s["owner"] for s in a.state) + ")")
    if a.regions is not None:
        from .passes.banks import bank_lines
        click.echo("memory banks     each buffer whole in one region, the most read+written in the fastest; "
                   "peak SRAM above: the regions' arenas together")
        for line in bank_lines(a.regions):
            click.echo(line)
    if a.patch is not None:
        click.echo(f"layer by layer   {_fmt_bytes(a.layer_by_layer_peak_bytes)}, {a.layer_by_layer_macs:,} MACs; "
                   f"patches cut the peak {a.layer_by_layer_peak_bytes / a.peak_sram_bytes:.2f}x "
                   f"for {a.patch['mac_overhead']:+.1%} MACs")
        for st in a.patch["stages"]:
            if not st.get("cache_rows"):
                kind = "patches, halos recomputed"
            elif st["grid"][1] == 1:
                kind = "row bands, rows cached (no recomputation)"
            else:
                kind = f"row bands in {st['grid'][1]} column strips, rows cached (column halos recomputed)"
            if st.get("inplace_ops"):
                kind += f" (ops {', '.join(map(str, st['inplace_ops']))} in place)"
            what = f"of the {st['stage_output_shape']} output"
            if st.get("accumulates"):
                what = ("of the " + str(st["stage_output_shape"]) + " map, summed patch by patch into "
                        + ", ".join(f"op {x['op']} {x['kind']} {x['output_shape']}" for x in st["accumulates"]))
            click.echo(f"  patch stage    ops {st['first_op']}..{st['split'] - 1}, {st['grid'][0]}x{st['grid'][1]} "
                       f"{kind}, {what}")
        click.echo(f"  model input    in the {a.patch['input']}")
    elif a.explored:
        click.echo("patches          none beats layer by layer within the MAC budget: layer by layer is kept")
    if a.stage_breaks:
        click.echo("stages stop at   (ops no patch stage can cross)")
        for b in a.stage_breaks[:6]:
            click.echo(f"  op {b['op']} {b['kind']}: {b['reason']}")
        if len(a.stage_breaks) > 6:
            click.echo(f"  {len(a.stage_breaks) - 6} more (--json: all)")
    if a.fit is not None:
        sram, flash = a.fit["sram"], a.fit["flash"]

        def _room(need: int, have: int) -> str:
            return f"{have - need:,} B free" if need <= have else f"{need - have:,} B TOO MANY"
        click.echo(f"{a.board + ':':<16} SRAM {sram['needed']:,} of {sram['capacity']:,} B (arena + stack "
                   f"{sram['stack']:,} + I/O {sram['io']:,}): {_room(sram['needed'], sram['capacity'])}; "
                   f"flash ~{flash['needed']:,} of {flash['capacity']:,} B: "
                   f"{_room(flash['needed'], flash['capacity'])}")
    if a.code is not None:
        k = a.code["kernels"]
        top = ", ".join(f"{f} {n:,}" for f, n in list(k.items())[:4]) + (f", {len(k) - 4} more" if len(k) > 4 else "")
        click.echo(f"flash ({a.code['source']}):  weights {a.code['weights']:,} B, kernel code "
                   f"{a.code['kernel_total']:,} B ({top}), model code {a.code['model']:,} B, "
                   f"the rest {a.code['rest']:,} B (start-up, console, libc)")
    for line in [*(latency_lines(a.latency) if a.latency else []), *(wide_lines(a.wide) if a.wide else [])]:
        click.echo(line)
    if a.explored:
        click.echo("trade-off explored (peak SRAM vs MACs, Pareto front):")
        n = len(a.explored)
        for e in [a.explored[round(k * (n - 1) / 11)] for k in range(12)] if n > 12 else a.explored:
            stages = " + ".join(f"{x['first_op']}-{x['split'] - 1}:{x['grid'][0]}x{x['grid'][1]}"
                                f"{' cached' if x.get('cache_rows') else ''}" for x in e["stages"])
            click.echo(f"  {e['peak_bytes']:>10,} B  {e['mac_overhead']:+7.1%} MACs  {stages or 'layer by layer'}")


@main.command("compile")
@click.argument("models", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Folder for the generated project (created; never overwrites foreign files without --force).")
@click.option("--force", is_flag=True, help="Write into a non-empty folder that mcucompile did not create.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.option("--board", default=None, metavar="BOARD",
              help="Write a whole firmware project for BOARD (`mcucompile boards`): start-up code, linker script, "
                   "a main running an embedded test input, Makefile and CMakeLists.txt; fails when the model "
                   "does not fit the board's SRAM or flash.")
@click.option("--project", type=click.Choice(["make", "cmake", "zephyr", "arduino", "platformio"]), default="make",
              show_default=True,
              help="Lay the model out as a library for this build: a Makefile (lib<name>.a); a CMake target with "
                   "install/export (find_package); a Zephyr module; an Arduino library; a PlatformIO library.")
@click.option("--concurrent", is_flag=True,
              help="Several models that may run at the same time: one arena region each (default: they run one "
                   "after another and share one arena as large as the largest).")
@common
@keras_inputs()
def compile_(models, out, force, as_json, io_outside, align, board, project, concurrent, **keras):
    """Generate C: <name>.h/.c, <name>_weights.c, the kernels it needs, a Makefile and a JSON memory map.
    With --board, a firmware project: `make -C OUT` builds it with arm-none-eabi-gcc. With --project, the
    same library laid out for CMake, Zephyr, Arduino or PlatformIO. With several MODELS, one folder for one
    firmware: each model's sources, the kernels once, one Makefile and mcucompile_models.h with the arena."""
    from .api import compile_model, compile_models
    from .kernels.wide_cost import wide_lines
    if len(models) > 1:
        if board or project != "make":
            raise click.UsageError("several models go into one library folder: --board and --project take one model")
        cs = compile_models([_resolve(m, **keras) for m in models], out, _options(io_outside, align), force=force,
                            concurrent=concurrent)
        summary = {"models": [c.graph.name for c in cs], "output": str(out), "files": sorted(cs[0].files),
                   "arena_bytes": [c.arena_bytes for c in cs], "concurrent": concurrent}
        if as_json:
            click.echo(json.dumps(summary, indent=2))
        elif not _quiet():
            click.echo(f"wrote {len(cs[0].files)} files to {out}/ for {', '.join(summary['models'])}; arenas "
                       + ", ".join(f"{c.graph.name} {c.arena_bytes:,} B" for c in cs)
                       + ("; one region each (--concurrent)" if concurrent else "; one shared arena (the largest)")
                       + " (mcucompile_models.h)")
        return
    model = _resolve(models[0], **keras)
    c = compile_model(model, out, _options(io_outside, align), force=force, board=board, project=project)
    summary = {"model": c.graph.name, "output": str(out), "files": sorted(c.files),
               "arena_bytes": c.arena_bytes, "lower_bound_bytes": c.plan.lower_bound,
               "flash_weights_bytes": int(sum(np.asarray(k.values).nbytes for k in c.consts)),
               "wide": c.wide.as_dict() if c.wide is not None else None}
    if c.banks is not None:
        summary["regions"] = c.banks.as_dict(c.graph)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    if _quiet():
        return
    click.echo(f"wrote {len(c.files)} files to {out}/")
    for f in sorted(c.files):
        click.echo(f"  {f}")
    click.echo(f"arena {_fmt_bytes(c.arena_bytes)} (lower bound {c.plan.lower_bound:,} B), "
               + (f"state {_fmt_bytes(c.state_bytes)} (outside the arena), " if c.state_bytes else "")
               + f"constants {_fmt_bytes(summary['flash_weights_bytes'])}")
    if c.wide is not None:
        click.echo(wide_lines(c.wide.as_dict())[0].replace("wide weights     ", "wide weights ")
                   + " (analyze --board lists them)")
    if c.banks is not None:
        from .passes.banks import bank_lines
        click.echo("memory banks (one arena per region; <model>_invoke_banks):")
        for line in bank_lines(summary["regions"]):
            click.echo(line)
    if board:
        from .boards import get_board
        from .boards.firmware import fit_check
        f = fit_check(c, get_board(board))
        click.echo(f"{board}: SRAM {f.sram_needed:,} of {f.sram_capacity:,} B (arena + stack {f.stack:,} + I/O), "
                   f"flash ~{f.flash_needed:,} of {f.flash_capacity:,} B (weights + code estimate); "
                   f"`make -C {out}` builds and prints the exact sizes")


def _load_inputs(path: Path, g) -> list[np.ndarray]:
    from .errors import McuCompileError as E
    names = [g.tensors[t].name for t in g.inputs]
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as e:
        raise E(f"{path}: cannot read as .npy/.npz ({e})") from None
    if isinstance(z, np.lib.npyio.NpzFile):
        with z:
            missing = [n for n in names if n not in z.files]
            if missing:
                raise E(f"{path}: no array for input(s) {missing}; it has {z.files}")
            arrays = [z[n] for n in names]
    else:
        if len(names) != 1:
            raise E(f"the model has {len(names)} inputs: give an .npz keyed by {names}")
        arrays = [z]
    out = []
    for t, a in zip(g.inputs, arrays):
        ten = g.tensors[t]
        if tuple(a.shape) == ten.shape:
            a = a[None]
        elif len(ten.shape) >= 1 and ten.shape[0] == 1 and tuple(a.shape[1:]) == tuple(ten.shape[1:]):
            a = a[:, None]      # [N, *shape[1:]]: a batch of N samples (the Keras convention)
        if tuple(a.shape[1:]) != ten.shape:
            batch = f"[N, *{ten.shape[1:]}]" if ten.shape and ten.shape[0] == 1 else f"[N, *{ten.shape}]"
            raise E(f"input {ten.name!r}: array shape {a.shape} is neither {ten.shape}, [N, *{ten.shape}] nor "
                    f"{batch}")
        if a.dtype != np.dtype(ten.dtype):
            raise E(f"input {ten.name!r}: array dtype {a.dtype}, the model wants {ten.dtype} "
                    "(quantise with the input scale and zero point in the generated header)")
        out.append(a)
    return out


_REF_LABELS = {"tflm": "TFLite Micro", "litert_ref": "LiteRT BUILTIN_REF"}


@main.command()
@click.argument("model", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="int8 inputs: .npy [N, *shape], [N, *shape[1:]] (a batch, the Keras convention) or one sample; "
                   ".npz keyed by input name for several inputs.")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write our outputs here (.npy, or .npz keyed by output name when there are several).")
@click.option("--samples", default=20, show_default=True, help="Random int8 inputs when --input is not given.")
@click.option("--seed", default=0, show_default=True)
@click.option("--no-sanitize", is_flag=True, help="Build without -fsanitize=address,undefined (faster).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("--board", default=None, metavar="BOARD",
              help="Cross-build for an emulated board (qemu-m4, qemu-m7, qemu-m55) and run under QEMU instead of "
                   "on the host; also reports the exact instructions executed by one inference (and, on qemu-m4 and "
                   "qemu-m7, estimated cycles: Cortex-M4 TRM timings, a Cortex-M7 dual-issue model).")
@click.option("--flash-wait-states", type=click.IntRange(min=0), default=None, metavar="N",
              help="With --board qemu-m4|qemu-m7: add N cycles per 32-bit instruction fetch from flash to the cycle "
                   "estimate (no prefetch buffer, flash accelerator or cache modelled; default: the board "
                   "entry's, 0 on the QEMU boards).")
@click.option("--reference", "reference", type=click.Choice(["both", "tflm", "litert_ref"]), default="both",
              show_default=True,
              help="What to compare with: TFLite Micro (the oracle), LiteRT's reference kernels (the second "
                   "opinion) or both. A reference that is not installed is an error.")
@click.option("--sequence", is_flag=True,
              help="Run the samples as one stream: invoked one after the other without a reset, the state "
                   "(resource variables, LSTM / SVDF state) carried over, in our code and in the references; "
                   "every step compared. Default: each sample from the initial state.")
@common
@keras_inputs(samples_flag=False)
def simulate(model, input_path, output_path, samples, seed, no_sanitize, as_json, io_outside, align, board,
             flash_wait_states, reference, sequence, **keras):
    """Build the generated C on the host (or for a QEMU board), run it, and compare every output bit-exactly
    with TFLite Micro (and LiteRT's reference kernels as a second opinion). Exit code 1 on any mismatch or
    touch outside the plan."""
    from . import api
    model = _resolve(model, **keras)
    options = _options(io_outside, align)
    g = api.load(model, input_layout=options.input_layout)
    inputs = _load_inputs(input_path, g) if input_path else None
    update, finish = _progress()
    try:
        r = api.simulate(model, inputs=inputs, samples=samples, seed=seed, options=options,
                         sanitize=not no_sanitize, board=board, progress=update,
                         flash_wait_states=flash_wait_states, sequence=sequence,
                         references=("tflm", "litert_ref") if reference == "both" else (reference,))
    finally:
        finish()
    if output_path:
        if len(r.outputs) == 1:
            np.save(output_path, r.outputs[0])
        else:
            np.savez(output_path, **{g.tensors[t].name: a for t, a in zip(g.outputs, r.outputs)})
    if as_json:
        click.echo(json.dumps(r.as_dict(), indent=2))
    else:
        how = "as one stream (state carried over)" if sequence else "each from the initial state"
        if board:
            click.echo(f"{r.model}: {r.samples} samples run on {board} ({r.extra.get('core')}, QEMU), {how}")
        else:
            click.echo(f"{r.model}: {r.samples} samples run on the host (ASan/UBSan {'off' if no_sanitize else 'on'}), "
                       f"{how}")
        if r.compared_with:
            click.echo(f"  judged against   {_REF_LABELS.get(r.compared_with, r.compared_with)} (the first "
                       "reference that ran)")
        for c in r.comparisons:
            label = _REF_LABELS.get(c.reference, c.reference)
            if not c.available:
                click.echo(f"  vs {label:<20} not available: {c.error}")
            elif c.mismatches == 0:
                click.echo(f"  vs {label:<20} bit-exact")
            else:
                click.echo(f"  vs {label:<20} {c.mismatches} mismatches, max |diff| {c.max_abs_diff}, "
                           f"first at {c.first_index}" + (f" (known: {c.note})" if c.note else ""))
        click.echo(f"  arena planned    {r.arena_bytes:,} B" + (" (the main region's)" if r.extra.get("banks") else ""))
        if r.extra.get("state_bytes"):
            click.echo(f"  state            {r.extra['state_bytes']:,} B kept between invokes (outside the arena)")
        click.echo(f"  arena touched    {r.touched_bytes:,} B (highest byte {r.touched_extent:,}); "
                   f"guard-zone writes {r.guard_violations}")
        for bk in r.extra.get("banks", []):     # memory banks: the other regions' arenas (guard writes above)
            click.echo(f"  arena {bk['name']:<10} {bk['arena_bytes']:,} B planned, {bk['touched_bytes']:,} B touched "
                       f"(highest byte {bk['touched_extent']:,})")
        if "instructions" in r.extra:
            click.echo(f"  instructions     {r.extra['instructions']:,} per inference (sample 0; "
                       f"{r.extra['instructions_min']:,}..{r.extra['instructions_max']:,} over all samples); "
                       f"stack used {r.extra['stack_used']:,} B")
            if "cycles" in r.extra:
                click.echo(f"  cycles           {r.extra['instructions']:,} instructions, "
                           f"~{r.extra['cycles']:,} cycles (estimate: {r.extra['cycle_model']}) per inference, "
                           f"{r.extra['cycles'] / max(1, r.extra['instructions']):.2f} per instruction")
            else:
                click.echo(f"  cycles           not modelled for {r.extra.get('core')} (instructions only)")
            funcs = r.extra.get("instructions_by_function") or {}
            total = r.extra["instructions"] or 1
            if funcs:
                click.echo("  by function      " + ", ".join(f"{f} {n / total:.1%}" for f, n in list(funcs.items())[:4])
                           + ("" if len(funcs) <= 4 else f", {len(funcs) - 4} more functions (--json: all)"))
        if r.nondeterministic:
            click.echo(f"  outputs differed between two runs on {r.nondeterministic} samples "
                       "(the code reads memory it did not write)")
        click.echo("OK" if r.ok else "FAILED")
    sys.exit(0 if r.ok else 1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
def boards(as_json):
    """List the boards --board accepts: core, core clock, FPU/DSP, SRAM and flash, the RAM regions --memory
    can name (from
    mcucompile/boards/boards.json; the clock: the part's maximum, the FPGA image's for the QEMU boards)."""
    from .boards import boards as table
    if as_json:
        click.echo(json.dumps([b.as_dict() for b in table()], indent=2))
        return
    click.echo(f"{'board':<18} {'core':<14} {'FPU':<11} {'DSP':<4} {'SRAM':>10} {'flash':>10} {'clock':>8}  runs on")
    for b in table():
        where = f"QEMU {b.qemu_machine}" if b.is_qemu else f"pyOCD {b.pyocd_target}"
        clock = f"{b.clock_hz / 1e6:g} MHz" if b.clock_hz else "-"
        click.echo(f"{b.name:<18} {b.core:<14} {b.fpu_label:<11} {'yes' if b.dsp else 'no':<4} "
                   f"{b.sram.length // 1024:>7} KiB {b.flash.length // 1024:>6} KiB {clock:>8}  {where}")
        if b.ram:               # the regions --memory names (memory banks), fastest first
            click.echo(f"{'':<18} --memory regions: " + ", ".join(
                f"{r.name} {r.length // 1024} KiB{' (main)' if r.main else ''}"
                for r in sorted(b.ram, key=lambda r: (r.rank, r.origin))))


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.option("--board", required=True, metavar="BOARD", help="The board the project was generated for.")
@click.option("--probe", default=None, metavar="ID", help="Unique ID of the debug probe (see `pyocd list`).")
@click.option("--dry-run", is_flag=True, help="Print the build and flash commands without running them.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document (board, ELF, commands, and the build/console log) instead.")
def flash(project, board, probe, dry_run, as_json):
    """Build PROJECT (from `mcucompile compile --board`) and flash it with pyOCD. On QEMU boards,
    flashing means running it under QEMU and printing its console."""
    from .flash import flash as run
    log: list[str] = []
    p = run(project, board, probe=probe, dry_run=dry_run, echo=log.append if as_json else click.echo)
    if as_json:
        click.echo(json.dumps({"project": str(p.project), "board": p.board.name, "qemu": p.board.is_qemu,
                               "elf": str(p.elf), "commands": p.shell(), "dry_run": dry_run,
                               "flashed": not dry_run and not p.board.is_qemu,
                               "ran": not dry_run and p.board.is_qemu,
                               "log": "\n".join(t for t in log if t)}, indent=2))
    elif dry_run:
        for line in p.shell():
            click.echo(line)
    elif not p.board.is_qemu:
        click.echo(f"flashed {p.elf} to {p.board.name}")


def _fmt_metric(v: float, digits: int = 4) -> str:
    return "inf" if v == float("inf") else f"{v:.{digits}g}"


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The int8 .tflite to write (default: <model name>_int8.tflite in the current folder).")
@keras_inputs()
@click.option("--image-range", nargs=2, type=float, default=(0.0, 1.0), show_default=True, metavar="LO HI",
              help="Images (and random calibration data) are scaled from 0..255 to [LO, HI], as the model "
                   "was trained.")
@click.option("--holdout", type=click.FloatRange(0.0, 0.9), default=0.2, show_default=True,
              help="Share of the calibration samples kept out of calibration to measure float vs int8.")
@click.option("--per-layer", is_flag=True,
              help="Add a per-layer breakdown: each Keras layer's float output vs the int8 model's tensor.")
@click.option("--unsafe-load", is_flag=True,
              help="Let Keras load Lambda layers (runs Python code stored in the model file: trusted files only).")
@click.option("--input-layout", type=click.Choice(["nchw", "nhwc"]), default="nchw", show_default=True,
              help="ONNX models: the int8 model's input layout. nchw keeps the model's interface (a TRANSPOSE "
                   "to NHWC after the input, which compile --input-layout nhwc can still drop); nhwc makes the "
                   "input NHWC. Rank-4 outputs are NHWC either way.")
@click.option("--no-cache", is_flag=True, help="Convert again even when the cache has this conversion.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def convert(model, out, calibration, cal_samples, random_calibration, image_range, holdout, per_layer,
            unsafe_load, input_layout, no_cache, as_json):
    """Convert a trained Keras model (.keras, .h5, SavedModel folder) or a float ONNX model (.onnx, opset 13+)
    to a full-int8 .tflite: int8 input and output, per-channel int8 weights, int32 bias. Refuses layers (ONNX:
    nodes) that would stay in float. ONNX calibration samples: NCHW as the model takes them, or NHWC.

    \b
    Reports, on held-out calibration samples, float vs int8 outputs: mean absolute error, SNR (dB),
    cosine similarity, top-1 agreement (classifiers), per-pixel argmax agreement (segmentation).
    Needs TensorFlow (and onnx, onnxruntime for ONNX): pip install -e .[convert]"""
    from . import api
    from .frontend.keras_convert import ConvertOptions
    opts = ConvertOptions(calibration=str(calibration) if calibration else None, samples=cal_samples,
                          random_calibration=random_calibration, image_range=tuple(image_range), holdout=holdout,
                          per_layer=per_layer, unsafe_load=unsafe_load, input_layout=input_layout,
                          use_cache=not no_cache)
    if out is None:
        out = Path(f"{(model.stem if model.suffix else model.name) or 'model'}_int8.tflite")
    _warn_random(random_calibration)
    update, finish = _progress() if not as_json else (None, lambda: None)
    try:
        r = api.convert(model, out, opts, progress=update)
    finally:
        finish()
    _warn(r.warnings, random_calibration)
    if as_json:
        click.echo(json.dumps(r.as_dict(), indent=2))
        return
    rep = r.report
    how = "from the cache" if r.cached else f"in {r.seconds:.1f} s"
    click.echo(f"wrote {out} ({rep.get('tflite_bytes', out.stat().st_size):,} B) {how}")
    click.echo(f"calibrated on {rep['calibration_samples']} samples ({rep['calibration_source']}); "
               f"float vs int8 on {rep['heldout_samples'] or rep['calibration_samples']} held-out samples:")
    for o in rep["outputs"]:
        line = (f"  {o['name']} {o['shape']}: MAE {_fmt_metric(o['mae'])}, SNR {_fmt_metric(o['snr_db'], 3)} dB, "
                f"cosine {o['cosine']:.5f}")
        if "top1_agreement" in o:
            line += f", top-1 agreement {100 * o['top1_agreement']:.1f}%"
        if "pixel_argmax_agreement" in o:
            line += f", per-pixel argmax agreement {100 * o['pixel_argmax_agreement']:.1f}%"
        click.echo(line)
    if rep.get("per_layer"):
        names = [l["layer"] + (f" (+{len(l['fused'])} fused)" if l["fused"] else "") for l in rep["per_layer"]]
        w = max(len(n) for n in names + ["layer"])
        click.echo(f"\n{'layer':<{w}} {'int8 op':<18} {'shape':<18} {'MAE':>9} {'SNR dB':>7} {'cosine':>8}")
        for name, l in zip(names, rep["per_layer"]):
            click.echo(f"{name:<{w}} {l['op']:<18} {str(l['shape']):<18} {_fmt_metric(l['mae']):>9} "
                       f"{_fmt_metric(l['snr_db'], 3):>7} {l['cosine']:>8.5f}")


@main.command("plan")
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .tflite to write: MODEL with the offline memory plan in its metadata.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
@click.option("--measure", is_flag=True,
              help="Also run both files in the tflite-micro interpreter and print the arena each needs.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def plan(model, out, force, measure, as_json):
    """Our layer-by-layer memory plan inside stock TensorFlow Lite Micro.

    \b
    Writes OUTPUT: MODEL with TFLite Micro's "OfflineMemoryAllocation" metadata holding our arena offset
    of every activation tensor (the file's graph, 16-byte aligned, RESHAPEs sharing their input's
    offset). TFLite Micro's allocator places the tensors there and fits its kernels' scratch around
    them. Patch stages and in-place ops cannot be expressed this way: they need the generated C."""
    from .tflm_plan import write_offline_plan
    r = write_offline_plan(model, out, force=force)
    d = r.as_dict()
    if measure:
        from .sim.tflm_arena import tflm_arena
        d["tflm_head_before"] = tflm_arena(model)["head"]
        d["tflm_head_after"] = tflm_arena(out)["head"]
    if as_json:
        click.echo(json.dumps(d, indent=2))
        return
    click.echo(f"wrote {out}: offline memory plan for {r.planned} of {len(r.offsets)} tensors, "
               f"arena head {_fmt_bytes(r.arena_bytes)}")
    if measure:
        click.echo(f"TFLite Micro's arena head: {d['tflm_head_before']:,} B with its own plan, "
                   f"{d['tflm_head_after']:,} B with ours")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of the listing.")
@click.option("--names", is_flag=True, help="Only the op names, one a line.")
@click.option("--coverage", is_flag=True,
              help="Every op TensorFlow Lite Micro's op resolver offers: compiled or not (int8, 16x8), and why not.")
def ops(as_json, names, coverage):
    """List the supported TFLite ops with their constraints: dtypes, ranks, parameters; and whether each
    runs patch by patch (--patch auto), needs scratch memory, or is a free alias (RESHAPE). With
    --coverage: TFLite Micro's ops, ours or not, with the reason."""
    if coverage:
        from .coverage import coverage as cov
        from .coverage import markdown
        rows = cov()
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2) if as_json else markdown(rows))
        return
    from .opsinfo import format_table, supported_ops
    table = supported_ops()
    if as_json:
        click.echo(json.dumps([o.as_dict() for o in table], indent=2))
    elif names:
        for o in table:
            click.echo(o.kind)
    else:
        click.echo(format_table(table))


@main.command()
@click.argument("model", type=click.Path(dir_okay=True, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML file to write (default: <model name>_report.html in the current folder).")
@click.option("--board", default=None, metavar="BOARD",
              help="Draw BOARD's SRAM on the timeline and total SRAM and flash against it (`mcucompile boards`), "
                   "with flash by part (kernel code per file from a cross-build's link map when the toolchain is "
                   "there).")
@click.option("--force", is_flag=True, help="Overwrite an existing file that `mcucompile report` did not write.")
@click.option("--json", "as_json", is_flag=True, help="Also print the report's figures as JSON.")
@click.option("--latency", is_flag=True,
              help="With --board: estimated cycles and ms per op and in all at the board's clock, beside SRAM and "
                   "flash (one cross-build and QEMU run; Cortex-M4 and Cortex-M7 boards, as `analyze --latency`).")
@common
@keras_inputs()
def report(model, out, board, force, as_json, latency, io_outside, align, **keras):
    """One self-contained HTML page: will MODEL fit, and where does the memory go?

    \b
    Per-layer table (op, shapes, MACs, weight bytes, live bytes, arena offset), memory timeline (live
    bytes per step, layer by layer and with --patch auto the patch-based schedule, against the board's
    SRAM), arena layout (every buffer as a box over time and address), SRAM and flash totals against
    --board. Figures are embedded PNGs: the page needs no other file."""
    from .report import report as run
    model = _resolve(model, **keras)
    if out is None:
        out = Path(f"{model.stem or 'model'}_report.html")
    update, finish = _progress() if not as_json else (None, lambda: None)
    try:
        d = run(model, out, _options(io_outside, align), board=board, force=force, progress=update,
                latency=latency)
    finally:
        finish()
    if as_json:
        click.echo(json.dumps({"output": str(out), **d.as_dict()}, indent=2))
    elif not _quiet():
        c = d.chosen
        line = f"wrote {out}: peak SRAM {_fmt_bytes(c.peak)} ({c.label})"
        if d.fit is not None:
            line += (f"; {board}: SRAM {d.fit.sram_needed:,} of {d.fit.sram_capacity:,} B, flash "
                     f"~{d.fit.flash_needed:,} of {d.fit.flash_capacity:,} B: "
                     + ("fits" if d.fit.fits else "does NOT fit"))
        if d.latency is not None:
            lat = d.latency
            line += f"; ~{lat['cycles']:,} cycles = {lat['ms']:.3f} ms at {lat['clock_hz'] / 1e6:g} MHz"
        click.echo(line)


if __name__ == "__main__":
    main()
