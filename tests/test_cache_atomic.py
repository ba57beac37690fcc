"""The per-user cache is shared by processes (parallel test workers, two builds at once): every file in it
is written under a temporary name and renamed, so nobody reads half of one, and no temporary is left."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mcucompile import api
from mcucompile.cache import temp_beside, write_bytes_atomic
from mcucompile.codegen.generate import compile_graph
from mcucompile.frontend.keras_convert import _publish
from mcucompile.sim import host


def test_temp_names_are_fresh_hidden_and_beside(tmp_path):
    p = tmp_path / "x.o"
    a, b = temp_beside(p), temp_beside(p)
    assert a != b and a.parent == b.parent == tmp_path
    assert a.name.startswith(".x.o.") and a.suffix == ".tmp"      # not matched by the cache's *.o lookups
    write_bytes_atomic(p, b"abc")
    write_bytes_atomic(p, b"defg")
    assert p.read_bytes() == b"defg" and [f.name for f in tmp_path.iterdir()] == ["x.o"]


def test_two_host_builds_at_once_share_one_cache(shared_models, tmp_path, monkeypatch):
    monkeypatch.setenv("MCUCOMPILE_CACHE", str(tmp_path / "cache"))
    g = api.load(shared_models / "hello_world_int8.tflite")
    c = compile_graph(g)
    with ThreadPoolExecutor(2) as ex:       # same process, same pid: the temporary names still differ
        exes = list(ex.map(lambda d: host.build_host(c, tmp_path / d, sanitize=False), ["a", "b"]))
    names = [f.name for f in (tmp_path / "cache" / "host-objects").iterdir()]
    assert names and all(n.endswith(".o") and not n.startswith(".") for n in names), names
    x = api.random_inputs(g, 3, seed=1)
    for a, b in zip(*(host.run_host(c, e, x).outputs for e in exes)):
        np.testing.assert_array_equal(a, b)


def test_convert_entry_published_whole_or_replaced_in_place(tmp_path):
    entry = tmp_path / "convert" / "k"
    entry.parent.mkdir()
    work = tmp_path / "convert" / ".k.1"
    work.mkdir()
    (work / "m.tflite").write_bytes(b"one")
    (work / "report.json").write_text(json.dumps({"n": 1}))
    _publish(work, entry)                   # a new entry: the folder renamed at once
    assert not work.exists() and (entry / "m.tflite").read_bytes() == b"one"
    held = (entry / "m.tflite").open("rb")   # a reader of the old entry keeps its whole file
    work.mkdir()
    (work / "m.tflite").write_bytes(b"two")
    (work / "report.json").write_text(json.dumps({"n": 2}))
    _publish(work, entry)                   # an existing entry: files replaced, the folder never missing
    assert not work.exists() and held.read() == b"one"
    held.close()
    assert (entry / "m.tflite").read_bytes() == b"two" and json.loads((entry / "report.json").read_text()) == {"n": 2}
    assert sorted(f.name for f in entry.parent.iterdir()) == ["k"]
