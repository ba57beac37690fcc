"""Lowering functions, one module per kernel family; importing them fills the registry."""

from . import (  # noqa: F401,E501
    activations,
    arith_more,
    batch_space,
    cast,
    compare,
    conv,
    datamove,
    elementwise,
    fc,
    gather,
    math_unary,
    matmul,
    minmax,
    misc,
    pool,
    reduce,
    reshape,
    resize,
    slicing,
    softmax,
)
