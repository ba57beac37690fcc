"""RESHAPE (and SQUEEZE/EXPAND_DIMS): the output aliases the input buffer; no code, no copy."""

from ...errors import UnsupportedModelError
from ..registry import lowers


@lowers("RESHAPE")
def lower_reshape(ctx, op):
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if x.dtype != y.dtype:
        # an alias reinterprets nothing: the same bytes under another shape (int16 with int16, 16x8)
        raise UnsupportedModelError(f"RESHAPE (op {op.index}): {x.dtype} input and {y.dtype} output; a reshape "
                                    "cannot convert")
    return []
