"""Flash against cycles of the pre-widened weights (--wide-weights off / on / auto) on qemu-m4.

    .venv/bin/python bench/flash_budget.py              # the table: weights in flash and estimated cycles
    .venv/bin/python bench/flash_budget.py --markdown   # the same for the README / CHANGELOG
    .venv/bin/python bench/flash_budget.py --derive     # re-measure the cost model of kernels/wide_cost.py
    .venv/bin/python bench/flash_budget.py --budgets 0,48K,100K ../shared/models/person_detect.tflite
                                                        # auto with each --flash-budget: the trade-off curve

Each model (default: person_detect, vww_96_int8, kws_ref_model, pretrainedResnet_quant from
../shared/models/) is compiled for qemu-m4 with --wide-weights off, on and auto (the default: the convs
kernels/wide_cost.py chooses), cross-built and run once under QEMU (random input, seed 0); the estimated
cycles are the Cortex-M4 TRM estimate of sim/timing.py cut at the kernel calls (sim/latency.py), so the
figure of each build is the `analyze --board qemu-m4 --latency` one. Columns: the model's own weight bytes
(int8 weights, int32 biases: passes/analysis.flash_weight_bytes), then per mode the generated weights in
flash (<model>_weights.c: weights, multipliers, the window kernels' and the pre-widened streams; on and
auto: their ratio to off's, the int8 build) and the estimated cycles; auto's cycles against on's.

--derive fits kernels/wide_cost.py's COEFFS: per conv a wide path takes, the cycles it saves (off - on,
per op: against the int8 variant the off build really runs, pair-interleaved ones included) against its
live MACs, live outputs and live weights x (output pixels % 4), least relative error per cost class
(wide_cost.cost_class: the wide path and that int8 variant; features whose coefficient comes out negative
are dropped); it prints the coefficients (to paste into wide_cost.py) and each op's measured and modelled
saving.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.table import render_table  # noqa: E402
from mcucompile import api, pipeline  # noqa: E402
from mcucompile.codegen.generate import Options  # noqa: E402
from mcucompile.errors import McuCompileError  # noqa: E402
from mcucompile.passes.analysis import flash_weight_bytes  # noqa: E402

SHARED_MODELS = ROOT.parent / "shared" / "models"
MODELS = ("person_detect", "vww_96_int8", "kws_ref_model", "pretrainedResnet_quant")
BOARD = "qemu-m4"


def measure(path: Path, mode: str, budget: int | None = None):
    """(Build, Latency, generated weight bytes) of `path` for qemu-m4 with --wide-weights `mode`."""
    from mcucompile.sim.latency import estimate_latency

    b = pipeline.run(path, Options(wide_weights=mode, flash_budget=budget), BOARD)
    c = b.compiled
    lat = estimate_latency(c, BOARD, api.random_inputs(c.graph, 1, 0))
    return b, lat, sum(np.asarray(k.values).nbytes for k in c.consts)


def table(paths: list[Path], markdown: bool) -> str:
    head = ["model", "model weights B", "off B", "off ~cycles", "on B", "on ~cycles", "auto B", "auto ~cycles",
            "auto widened", "auto vs on"]
    rows, notes = [], []
    for p in paths:
        line = [p.stem, ""]
        cyc = {}
        for mode in ("off", "on", "auto"):
            b, lat, wb = measure(p, mode)
            cyc[mode] = lat.cycles
            if mode == "off":
                int8_build = wb
            line += [f"{wb:,}" + (f" ({wb / int8_build:.2f}x)" if mode != "off" else ""), f"{lat.cycles:,}"]
            if mode == "auto":
                w = b.compiled.wide
                line.append("—" if w is None else f"{len(w.widened)}/{len(w.layers)}")
                if w is not None:
                    notes.append(f"{p.stem}: auto widens ops {', '.join(map(str, sorted(w.widened))) or 'none'}: "
                                 f"{w.extra_bytes:+,} B, ~{w.cycles_saved:,} cycles saved by the model "
                                 f"(budget {w.budget:,} B, threshold {w.threshold:g} cycles/B)")
        line[1] = f"{flash_weight_bytes(b.graph):,}"
        line.append(f"{cyc['auto'] / cyc['on'] - 1:+.1%}")
        rows.append(line)
    return render_table(head, rows, markdown, notes)


def sweep(paths: list[Path], budgets: list[int], markdown: bool) -> str:
    """--wide-weights auto with each --flash-budget: weights, estimated cycles, against off and on."""
    head = ["model", "budget B", "weights B", "vs off", "~cycles", "vs on", "widened ops"]
    rows = []
    for p in paths:
        _, _, off = measure(p, "off")
        _, on, _ = measure(p, "on")
        for budget in budgets:
            b, lat, wb = measure(p, "auto", budget)
            w = b.compiled.wide
            rows.append([p.stem, f"{budget:,}", f"{wb:,}", f"{wb / off:.2f}x", f"{lat.cycles:,}",
                         f"{lat.cycles / on.cycles - 1:+.1%}",
                         "—" if w is None else " ".join(map(str, sorted(w.widened))) or "none"])
    return render_table(head, rows, markdown)


def live_channels(g, op) -> int | None:
    """The output channels a 1x1 conv's kernels run (its dead ones skipped); None: all."""
    from mcucompile.codegen.ops.conv import dead_channels
    from mcucompile.kernels.conv import is_pointwise

    x, w, y = (g.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if op.kind == "CONV_2D" and is_pointwise(x.shape, w.shape, y.shape, op.attrs, False):
        return int(y.shape[3]) - len(dead_channels(w))
    return None


def derive(paths: list[Path]) -> str:
    from mcucompile.kernels.wide_cost import COEFFS, features

    data: dict[str, list] = {}
    notes = []
    for p in paths:
        b_off, off, _ = measure(p, "off")
        b_on, on, _ = measure(p, "on")
        c_off = {x["index"]: x["cycles"] for x in off.layers}
        c_on = {x["index"]: x["cycles"] for x in on.layers}
        int8 = {k.op_index: k.func for k in b_off.compiled.calls}      # the variant each op runs in the int8 build
        cls = {x.op: x.path for x in b_on.compiled.wide.layers} if b_on.compiled.wide is not None else {}
        g = b_off.graph
        for op in g.ops:
            if op.index not in cls or op.index not in c_off or op.index not in c_on:
                continue
            f = features(g, op, live_channels(g, op), int8[op.index])
            if f[0] != cls[op.index]:       # the compiler's class (its own choice of the int8 variant) differs
                notes.append(f"note: {p.stem} op {op.index}: the int8 build runs {int8[op.index]} ({f[0]}), "
                             f"the compiler's cost class is {cls[op.index]}")
            data.setdefault(f[0], []).append((p.stem, op.index, f[1], c_off[op.index] - c_on[op.index]))
    out = ["COEFFS = {"]
    detail = []
    for path, items in sorted(data.items()):
        X = np.array([v for _, _, v, _ in items])
        y = np.array([s for _, _, _, s in items], dtype=np.float64)
        keep = [k for k in range(X.shape[1]) if X[:, k].any()]
        ok = y > 0
        while True:
            coef = np.zeros(X.shape[1])
            if keep and ok.any():       # least relative error: each op's row divided by its measured saving
                sol, *_ = np.linalg.lstsq(X[ok][:, keep] / y[ok, None], np.ones(int(ok.sum())), rcond=None)
                coef[keep] = sol
            neg = [k for k in keep if coef[k] < 0]
            if not neg:
                break
            keep.remove(min(neg, key=lambda k: coef[k]))
        pred = X @ coef
        err = max((abs(m / s - 1) for m, s in zip(pred, y) if s > 0), default=0.0)
        out.append(f'    "{path}": ({coef[0]:.4f}, {coef[1]:.4f}, {coef[2]:.4f}),'
                   f'     # {len(items)} op{"s" if len(items) > 1 else ""}, within {err:.1%}')
        for (m, op, _, s), pr in zip(items, pred):
            detail.append(f"{path:18} {m:24} op {op:3}: saved {int(s):>9,}  model {int(pr):>9,}  "
                          f"({pr / s - 1 if s else 0:+.1%})")
    for path in sorted(set(COEFFS) - set(data)):     # (the fallback of its sub-classes: wide_cost.coeffs)
        c = COEFFS[path]
        out.append(f'    "{path}": ({c[0]:.4f}, {c[1]:.4f}, {c[2]:.4f}),     # no op measured: kept')
    out.append("}")
    return "\n".join(out + [""] + detail + notes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("models", nargs="*", type=Path, help="model files (default: the four named above)")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--derive", action="store_true", help="re-measure and fit the cost model's coefficients")
    ap.add_argument("--budgets", default=None,
                    help="comma-separated --flash-budget sizes (e.g. 0,48K,100K): auto at each, one row per budget")
    args = ap.parse_args(argv)
    paths = args.models or [SHARED_MODELS / f"{m}.tflite" for m in MODELS]
    try:
        if args.budgets:
            from mcucompile.cli import _parse_size
            print(sweep(paths, [_parse_size(b) for b in args.budgets.split(",")], args.markdown))
        else:
            print(derive(paths) if args.derive else table(paths, args.markdown))
    except McuCompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
