"""The package a user installs: build the wheel (`python -m build`), install it without -e into a fresh
virtual environment and run `mcucompile compile` and `simulate` from there, outside the repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "tiny_cnn_int8.tflite"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the files the package is made of (the build leaves nothing in the
    repository)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    for name in ("mcucompile", "firmware", "templates"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    p = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    wheels = list(out.glob("mcucompile-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_holds_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    want = {f"mcucompile/{p.relative_to(ROOT / 'mcucompile').as_posix()}"
            for p in (ROOT / "mcucompile").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    want |= {f"mcucompile/{d}/{p.relative_to(ROOT / d).as_posix()}"
             for d in ("firmware", "templates") for p in (ROOT / d).rglob("*") if p.is_file()}
    assert want - names == set()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    meta = next(zipfile.Path(wheel, n).read_text() for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: Apache-2.0" in meta


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (not editable); its dependencies are this environment's,
    reached through a .pth file (a path a .pth file adds is not itself a site folder, so the editable
    install of the checkout stays invisible)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    p = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                        str(wheel)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return venv


def test_the_installed_tool_compiles_and_simulates(installed, tmp_path):
    py, tool = installed / "bin" / "python", installed / "bin" / "mcucompile"
    where = subprocess.run([str(py), "-c", "import mcucompile; print(mcucompile.__file__, mcucompile.FIRMWARE_DIR)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.split()
    assert all(Path(w).is_relative_to(installed) for w in where), where     # the wheel's copy, not the checkout
    out = tmp_path / "out"
    p = subprocess.run([str(tool), "compile", str(MODEL), "-o", str(out)], capture_output=True, text=True,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    name = MODEL.stem
    assert {f"{name}.c", f"{name}.h", "mcu_nn.h", "Makefile"} <= {f.name for f in out.iterdir()}
    assert any(f.name.startswith("mcu_") and f.suffix == ".c" for f in out.iterdir())
    p = subprocess.run([str(tool), "simulate", str(MODEL), "--samples", "3", "--no-sanitize", "--json"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    r = json.loads(p.stdout)
    tflm = next(c for c in r["references"] if c["reference"] == "tflm")
    assert r["ok"] and tflm["available"] and tflm["mismatches"] == 0, r


def test_simulate_refuses_to_run_without_its_oracle(monkeypatch, tmp_path):
    """A reference that is not installed is an error before anything is built, not a silent fallback to
    the other one (here TFLite Micro's package name is pointed at a module that does not exist)."""
    from mcucompile import api
    from mcucompile.sim import reference
    monkeypatch.setitem(reference.REFERENCE_MODULES, "tflm",
                        ("tflite_micro_not_installed", "TFLite Micro", "pip install --pre tflite-micro"))
    with pytest.raises(reference.ReferenceMissingError) as e:
        api.simulate(MODEL, samples=1, workdir=tmp_path / "w")
    assert str(e.value).startswith("TFLite Micro (tflite_micro_not_installed) is not installed, so the outputs "
                                   "cannot be compared with it: pip install --pre tflite-micro (`make setup` "
                                   "installs it); or ask for the other reference only (--reference litert_ref)")
    assert not (tmp_path / "w").exists()
    monkeypatch.undo()
    r = api.simulate(MODEL, samples=1, references=("litert_ref",), sanitize=False)
    assert [c.reference for c in r.comparisons] == ["litert_ref"] and r.ok
