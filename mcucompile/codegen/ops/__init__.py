"""Lowering functions, one module per kernel family; importing them fills the registry."""

from . import (  # noqa: F401,E501
    activations,
    cast,
    compare,
    conv,
    datamove,
    elementwise,
    fc,
    gather,
    lstm,
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
