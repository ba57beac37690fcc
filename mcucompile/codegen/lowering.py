"""What a lowering function may ask of the compiler (LowerCtx), and loading every lowering.

A lowering function (codegen/ops/, registered in codegen/registry.py) is
`fn(ctx: LowerCtx, op: Op) -> list[KernelCall]`; the calls' pointer arguments are records (ctx.act,
ctx.scratch: codegen/records.py) that rendering turns into C with the memory plan. The scratch an op's
kernel takes and which ops alias their input are the kernel choices of mcucompile/kernels/, which the
planner reads too.
Lowering functions raise UnsupportedModelError for parameter combinations they cannot compile.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..ir import Graph, Op, Tensor
from .records import Act, ConstArray, Scratch, State, StateSlot

STATE_ALIGN = 8     # every slot of the persistent state region starts at a multiple of this


class LowerCtx:
    """What a lowering function may ask of the compiler."""

    def __init__(self, graph: Graph, has_scratch: Callable[[int], bool] = lambda op_index: False,
                 wide_weights: bool | Callable[[int], bool] = False, simd: str = "none", kernels: str = "fast"):
        self.graph = graph
        self.simd = simd                # the target's kernel family (Options.simd): "none", "dsp", "mve"
        self.kernels = kernels          # Options.kernels: "fast", "no-asm", "reference" (the reference loops)
        # while a patch stage is lowered: op index -> its (output region, input regions) in each tile
        self.patch_tiles: dict[int, list] = {}
        # which convs get pre-widened weights (Options.wide_weights, DSP: every one or the op indices that
        # kernels/wide_cost.choose picked), and what each that got them added: op -> (extra flash bytes,
        # live output channels, the int8 variant it runs without them), read by compile_graph's choice
        self._wide = wide_weights if callable(wide_weights) else (lambda op_index: bool(wide_weights))
        self.wide_extra: dict[int, tuple[int, int, str]] = {}
        self._has_scratch = has_scratch
        self.consts: list[ConstArray] = []
        self._const_by_key: dict = {}
        self._names: set[str] = set()
        self.state: list[StateSlot] = []        # the persistent state region, in slot order
        self._state_by_key: dict = {}

    def widen(self, op_index: int) -> bool:
        """Whether op `op_index` (a conv a DSP wide path takes) gets the pre-widened weights."""
        return self._wide(op_index)

    def const_bytes(self, name: str) -> int:
        """Bytes of the registered constant array `name`."""
        return next(int(np.asarray(c.values).nbytes) for c in self.consts if c.name == name)

    def tensor(self, i: int) -> Tensor:
        return self.graph.tensors[i]

    def act(self, i: int, ctype: str = "int8_t") -> Act:
        """Pointer to activation tensor i (in the arena or a caller's buffer): a record that rendering turns
        into C text with the memory plan (a patch stage first rewrites it: codegen/patch.py)."""
        return Act(i, ctype)

    def scratch(self, op: Op, ctype: str = "int32_t") -> Scratch:
        """Pointer to this op's scratch buffer (requires a registered scratch function)."""
        return Scratch(op.index, ctype)

    def scratch_or_null(self, op: Op, ctype: str = "int32_t") -> Scratch | str:
        """Pointer to this op's scratch buffer, or "NULL" when the plan holds none for it (its scratch
        function gave 0 bytes for this target)."""
        return Scratch(op.index, ctype) if self._has_scratch(op.index) else "NULL"

    def persistent(self, owner: str, nbytes: int, ctype: str = "int8_t", fill: int = 0,
                   initial: np.ndarray | None = None, key=None) -> State:
        """Persistent memory: `nbytes` bytes that keep their value between invokes, in the model's state
        region outside the arena (<MODEL>_STATE_SIZE; the arena planner does not count them).
        `<model>_reset()` and the first invoke set them to `initial` (a constant array of exactly `nbytes`
        bytes, kept in flash) or else every byte to `fill` (0..255). `owner` names what they hold (the
        memory report prints it). Requests with the same `key` (e.g. a resource variable's index) share one
        slot: the first request decides its size and initial value. Returns the pointer record."""
        if key is not None and key in self._state_by_key:
            return State(self._state_by_key[key], ctype)
        offset = sum(-(-s.nbytes // STATE_ALIGN) * STATE_ALIGN for s in self.state)
        init = None
        if initial is not None:
            initial = np.ascontiguousarray(initial)
            assert initial.nbytes == nbytes, f"{owner}: initial value of {initial.nbytes} bytes for {nbytes}"
            init = self.const(initial.view(np.uint8).ravel(), "uint8_t", "state_init")
        self.state.append(StateSlot(owner, offset, int(nbytes), int(fill) & 0xFF, init))
        if key is not None:
            self._state_by_key[key] = offset
        return State(offset, ctype)

    @property
    def state_bytes(self) -> int:
        return sum(-(-s.nbytes // STATE_ALIGN) * STATE_ALIGN for s in self.state)

    def unique(self, hint: str) -> str:
        base = "".join(ch if ch.isalnum() else "_" for ch in hint).strip("_").lower() or "c"
        name, k = base, 1
        while name in self._names:
            k += 1
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def const(self, values: np.ndarray, ctype: str, hint: str) -> str:
        """Register a constant array for <model>_weights.c; identical arrays are emitted once."""
        values = np.ascontiguousarray(values)
        key = (ctype, values.shape, values.tobytes())
        if key in self._const_by_key:
            return self._const_by_key[key]
        name = self.unique(f"{self.graph.name}_{hint}")     # extern symbols: prefixed like the API
        self.consts.append(ConstArray(name, ctype, values))
        self._const_by_key[key] = name
        return name

    def weight(self, tensor_index: int, ctype: str) -> str:
        """A model constant tensor as a flash array; returns its C name."""
        t = self.graph.tensors[tensor_index]
        assert t.data is not None, f"tensor {t.name} is not constant"
        return self.const(t.data, ctype, f"w{tensor_index}")


def load_all() -> None:
    """Import every module that registers lowerings."""
    from . import ops  # noqa: F401
