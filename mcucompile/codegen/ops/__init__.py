"""Lowering functions, one module per kernel family; importing them fills the registry."""

from . import activations, conv, elementwise, fc, matmul, minmax, misc, pool, reduce, reshape, resize, slicing, softmax  # noqa: F401,E501
