"""Fuzzing: the mutators do what they say, the seed corpus (inputs that once crashed the compiler) gives clear
errors, and a CI-sized campaign over the shared models finds nothing. The full 10,000-case run is
bench/fuzz.py."""

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from mcucompile.errors import ModelFormatError
from mcucompile.frontend.tflite_reader import parse_tflite
from mcucompile.fuzz import FINDINGS, MUTATORS, _Runner, _Structure, check_case, format_report, run

CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
EXAMPLE = ROOT / "examples" / "tiny_cnn_int8.tflite"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.tflite")), ids=lambda p: p.name)
def test_corpus_gives_clear_errors(path):
    r = check_case(path.read_bytes())
    assert r["outcome"] in ("read_error", "compile_error", "compiled"), r
    if r["outcome"] != "compiled":
        assert r["message"] and "\n" not in r["message"]


def test_structural_mutators_hit_their_field(shared_models):
    data = (shared_models / "hello_world_int8.tflite").read_bytes()
    s = _Structure(data)
    g = parse_tflite(data)
    assert s.ntensors == len(g.tensors) and len(s.op_io) == len(g.ops)
    rng = np.random.default_rng(0)
    # an out-of-range tensor index is named in the error
    for _ in range(20):
        mutant, desc = MUTATORS["tensor_index"](data, s, rng)
        assert len(mutant) == len(data)
        v = int(desc.split(":= ")[1].split(" ")[0])
        if v >= s.ntensors or v < -1:
            with pytest.raises(ModelFormatError, match=f"refers to tensor {v}"):
                parse_tflite(mutant)
    # a cycle: the op reads a tensor written by itself or a later op
    for _ in range(10):
        mutant, desc = MUTATORS["cycle"](data, s, rng)
        with pytest.raises(ModelFormatError, match="before it is written|neither an input|written by op"):
            parse_tflite(mutant)
    # absurd dimensions change exactly one shape entry
    mutant, desc = MUTATORS["shape"](data, s, rng)
    diff = [i for i in range(len(data)) if data[i] != mutant[i]]
    pos = int(desc.split(" at ")[1].split(" ")[0])
    assert all(pos <= i < pos + 4 for i in diff)


def misbehaving_worker(conn):
    """A worker that dies on b"crash", hangs on b"hang" and otherwise checks the case as usual."""
    import os
    import time
    conn.send("ready")
    while True:
        data = conn.recv()
        if data is None:
            return
        if data == b"crash":
            os._exit(139)
        if data == b"hang":
            time.sleep(60)
        conn.send(check_case(data))


def test_runner_reports_crash_and_hang_and_restarts():
    import multiprocessing as mp
    r = _Runner(mp.get_context("spawn"), target=misbehaving_worker)
    try:
        res, _ = r.run(b"crash", 30)
        assert res["outcome"] == "crash" and "139" in res["message"]
        res, dt = r.run(b"hang", 0.5)
        assert res["outcome"] == "hang" and 0.5 <= dt < 5
        res, _ = r.run(EXAMPLE.read_bytes(), 30)      # a fresh worker takes the next case
        assert res["outcome"] == "compiled"
    finally:
        r.close()


@pytest.mark.slow
def test_ci_sized_campaign_finds_nothing(shared_models, tmp_path):
    seeds = [shared_models / "hello_world_int8.tflite", shared_models / "micro_speech_quantized.tflite",
             shared_models / "kws_ref_model.tflite", EXAMPLE]
    rep = run(seeds, cases=600, workers=2, timeout=2.0, seed=12345, sanitize_programs=2, save_findings=tmp_path)
    print(format_report(rep))
    assert rep.cases == 600
    assert not rep.findings, format_report(rep)
    assert sum(rep.outcomes[k] for k in FINDINGS) == 0
    # every mutator ran, and some mutants still compile (so code generation is fuzzed too)
    assert set(rep.by_mutator) >= set(MUTATORS)
    assert rep.outcomes["compiled"] > 20 and rep.outcomes["read_error"] > 100
    assert rep.sanitizer["built"] == 2 and rep.sanitizer["clean"] == 2, rep.sanitizer
