"""`mcucompile plan`: our layer-by-layer memory plan as TFLite Micro's offline memory plan. The planned
file runs in the tflite-micro interpreter with the arena our plan spans (never more than TFLite Micro's
own), and gives bit-identical outputs to the model as it was."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, need_module

from mcucompile.api import random_inputs
from mcucompile.errors import McuCompileError
from mcucompile.frontend.tflite_reader import read_tflite
from mcucompile.sim.reference import run_reference
from mcucompile.sim.tflm_arena import tflm_arena
from mcucompile.tflm_plan import METADATA_NAME, write_offline_plan

SHARED = ROOT.parent / "shared" / "models"
MODELS = sorted(p.name for p in SHARED.glob("*.tflite"))


@pytest.mark.parametrize("name", MODELS)
def test_planned_model_runs_in_tflm(name, tmp_path):
    need_module("tflite_micro")
    src = SHARED / name
    out = tmp_path / f"planned_{name}"
    r = write_offline_plan(src, out)
    g = read_tflite(out)              # still a model we read, with the same graph
    assert len(g.ops) == len(read_tflite(src).ops)
    # the metadata buffer: version 1, one subgraph, one offset per tensor
    from ai_edge_litert import schema_py_generated as schema
    m = schema.Model.GetRootAsModel(out.read_bytes(), 0)
    meta = [m.Metadata(k) for k in range(m.MetadataLength())]
    entry = next(x for x in meta if x.Name().decode() == METADATA_NAME)
    words = np.frombuffer(m.Buffers(entry.Buffer()).DataAsNumpy().tobytes(), dtype="<i4")
    assert list(words[:3]) == [1, 1, len(g.tensors)] and list(words[3:]) == r.offsets
    assert all(o % 16 == 0 for o in r.offsets if o >= 0)
    # every activation planned; offsets inside the arena
    acts = set(g.activations())
    assert {t for t, o in enumerate(r.offsets) if o >= 0} == acts
    assert all(o + g.tensors[t].nbytes <= r.arena_bytes for t, o in enumerate(r.offsets) if o >= 0)
    # TFLite Micro then needs exactly our arena, never more than with its own plan
    before, after = tflm_arena(src)["head"], tflm_arena(out)["head"]
    assert after == r.arena_bytes and after <= before
    if name == "vww_96_int8.tflite":
        assert after < before
    # and computes the same bytes
    inputs = random_inputs(read_tflite(src), 3, seed=1)
    a = run_reference("tflm", src, inputs, len(g.outputs))
    b = run_reference("tflm", out, inputs, len(g.outputs))
    assert a.outputs is not None and b.outputs is not None, (a.error, b.error)
    for x, y in zip(a.outputs, b.outputs):
        assert np.array_equal(x, y)


def test_plan_refuses_to_overwrite(tmp_path):
    src = SHARED / "hello_world_int8.tflite"
    out = tmp_path / "p.tflite"
    out.write_bytes(b"mine")
    with pytest.raises(McuCompileError, match="exists; pass --force to overwrite it"):
        write_offline_plan(src, out)
    assert out.read_bytes() == b"mine"
    with pytest.raises(McuCompileError, match="the planned model must go to a new file, not over the model itself"):
        write_offline_plan(src, src, force=True)


def test_cli(tmp_path):
    need_module("tflite_micro")
    out = tmp_path / "vww_planned.tflite"
    p = subprocess.run([sys.executable, "-m", "mcucompile.cli", "plan", str(SHARED / "vww_96_int8.tflite"), "-o",
                        str(out), "--measure", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["tflm_head_after"] == d["arena_bytes"] < d["tflm_head_before"]
    acts = read_tflite(SHARED / "vww_96_int8.tflite").activations()
    assert Path(d["out"]) == out and d["planned_tensors"] == len(acts)
