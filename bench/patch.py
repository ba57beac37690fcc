"""Patch-based inference benchmark: peak SRAM layer by layer vs patch by patch, and the MACs it costs.

    python bench/patch.py [--markdown] [--max-overhead 0.10] [--curve]

Models: the int8 models of ../shared/models, MobileNetV2 (width 0.35, 144x144; keras.applications,
weights=None) and an MCUNet-like inverted-residual net at 176x176, both converted here with random
calibration (bench/make_models.py). Each is planned with the model input inside the arena and with the
input in the caller's buffer (a camera frame), as the generated code supports both. TFLite Micro's
arena ("head" = its activation arena) is measured with the tflite-micro interpreter.

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
from mcucompile.passes.patch_plan import search  # noqa: E402

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

    rows, curves = [], []
    for path in args.models or models():
        g = load(path)
        try:
            head = tflm_arena(path)["head"]
        except Exception as e:  # noqa: BLE001 - a benchmark row, not a failure
            head = None
            print(f"# {path.name}: TFLite Micro arena not measured ({e})", file=sys.stderr)
        for io_in in (True, False):
            found = {}
            for kinds in KINDS:
                t = time.time()
                found[kinds] = (search(g, max_overhead=args.max_overhead, io_in_arena=io_in, kinds=kinds),
                                time.time() - t)
            r, secs = found[KINDS[-1]]
            c = r.chosen_candidate
            stages = " + ".join(f"ops {a}-{b - 1} {nr}x{nc}{' cached' if k else ''}"
                                for a, b, nr, nc, k, _ in c.stages) or "-"
            rec, cac = found[KINDS[0]][0].chosen_candidate, found[KINDS[1]][0].chosen_candidate
            rows.append((path.stem, "arena" if io_in else "caller", r.layer_by_layer_peak,
                         rec.peak, rec.overhead, cac.peak, cac.overhead, c.peak,
                         r.layer_by_layer_peak / c.peak, c.overhead, stages, head, secs))
            curves.append((path.stem, io_in, r.frontier()))
    hdr = ("model", "input", "layer-by-layer B", "recompute B", "MACs", "cached rows B", "MACs",
           "both B", "ratio", "MACs", "patch stages (grid)", "TFLM head B", "search s")
    left = (0, 1, 10)
    fmt = lambda r: (r[0], r[1], f"{r[2]:,}", f"{r[3]:,}", f"{r[4]:+.1%}", f"{r[5]:,}", f"{r[6]:+.1%}",
                     f"{r[7]:,}", f"{r[8]:.2f}x", f"{r[9]:+.1%}", r[10],
                     f"{r[11]:,}" if r[11] is not None else "-", f"{r[12]:.1f}")
    table = [hdr] + [fmt(r) for r in rows]
    if args.markdown:
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
    if args.curve:
        for name, io_in, front in curves:
            print(f"\n{name} (input in {'arena' if io_in else 'caller buffer'}): peak vs MACs explored")
            for c in front:
                print(f"  {c.peak:>9,} B  {c.macs:>12,} MACs  {c.overhead:+7.1%}  "
                      + (" + ".join(f"{a}-{b - 1}:{nr}x{nc}{' cached' if k else ''}" for a, b, nr, nc, k, _ in c.stages)
                         or "layer by layer"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
