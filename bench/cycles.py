"""Instructions executed (and, on qemu-m4 and qemu-m7, estimated cycles) by one inference of every shared model on each
emulated Cortex-M core.

    .venv/bin/python bench/cycles.py              # a plain table
    .venv/bin/python bench/cycles.py --markdown   # the table for the README
    .venv/bin/python bench/cycles.py --reference  # the same with the plain-C reference loops only
    .venv/bin/python bench/cycles.py --profile    # + the top functions per model and core (share of instructions,
                                                  #   and of the estimated cycles where there are some)
    .venv/bin/python bench/cycles.py --optimise both   # each model with --optimise speed and size (kernel bytes)
    .venv/bin/python bench/cycles.py --wide-weights auto   # one row per model (default: auto and off; also on)

Each model is compiled, cross-built for qemu-m4 (mps2-an386), qemu-m7 (mps2-an500) and qemu-m55
(mps3-an547) and run under QEMU on one random input (seed 0); the project's TCG plugin counts the guest
instructions executed between two marker calls around the model's invoke function. Counts are exact and
identical from run to run. On qemu-m4 the plugin also estimates cycles from the Cortex-M4 TRM's
per-instruction-class timings, on qemu-m7 from a Cortex-M7 dual-issue model (mcucompile/sim/timing.py,
which says what each estimate leaves out: no wait states, no caches); qemu-m55 reports instructions only
(its cycles are not modelled).
Every run is also checked bit-exactly against TFLite Micro (--no-check skips that).

Columns: MACs of the model, then per core the instructions per inference, the estimated cycles and cycles
per instruction (qemu-m4, qemu-m7; "—" where not modelled), instructions per MAC and the kernel code in
flash (bytes of the kernel library's code the firmware links, from its link map). A model whose 1x1
convs have output channels with all-zero weights (the kernels skip them: their output is a constant) gets a
note with its live MACs and the instructions per live MAC.
--reference builds the kernel library with MCU_NN_REFERENCE defined (no DSP/Helium paths, no blocking:
the host-tested reference loops), which is the "before" of the fast paths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.table import render_table  # noqa: E402
from mcucompile import api  # noqa: E402
from mcucompile.boards import qemu_boards  # noqa: E402
from mcucompile.errors import McuCompileError  # noqa: E402

SHARED_MODELS = ROOT.parent / "shared" / "models"


def dead_macs(path: Path) -> int:
    """MACs of the 1x1 stride-1 convs' output channels whose weights are all zero (the dead-channel hint of
    mcucompile/codegen/ops/conv.py: the fast 1x1 kernels write their constant instead)."""
    from mcucompile.codegen.ops.conv import dead_channels

    g = api.load(path)
    n = 0
    for op in g.ops:
        if op.kind != "CONV_2D":
            continue
        x, w, y = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]], g.tensors[op.outputs[0]]
        if (tuple(w.shape[1:3]) == (1, 1) and (op.attrs.stride_h, op.attrs.stride_w) == (1, 1)
                and tuple(x.shape[1:3]) == tuple(y.shape[1:3])):
            n += (y.size // int(y.shape[-1])) * int(x.shape[-1]) * len(dead_channels(w))
    return n


def measure(path: Path, cores: list[str], check: bool, options: api.Options = api.Options()) -> dict:
    row = {"model": path.stem, "macs": api.analyze(path).macs, "notes": [], "dead_macs": dead_macs(path),
           "optimise": options.optimise, "wide": options.wide_weights}
    for core in cores:
        try:
            r = api.simulate(path, samples=1, seed=0, board=core, references=("tflm",) if check else (),
                             options=options)
        except McuCompileError as exc:
            row["notes"].append(f"{core}: {str(exc).splitlines()[0]}")
            continue
        if check and not r.ok:
            row["notes"].append(f"{core}: NOT bit-exact with TFLite Micro ({r.mismatches} mismatches)")
        row[core] = r.extra["instructions"]
        if "cycles" in r.extra:
            row.setdefault("cycles", {})[core] = r.extra["cycles"]
            row.setdefault("cycles_by_function", {})[core] = r.extra["cycles_by_function"]
        # constant bytes in flash as compiled for this core (the DSP cores: with the pre-widened 1x1 weights
        # unless the model would no longer fit, --wide-weights auto)
        a = api.analyze(path, options, board=core)      # with the ARM toolchain: the firmware's link map
        row.setdefault("flash_weights", {})[core] = a.code["weights"]
        row.setdefault("kernel_code", {})[core] = a.code["kernel_total"]
        row.setdefault("by_function", {})[core] = r.extra.get("instructions_by_function", {})
    return row


def render_profile(rows: list[dict], cores: list[str], markdown: bool, top: int = 5) -> str:
    """Per model and core: the functions that ran the most instructions (share of the inference; where
    cycles are estimated, their share of the cycles in brackets)."""
    both = len({r["optimise"] for r in rows}) > 1
    wides = len({r["wide"] for r in rows}) > 1
    head = ["model", *(["optimise"] if both else []), *(["wide weights"] if wides else []), "core"] + [
        f"#{k + 1}" for k in range(top)]
    table = []
    for r in rows:
        for c in cores:
            funcs = r.get("by_function", {}).get(c)
            if not funcs or not r.get(c):
                continue
            cyc = r.get("cycles_by_function", {}).get(c)
            total = r.get("cycles", {}).get(c)
            cells = [f"{f} {n / r[c]:.1%}" + (f" ({cyc.get(f, 0) / total:.1%})" if cyc and total else "")
                     for f, n in list(funcs.items())[:top]]
            table.append([r["model"], *([r["optimise"]] if both else []), *([r["wide"]] if wides else []), c]
                         + cells + [""] * (top - len(cells)))
    return render_table(head, table, markdown, [])


def render(rows: list[dict], cores: list[str], markdown: bool) -> str:
    both = len({r["optimise"] for r in rows}) > 1
    wides = len({r["wide"] for r in rows}) > 1
    head = ["model", *(["optimise"] if both else []), *(["wide weights"] if wides else []), "MACs"] + [
        h for c in cores for h in (f"{c} instr", f"{c} ~cycles", f"{c} cycles/instr", f"{c} instr/MAC",
                                   f"{c} kernel B")]
    table = []
    for r in rows:
        line = [r["model"], *([r["optimise"]] if both else []), *([r["wide"]] if wides else []), f"{r['macs']:,}"]
        for c in cores:
            n = r.get(c)
            code = r.get("kernel_code", {}).get(c)
            cyc = r.get("cycles", {}).get(c)
            if n is None:
                line += ["—"] * 5
                continue
            line += [f"{n:,}", "—" if cyc is None else f"{cyc:,}", "—" if cyc is None else f"{cyc / n:.2f}",
                     f"{n / r['macs']:.2f}" if r["macs"] else "—", f"{code:,}"]
        table.append(line)
    notes = [f"{r['model']}: {n}" for r in rows for n in r["notes"]]
    for r in rows:
        tags = [t for t, show in ((r["optimise"], both), (f"wide weights {r['wide']}", wides)) if show]
        name = f"{r['model']} ({', '.join(tags)})" if tags else r["model"]
        fw = r.get("flash_weights", {})
        if fw:
            notes.append(f"{name}: weights in flash (bytes): "
                         + ", ".join(f"{c} {fw[c]:,}" for c in cores if c in fw))
        if r["dead_macs"]:
            live = r["macs"] - r["dead_macs"]
            per = ", ".join(f"{c} {r[c] / live:.2f}" for c in cores if r.get(c))
            notes.append(f"{name}: {r['dead_macs'] / r['macs']:.1%} of the MACs are in 1x1 output channels "
                         f"whose weights are all zero (skipped, their constant written): {live:,} live MACs; "
                         f"instructions per live MAC: {per}")
    return render_table(head, table, markdown, notes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("models", nargs="*", type=Path, help="model files (default: ../shared/models/*.tflite)")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--cores", default=",".join(b.name for b in qemu_boards()),
                    help="comma-separated QEMU boards (default: all)")
    ap.add_argument("--no-check", action="store_true", help="skip the comparison with TFLite Micro")
    ap.add_argument("--profile", action="store_true",
                    help="also print where the instructions go: the top functions per model and core")
    ap.add_argument("--optimise", choices=["speed", "size", "both"], default="speed",
                    help="the kernels --optimise picks (both: a row for each)")
    ap.add_argument("--wide-weights", choices=["auto", "on", "off", "both"], default="both",
                    help="the pre-widened int16 weights where kernels/wide_cost.py chooses (--wide-weights "
                         "auto), on every wide conv (on) or the int8 ones only (off); both: auto and off")
    ap.add_argument("--reference", action="store_true",
                    help="build the plain-C reference kernels only (MCU_NN_REFERENCE): the 'before' figures")
    args = ap.parse_args(argv)
    models = args.models or sorted(SHARED_MODELS.glob("*.tflite"))
    if not models:
        print(f"no models found in {SHARED_MODELS}", file=sys.stderr)
        return 1
    cores = args.cores.split(",")
    try:
        # the reference loops (--kernels reference) are planned as plain C: int8 weights only, no scratch
        modes = ["speed", "size"] if args.optimise == "both" else [args.optimise]
        wides = ["auto", "off"] if args.wide_weights == "both" and not args.reference else (
            ["auto"] if args.reference else [args.wide_weights])
        rows = [measure(p, cores, not args.no_check,
                        api.Options(kernels="reference") if args.reference else
                        api.Options(optimise=m, wide_weights=w))
                for p in models for m in modes for w in wides]
    except McuCompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.reference:
        for r in rows:
            r["dead_macs"] = 0          # the reference loops compute dead channels too: no live-MAC note
    print(render(rows, cores, args.markdown))
    if args.profile:
        print()
        print(render_profile(rows, cores, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
