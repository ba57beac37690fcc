"""Flash taken by code: per kernel file from the link map of a real cross-build, or (no toolchain) estimated
from code_sizes.json, a table of every kernel function's size and callees per core (bench/code_table.py writes
it from the cross-compiled library; tests/test_codesize.py holds the estimate within 10% of the link map)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "code_sizes.json"


@dataclass
class CodeSize:
    """Flash bytes by part: kernels (per firmware/ file), the model's own code (<name>.c: calls and
    parameter tables), its weights, the rest (start-up, console, main, libc), the test input a firmware
    project embeds; source: "link map" or "estimate"."""
    kernels: dict[str, int] = field(default_factory=dict)
    model: int = 0
    weights: int = 0
    rest: int = 0
    source: str = "estimate"
    test_data: int = 0

    @property
    def kernel_total(self) -> int:
        return sum(self.kernels.values())

    def as_dict(self) -> dict:
        return {"source": self.source, "kernels": dict(self.kernels), "kernel_total": self.kernel_total,
                "model": self.model, "weights": self.weights, "rest": self.rest, "test_data": self.test_data}


_SECTION = re.compile(r"^ (\.(?:text|rodata|data)\S*)\s*\n?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+\.o)\b", re.M)


def link_map_sections(map_text: str) -> dict[str, dict[str, int]]:
    """object file name -> {"text": bytes, "rodata": bytes, "data": bytes} of what the linker kept (the
    input sections listed under "Linker script and memory map"; the discarded ones come before it)."""
    at = map_text.find("Linker script and memory map")
    out: dict[str, dict[str, int]] = {}
    for m in _SECTION.finditer(map_text[at if at >= 0 else 0:]):
        kind = m.group(1).split(".")[1]
        obj = Path(m.group(3).split("(")[0]).name
        d = out.setdefault(obj, {"text": 0, "rodata": 0, "data": 0})
        d[kind] += int(m.group(2), 16)
    return out


def from_link_map(map_text: str, name: str) -> CodeSize:
    """The CodeSize of a firmware named `name` from its link map."""
    secs = link_map_sections(map_text)
    cs = CodeSize(source="link map")
    for obj, d in secs.items():
        size = d["text"] + d["rodata"] + d["data"]
        if obj.startswith("mcu_"):
            cs.kernels[obj[:-2] + ".c"] = d["text"] + d["rodata"]
            cs.rest += d["data"]
        elif obj == f"{name}_weights.o":
            cs.weights += size
        elif obj == f"{name}.o":
            cs.model += size
        elif obj == "fw_test_data.o":
            cs.test_data += size
        else:
            cs.rest += size
    cs.kernels = dict(sorted(cs.kernels.items(), key=lambda t: -t[1]))
    return cs


@cache
def _table() -> dict:
    return json.loads(TABLE.read_text()) if TABLE.exists() else {}


def kernel_estimate(entries: set[str], cpu: str) -> dict[str, int] | None:
    """Bytes per kernel file of the functions `entries` reach (themselves and everything they call, by the
    table's call graph) on core `cpu` (-mcpu); None when the table has no such core."""
    t = _table().get(cpu)
    if t is None:
        return None
    funcs, calls = t["functions"], t["calls"]
    seen, todo = set(), [e for e in entries if e in funcs]
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        todo.extend(c for c in calls.get(f, ()) if c in funcs)
    out: dict[str, int] = {}
    for f in seen:
        size, src = funcs[f]
        out[src] = out.get(src, 0) + size
    return dict(sorted(out.items(), key=lambda t: -t[1]))
