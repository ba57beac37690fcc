"""simulate --board qemu-*: samples split over several QEMU runs (when the embedded inputs do not fit the
board's flash at once) report the union of the arena bytes touched by all runs, not the largest run."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mcucompile import api
from mcucompile.errors import BuildError
from mcucompile.sim import target

MODEL = "hello_world_int8.tflite"      # a 32-byte arena, fast under QEMU


pytestmark = pytest.mark.usefixtures("qemu_toolchain")


def _one_sample_per_run(monkeypatch):
    monkeypatch.setattr(target, "_chunks", lambda c, board, n, stack_bytes: 1)


def test_chunked_run_agrees_with_one_run(shared_models, monkeypatch):
    single = api.simulate(shared_models / MODEL, samples=3, seed=4, board="qemu-m4", references=())
    _one_sample_per_run(monkeypatch)
    chunked = api.simulate(shared_models / MODEL, samples=3, seed=4, board="qemu-m4")
    assert single.extra["qemu_runs"] == 1 and chunked.extra["qemu_runs"] == 3
    assert chunked.comparisons[0].reference == "tflm" and chunked.comparisons[0].mismatches == 0
    np.testing.assert_array_equal(chunked.outputs[0], single.outputs[0])
    assert (chunked.touched_bytes, chunked.touched_extent) == (single.touched_bytes, single.touched_extent)
    assert 0 < chunked.touched_bytes <= chunked.arena_bytes


def _rewrite_touched(monkeypatch, per_run: list[list[tuple[int, int]]]):
    """Let every QEMU run really happen, then replace its touched ranges (and the matching count)."""
    real = target.run_qemu
    runs = iter(per_run)

    def fake(board, elf, **kw):
        console, counts = real(board, elf, **kw)
        ranges = next(runs)
        console = re.sub(r"mcu:touched[^\n]*", "mcu:touched" + "".join(f" {a}-{b}" for a, b in ranges), console)
        console = re.sub(r"touched_bytes=\d+", f"touched_bytes={sum(b - a for a, b in ranges)}", console)
        return console, counts

    monkeypatch.setattr(target, "run_qemu", fake)


def test_touched_bytes_are_the_union_over_runs(shared_models, monkeypatch):
    _one_sample_per_run(monkeypatch)
    per_run = [[(0, 8)], [(4, 16)], [(24, 28)]]
    _rewrite_touched(monkeypatch, per_run)
    r = api.simulate(shared_models / MODEL, samples=3, seed=5, board="qemu-m4", references=())
    union = set()
    for ranges in per_run:
        for a, b in ranges:
            union |= set(range(a, b))
    assert r.extra["qemu_runs"] == 3
    assert r.touched_bytes == len(union) == 20           # the largest single run touched 12
    assert r.touched_extent == max(union) + 1 == 28


def test_inconsistent_touched_report_is_refused(shared_models, monkeypatch):
    real = target.run_qemu

    def corrupt(board, elf, **kw):
        console, counts = real(board, elf, **kw)
        return re.sub(r"touched_bytes=\d+", "touched_bytes=999", console), counts

    monkeypatch.setattr(target, "run_qemu", corrupt)
    with pytest.raises(BuildError, match="touched ranges cover"):
        api.simulate(shared_models / MODEL, samples=1, seed=6, board="qemu-m4", references=())
