"""`--json` on every command, and progress bars that appear only on a terminal and never with --quiet.

--json: each command's document parses and agrees with an independent source (the board table, the
lowering registry, the files on disk, the analysis API). convert --json is parsed in test_convert.py
(it needs a TensorFlow conversion). Progress: bars go to stderr only when stderr is a terminal (a pty
here); captured or redirected output holds no bar characters; --quiet silences them on a terminal too.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import ROOT

from mcucompile import progress
from mcucompile.cli import main

EXAMPLE = ROOT / "examples" / "tiny_cnn_int8.tflite"
BAR_MARKS = ("\r", "[#", "#-", "--]")


def _json(args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# ---- --json, command by command ----------------------------------------------------------------------

def test_boards_json():
    from mcucompile.boards import boards
    doc = _json(["boards", "--json"])
    assert [d["name"] for d in doc] == [b.name for b in boards()]


def test_ops_json():
    from mcucompile.codegen.lowering import load_all
    from mcucompile.codegen.registry import REGISTRY
    load_all()
    doc = _json(["ops", "--json"])
    assert sorted(d["kind"] for d in doc) == sorted(REGISTRY)


def test_analyze_json():
    from mcucompile.api import analyze
    doc = _json(["analyze", str(EXAMPLE), "--json"])
    a = analyze(EXAMPLE)
    assert doc["macs"] == a.macs == sum(l["macs"] for l in doc["layers"])
    assert doc["peak_sram_bytes"] >= doc["lower_bound_bytes"] > 0


def test_compile_json(tmp_path):
    doc = _json(["compile", str(EXAMPLE), "-o", str(tmp_path / "out"), "--json"])
    on_disk = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file()
                     and not p.name.startswith("."))
    assert doc["files"] == on_disk
    assert doc["arena_bytes"] >= doc["lower_bound_bytes"] > 0


def test_simulate_json():
    r = CliRunner().invoke(main, ["simulate", str(EXAMPLE), "--samples", "2", "--no-sanitize", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["samples"] == 2
    tflm = next(c for c in doc["references"] if c["reference"] == "tflm")
    assert tflm["mismatches"] == 0


def test_report_json(tmp_path):
    out = tmp_path / "r.html"
    doc = _json(["report", str(EXAMPLE), "-o", str(out), "--json"])
    assert doc["output"] == str(out) and out.stat().st_size > 1000


@pytest.fixture(scope="module")
def qemu_project(tmp_path_factory):
    d = tmp_path_factory.mktemp("fw") / "p"
    r = CliRunner().invoke(main, ["compile", str(EXAMPLE), "--board", "qemu-m4", "-o", str(d), "--quiet"])
    assert r.exit_code == 0, r.output
    return d


def test_flash_json_dry_run(qemu_project):
    doc = _json(["flash", str(qemu_project), "--board", "qemu-m4", "--dry-run", "--json"])
    assert doc["dry_run"] is True and doc["board"] == "qemu-m4" and doc["qemu"] is True
    assert doc["commands"][0].startswith("make -C") and "qemu-system-arm" in doc["commands"][1]
    assert not doc["ran"] and not doc["flashed"] and doc["log"] == ""


def test_flash_refuses_a_project_for_another_board(qemu_project):
    r = CliRunner().invoke(main, ["flash", str(qemu_project), "--board", "qemu-m7", "--dry-run", "--json"])
    assert r.exit_code == 2 and r.stdout == ""
    assert (f"{qemu_project} was generated for qemu-m4, not qemu-m7: regenerate it with `mcucompile compile MODEL "
            f"--board qemu-m7 -o {qemu_project}`") in r.stderr


@pytest.mark.slow
def test_flash_json_runs_on_qemu(qemu_project):
    import shutil
    if not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")):
        pytest.fail("needs the Debian packages gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm")
    doc = _json(["flash", str(qemu_project), "--board", "qemu-m4", "--json"])
    assert doc["ran"] is True and doc["dry_run"] is False
    assert "mcu:checksum" in doc["log"]


# ---- progress bars ------------------------------------------------------------------------------------

class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_bar_draws_only_on_a_terminal_when_enabled():
    was = progress._enabled
    try:
        progress.enable(True)
        tty, pipe = FakeTTY(), io.StringIO()
        b = progress.bar("host build", 4, tty)
        b.update(2, "compiling")
        b.close()
        assert "\r" in tty.getvalue() and "[############------------] 2/4" in tty.getvalue()
        assert tty.getvalue().endswith("\n")
        progress.bar("x", 4, pipe).update(3)
        assert pipe.getvalue() == ""
        progress.enable(False)
        progress.bar("x", 4, tty := FakeTTY()).update(3)
        assert tty.getvalue() == ""
        assert progress.stages(FakeTTY())[0] is None
    finally:
        progress.enable(was)


def test_quiet_switches_bars_off_and_default_switches_them_on():
    was = progress._enabled
    try:
        assert CliRunner().invoke(main, ["ops", "--names"]).exit_code == 0
        assert progress.active(FakeTTY())
        assert CliRunner().invoke(main, ["ops", "--names", "--quiet"]).exit_code == 0
        assert not progress.active(FakeTTY())
    finally:
        progress.enable(was)


def test_simulate_reports_its_steps():
    from mcucompile.api import simulate
    seen = []
    simulate(EXAMPLE, samples=2, sanitize=False, references=("tflm",),
             progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, d, t in seen if d == t]
    assert stages == ["host build", "running 2 samples", "TFLite Micro"]


def _run_with_stderr_on_a_pty(args) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (stdout a pipe); return (code, stdout, terminal text)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "mcucompile.cli", *args], stdout=subprocess.PIPE, stderr=slave,
                         cwd=ROOT, env=dict(os.environ, COLUMNS="120"))
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif p.poll() is not None:
            break
    out = p.stdout.read().decode()
    p.wait()
    os.close(master)
    return p.returncode, out, b"".join(chunks).decode(errors="replace")


SIM = ["simulate", str(EXAMPLE), "--samples", "2", "--no-sanitize"]


def test_bars_on_a_terminal_not_in_pipes_not_with_quiet():
    code, out, term = _run_with_stderr_on_a_pty(SIM)
    assert code == 0, out + term
    assert "host build" in term and "[########################] 1/1" in term and "TFLite Micro" in term
    assert not any(m in out for m in BAR_MARKS)           # stdout (a pipe) stays clean
    code, out, term = _run_with_stderr_on_a_pty(SIM + ["--quiet"])
    assert code == 0
    assert not any(m in term for m in BAR_MARKS), term
    r = subprocess.run([sys.executable, "-m", "mcucompile.cli", *SIM], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0
    assert not any(m in r.stdout + r.stderr for m in BAR_MARKS)
