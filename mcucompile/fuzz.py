"""Fuzzing the reader and the compiler with mutated .tflite files.

Mutators change seed models the way broken or hostile files differ from good ones: bit flips, truncation,
absurd dimensions, out-of-range tensor / buffer / operator-code indices, cycles in the graph, corrupt
quantisation and op options, wrong types. The structural mutators patch the flatbuffer in place (the field
positions come from the `tflite` accessors), so the file stays parseable and the damage reaches the
checks behind the flatbuffer layer.

Every case runs in a worker process (`multiprocessing`, spawn) that reads the model, compiles it and
renders the C; the parent enforces a per-case timeout and restarts a worker that hangs or dies. A case
passes when it either compiles or fails with a one-line McuCompileError; anything else (another exception
= a Python traceback for the user, a crash of the worker, a hang beyond the timeout) is a finding.
Mutants that still compile are, for a sample of distinct generated programs, built with
-fsanitize=address,undefined and run on random inputs: they must run clean.

    python -m mcucompile.fuzz --cases 10000 --workers 2 MODEL.tflite ...
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing as mp
import queue
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ABSURD_INTS = [0, -1, -2, 1, 2, 3, 255, 256, 65535, 65536, (1 << 24) + 1, (1 << 31) - 1, -(1 << 31), 1 << 30,
               (1 << 31) - 2, 1000003]


# ---- flatbuffer field access ----------------------------------------------------------------------

def _model(data: bytes):
    import tflite
    return tflite.Model.GetRootAsModel(data, 0)


def _field_pos(obj, slot: int) -> int | None:
    """Absolute position of scalar field `slot` of a flatbuffer table object, None when absent."""
    o = obj._tab.Offset(4 + 2 * slot)
    return obj._tab.Pos + o if o else None


def _vector(obj, slot: int) -> tuple[int, int] | None:
    """(start position, length) of vector field `slot`, None when absent."""
    o = obj._tab.Offset(4 + 2 * slot)
    if not o:
        return None
    return obj._tab.Vector(o), obj._tab.VectorLen(o)


def _put_i32(buf: bytearray, pos: int, v: int) -> None:
    struct.pack_into("<i", buf, pos, int(np.int32(np.int64(v).astype(np.int32))))


def _choice(rng, seq):
    return seq[int(rng.integers(len(seq)))]


class _Structure:
    """Positions of the interesting fields of a model (first subgraph), read once per seed."""

    def __init__(self, data: bytes):
        m = _model(data)
        self.ntensors = self.nbuffers = self.ncodes = 0
        self.shape_elems: list[int] = []        # positions of int32 shape entries
        self.index_elems: list[int] = []        # op inputs/outputs + subgraph inputs/outputs (int32)
        self.buffer_fields: list[int] = []      # Tensor.buffer (uint32)
        self.type_fields: list[int] = []        # Tensor.type (int8)
        self.scale_elems: list[int] = []        # float32
        self.zp_elems: list[int] = []           # int64
        self.qdim_fields: list[int] = []        # int32
        self.opcode_fields: list[int] = []      # Operator.opcode_index (uint32)
        self.code_fields: list[tuple[int, int]] = []   # OperatorCode builtin_code (int32) / deprecated (int8)
        self.option_bytes: list[int] = []       # every byte of every op's builtin options table fields
        self.op_io: list[tuple[list[int], list[int], list[int]]] = []   # per op: input positions, inputs, outputs
        self.data_ranges: list[tuple[int, int]] = []
        for b in range(m.BuffersLength()):
            v = _vector(m.Buffers(b), 0)
            if v and v[1]:
                self.data_ranges.append((v[0], v[0] + v[1]))
        self.nbuffers = m.BuffersLength()
        self.ncodes = m.OperatorCodesLength()
        for k in range(self.ncodes):
            oc = m.OperatorCodes(k)
            self.code_fields.append((_field_pos(oc, 3) or -1, _field_pos(oc, 0) or -1))
        if m.SubgraphsLength() == 0:
            return
        sg = m.Subgraphs(0)
        self.ntensors = sg.TensorsLength()
        for i in range(self.ntensors):
            t = sg.Tensors(i)
            v = _vector(t, 0)
            if v:
                self.shape_elems += [v[0] + 4 * k for k in range(v[1])]
            for lst, slot in ((self.type_fields, 1), (self.buffer_fields, 2)):
                p = _field_pos(t, slot)
                if p is not None:
                    lst.append(p)
            q = t.Quantization()
            if q is not None:
                v = _vector(q, 2)
                if v:
                    self.scale_elems += [v[0] + 4 * k for k in range(v[1])]
                v = _vector(q, 3)
                if v:
                    self.zp_elems += [v[0] + 8 * k for k in range(v[1])]
                p = _field_pos(q, 6)
                if p is not None:
                    self.qdim_fields.append(p)
        for slot in (1, 2):
            v = _vector(sg, slot)
            if v:
                self.index_elems += [v[0] + 4 * k for k in range(v[1])]
        for k in range(sg.OperatorsLength()):
            op = sg.Operators(k)
            p = _field_pos(op, 0)
            if p is not None:
                self.opcode_fields.append(p)
            vi, vo = _vector(op, 1), _vector(op, 2)
            ins = [vi[0] + 4 * j for j in range(vi[1])] if vi else []
            outs = [vo[0] + 4 * j for j in range(vo[1])] if vo else []
            self.index_elems += ins + outs
            self.op_io.append((ins, list(op.InputsAsNumpy()) if vi else [],
                               list(op.OutputsAsNumpy()) if vo else []))
            tab = op.BuiltinOptions()
            if tab is not None:
                vt = tab.Pos - struct.unpack_from("<i", tab.Bytes, tab.Pos)[0]
                vsize = struct.unpack_from("<H", tab.Bytes, vt)[0]
                for f in range(4, vsize, 2):
                    fo = struct.unpack_from("<H", tab.Bytes, vt + f)[0]
                    if fo:
                        self.option_bytes += [tab.Pos + fo + j for j in range(4)
                                              if tab.Pos + fo + j < len(tab.Bytes)]


# ---- mutators -------------------------------------------------------------------------------------

def m_bitflip(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    buf = bytearray(data)
    n = int(rng.integers(1, 9))
    in_data = lambda p: any(a <= p < b for a, b in s.data_ranges)   # noqa: E731
    for _ in range(n):
        for _try in range(20):   # mostly outside the weights: the tables are where parsing can go wrong
            p = int(rng.integers(len(buf)))
            if not in_data(p) or rng.random() < 0.1:
                break
        buf[p] ^= 1 << int(rng.integers(8))
    return bytes(buf), f"{n} bit flips"


def m_truncate(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    cut = int(rng.integers(0, len(data))) if rng.random() < 0.7 else len(data) - int(rng.integers(1, 64))
    cut = max(cut, 0)
    return data[:cut], f"truncated to {cut} of {len(data)} bytes"


def _poke_i32(data: bytes, s: _Structure, rng, positions: list, values, what: str) -> tuple[bytes, str]:
    """One int32 field at one of `positions` := one of values() (a bit flip when there is none)."""
    if not positions:
        return m_bitflip(data, s, rng)
    buf = bytearray(data)
    p = _choice(rng, positions)
    v = _choice(rng, values())
    _put_i32(buf, p, v)
    return bytes(buf), what.format(p=p, v=v)


def m_shape(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    return _poke_i32(data, s, rng, s.shape_elems, lambda: ABSURD_INTS + [int(rng.integers(0, 4096))],
                     "shape entry at {p} := {v}")


def m_tensor_index(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    return _poke_i32(data, s, rng, s.index_elems,
                     lambda: [s.ntensors, s.ntensors + 1, s.ntensors + 1000, -2, -1, (1 << 31) - 1, -(1 << 31),
                              int(rng.integers(0, max(s.ntensors, 1)))],
                     f"tensor index at {{p}} := {{v}} (model has {s.ntensors})")


def m_buffer_index(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    return _poke_i32(data, s, rng, s.buffer_fields,
                     lambda: [s.nbuffers, s.nbuffers + 7, (1 << 31) - 1, -1, 0,
                              int(rng.integers(0, max(s.nbuffers, 1)))],
                     f"buffer index at {{p}} := {{v}} (model has {s.nbuffers})")


def m_cycle(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    """An op reads a tensor that it or a later op writes."""
    cands = [(k, j) for k, (ins, _, _) in enumerate(s.op_io) if ins for j in range(k, len(s.op_io))
             if s.op_io[j][2]]
    if not cands:
        return m_tensor_index(data, s, rng)
    k, j = cands[int(rng.integers(len(cands)))]
    ins, _, _ = s.op_io[k]
    buf = bytearray(data)
    p = _choice(rng, ins)
    t = int(s.op_io[j][2][0])
    _put_i32(buf, p, t)
    return bytes(buf), f"op {k} reads tensor {t}, written by op {j}"


def m_opcode(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    buf = bytearray(data)
    if s.opcode_fields and rng.random() < 0.5:
        p = _choice(rng, s.opcode_fields)
        v = _choice(rng, [s.ncodes, s.ncodes + 5, (1 << 31) - 1, -1, int(rng.integers(0, max(s.ncodes, 1)))])
        _put_i32(buf, p, v)
        return bytes(buf), f"opcode index at {p} := {v} (model has {s.ncodes})"
    fields = [c for c in s.code_fields if c[0] >= 0 or c[1] >= 0]
    if not fields:
        return m_bitflip(data, s, rng)
    new, old = _choice(rng, fields)
    v = int(rng.integers(-5, 220))
    if new >= 0:
        _put_i32(buf, new, v)
    if old >= 0:
        buf[old] = int(np.uint8(np.int64(max(min(v, 127), -128)) & 0xFF))
    return bytes(buf), f"builtin code := {v}"


def m_options(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    if not s.option_bytes:
        return m_bitflip(data, s, rng)
    buf = bytearray(data)
    p = _choice(rng, s.option_bytes)
    v = _choice(rng, [0, 1, 2, 3, 5, 7, 0x7F, 0x80, 0xFF, int(rng.integers(256))])
    buf[p] = v
    return bytes(buf), f"op option byte at {p} := {v}"


def m_quant(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    buf = bytearray(data)
    what = rng.random()
    if s.scale_elems and what < 0.5:
        p = _choice(rng, s.scale_elems)
        v = _choice(rng, [0.0, -1.0, math.nan, math.inf, 1e30, 1e-30, 1e-45, 3.0, 0.5])
        struct.pack_into("<f", buf, p, v)
        return bytes(buf), f"scale at {p} := {v}"
    if s.zp_elems and what < 0.85:
        p = _choice(rng, s.zp_elems)
        v = _choice(rng, [127, -128, 128, -129, 1 << 40, -(1 << 62), 255])
        struct.pack_into("<q", buf, p, v)
        return bytes(buf), f"zero point at {p} := {v}"
    if s.qdim_fields:
        p = _choice(rng, s.qdim_fields)
        v = _choice(rng, [1, 2, 3, 4, 99, -1])
        _put_i32(buf, p, v)
        return bytes(buf), f"quantized_dimension at {p} := {v}"
    return m_bitflip(data, s, rng)


def m_type(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    if not s.type_fields:
        return m_bitflip(data, s, rng)
    buf = bytearray(data)
    p = _choice(rng, s.type_fields)
    v = int(rng.integers(0, 256)) if rng.random() < 0.3 else int(rng.integers(0, 18))
    buf[p] = v
    return bytes(buf), f"tensor type byte at {p} := {v}"


def m_int(data: bytes, s: _Structure, rng) -> tuple[bytes, str]:
    """A random aligned int32 overwritten with an absurd value."""
    buf = bytearray(data)
    if len(buf) < 8:
        return m_truncate(data, s, rng)
    p = int(rng.integers(0, len(buf) // 4)) * 4
    v = _choice(rng, ABSURD_INTS)
    _put_i32(buf, p, v)
    return bytes(buf), f"int32 at {p} := {v}"


MUTATORS: dict[str, Callable] = {
    "bitflip": m_bitflip, "truncate": m_truncate, "shape": m_shape, "tensor_index": m_tensor_index,
    "buffer_index": m_buffer_index, "cycle": m_cycle, "opcode": m_opcode, "options": m_options,
    "quant": m_quant, "type": m_type, "int32": m_int,
}


def mutate(data: bytes, structure: _Structure, rng, name: str | None = None) -> tuple[bytes, str, str]:
    """One mutant: (bytes, mutator name, description). 15% of the cases stack two or three mutators."""
    if name is None and rng.random() < 0.15:
        descs = []
        for _ in range(int(rng.integers(2, 4))):
            n = _choice(rng, [k for k in MUTATORS if k != "truncate"])
            data, d = MUTATORS[n](data, structure, rng)
            descs.append(d)
        return data, "stacked", "; ".join(descs)
    name = name or _choice(rng, list(MUTATORS))
    out, desc = MUTATORS[name](data, structure, rng)
    return out, name, desc


# ---- the worker ---------------------------------------------------------------------------------

def check_case(data: bytes) -> dict:
    """Read, compile and render one model in this process. Never raises: the outcome is the result."""
    from .codegen.generate import compile_graph, render
    from .errors import McuCompileError
    from .frontend.tflite_reader import parse_tflite
    from .passes.normalize import normalize
    stage = "read"
    try:
        g = normalize(parse_tflite(data, "fuzz", source="fuzz.tflite"))
        stage = "compile"
        c = compile_graph(g)
        files = render(c)
    except McuCompileError as e:
        msg = str(e)
        ok = bool(msg.strip()) and "\n" not in msg and "Traceback" not in msg
        return {"outcome": f"{stage}_error" if ok else "unclear_error", "error": type(e).__name__,
                "message": msg[:500]}
    except BaseException as e:   # noqa: BLE001 - anything else is the finding we are looking for
        import traceback
        return {"outcome": "exception", "error": type(e).__name__, "message": str(e)[:300],
                "where": traceback.format_exc()[-1500:], "stage": stage}
    h = hashlib.sha256(files[f"{c.graph.name}.c"].encode()).hexdigest()[:16]
    return {"outcome": "compiled", "program": h, "arena": c.arena_bytes}


def _worker(conn) -> None:
    import os
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from .codegen.lowering import load_all
    load_all()
    warm = Path(__file__).resolve().parents[1] / "examples" / "tiny_cnn_int8.tflite"
    if warm.exists():            # (a source checkout) import everything a case may need before the clock starts
        check_case(warm.read_bytes())
    conn.send("ready")
    while True:
        try:
            data = conn.recv()
        except EOFError:
            return
        if data is None:
            return
        conn.send(check_case(data))


class _Runner:
    """One worker process; restarted after a crash or a timeout."""

    def __init__(self, ctx, target: Callable = _worker):
        self.ctx = ctx
        self.target = target
        self.proc = None
        self.conn = None

    def start(self) -> None:
        a, b = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=self.target, args=(b,), daemon=True)
        self.proc.start()
        b.close()
        self.conn = a
        if not a.poll(120) or a.recv() != "ready":
            raise RuntimeError("fuzz worker did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.join(5)
        self.proc = None

    def run(self, data: bytes, timeout: float) -> tuple[dict, float]:
        if self.proc is None or not self.proc.is_alive():
            self.start()
        t0 = time.monotonic()
        died = False
        try:
            self.conn.send(data)
            if self.conn.poll(timeout):
                return self.conn.recv(), time.monotonic() - t0
        except (EOFError, BrokenPipeError, ConnectionResetError):
            died = True                  # the pipe closed: the worker is gone
        dt = time.monotonic() - t0
        if died:
            self.proc.join(5)
        code = self.proc.exitcode
        self.kill()
        if not died and code is None:
            return {"outcome": "hang", "message": f"no answer within {timeout} s"}, dt
        return {"outcome": "crash", "message": f"worker died (exit code {code})"}, dt

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(5)
            except (BrokenPipeError, OSError):
                pass
        self.kill()


# ---- the campaign -------------------------------------------------------------------------------

FINDINGS = ("exception", "crash", "hang", "unclear_error")


@dataclass
class Case:
    index: int
    seed_file: str
    mutator: str
    description: str
    data: bytes = field(repr=False)
    result: dict = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class FuzzReport:
    cases: int
    seconds: float
    outcomes: Counter
    by_mutator: dict
    findings: list[Case]
    max_case_seconds: float
    sanitizer: dict = field(default_factory=dict)    # programs built, clean, failures
    seeds: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings and not self.sanitizer.get("failures")

    def as_dict(self) -> dict:
        return {"cases": self.cases, "seconds": round(self.seconds, 1), "outcomes": dict(self.outcomes),
                "by_mutator": {k: dict(v) for k, v in self.by_mutator.items()},
                "max_case_seconds": round(self.max_case_seconds, 3), "seeds": self.seeds,
                "findings": [{"case": c.index, "seed": c.seed_file, "mutator": c.mutator,
                              "description": c.description, **c.result} for c in self.findings],
                "sanitizer": self.sanitizer, "ok": self.ok}


def generate(seeds: list[Path], cases: int, seed: int = 0) -> list[Case]:
    datas = [(p.name, p.read_bytes()) for p in seeds]
    structs = [_Structure(d) for _, d in datas]
    out = []
    for i in range(cases):
        rng = np.random.default_rng([seed, i])
        k = int(rng.integers(len(datas)))
        data, name, desc = mutate(datas[k][1], structs[k], rng)
        out.append(Case(i, datas[k][0], name, desc, data))
    return out


def run(seeds: list[Path], cases: int = 1000, workers: int = 2, timeout: float = 2.0, seed: int = 0,
        sanitize_programs: int = 5, save_findings: Path | None = None,
        progress: Callable[[int, int], None] | None = None) -> FuzzReport:
    """Fuzz `cases` mutants of `seeds` with `workers` worker processes; then build up to
    `sanitize_programs` distinct compiled mutants with ASan/UBSan and run them."""
    todo = generate(seeds, cases, seed)
    q: queue.Queue = queue.Queue()
    for c in todo:
        q.put(c)
    ctx = mp.get_context("spawn")
    done = [0]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def loop():
        r = _Runner(ctx)
        try:
            while True:
                try:
                    c = q.get_nowait()
                except queue.Empty:
                    return
                c.result, c.seconds = r.run(c.data, timeout)
                if c.result["outcome"] == "hang":    # once more in a fresh worker: a busy machine is no hang
                    c.result, c.seconds = r.run(c.data, timeout)
                with lock:
                    done[0] += 1
                    if progress:
                        progress(done[0], len(todo))
        except BaseException as e:   # noqa: BLE001 - reported by the caller
            errors.append(e)
        finally:
            r.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=loop) for _ in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    elapsed = time.monotonic() - t0
    outcomes = Counter(c.result["outcome"] for c in todo)
    by_mut: dict = {}
    for c in todo:
        by_mut.setdefault(c.mutator, Counter())[c.result["outcome"]] += 1
    findings = [c for c in todo if c.result["outcome"] in FINDINGS]
    if save_findings is not None and findings:
        save_findings.mkdir(parents=True, exist_ok=True)
        for c in findings:
            (save_findings / f"{c.result['outcome']}_{c.mutator}_{c.index}.tflite").write_bytes(c.data)
    rep = FuzzReport(len(todo), elapsed, outcomes, by_mut, findings, max(c.seconds for c in todo),
                     seeds=[p.name for p in seeds])
    rep.sanitizer = sanitize_check([c for c in todo if c.result["outcome"] == "compiled"], sanitize_programs, seed)
    return rep


def sanitize_check(compiled: list[Case], limit: int, seed: int = 0) -> dict:
    """Build distinct compiled mutants (by generated model.c) with ASan/UBSan and run two random inputs."""
    import shutil
    import tempfile

    from .api import random_inputs
    from .codegen.generate import compile_graph
    from .errors import McuCompileError
    from .frontend.tflite_reader import parse_tflite
    from .passes.normalize import normalize
    from .sim.host import build_host, run_host
    seen: set = set()
    picked = []
    for c in compiled:
        if c.result["program"] not in seen and len(picked) < limit:
            seen.add(c.result["program"])
            picked.append(c)
    out = {"distinct_programs": len({c.result["program"] for c in compiled}), "built": 0, "clean": 0,
           "failures": []}
    for c in picked:
        wd = Path(tempfile.mkdtemp(prefix="mcufuzz_"))
        try:
            cg = compile_graph(normalize(parse_tflite(c.data, "fuzz")))
            exe = build_host(cg, wd, sanitize=True)
            out["built"] += 1
            run_ = run_host(cg, exe, random_inputs(cg.graph, 2, seed), timeout=60)
            bad = run_.stats["guard_violations"] or run_.stats["nondeterministic"] \
                or run_.stats["touched_extent"] > cg.arena_bytes
            if bad:
                out["failures"].append({"case": c.index, "mutator": c.mutator, "stats": run_.stats})
            else:
                out["clean"] += 1
        except McuCompileError as e:
            out["failures"].append({"case": c.index, "mutator": c.mutator, "error": str(e)[:2000]})
        finally:
            shutil.rmtree(wd, ignore_errors=True)
    return out


def format_report(r: FuzzReport) -> str:
    lines = [f"{r.cases:,} cases from {', '.join(r.seeds)} in {r.seconds:.0f} s "
             f"({r.cases / max(r.seconds, 1e-9):.0f} cases/s); slowest case {r.max_case_seconds:.2f} s"]
    names = ["read_error", "compile_error", "compiled", *FINDINGS]
    lines.append(f"{'mutator':<14}" + "".join(f"{n:>15}" for n in names))
    for m in sorted(r.by_mutator):
        lines.append(f"{m:<14}" + "".join(f"{r.by_mutator[m].get(n, 0):>15,}" for n in names))
    lines.append(f"{'total':<14}" + "".join(f"{r.outcomes.get(n, 0):>15,}" for n in names))
    s = r.sanitizer
    if s:
        lines.append(f"sanitizer: {s['distinct_programs']} distinct compiled programs; {s['built']} built with "
                     f"ASan/UBSan, {s['clean']} ran clean, {len(s['failures'])} failed")
    for c in r.findings[:20]:
        lines.append(f"FINDING case {c.index} ({c.seed_file}, {c.mutator}: {c.description}): "
                     f"{c.result['outcome']} {c.result.get('error', '')} {c.result.get('message', '')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    import argparse
    import json
    ap = argparse.ArgumentParser(prog="python -m mcucompile.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("seeds", nargs="+", type=Path, help=".tflite files to mutate")
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds per case before it counts as a hang")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sanitize", type=int, default=5, help="distinct compiled mutants to build with ASan/UBSan")
    ap.add_argument("--save", type=Path, default=None, help="folder for the inputs of findings")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    from . import progress
    progress.enable()
    with progress.bar("fuzzing", a.cases) as bar:      # on stderr, terminals only
        r = run(a.seeds, a.cases, a.workers, a.timeout, a.seed, a.sanitize, a.save,
                progress=lambda done, total: bar.update(done))
    print(json.dumps(r.as_dict(), indent=2) if a.json else format_report(r))
    return 0 if r.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
