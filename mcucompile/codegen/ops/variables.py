"""Resource variables: READ_VARIABLE and ASSIGN_VARIABLE copy a variable's bytes between the persistent
state region and a tensor (firmware/mcu_variable.c), as TFLite Micro's MicroResourceVariables do (memcpy).
The reader (frontend/variables.py) has already resolved VAR_HANDLE (which variable) and CALL_ONCE (the
variables' initial values, constants of its init subgraph); they emit no code.

Each variable is one slot of the state region (LowerCtx.persistent, keyed by the variable), set by
`<model>_reset()` and the first invoke to its initial value: the init subgraph's constant, or else every
byte the low byte of its zero point, as TFLite Micro starts a variable no init subgraph assigns.
"""

from __future__ import annotations

from ...errors import UnsupportedModelError
from ..records import KernelCall, c_int
from ..registry import lowers

CTYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t"}    # frontend/variables.py VARIABLE_DTYPES


def variable_state(ctx, variable: int):
    """The state pointer of variable `variable` (its slot, made on first use)."""
    v = ctx.graph.variables[variable]
    fill = v.quant.zero_point[0] if v.quant is not None else 0
    return ctx.persistent(f"variable '{v.name}' {v.dtype} {list(v.shape)}", v.nbytes, CTYPES[v.dtype], fill=fill,
                          initial=v.initial, key=("variable", v.index))


def _check(ctx, op, t):
    v = ctx.graph.variables[op.attrs.variable]
    if t.nbytes != v.nbytes:
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): tensor '{t.name}' holds {t.nbytes} bytes, "
                                    f"variable '{v.name}' {v.nbytes}")
    return v


@lowers("READ_VARIABLE")
def lower_read_variable(ctx, op):
    """The variable's value into the output tensor (a copy)."""
    y = ctx.tensor(op.outputs[0])
    v = _check(ctx, op, y)
    return [KernelCall(op.index, op.kind, "mcu_variable_copy",
                       (c_int(v.nbytes), variable_state(ctx, v.index), ctx.act(y.index, CTYPES[y.dtype])), None,
                       ("mcu_variable.c",), f"variable '{v.name}' -> tensor {y.index} ({v.nbytes} B)")]


@lowers("ASSIGN_VARIABLE")
def lower_assign_variable(ctx, op):
    """The input tensor (an activation or a constant) into the variable (a copy)."""
    x = ctx.tensor(op.inputs[0])
    v = _check(ctx, op, x)
    src = ctx.weight(x.index, CTYPES[x.dtype]) if x.is_const else ctx.act(x.index, CTYPES[x.dtype])
    return [KernelCall(op.index, op.kind, "mcu_variable_copy",
                       (c_int(v.nbytes), src, variable_state(ctx, v.index)), None,
                       ("mcu_variable.c",), f"tensor {x.index} -> variable '{v.name}' ({v.nbytes} B)")]


@lowers("VAR_HANDLE")
def lower_var_handle(ctx, op):
    """Resolved by the reader (which variable a READ_VARIABLE / ASSIGN_VARIABLE names): no code."""
    return []


@lowers("CALL_ONCE")
def lower_call_once(ctx, op):
    """Resolved by the reader: its init subgraph's constant assignments become the variables' initial values,
    which <model>_reset() and the first invoke set. No code."""
    return []
