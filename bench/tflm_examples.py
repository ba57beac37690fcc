"""TFLite Micro's own example models (../shared/models/tflm_examples/: the MNIST LSTM, the micro_speech audio
preprocessor, a 16x8 SEANet conv layer): their ops, our arena against TFLite Micro's, the state kept between
invokes, and one inference on qemu-m4 (instructions and estimated cycles), checked bit-exactly against
TFLite Micro.

    .venv/bin/python bench/tflm_examples.py              # a plain table
    .venv/bin/python bench/tflm_examples.py --markdown   # the table for the README / a note
    .venv/bin/python bench/tflm_examples.py MODEL.tflite ...   # other models

Columns:
  ops            the model's ops (kind x count)
  ours           our peak SRAM: activations and scratch, model input and output included, bytes
  state          our persistent state region (variable tensors, LSTM/SVDF state, the audio front end's noise
                 estimate): kept between invokes, outside the arena
  TFLM head      TFLite Micro's non-persistent arena part (activations and scratch, its own plan)
  TFLM total     TFLite Micro's whole arena (head + tail: its tensor structs, op data, variable tensors)
  m4 instr       instructions of one inference on qemu-m4 (mps2-an386), counted by our TCG plugin
  m4 ~cycles     the Cortex-M4 TRM-priced estimate of the same run (mcucompile/sim/timing.py)
  exact          the qemu-m4 outputs against TFLite Micro's interpreter (one random input, seed 0)
A model we cannot compile yet shows the refusal in the notes.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.table import render_table  # noqa: E402
from mcucompile import api  # noqa: E402
from mcucompile.errors import McuCompileError  # noqa: E402
from mcucompile.sim.tflm_arena import tflm_arena  # noqa: E402

EXAMPLES = ROOT.parent / "shared" / "models" / "tflm_examples"


def measure(path: Path) -> dict:
    row: dict = {"model": path.stem, "notes": []}
    try:
        a = api.analyze(path)
    except McuCompileError as exc:
        row["notes"].append(str(exc).splitlines()[0])
        return row
    g = api.load(path)
    kinds = Counter(op.kind.removeprefix("CUSTOM:") for op in g.ops)
    row.update(ops=", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(kinds.items())),
               ours=a.peak_sram_bytes, state=a.state_bytes)
    try:
        t = tflm_arena(path)
        row.update(tflm_head=t["head"], tflm_total=t["total"])
    except McuCompileError as exc:
        row["notes"].append(f"TFLite Micro arena: {str(exc).splitlines()[0]}")
    try:
        r = api.simulate(path, samples=1, seed=0, board="qemu-m4", references=("tflm",))
        row.update(instr=r.extra["instructions"], cycles=r.extra.get("cycles"),
                   exact="yes" if r.ok else f"NO ({r.mismatches} mismatches)")
    except McuCompileError as exc:
        row["notes"].append(f"qemu-m4: {str(exc).splitlines()[0]}")
    return row


def render(rows: list[dict], markdown: bool) -> str:
    def n(v):
        return "—" if v is None else f"{v:,}"
    head = ["model", "ops", "ours B", "state B", "TFLM head B", "TFLM total B", "m4 instr", "m4 ~cycles", "exact"]
    table = [[r["model"], r.get("ops", "—"), n(r.get("ours")), n(r.get("state")), n(r.get("tflm_head")),
              n(r.get("tflm_total")), n(r.get("instr")), n(r.get("cycles")), r.get("exact", "—")] for r in rows]
    notes = [f"{r['model']}: {x}" for r in rows for x in r["notes"]]
    return render_table(head, table, markdown, notes)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", type=Path, help="default: every .tflite in ../shared/models/tflm_examples")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    models = args.models or sorted(EXAMPLES.glob("*.tflite"))
    rows = []
    for p in models:
        print(f"measuring {p.name} ...", file=sys.stderr)
        rows.append(measure(p))
    print(render(rows, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
