"""The full fuzzing campaign: 10,000 mutants of the shared models (and the example), each read, compiled and
rendered in an isolated worker with a 2 s limit; distinct compiled mutants built with ASan/UBSan and run.

    .venv/bin/python bench/fuzz.py [--cases 10000] [--workers 2] [--sanitize 30] [--json] [--no-write]

Prints the report and writes it to bench/FUZZ.md (the figures the README quotes) unless --no-write.
Exit code 1 on any finding (Python exception, crash, hang, unclear error message, sanitizer failure);
the inputs of findings are saved in build/fuzz_findings/.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.table import render_table  # noqa: E402
from mcucompile import progress  # noqa: E402
from mcucompile.fuzz import FINDINGS, FuzzReport, format_report, run  # noqa: E402

SEEDS = sorted((ROOT.parent / "shared" / "models").glob("*.tflite")) + [ROOT / "examples" / "tiny_cnn_int8.tflite"]
REPORT = ROOT / "bench" / "FUZZ.md"


def markdown(r: FuzzReport, workers: int, seed: int, timeout: float) -> str:
    names = ["read_error", "compile_error", "compiled", *FINDINGS]
    head = ["mutator", "read error", "compile error", "compiled", "Python exception", "crash",
            f"hang (> {timeout:g} s)", "unclear message"]
    rows = [[m] + [f"{r.by_mutator[m].get(n, 0):,}" for n in names] for m in sorted(r.by_mutator)]
    rows.append(["**total**"] + [f"**{r.outcomes.get(n, 0):,}**" for n in names])
    s = r.sanitizer
    lines = [
        "# Fuzzing: the full run",
        "",
        f"`.venv/bin/python bench/fuzz.py` on {time.strftime('%Y-%m-%d', time.gmtime())}: {r.cases:,} mutants of "
        f"{', '.join(r.seeds)} (seed {seed}, {workers} workers, {r.seconds:.0f} s, slowest case "
        f"{r.max_case_seconds:.2f} s).",
        "",
        render_table(head, rows, markdown=True),
        "",
    ]
    if s:
        lines.append(f"Sanitizer sample: {s['distinct_programs']:,} distinct compiled programs; {s['built']} built "
                     f"with -fsanitize=address,undefined and run on random inputs: {s['clean']} clean, "
                     f"{len(s['failures'])} failed.")
        lines.append("")
    if r.findings or (s and s["failures"]):
        lines.append("Findings:")
        lines.append("")
        for c in r.findings[:50]:
            lines.append(f"- case {c.index} ({c.seed_file}, {c.mutator}: {c.description}): {c.result['outcome']} "
                         f"{c.result.get('error', '')} {c.result.get('message', '')}".rstrip())
        for f in (s or {}).get("failures", [])[:50]:
            lines.append(f"- sanitizer, case {f['case']} ({f['mutator']}): "
                         f"{(f.get('error') or json.dumps(f.get('stats')))[:300]}")
    else:
        lines.append("No findings.")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    defaults = {"--cases": "10000", "--workers": "2", "--sanitize": "30", "--seed": "0", "--timeout": "2.0"}
    write = "--no-write" not in argv
    as_json = "--json" in argv
    args = [a for a in argv if a not in ("--no-write", "--json")]
    opts = dict(defaults)
    for k in range(0, len(args) - 1, 2):
        if args[k] not in defaults:
            print(f"unknown option {args[k]} (known: {', '.join(defaults)}, --json, --no-write)", file=sys.stderr)
            return 2
        opts[args[k]] = args[k + 1]
    progress.enable()
    bar = progress.bar("fuzzing", int(opts["--cases"]))
    try:
        r = run(SEEDS, int(opts["--cases"]), int(opts["--workers"]), float(opts["--timeout"]), int(opts["--seed"]),
                int(opts["--sanitize"]), ROOT / "build" / "fuzz_findings",
                progress=lambda done, total: bar.update(done))
    finally:
        bar.close()
    print(json.dumps(r.as_dict(), indent=2) if as_json else format_report(r))
    if write:
        REPORT.write_text(markdown(r, int(opts["--workers"]), int(opts["--seed"]), float(opts["--timeout"])))
        print(f"wrote {REPORT.relative_to(ROOT)}", file=sys.stderr)
    return 0 if r.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
