"""Patch-based inference benchmark: peak SRAM layer by layer vs patch by patch, and the MACs it costs.

    python bench/patch.py [--markdown] [--max-overhead 0.10] [--curve] [MODEL.tflite ...]

Models: the int8 models of ../shared/models, MobileNetV2 (width 0.35, 144x144; keras.applications,
weights=None), an MCUNet-like inverted-residual net at 176x176, MobileNetV2-1.0 at 224x224 laid out as a
PyTorch export (NCHW input through a TRANSPOSE, an explicit PAD before every stride-2 conv;
tests/torch_style.py) and the AttendSeg- and EfficientViT-style example networks (untrained), all
converted here with random or synthetic calibration (bench/make_models.py). Each is planned with the
model input (and output) inside the arena and in the caller's buffers (--io-outside), as the generated code
supports both. TFLite Micro's arena ("head" = its activation arena) is measured with the tflite-micro
interpreter.

The first table is graph normalisation's effect on the layer-by-layer peak: the model file as read
("as read"), after the rewrites (explicit PADs folded into the convs that read them), and with
--inplace depthwise convs too; then the patch searches, with the op that ended each patch stage.

Three searches per row: patch stages that recompute their halos (MCUNetV2), stages of full-width row
bands that cache the halo rows in line buffers instead (StreamNet; no extra MACs), and both mixed (what
`--patch auto` does). "search s" is the time of the mixed search.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mcucompile.api import load  # noqa: E402
from mcucompile.codegen.generate import Options, compile_graph  # noqa: E402
from mcucompile.frontend.tflite_reader import read_tflite  # noqa: E402
from mcucompile.passes.patch_plan import search  # noqa: E402
from mcucompile.passes.regions import break_reason  # noqa: E402

SHARED = ROOT.parent / "shared" / "models"
# the searches compared: halos recomputed only, rows cached only, both kinds of stage mixed
KINDS = (("recompute",), ("cached",), ("recompute", "cached"))


def models() -> list[Path]:
    import make_models
    out = sorted(p for p in SHARED.glob("*.tflite"))
    for name in make_models.MODELS:
        out.append(make_models.get(name))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--max-overhead", type=float, default=0.10)
    ap.add_argument("--curve", action="store_true", help="also print the peak/MACs trade-off curves explored")
    ap.add_argument("models", nargs="*", type=Path)
    args = ap.parse_args()
    from mcucompile.sim.tflm_arena import tflm_arena

    rows, curves, lbl_rows = [], [], []
    for path in args.models or models():
        g = load(path)
        try:
            head = tflm_arena(path)["head"]
        except Exception as e:  # noqa: BLE001 - a benchmark row, not a failure
            head = None
            print(f"# {path.name}: TFLite Micro arena not measured ({e})", file=sys.stderr)
        raw = compile_graph(read_tflite(path)).plan.arena_bytes
        lbl_rows.append((path.stem, len(g.rewrites), raw, compile_graph(g).plan.arena_bytes,
                         compile_graph(g, Options(inplace=True)).plan.arena_bytes, head))

        def ended_by(b: int, g=g) -> str:
            if b >= len(g.ops):
                return "the model's end"
            why = break_reason(g, g.ops[b])
            return f"{g.ops[b].kind}" + (" (not patchable)" if why else "")

        for io_in in (True, False):
            found = {}
            for kinds in KINDS:
                t = time.time()
                found[kinds] = (search(g, max_overhead=args.max_overhead, io_in_arena=io_in, kinds=kinds),
                                time.time() - t)
            r, secs = found[KINDS[-1]]
            c = r.chosen_candidate
            stages = " + ".join(f"ops {a}-{b - 1} {nr}x{nc}{' cached' if k else ''} (to {ended_by(b)})"
                                for a, b, nr, nc, k, _ in c.stages) or "-"
            rec, cac = found[KINDS[0]][0].chosen_candidate, found[KINDS[1]][0].chosen_candidate
            rows.append((path.stem, "arena" if io_in else "caller", r.layer_by_layer_peak,
                         rec.peak, rec.overhead, cac.peak, cac.overhead, c.peak,
                         r.layer_by_layer_peak / c.peak, c.overhead, stages, head, secs))
            curves.append((path.stem, io_in, r.frontier()))
    _print(("model", "rewrites", "as read B", "layer-by-layer B", "--inplace B", "TFLM head B"), (0,),
           [(r[0], str(r[1]), f"{r[2]:,}", f"{r[3]:,}", f"{r[4]:,}", f"{r[5]:,}" if r[5] is not None else "-")
            for r in lbl_rows], args.markdown)
    print()
    hdr = ("model", "I/O", "layer-by-layer B", "recompute B", "MACs", "cached rows B", "MACs",
           "both B", "ratio", "MACs", "patch stages (grid, the op that ends each)", "TFLM head B", "search s")
    fmt = lambda r: (r[0], r[1], f"{r[2]:,}", f"{r[3]:,}", f"{r[4]:+.1%}", f"{r[5]:,}", f"{r[6]:+.1%}",
                     f"{r[7]:,}", f"{r[8]:.2f}x", f"{r[9]:+.1%}", r[10],
                     f"{r[11]:,}" if r[11] is not None else "-", f"{r[12]:.1f}")
    _print(hdr, (0, 1, 10), [fmt(r) for r in rows], args.markdown)
    if args.curve:
        for name, io_in, front in curves:
            print(f"\n{name} (I/O in {'arena' if io_in else 'caller buffers'}): peak vs MACs explored")
            for c in front:
                print(f"  {c.peak:>9,} B  {c.macs:>12,} MACs  {c.overhead:+7.1%}  "
                      + (" + ".join(f"{a}-{b - 1}:{nr}x{nc}{' cached' if k else ''}" for a, b, nr, nc, k, _ in c.stages)
                         or "layer by layer"))
    return 0


def _print(hdr, left, body, markdown: bool) -> None:
    table = [hdr] + list(body)
    if markdown:
        print("| " + " | ".join(hdr) + " |")
        print("|" + "|".join("---" if i in left else "---:" for i in range(len(hdr))) + "|")
        for r in table[1:]:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(r[i]) for r in table) for i in range(len(hdr))]
        for k, r in enumerate(table):
            print("  ".join(v.ljust(w) if i in left else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
            if k == 0:
                print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    sys.exit(main())
