"""The lowering registry: one function per op kind turns an IR op into kernel-call records
(codegen/lowering.py describes the contract; codegen/ops/ registers the functions with @lowers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Lowering:
    kind: str
    fn: Callable


REGISTRY: dict[str, Lowering] = {}


def lowers(kind: str):
    def deco(fn):
        REGISTRY[kind] = Lowering(kind, fn)
        return fn
    return deco
