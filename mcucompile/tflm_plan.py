"""Our memory plan inside stock TFLite Micro: the model file with an offline memory plan.

TFLite Micro's allocator honours a model metadata entry "OfflineMemoryAllocation" (see its
docs/memory_management.md): a buffer of int32 [version 1, subgraphs 1, n, offset of tensor 0, ...,
offset of tensor n-1], each offset a byte offset into the arena's head, -1 for tensors it should plan
itself. Buffers may overlap where their lifetimes do not. We write our layer-by-layer plan there:

- the model as written in the file (no graph normalisation: TFLite Micro runs that graph), every
  activation tensor in the plan (inputs and outputs too: TFLite Micro keeps them in its arena), the
  RESHAPE family sharing its input's offset (TFLite Micro's RESHAPE skips the copy when input and output
  coincide);
- tensor buffers only: the kernels' scratch memory is TFLite Micro's own business (its kernels request
  it at run time and its planner fits it around the fixed offsets), so it is left out of our plan;
- offsets aligned to 16 bytes (TFLite Micro's buffer alignment).

What an offline plan cannot express: patch-based stages (TFLite Micro runs whole layers), in-place
depthwise convolutions, and our kernels' smaller scratch; those need the generated C.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import McuCompileError, ModelFormatError
from .frontend.tflite_reader import read_tflite
from .ir import Graph
from .passes.liveness import alias_roots, buffers
from .passes.memory_plan import plan_memory

METADATA_NAME = "OfflineMemoryAllocation"
ALIGN = 16


@dataclass
class OfflinePlan:
    model: str
    out: str
    arena_bytes: int                # the head our offsets span (TFLite Micro may add its kernels' scratch)
    offsets: list[int]              # per tensor of the subgraph, -1 where TFLite Micro plans it
    planned: int                    # tensors with an offset

    def as_dict(self) -> dict:
        return {"model": self.model, "out": self.out, "arena_bytes": self.arena_bytes,
                "planned_tensors": self.planned, "tensors": len(self.offsets)}


def offline_offsets(g: Graph) -> tuple[list[int], int]:
    """(offset per tensor, arena bytes) of the layer-by-layer plan of g's tensors (no scratch)."""
    bufs = [b for b in buffers(g, align=ALIGN, io_in_arena=True) if b.kind == "tensor"]
    plan = plan_memory(bufs, max(len(g.ops), 1), align=ALIGN)
    root = alias_roots(g)
    offsets = [-1] * len(g.tensors)
    for t, r in root.items():
        if r in plan.offsets:
            offsets[t] = int(plan.offsets[r])
    return offsets, plan.arena_bytes


def write_offline_plan(model: str | os.PathLike, out: str | os.PathLike, force: bool = False) -> OfflinePlan:
    """Write `out`: the model file with our layer-by-layer plan as TFLite Micro's offline memory plan."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema  # the schema's object API (a dependency)

    src, dst = Path(model), Path(out)
    if dst.exists() and not force:
        raise McuCompileError(f"{dst} exists; pass --force to overwrite it")
    if src.resolve() == dst.resolve():
        raise McuCompileError("the planned model must go to a new file, not over the model itself")
    g = read_tflite(src)
    data = src.read_bytes()
    try:
        m = schema.ModelT.InitFromPackedBuf(data, 0)
    except Exception as e:      # noqa: BLE001 - the reader accepted it; anything here is a format problem
        raise ModelFormatError(f"{src}: cannot unpack the model's flatbuffer ({e})") from e
    if len(m.subgraphs or []) != 1:
        raise McuCompileError(f"{src}: {len(m.subgraphs or [])} subgraphs; offline plans are written for one")
    n = len(m.subgraphs[0].tensors or [])
    if n != len(g.tensors):
        raise ModelFormatError(f"{src}: {n} tensors in the file, {len(g.tensors)} read")
    offsets, arena = offline_offsets(g)
    words = np.array([1, 1, n, *offsets], dtype="<i4")
    buf = schema.BufferT()
    buf.data = np.frombuffer(words.tobytes(), dtype=np.uint8)
    m.buffers = list(m.buffers or [])
    meta = [x for x in (m.metadata or []) if _name(x) != METADATA_NAME]
    m.buffers.append(buf)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(m.buffers) - 1
    m.metadata = meta + [entry]
    b = flatbuffers.Builder(len(data) + 4 * len(words) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(bytes(b.Output()))
    return OfflinePlan(str(src), str(dst), arena, offsets, sum(o >= 0 for o in offsets))


def _name(x) -> str:
    n = x.name
    return n.decode() if isinstance(n, bytes) else str(n or "")
