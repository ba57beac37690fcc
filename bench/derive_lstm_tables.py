"""Derive the 256-entry sigmoid table of firmware/mcu_sigmoid_s16.h by measurement from the oracle.

(The table serves firmware/mcu_lstm_s8.c and the 16x8 LOGISTIC and TANH kernels.)

TFLite Micro's int16 LOGISTIC (which its integer LSTM uses for the input, forget and output gates) and its
int16 TANH (the cell gate and the cell state; tanh(x) = 2 sigmoid(2x) - 1) interpolate one table T[0..255]
of sigmoid(i / 24) in unsigned 0.16 fixed point; firmware/mcu_sigmoid_s16.h's mcu_sigmoid_s16_one and
mcu_tanh_s16_one do the same with mcu_sigmoid_q16. For an int16 input x an op first rescales it to v (v = 3x
when the input scale is 2^-12; for other scales v = (x * M + 2^(s-1)) >> s with M, s chosen from the scale),
then with a = |v|, i = a >> f, t = a & (2^f - 1) (f = 9 for LOGISTIC, 8 for TANH):

    i >= 255: saturated;  else r = 2^f T[i] + t (T[i+1] - T[i])
    LOGISTIC: out = (r + 512) >> 10 (v >= 0),  (2^25 - r + 511) >> 10 (v < 0)
    TANH:     out = (r - 2^23 + 128) >> 8,     (2^23 - r + 127) >> 8

so every output pins r to a window (1024 values for LOGISTIC, 256 for TANH). This script builds one-op
int16 LOGISTIC and TANH models (tests/tflite_builder.py), runs all 65,536 int16 inputs through the
tflite-micro interpreter (in a subprocess: mcucompile.sim.reference) at a few input scales each, and solves
these windows for T:

- an output at t = 0 bounds T[i]: a LOGISTIC output to two values (floor((T[i] + 1) / 2) is what it
  shows), a TANH output exactly (out = T[i] - 32768);
- the outputs at the other t of interval i constrain the slope T[i+1] - T[i]; for each candidate T[i] the
  slopes that fit every window form a range, giving T[i+1]'s candidates; adjacent intervals share entries,
  so candidates are propagated forward and backward until nothing changes, and every entry must end with
  exactly one value;
- T[255] is never read at t = 0 (i >= 255 saturates): it is pinned only as the upper end T[i+1] of
  interval 254, by that interval's outputs at t > 0.

LOGISTIC alone does not pin the table: where it is flat (i >= 183, slopes of 0..2) the outputs cannot tell
T[i] = 2k - 1 from 2k (the negative side carries the same information as the positive one), so 58 entries
stay ambiguous by one. TANH reads the table at twice the resolution and pins every entry; the LOGISTIC
probes are kept as a cross-check. The power-of-two scales (2^-12: v = 3x, the scale the LSTM's gates use;
2^-11 for TANH: v = 6x) reach few t = 0 points; the other probe scales are dyadic (v exact: 0.75x, 1.5x,
3.75x, 4.125x), cover every a up to 24576 and the upper intervals with other residues. Finally the solved
table must reproduce every measured output of both ops exactly.

    python bench/derive_lstm_tables.py            # print the C initialiser
    python bench/derive_lstm_tables.py --write    # rewrite the table in firmware/mcu_sigmoid_s16.h
    python bench/derive_lstm_tables.py --check    # fail when the firmware's table differs
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware" / "mcu_sigmoid_s16.h"
TABLE_NAME = "mcu_sigmoid_q16"

# input scales of the probes: 2^-12 is the power-of-two case (v = 3x); the others are dyadic multiples
# f / 12288 (v = round(f x)), exact in float32, so that v is known exactly
# the probes: (op, input scale). 2^-12 (and for TANH 2^-11) are the power-of-two cases (v = 3x, 6x); the
# others are dyadic multiples f / 12288 (v = round(f x)), exact in float32, so that v is known exactly
PROBES = tuple(("LOGISTIC", s) for s in (2.0 ** -12, 2.0 ** -14, 2.0 ** -13, 5 * 2.0 ** -14, 11 * 2.0 ** -15)) \
    + tuple(("TANH", s) for s in (2.0 ** -12, 2.0 ** -11, 2.0 ** -14, 2.0 ** -13, 5 * 2.0 ** -14))
ALL_INT16 = np.arange(-32768, 32768, dtype=np.int64)
FRAC = {"LOGISTIC": 9, "TANH": 8}     # bits of t: the table step in units of v


def rescaled_input(x: np.ndarray, op: str, scale: float) -> np.ndarray:
    """v of `op` for int16 inputs x at input `scale` (zero point 0): at a power-of-two scale 2^(e - 12)
    (e = 0, and for TANH also e = 1) v = (3 << e) x; otherwise the factor 3 * 4096 * scale as a 15-bit
    multiplier M (doubled up to above 16383.5) and a right shift s with rounding."""
    x = np.asarray(x, dtype=np.int64)
    e = np.log2(scale) + 12
    if e in ((0, 1) if op == "TANH" else (0,)):
        return (3 << int(e)) * x
    mult, shift = scale * 4096.0 * 3.0, 0
    while mult <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        mult *= 2.0
    if mult != int(mult):
        raise ValueError(f"probe scale {scale} does not give an exact multiplier")
    rnd = 1 << (shift - 1) if shift > 0 else 0
    return (x * int(mult) + rnd) >> shift


def probe_model(op: str, scale: float) -> bytes:
    """One `op`: int16 [65536] at `scale` -> int16 [65536] at 2^-15 (zero points 0)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from tflite_builder import M, O, T, build
    n = ALL_INT16.size
    return build(M(tensors=[T((n,), "int16", [scale], [0]), T((n,), "int16", [2.0 ** -15], [0])],
                   ops=[O(op, [0], [1])], inputs=[0], outputs=[1]))


def measure(probes=PROBES) -> dict[tuple[str, float], np.ndarray]:
    """The tflite-micro interpreter's outputs for every int16 input, per probe (op, input scale)."""
    from mcucompile.sim.reference import require_reference, run_reference
    require_reference("tflm")
    outs = {}
    with tempfile.TemporaryDirectory(prefix="lstm_tables_") as d:
        for k, (op, scale) in enumerate(probes):
            path = Path(d) / f"probe_{k}.tflite"
            path.write_bytes(probe_model(op, scale))
            r = run_reference("tflm", path, [ALL_INT16.astype(np.int16)[None]], 1)
            if r.outputs is None:
                raise RuntimeError(f"tflite-micro failed on the {op} probe at scale {scale}: {r.error}")
            outs[(op, scale)] = r.outputs[0].reshape(-1).astype(np.int64)
    return outs


def _r_window(op: str, positive: bool, out: int) -> tuple[int, int]:
    """The values of r (in units of 2^-(16 + FRAC[op])) that give `out`."""
    if op == "LOGISTIC":     # (r + 512) >> 10, or (2^25 - r + 511) >> 10
        return (1024 * out - 512, 1024 * out + 511) if positive else \
            ((1 << 25) - 512 - 1024 * out, (1 << 25) + 511 - 1024 * out)
    # TANH: (r - 2^23 + 128) >> 8, or (2^23 - r + 127) >> 8
    return (256 * out + (1 << 23) - 128, 256 * out + (1 << 23) + 127) if positive else \
        ((1 << 23) - 128 - 256 * out, (1 << 23) + 127 - 256 * out)


def _windows(outs):
    """Per op and interval i (0..254): {t: [lo, hi]} bounds on r; the saturated outputs are checked."""
    win = {op: [{} for _ in range(255)] for op in FRAC}
    for (op, scale), out in outs.items():
        v = rescaled_input(ALL_INT16, op, scale)
        a = np.abs(v)
        frac = FRAC[op]
        sat = (a >> frac) >= 255
        want = logistic_or_tanh(op, [0] * 256, v)
        if np.any(out[sat] != want[sat]):
            raise RuntimeError(f"{op} at scale {scale}: saturated outputs are not the expected ones")
        for vi, ai, oi in zip(v[~sat].tolist(), a[~sat].tolist(), out[~sat].tolist()):
            lo, hi = _r_window(op, vi >= 0, oi)
            w = win[op][ai >> frac].setdefault(ai & ((1 << frac) - 1), [lo, hi])
            w[0], w[1] = max(w[0], lo), min(w[1], hi)
            if w[0] > w[1]:
                raise RuntimeError(f"inconsistent {op} outputs at |v| = {ai}")
    return win


def _next_candidates(win, i: int, a: int) -> set[int]:
    """The values of T[i+1] that, with T[i] = a, fit every window of interval i (of both ops)."""
    dlo, dhi = -(1 << 16), 1 << 16
    for op, frac in FRAC.items():
        base = a << frac
        for t, (lo, hi) in win[op][i].items():
            if t == 0:
                if not lo <= base <= hi:
                    return set()
                continue
            dlo = max(dlo, -((base - lo) // t))           # ceil((lo - base) / t)
            dhi = min(dhi, (hi - base) // t)
    return {a + d for d in range(dlo, dhi + 1) if 0 <= a + d <= 0xFFFF}


def solve(outs) -> list[int]:
    """The table T[0..255] the measured outputs pin; raises unless every entry is determined uniquely and
    the table reproduces every output."""
    win = _windows(outs)
    cands: list[set[int] | None] = [None] * 256
    for i in range(255):
        for op, frac in FRAC.items():
            if 0 in win[op][i]:
                lo, hi = win[op][i][0]
                c = set(range(max(0, -(-lo >> frac)), min(0xFFFF, hi >> frac) + 1))
                cands[i] = c if cands[i] is None else cands[i] & c
    if cands[0] is None:
        raise RuntimeError("no measurement at v = 0")
    changed = True
    while changed:
        changed = False
        for i in range(255):                           # forward: T[i] -> T[i+1]
            keep, nxt = set(), set()
            for a in cands[i]:
                bs = _next_candidates(win, i, a)
                if cands[i + 1] is not None:
                    bs &= cands[i + 1]
                if bs:
                    keep.add(a)
                    nxt |= bs
            if keep != cands[i] or nxt != cands[i + 1]:
                cands[i], cands[i + 1], changed = keep, nxt, True
        for i in range(254, -1, -1):                   # backward: drop T[i] without a T[i+1]
            keep = {a for a in cands[i] if _next_candidates(win, i, a) & cands[i + 1]}
            if keep != cands[i]:
                cands[i], changed = keep, True
    bad = [i for i, c in enumerate(cands) if len(c) != 1]
    if bad:
        raise RuntimeError(f"entries not pinned to one value: {[(i, sorted(cands[i])) for i in bad]}")
    table = [next(iter(c)) for c in cands]
    for (op, scale), out in outs.items():
        if np.any(logistic_or_tanh(op, table, rescaled_input(ALL_INT16, op, scale)) != out):
            raise RuntimeError(f"the solved table does not reproduce the {op} outputs at scale {scale}")
    return table


def logistic_or_tanh(op: str, table: list[int], v: np.ndarray) -> np.ndarray:
    """The interpolation of `op` (see the docstring above) for rescaled inputs v, with `table`."""
    frac = FRAC[op]
    tab = np.asarray(list(table) + [0], dtype=np.int64)
    a = np.abs(v)
    i = np.minimum(a >> frac, 255)
    r = (tab[i] << frac) + (a & ((1 << frac) - 1)) * (tab[np.minimum(i + 1, 256)] - tab[i])
    if op == "LOGISTIC":
        r = np.where(i >= 255, 0x7FFF << 10, r)
        return np.where(v >= 0, (r + 512) >> 10, ((1 << 25) - r + 511) >> 10)
    r = np.where(i >= 255, 0xFFFF << 8, r)
    return np.where(v >= 0, (r - (1 << 23) + 128) >> 8, ((1 << 23) - r + 127) >> 8)


def derive() -> list[int]:
    return solve(measure())


def c_initialiser(table: list[int]) -> str:
    rows = [", ".join(f"0x{v:04X}" for v in table[k:k + 12]) + "," for k in range(0, len(table), 12)]
    return "\n".join("    " + r for r in rows)


_TABLE_RE = re.compile(r"(static const uint16_t " + TABLE_NAME + r"\[256\] = \{\n)(.*?)(\n\};)", re.S)


def firmware_table(path: Path = FIRMWARE) -> list[int]:
    """The table as firmware/mcu_sigmoid_s16.h initialises it."""
    m = _TABLE_RE.search(path.read_text())
    if m is None:
        raise RuntimeError(f"no {TABLE_NAME} initialiser in {path}")
    return [int(v, 0) for v in re.findall(r"0x[0-9A-Fa-f]+|\d+", m.group(2))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--write", action="store_true", help="rewrite the table in firmware/mcu_sigmoid_s16.h")
    g.add_argument("--check", action="store_true", help="fail when the firmware's table differs")
    args = p.parse_args(argv)
    table = derive()
    if args.check:
        old = firmware_table()
        if old != table:
            diff = [i for i in range(256) if i >= len(old) or old[i] != table[i]]
            print(f"{FIRMWARE.name}: {TABLE_NAME} differs from the measured table at {diff}")
            return 1
        print(f"{FIRMWARE.name}: {TABLE_NAME} equals the measured table")
        return 0
    if args.write:
        text = FIRMWARE.read_text()
        if _TABLE_RE.search(text) is None:
            raise SystemExit(f"no {TABLE_NAME} initialiser in {FIRMWARE}")
        FIRMWARE.write_text(_TABLE_RE.sub(lambda m: m.group(1) + c_initialiser(table) + m.group(3), text))
        print(f"wrote {TABLE_NAME} into {FIRMWARE}")
        return 0
    print(c_initialiser(table))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
