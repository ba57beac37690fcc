"""Reference interpreters, each run in a subprocess (they can abort() or segfault).

- TFLite Micro's interpreter (tflite-micro package): the oracle; it is what runs on MCUs today.
- LiteRT with reference kernels (OpResolverType.BUILTIN_REF): the second opinion.

Each sample is an independent inference by default: after every invoke the interpreter's variable tensors
(the state of an LSTM) are reset, as TFLite Micro's own LSTM example does (examples/mnist_lstm/evaluate.py),
so every sample starts from the initial state; the compiled C calls <model>_reset() before each sample.
TFLite Micro's reset sets resource variables to their zero point but does not run CALL_ONCE's init
subgraph again, so a model with resource variables (`fresh`) gets a new interpreter per sample instead.
With `sequence`, the samples are one stream: invoked one after the other, nothing reset in between.
TFLite Micro's reset also calls each op's reset: the audio front end's noise estimate
(SignalFilterBankSpectralSubtraction) goes back to zero too, as the compiled kernel's on every call.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import McuCompileError

TFLM_ARENA = 16 << 20


class ReferenceMissingError(McuCompileError):
    """A reference interpreter's package is not installed."""


@dataclass
class RefResult:
    name: str
    outputs: list[np.ndarray] | None   # None when the interpreter refused or crashed
    error: str = ""


REFERENCE_MODULES = {"tflm": ("tflite_micro", "TFLite Micro", "pip install --pre tflite-micro"),
                     "litert_ref": ("ai_edge_litert", "LiteRT", "pip install ai-edge-litert")}


def require_reference(which: str) -> None:
    """Raise ReferenceMissingError when the package of reference `which` is not installed (a reference
    that is installed but refuses a model is a different matter: run_reference reports it)."""
    import importlib.util
    module, label, how = REFERENCE_MODULES[which]
    if importlib.util.find_spec(module) is None:
        raise ReferenceMissingError(f"{label} ({module}) is not installed, so the outputs cannot be compared with "
                                    f"it: {how} (`make setup` installs it)"
                                    + ("; or ask for the other reference only (--reference litert_ref)"
                                       if which == "tflm" else ""))


def run_reference(which: str, model_path: str | Path, inputs: list[np.ndarray], n_outputs: int,
                  timeout: float = 600, sequence: bool = False, fresh: bool = False) -> RefResult:
    """Run `which` ("tflm" or "litert_ref") on inputs (one [N, *shape] array per model input): each sample
    from the initial state (`fresh`: a new interpreter per sample, else a reset after each), or with
    `sequence` all of them as one stream."""
    with tempfile.TemporaryDirectory(prefix="mcuref_") as d:
        fin, fout = Path(d) / "in.npz", Path(d) / "out.npz"
        np.savez(fin, *inputs)
        cmd = [sys.executable, "-m", "mcucompile.sim.reference", which, str(model_path), str(fin), str(fout),
               str(n_outputs), "sequence" if sequence else "fresh" if fresh else "reset"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return RefResult(which, None, f"timed out after {timeout:.0f} s")
        if p.returncode != 0 or not fout.exists():
            msg = (p.stderr.strip().splitlines() or [f"exit code {p.returncode}"])[-1]
            if len(msg) > 160:
                msg = msg[:157] + "..."
            return RefResult(which, None, msg)
        with np.load(fout) as z:
            outs = [z[f"arr_{k}"] for k in range(len(z.files))]
        return RefResult(which, outs)


def _worker_tflm(model_path: str, inputs: list[np.ndarray], n_outputs: int, mode: str) -> list[np.ndarray]:
    from tflite_micro.python.tflite_micro import runtime

    def new():
        return runtime.Interpreter.from_file(model_path, arena_size=TFLM_ARENA)
    interp = new()
    n = inputs[0].shape[0]
    outs: list[list[np.ndarray]] = []
    for s in range(n):
        if mode == "fresh" and s:
            interp = new()
        for k, arr in enumerate(inputs):
            interp.set_input(arr[s], k)
        interp.invoke()
        outs.append([np.array(interp.get_output(k)) for k in range(n_outputs)])
        if mode == "reset":
            interp.reset()    # each sample from a fresh state: variable tensors (an LSTM's state) back to zero
    return [np.stack([r[k] for r in outs]) for k in range(n_outputs)]


def _worker_litert(model_path: str, inputs: list[np.ndarray], n_outputs: int, mode: str) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    def new():
        it = Interpreter(model_path=model_path, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        it.allocate_tensors()
        return it
    interp = new()
    ins = interp.get_input_details()
    outs_d = interp.get_output_details()
    n = inputs[0].shape[0]
    outs = []
    for s in range(n):
        if mode == "fresh" and s:
            interp = new()
        for d, arr in zip(ins, inputs):
            interp.set_tensor(d["index"], arr[s].reshape(d["shape"]).astype(d["dtype"]))
        interp.invoke()
        outs.append([interp.get_tensor(d["index"]).copy() for d in outs_d])
        if mode == "reset":
            interp.reset_all_variables()    # as TFLite Micro's reset: each sample from a fresh state
    return [np.stack([r[k] for r in outs]) for k in range(len(outs_d))]


def _main(argv: list[str]) -> int:
    which, model_path, fin, fout, n_outputs, mode = argv
    with np.load(fin) as z:
        inputs = [z[f"arr_{k}"] for k in range(len(z.files))]
    fn = {"tflm": _worker_tflm, "litert_ref": _worker_litert}[which]
    outs = fn(model_path, inputs, int(n_outputs), mode)
    np.savez(fout, *outs)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
