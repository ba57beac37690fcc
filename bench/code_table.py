"""Write mcucompile/boards/code_sizes.json: every kernel function's size and callees per Cortex-M core, from the
library cross-compiled as the firmware builds it (arm-none-eabi-gcc -O2 -ffunction-sections). The compiler's
code-size estimate (mcucompile/boards/codesize.py, used without a toolchain) sums the functions a model's calls
reach. Run it after changing firmware/ (tests/test_codesize.py fails when the table is stale):

    .venv/bin/python bench/code_table.py            # rewrite the table
    .venv/bin/python bench/code_table.py --check    # exit 1 if it differs from what the library builds to
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from mcucompile import FIRMWARE_DIR
from mcucompile.boards import boards
from mcucompile.boards.codesize import TABLE

CFLAGS = ["-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-fno-common"]


def core_flags() -> dict[str, list[str]]:
    """-mcpu -> the target flags of one board with that core (the boards' flags, FPU included)."""
    out: dict[str, list[str]] = {}
    for b in boards():
        flags = ["-mthumb", f"-mcpu={b.cpu}"]
        if b.fpu not in (None, "auto"):
            flags.append(f"-mfpu={b.fpu}")
        flags.append(f"-mfloat-abi={b.float_abi}")
        out.setdefault(b.cpu, flags)
    return dict(sorted(out.items()))


def _symbols(obj: Path) -> list[tuple[str, int, str, str]]:
    """(name, size, bind, section name) of the object's functions."""
    secs = {}
    p = subprocess.run(["arm-none-eabi-readelf", "-SW", str(obj)], capture_output=True, text=True, check=True)
    for m in re.finditer(r"^\s*\[\s*(\d+)\]\s+(\S+)", p.stdout, re.M):
        secs[m.group(1)] = m.group(2)
    p = subprocess.run(["arm-none-eabi-readelf", "-sW", str(obj)], capture_output=True, text=True, check=True)
    out = []
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 8 and f[3] == "FUNC" and f[6].isdigit():
            out.append((f[7], int(f[2]), f[4], secs.get(f[6], "")))
    return out


def _relocations(obj: Path) -> dict[str, set[str]]:
    """section -> the symbols its relocations name."""
    p = subprocess.run(["arm-none-eabi-objdump", "-r", str(obj)], capture_output=True, text=True, check=True)
    out: dict[str, set[str]] = {}
    cur = None
    for line in p.stdout.splitlines():
        m = re.match(r"RELOCATION RECORDS FOR \[(.+)\]:", line)
        if m:
            cur = m.group(1)
            continue
        f = line.split()
        if cur and len(f) == 3 and f[0] != "OFFSET":
            out.setdefault(cur, set()).add(re.sub(r"[+-]0x[0-9a-f]+$", "", f[2]))
    return out


def table_for(flags: list[str], tmp: Path) -> dict:
    functions: dict[str, list] = {}
    calls: dict[str, list[str]] = {}
    for src in sorted(FIRMWARE_DIR.glob("mcu_*.c")):
        obj = tmp / f"{src.stem}.o"
        subprocess.run(["arm-none-eabi-gcc", *flags, *CFLAGS, "-I", str(FIRMWARE_DIR), "-c", str(src), "-o",
                        str(obj)], check=True)
        syms = _symbols(obj)
        local = {n for n, _, bind, _ in syms if bind == "LOCAL"}
        key = {n: (f"{src.name}::{n}" if n in local else n) for n, _, _, _ in syms}
        by_section = {sec: n for n, _, _, sec in syms}
        relocs = _relocations(obj)
        for n, size, _, sec in syms:
            if size == 0:
                continue
            functions[key[n]] = [size, src.name]
            refs = set()
            for r in relocs.get(sec, ()):
                if r in key:
                    refs.add(key[r])
                elif r in by_section:                   # a section symbol: the function in that section
                    refs.add(key[by_section[r]])
                elif not r.startswith("."):
                    refs.add(r)                         # another file's function (or libc)
            refs.discard(key[n])
            if refs:
                calls[key[n]] = sorted(refs)
    return {"flags": flags, "functions": dict(sorted(functions.items())), "calls": dict(sorted(calls.items()))}


def build_table() -> dict:
    with tempfile.TemporaryDirectory() as d:
        return {cpu: table_for(flags, Path(d)) for cpu, flags in core_flags().items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="compare with the table in the package, write nothing")
    args = ap.parse_args()
    table = build_table()
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    if args.check:
        same = TABLE.exists() and TABLE.read_text() == text
        print("code_sizes.json is up to date" if same else "code_sizes.json is stale: run bench/code_table.py")
        return 0 if same else 1
    TABLE.write_text(text)
    n = {cpu: len(t["functions"]) for cpu, t in table.items()}
    print(f"wrote {TABLE}: " + ", ".join(f"{cpu} {k} functions" for cpu, k in n.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
