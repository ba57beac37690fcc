"""The coverage table of TFLite Micro's ops: consistent with our registry, reasons for every gap, and the
README's copy in step with `mcucompile ops --coverage`."""

from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import ROOT

from mcucompile.cli import main
from mcucompile.codegen.lowering import load_all
from mcucompile.codegen.registry import REGISTRY
from mcucompile.coverage import NOT_YET, OUT_OF_SCOPE, TFLITE_MICRO_OPS, coverage, markdown, registry_kind
from mcucompile.ir.shapes import INT16_KINDS


def test_every_gap_has_a_reason_and_no_reason_outlives_its_gap():
    load_all()
    rows = coverage()
    assert [r.op for r in rows] == list(TFLITE_MICRO_OPS) and len(set(TFLITE_MICRO_OPS)) == len(TFLITE_MICRO_OPS)
    for r in rows:
        assert r.int8 == (registry_kind(r.op) in REGISTRY)
        assert r.int16 == (r.int8 and r.op in INT16_KINDS)      # the 16x8 column: the one dtype gate
        assert (r.reason == "") == r.int8, r
    # a reason kept for an op we now compile, or for an op TFLite Micro does not offer, is stale
    assert not {registry_kind(k) for k in set(NOT_YET) | set(OUT_OF_SCOPE)} & set(REGISTRY)
    assert (set(NOT_YET) | set(OUT_OF_SCOPE)) <= set(TFLITE_MICRO_OPS)
    # the registry's ops beyond TFLite Micro's resolver: SELECT (v1), TILE and the like
    extra = set(REGISTRY) - {registry_kind(k) for k in TFLITE_MICRO_OPS}
    assert extra and all(k.isupper() for k in extra)


def test_readme_table_is_current():
    text = (ROOT / "README.md").read_text()
    body = text.split("<!-- coverage:start -->\n", 1)[1].split("\n<!-- coverage:end -->", 1)[0]
    assert body.strip() == markdown(coverage()).strip(), "README coverage table is stale: python -m mcucompile.coverage"


def test_cli():
    r = CliRunner().invoke(main, ["ops", "--coverage", "--json"])
    assert r.exit_code == 0
    doc = {d["op"]: d for d in json.loads(r.output)}
    assert doc["CONV_2D"]["int8"] and doc["CONV_2D"]["int16x8"] and not doc["CONV_2D"]["reason_16x8"]
    assert doc["SVDF"]["int8"] and not doc["SVDF"]["int16x8"] and doc["SVDF"]["reason_16x8"]
    assert not doc["WHILE"]["int8"] and "control flow" in doc["WHILE"]["reason"]
    assert doc["SignalRfft"]["int8"] and not doc["SignalFramer"]["int8"]       # custom ops: CUSTOM:<code>
    assert CliRunner().invoke(main, ["ops", "--coverage"]).output.startswith(markdown(coverage()).splitlines()[0])
