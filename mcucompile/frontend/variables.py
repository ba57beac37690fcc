"""Resource variables in a .tflite file: VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE and CALL_ONCE.

The TensorFlow converter writes a tf.Variable as a VAR_HANDLE (container, shared name) whose resource
tensor READ_VARIABLE and ASSIGN_VARIABLE take, and its initial value as a second subgraph that a CALL_ONCE
at the start of the main subgraph runs on the first invoke: VAR_HANDLE + ASSIGN_VARIABLE of a constant per
variable. The reader resolves all of it here, into the graph's Variables (ir/graph.py):

- VAR_HANDLE and CALL_ONCE leave no op; the init subgraph is evaluated at compile time into each variable's
  initial value (anything but assignments of constants is refused);
- READ_VARIABLE becomes an op without inputs that writes the value, ASSIGN_VARIABLE an op without outputs
  that reads it; both name the variable in VariableAttrs.

A variable's value lives in the persistent state region (codegen/lowering.py LowerCtx.persistent), kept
between invokes until `<model>_reset()` restores the initial values. TFLite Micro starts a variable that no
init subgraph assigns with every byte the low byte of its zero point (MicroResourceVariables::Allocate),
which is the `fill` used then.
"""

from __future__ import annotations

import numpy as np
import tflite

from ..errors import ModelFormatError, UnsupportedModelError
from ..ir.graph import Op, Tensor, Variable, VariableAttrs

VARIABLE_KINDS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE")
VARIABLE_DTYPES = ("int8", "int16", "int32")
FLOAT_HINT = " (quantise the variables too: converter._experimental_variable_quantization = True)"


def _text(b) -> str:
    return (b or b"").decode("utf-8", "replace")


def _options(op, cls):
    table = op.BuiltinOptions()
    if table is None:
        return None
    o = cls()
    o.Init(table.Bytes, table.Pos)
    return o


class Variables:
    """Collects the variables of the main subgraph while the reader walks its ops."""

    def __init__(self, model, data: bytes, source: str, tensors: list[Tensor], read_tensors, op_names: dict):
        """read_tensors(model, data, subgraph) -> its tensors, op_names: builtin code -> name (the reader's)."""
        self.model, self.data, self.source, self.tensors = model, data, source, tensors
        self.read_tensors, self.op_names = read_tensors, op_names
        self.handles: dict[int, tuple[str, str]] = {}     # resource tensor -> (container, shared name)
        self.keys: list[tuple[str, str]] = []             # variable index -> key
        self.spec: dict[tuple[str, str], tuple[str, tuple, object, int]] = {}   # dtype, shape, quant, first op
        self.initial: dict[tuple[str, str], np.ndarray] = {}
        self.assigned: dict[tuple[str, str], object] = {}   # the first assignment's value quantisation
        self.init_subgraphs: set[int] = set()
        self.used = False            # a READ_VARIABLE or ASSIGN_VARIABLE seen (CALL_ONCE must come first)

    def _index(self, key: tuple[str, str]) -> int:
        if key not in self.keys:
            self.keys.append(key)
        return self.keys.index(key)

    def _value(self, i: int, kind: str, key: tuple[str, str], t: Tensor) -> None:
        """The value tensor t of a read or an assignment: every one of a variable the same dtype and shape."""
        if t.dtype not in VARIABLE_DTYPES:
            hint = FLOAT_HINT if t.dtype == "float32" else ""
            raise UnsupportedModelError(f"{kind} (op {i}): variable '{key[1]}' holds {t.dtype} values; only "
                                        f"{', '.join(VARIABLE_DTYPES)} variables are supported{hint}")
        if key not in self.spec:
            self.spec[key] = (t.dtype, t.shape, t.quant, i)
            return
        dtype, shape, _, first = self.spec[key]
        if (dtype, shape) != (t.dtype, t.shape):
            raise UnsupportedModelError(f"{kind} (op {i}): variable '{key[1]}' is {t.dtype} {list(t.shape)} here "
                                        f"but {dtype} {list(shape)} at op {first}")

    def _handle(self, i: int, kind: str, k: int) -> tuple[str, str]:
        if k not in self.handles:
            raise ModelFormatError(f"{kind} (op {i}): input {k} is not a VAR_HANDLE's resource")
        return self.handles[k]

    def op(self, i: int, kind: str, op, ins: tuple, outs: tuple) -> Op | None:
        """The op that replaces op i of the main subgraph (None: it leaves none)."""
        if kind == "CALL_ONCE":
            if self.used:
                raise UnsupportedModelError(f"CALL_ONCE (op {i}): comes after a READ_VARIABLE or ASSIGN_VARIABLE; "
                                            "only a CALL_ONCE before every variable access is supported")
            o = _options(op, tflite.CallOnceOptions)
            k = o.InitSubgraphIndex() if o is not None else 0
            if not 0 < k < self.model.SubgraphsLength():
                raise ModelFormatError(f"CALL_ONCE (op {i}): init subgraph {k} does not exist")
            self._init_subgraph(i, k)
            return None
        if kind == "VAR_HANDLE":
            o = _options(op, tflite.VarHandleOptions)
            if o is None or len(outs) != 1:
                raise ModelFormatError(f"VAR_HANDLE (op {i}): needs its options and one output")
            self.handles[outs[0]] = (_text(o.Container()), _text(o.SharedName()))
            return None
        self.used = True
        if kind == "READ_VARIABLE":
            if len(ins) != 1 or len(outs) != 1:
                raise ModelFormatError(f"READ_VARIABLE (op {i}): has {len(ins)} inputs and {len(outs)} outputs; "
                                       "it takes one of each")
            key = self._handle(i, kind, ins[0])
            self._value(i, kind, key, self.tensors[outs[0]])
            return Op(i, kind, (), outs, VariableAttrs(self._index(key)))
        if len(ins) != 2 or outs:
            raise ModelFormatError(f"ASSIGN_VARIABLE (op {i}): has {len(ins)} inputs and {len(outs)} outputs; "
                                   "it takes two inputs and no output")
        key = self._handle(i, kind, ins[0])
        self._value(i, kind, key, self.tensors[ins[1]])
        self.assigned.setdefault(key, self.tensors[ins[1]].quant)
        return Op(i, kind, (ins[1],), (), VariableAttrs(self._index(key)))

    def _init_subgraph(self, i: int, k: int) -> None:
        """Evaluate init subgraph k of CALL_ONCE op i: only VAR_HANDLE and ASSIGN_VARIABLE of constants."""
        sg = self.model.Subgraphs(k)
        what = f"CALL_ONCE (op {i}): init subgraph {k} ('{_text(sg.Name())}')"
        tensors = self.read_tensors(self.model, self.data, sg)
        handles: dict[int, tuple[str, str]] = {}
        for j in range(sg.OperatorsLength()):
            op = sg.Operators(j)
            oc = self.model.OperatorCodes(op.OpcodeIndex())
            kind = self.op_names.get(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()), "?")
            ins = tuple(int(t) for t in op.InputsAsNumpy()) if op.InputsLength() else ()
            outs = tuple(int(t) for t in op.OutputsAsNumpy()) if op.OutputsLength() else ()
            if kind == "VAR_HANDLE" and len(outs) == 1:
                o = _options(op, tflite.VarHandleOptions)
                handles[outs[0]] = (_text(o.Container()), _text(o.SharedName())) if o is not None else ("", "")
                continue
            if kind == "ASSIGN_VARIABLE" and len(ins) == 2 and ins[0] in handles and 0 <= ins[1] < len(tensors) \
                    and tensors[ins[1]].data is not None:
                t = tensors[ins[1]]
                if t.dtype not in VARIABLE_DTYPES:
                    raise UnsupportedModelError(f"{what}: assigns {t.dtype} values to variable "
                                                f"'{handles[ins[0]][1]}'; only {', '.join(VARIABLE_DTYPES)} "
                                                "variables are supported" + (FLOAT_HINT if t.dtype == "float32"
                                                                             else ""))
                self.initial[handles[ins[0]]] = t.data
                continue
            raise UnsupportedModelError(f"{what}: op {j} is {kind}"
                                        + (" of a value that is not a constant" if kind == "ASSIGN_VARIABLE" else "")
                                        + "; only an init subgraph that assigns constants to variables "
                                          "(VAR_HANDLE, ASSIGN_VARIABLE) is supported")
        self.init_subgraphs.add(k)

    def finish(self, ops: list[Op]) -> tuple[Variable, ...]:
        out = []
        for v, key in enumerate(self.keys):
            dtype, shape, quant, first = self.spec[key]
            init = self.initial.get(key)
            if init is None and key not in self.assigned:
                raise UnsupportedModelError(f"READ_VARIABLE (op {first}): variable '{key[1]}' is never assigned "
                                            "(TFLite Micro allocates a variable at its first ASSIGN_VARIABLE)")
            if init is not None:
                if init.dtype != np.dtype(dtype) or init.size != int(np.prod(shape, dtype=np.int64)):
                    raise UnsupportedModelError(f"CALL_ONCE: the initial value of variable '{key[1]}' is "
                                                f"{init.dtype} {list(init.shape)}, the variable {dtype} {list(shape)}")
                init = init.reshape(shape)
            out.append(Variable(v, key[1], dtype, tuple(shape), self.assigned.get(key, quant), init))
        return tuple(out)
