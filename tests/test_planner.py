"""Memory planner: invariants on random lifetimes (hypothesis) and on the real models; never worse than
TFLite Micro's activation arena ("head")."""

import pytest
from conftest import INT8_MODELS
from hypothesis import given, settings
from hypothesis import strategies as st

from mcucompile.api import load
from mcucompile.codegen.generate import Options, compile_graph
from mcucompile.passes.liveness import Buffer, live_bytes_per_step
from mcucompile.passes.memory_plan import check_plan, plan_memory


@st.composite
def buffer_sets(draw):
    nsteps = draw(st.integers(1, 12))
    n = draw(st.integers(1, 14))
    out = []
    for i in range(n):
        a = draw(st.integers(0, nsteps - 1))
        b = draw(st.integers(a, nsteps - 1))
        size = draw(st.integers(1, 64)) * 4
        out.append(Buffer(i, size, a, b, (i,)))
    return out, nsteps


@settings(max_examples=300, deadline=None)
@given(buffer_sets())
def test_plan_invariants_random(bs):
    bufs, nsteps = bs
    plan = plan_memory(bufs, nsteps, align=4)
    assert check_plan(plan) == []
    # peak is at least the largest live set, and at most everything side by side
    assert plan.lower_bound == max(live_bytes_per_step(bufs, nsteps))
    assert plan.lower_bound <= plan.arena_bytes <= sum(b.size for b in bufs)
    assert all(o % 4 == 0 for o in plan.offsets.values())


@pytest.mark.parametrize("name", INT8_MODELS)
@pytest.mark.parametrize("io_in_arena", [True, False])
def test_plan_invariants_on_models(shared_models, name, io_in_arena):
    g = load(shared_models / name)
    c = compile_graph(g, Options(io_in_arena=io_in_arena))
    assert check_plan(c.plan) == []
    # no two live buffers share a byte (checked independently of check_plan: per step, sorted by offset)
    for step in range(len(g.ops)):
        live = sorted((c.plan.offsets[b.id], c.plan.offsets[b.id] + b.size)
                      for b in c.plan.buffers if b.first <= step <= b.last)
        for (_, end), (start, _) in zip(live, live[1:]):
            assert end <= start, (step, live)
        assert all(end <= c.plan.arena_bytes for _, end in live)
    if not io_in_arena:
        io = set(g.inputs) | set(g.outputs)
        assert not any(t in io for b in c.plan.buffers for t in b.tensors)


@pytest.mark.parametrize("name", INT8_MODELS)
def test_never_more_than_tflite_micro_head(shared_models, name):
    from mcucompile.sim.tflm_arena import tflm_arena
    path = shared_models / name
    c = compile_graph(load(path))
    head = tflm_arena(path)["head"]
    assert c.plan.arena_bytes <= head, (c.plan.arena_bytes, head)
    assert c.plan.arena_bytes >= c.plan.lower_bound


def test_vww_reaches_the_lower_bound(shared_models):
    # the live-set lower bound of vww_96_int8 is 48*48*16 + 48*48*8 = 55,296 B (TFLite Micro plans 73,728 B)
    c = compile_graph(load(shared_models / "vww_96_int8.tflite"))
    assert c.plan.lower_bound == 48 * 48 * 16 + 48 * 48 * 8
    assert c.plan.arena_bytes == c.plan.lower_bound


def test_reshape_is_an_alias(shared_models):
    g = load(shared_models / "kws_ref_model.tflite")
    c = compile_graph(g)
    reshape = next(op for op in g.ops if op.kind == "RESHAPE")
    assert not any(call.op_index == reshape.index for call in c.calls)
    holder = [b for b in c.plan.buffers if reshape.inputs[0] in b.tensors]
    assert len(holder) == 1 and reshape.outputs[0] in holder[0].tensors


def test_scratch_buffers_live_one_step():
    bufs = [Buffer(0, 100, 0, 1, (0,)), Buffer(-2, 50, 1, 1, (), "scratch"), Buffer(1, 100, 1, 2, (1,))]
    plan = plan_memory(bufs, 3)
    assert plan.lower_bound == 250 and check_plan(plan) == []
