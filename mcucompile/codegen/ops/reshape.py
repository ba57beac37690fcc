"""RESHAPE (and SQUEEZE/EXPAND_DIMS): the output aliases the input buffer; no code, no copy."""

from ..registry import lowers


@lowers("RESHAPE")
def lower_reshape(ctx, op):
    return []
