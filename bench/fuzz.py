"""The full fuzzing campaign: 10,000 mutants of the shared models (and the example), each read, compiled and
rendered in an isolated worker with a 2 s limit; distinct compiled mutants built with ASan/UBSan and run.

    .venv/bin/python bench/fuzz.py [--cases 10000] [--workers 2] [--json]

Exit code 1 on any finding (Python exception, crash, hang, unclear error message, sanitizer failure);
the inputs of findings are saved in build/fuzz_findings/.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcucompile.fuzz import main  # noqa: E402

SEEDS = sorted((ROOT.parent / "shared" / "models").glob("*.tflite")) + [ROOT / "examples" / "tiny_cnn_int8.tflite"]

if __name__ == "__main__":
    args = sys.argv[1:]
    defaults = ["--cases", "10000", "--workers", "2", "--sanitize", "30", "--save", str(ROOT / "build" / "fuzz_findings")]
    have = {a for a in args if a.startswith("--")}
    extra = [x for k in range(0, len(defaults), 2) if defaults[k] not in have for x in defaults[k:k + 2]]
    raise SystemExit(main([*args, *extra, *map(str, SEEDS)]))
