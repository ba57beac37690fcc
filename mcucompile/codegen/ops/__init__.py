"""Lowering functions, one module per kernel family; importing them fills the registry."""

from . import conv, elementwise, fc, misc, pool, reduce, reshape, softmax  # noqa: F401
