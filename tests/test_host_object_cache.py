"""The host build keeps the kernel library's objects in a cache keyed by what they are built from."""

from __future__ import annotations

import dataclasses

import numpy as np

from mcucompile import api
from mcucompile.codegen.generate import compile_graph, render
from mcucompile.sim import host


def test_objects_are_reused_and_rebuilt_when_a_header_changes(shared_models, tmp_path, monkeypatch):
    monkeypatch.setenv("MCUCOMPILE_CACHE", str(tmp_path / "cache"))
    g = api.load(shared_models / "kws_ref_model.tflite")
    c = compile_graph(g)
    files = render(c)
    kernels = sorted(f for f in files if f.startswith("mcu_") and f.endswith(".c"))
    exe = host.build_host(c, tmp_path / "a", sanitize=False)
    objs = sorted((tmp_path / "cache" / "host-objects").glob("*.o"))
    assert [o.name.split("-")[0] + ".c" for o in objs] == kernels
    stamps = [o.stat().st_mtime_ns for o in objs]
    x = api.random_inputs(g, 2, seed=4)
    first = host.run_host(c, exe, x).outputs
    # a second build (another folder) links the same objects: none rebuilt, same outputs
    exe2 = host.build_host(c, tmp_path / "b", sanitize=False)
    assert sorted((tmp_path / "cache" / "host-objects").glob("*.o")) == objs
    assert [o.stat().st_mtime_ns for o in objs] == stamps
    for a, b in zip(first, host.run_host(c, exe2, x).outputs):
        np.testing.assert_array_equal(a, b)
    # other flags or another kernel header: new objects, built from what is in the folder now
    host.build_host(c, tmp_path / "c", sanitize=True)
    assert len(list((tmp_path / "cache" / "host-objects").glob("*.o"))) == 2 * len(objs)
    changed = dict(files, **{"mcu_nn.h": files["mcu_nn.h"] + "\n/* changed */\n"})
    host.build_host(dataclasses.replace(c, files=changed), tmp_path / "d", sanitize=False)
    assert len(list((tmp_path / "cache" / "host-objects").glob("*.o"))) == 3 * len(objs)
    # off switch: nothing cached, the build still works
    monkeypatch.setenv("MCUCOMPILE_OBJECT_CACHE", "0")
    monkeypatch.setenv("MCUCOMPILE_CACHE", str(tmp_path / "cache2"))
    host.build_host(c, tmp_path / "e", sanitize=False)
    assert not (tmp_path / "cache2").exists()


def test_firmware_objects_are_reused(shared_models, tmp_path, monkeypatch):
    """Cross-builds take the cached kernel objects (make keeps them) and give the same image."""
    from mcucompile.boards import get_board
    from mcucompile.boards.firmware import render_firmware
    from mcucompile.sim.target import build_firmware

    monkeypatch.setenv("MCUCOMPILE_CACHE", str(tmp_path / "cache"))
    g = api.load(shared_models / "kws_ref_model.tflite")
    c = compile_graph(g, api.board_options(api.Options(), "qemu-m4"))
    files = render_firmware(c, get_board("qemu-m4"), api.random_inputs(g, 1))
    elf1, _ = build_firmware(files, tmp_path / "a")
    objs = sorted((tmp_path / "cache" / "firmware-objects").glob("*.o"))
    assert [o.name.split("-")[0] + ".c" for o in objs] == sorted(f for f in files if f.startswith("mcu_")
                                                                   and f.endswith(".c"))
    elf2, _ = build_firmware(files, tmp_path / "b")
    for o in objs:        # the second build linked the cached objects, not fresh ones
        assert (tmp_path / "b" / (o.name.split("-")[0] + ".o")).read_bytes() == o.read_bytes()
    assert elf1.with_suffix(".bin").read_bytes() == elf2.with_suffix(".bin").read_bytes()
    # M55 flags: other objects (of the Helium project's own kernel files)
    c55 = compile_graph(g, api.board_options(api.Options(), "qemu-m55"))
    files55 = render_firmware(c55, get_board("qemu-m55"), api.random_inputs(g, 1))
    build_firmware(files55, tmp_path / "c")
    n55 = sum(f.startswith("mcu_") and f.endswith(".c") for f in files55)
    assert len(list((tmp_path / "cache" / "firmware-objects").glob("*.o"))) == len(objs) + n55


def test_unwritable_cache_builds_without_it(shared_models, tmp_path, monkeypatch):
    """A cache folder that cannot be created is not an error: everything is compiled as without it."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MCUCOMPILE_CACHE", str(blocker / "cache"))
    g = api.load(shared_models / "hello_world_int8.tflite")
    c = compile_graph(g)
    exe = host.build_host(c, tmp_path / "a", sanitize=False)
    x = api.random_inputs(g, 1, seed=1)
    assert host.run_host(c, exe, x).outputs[0].shape[0] == 1
