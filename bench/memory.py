"""Peak SRAM of our memory plan against TFLite Micro's arena, for every model we have.

    .venv/bin/python bench/memory.py              # a plain table
    .venv/bin/python bench/memory.py --markdown   # the table for the README
    .venv/bin/python bench/memory.py --min-arena  # also search TFLM's smallest working arena

Columns:
  ours        peak SRAM of our plan (activations, model input and output included), bytes
  bound       lower bound: the largest sum of live tensor bytes over all steps
  TFLM total  arena TFLite Micro reports needing (head + tail)
  TFLM head   its non-persistent part: activations and scratch, as planned by TFLM
  TFLM tail   its persistent part: tensor/node structs, quantisation and op data
  ours/head   our peak relative to TFLM's head (the like-for-like figure: both hold the
              activations; what TFLM keeps in its tail, we keep in flash or do not need)
  TFLM min    (with --min-arena) the smallest arena_size that TFLM really runs with;
              it can exceed total on small models (planning needs temporary head space)

Models: every .tflite in ../shared/models (beside the repository) and examples/*.tflite,
or the files given on the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.table import render_table  # noqa: E402
from mcucompile.errors import McuCompileError  # noqa: E402
from mcucompile.sim.tflm_arena import tflm_arena, tflm_min_arena  # noqa: E402

SHARED_MODELS = ROOT.parent / "shared" / "models"


def default_models() -> list[Path]:
    return sorted(SHARED_MODELS.glob("*.tflite")) + sorted((ROOT / "examples").glob("*.tflite"))


def ours(path: Path) -> tuple[int | None, int | None, str]:
    """(peak, lower bound, error) from our analysis; None where it could not be computed."""
    try:
        from mcucompile.api import analyze
    except ImportError as exc:
        return None, None, f"mcucompile.api unavailable: {exc}"
    try:
        a = analyze(path)
    except McuCompileError as exc:
        return None, None, str(exc).splitlines()[0]
    get = (lambda k: a[k]) if isinstance(a, dict) else (lambda k: getattr(a, k))
    return int(get("peak_sram_bytes")), int(get("lower_bound_bytes")), ""


def measure(path: Path, min_arena: bool) -> dict:
    row = {"model": path.name}
    row["ours"], row["bound"], err = ours(path)
    notes = [f"ours: {err}"] if err else []
    try:
        t = tflm_arena(path)
        row.update(tflm_total=t["total"], tflm_head=t["head"], tflm_tail=t["tail"])
        if min_arena:
            row["tflm_min"] = tflm_min_arena(path, t["total"])
    except McuCompileError as exc:
        notes.append(f"TFLM: {str(exc).splitlines()[0]}")
    if row.get("ours") is not None and row.get("tflm_head"):
        row["ratio"] = row["ours"] / row["tflm_head"]
    row["notes"] = "; ".join(notes)
    return row


COLUMNS = [("model", "model"), ("ours", "ours peak"), ("bound", "lower bound"),
           ("tflm_total", "TFLM total"), ("tflm_head", "TFLM head"), ("tflm_tail", "TFLM tail"),
           ("tflm_min", "TFLM min"), ("ratio", "ours/head")]


def cell(row: dict, key: str) -> str:
    v = row.get(key)
    if v is None:
        return "—"
    if key == "ratio":
        return f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def render(rows: list[dict], markdown: bool, min_arena: bool) -> str:
    cols = [c for c in COLUMNS if min_arena or c[0] != "tflm_min"]
    rows_text = [[cell(r, k) for k, _ in cols] for r in rows]
    notes = [f"{r['model']}: {r['notes']}" for r in rows if r["notes"]]
    return render_table([title for _, title in cols], rows_text, markdown, notes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("models", nargs="*", type=Path, help="model files (default: all we have)")
    ap.add_argument("--markdown", action="store_true", help="print a markdown table")
    ap.add_argument("--min-arena", action="store_true",
                    help="also search the smallest arena_size TFLM runs with (slower)")
    args = ap.parse_args(argv)
    models = args.models or default_models()
    if not models:
        print(f"no models found in {SHARED_MODELS} or examples/", file=sys.stderr)
        return 1
    rows = [measure(p, args.min_arena) for p in models]
    print(render(rows, args.markdown, args.min_arena))
    return 0


if __name__ == "__main__":
    sys.exit(main())
