"""Build a generated firmware project and put it on its board: pyOCD for real boards, QEMU for emulated
ones (there, flashing means running)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .boards import Board, get_board
from .boards.firmware import confirm_size, pyocd_command, qemu_command, uf2_note
from .errors import McuCompileError


class FlashError(McuCompileError):
    """Flashing could not start or failed (no probe, unknown pyOCD target, wrong project)."""


@dataclass
class FlashPlan:
    board: Board
    project: Path
    elf: Path
    commands: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # other ways to flash (shown as shell comments)

    def shell(self) -> list[str]:
        return [shlex.join(c) for c in self.commands] + [f"# {n}" for n in self.notes]


def plan(project: str | Path, board: str, probe: str | None = None) -> FlashPlan:
    """The commands that build and flash (or, on QEMU, run) the project in `project`."""
    d = Path(project)
    meta = d / "fw_board.json"
    if not meta.is_file():
        raise FlashError(f"{d} is not a firmware project: create one with "
                         f"`mcucompile compile MODEL --board {board} -o {d}`")
    info = json.loads(meta.read_text())
    b = get_board(board)
    built_for = info["board"]["name"]
    if built_for != b.name:
        raise FlashError(f"{d} was generated for {built_for}, not {b.name}: regenerate it with "
                         f"`mcucompile compile MODEL --board {b.name} -o {d}`")
    elf = d / info["elf"]
    cmds = [["make", "-C", str(d)]]
    cmds.append(qemu_command(b, str(elf)) if b.is_qemu else pyocd_command(b, str(elf), probe))
    notes = []
    if info.get("uf2"):
        notes.append(uf2_note(b, str(d / info["uf2"])))
    return FlashPlan(b, d, elf, cmds, notes)


def _check_pyocd(b: Board, probe: str | None) -> None:
    try:
        from pyocd.core.helpers import ConnectHelper
        from pyocd.target import TARGET
    except ImportError:
        raise FlashError("pyOCD is not installed: pip install pyocd") from None
    if b.pyocd_target not in TARGET:
        from pyocd.target.pack.pack_target import ManagedPacks
        installed = {t.part_number.lower() for t in ManagedPacks.get_installed_targets()}
        if b.pyocd_target not in installed:
            raise FlashError(f"pyOCD has no built-in support for {b.pyocd_target} ({b.name}): install its "
                             f"device pack once with `pyocd pack install {b.pyocd_pack or b.pyocd_target}`")
    probes = ConnectHelper.get_all_connected_probes(blocking=False)
    if not probes:
        raise FlashError(f"no debug probe found: connect {b.name} through {b.probe or 'its debug probe'} "
                         f"to this computer (check `pyocd list`), then retry")
    ids = [p.unique_id for p in probes]
    if probe is not None and probe not in ids:
        raise FlashError(f"probe {probe} is not connected; connected probes: {', '.join(ids)}")
    if probe is None and len(ids) > 1:
        raise FlashError(f"{len(ids)} probes are connected ({', '.join(ids)}): choose one with --probe ID")


def flash(project: str | Path, board: str, probe: str | None = None, dry_run: bool = False,
          echo=print) -> FlashPlan:
    """Build and flash; with dry_run only return the plan. On QEMU boards the firmware runs and its
    console is echoed; a non-zero exit status of the firmware raises."""
    p = plan(project, board, probe)
    if dry_run:
        return p
    if not p.board.is_qemu:
        _check_pyocd(p.board, probe)
    from .sim.target import require_tools
    require_tools("make", "arm-none-eabi-gcc", *(["qemu-system-arm"] if p.board.is_qemu else []))
    build = subprocess.run(p.commands[0], capture_output=True, text=True)
    if build.returncode != 0:
        raise FlashError(f"build failed in {p.project}:\n{(build.stdout + build.stderr)[-3000:]}")
    echo(build.stdout.rstrip())
    from .sim.target import elf_size
    fit = json.loads((p.project / "fw_board.json").read_text()).get("fit")
    echo(confirm_size(p.board, elf_size(p.elf), fit))
    cmd = p.commands[1]
    if cmd[0] == "pyocd":
        cmd = [sys.executable, "-m", "pyocd", *cmd[1:]]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    out = (r.stdout + r.stderr).rstrip()
    if out:
        echo(out)
    if r.returncode != 0:
        what = "the firmware exited with status" if p.board.is_qemu else "pyOCD failed with status"
        raise FlashError(f"{what} {r.returncode} ({shlex.join(p.commands[1])})")
    return p
