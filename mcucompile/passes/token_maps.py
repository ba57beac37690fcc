"""Graph normalisation: per-token work on a map's tokens runs on the map itself (`token_map` rewrites).

Attention blocks flatten a feature map into tokens (RESHAPE [1, H, W, C] -> [1, H*W, C]), work on each
token alone (elementwise ops with per-channel or per-token operands, a SUM over the channels, a
BATCH_MATMUL by a small [C, D] matrix) and fold the tokens back into a map. Token t is pixel
(t // W, t % W), so those ops compute the same numbers on the [1, H, W, C] map: this pass gives their
tensors the map's shape and drops the RESHAPEs, and the patch planner then sees pixel-for-pixel ops it
can run per patch (EfficientViT's ReLU linear attention: q * sum(k), its channel sum, q x kv, the
division). Ops that mix tokens (a SUM over the tokens, k^T v) keep reading the flat view: the first
RESHAPE stays for them.

Per-token kinds: ADD / SUB / MUL / DIV whose other operand is another lifted tensor or broadcasts over the
tokens (a per-channel vector or a scalar); the int8 -> int8 unary ops; SUM / MEAN over the last axis with
keep_dims; BATCH_MATMUL of the tokens (no adj_x) by a matrix without batch; a RESHAPE back to the map
(dropped). A lifted tensor that is a model output, or that some op other than these reads, is not lifted
(nor what it depends on in the run), so nothing outside sees a changed shape.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..ir import Graph, Op, Rewrite
from ..ir.graph import Tensor

ELEMENTWISE = ("ADD", "SUB", "MUL", "DIV")
UNARY = ("LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "RELU", "RELU6", "RELU_N1_TO_1", "QUANTIZE")
REDUCE = ("SUM", "MEAN")


def _const(g: Graph, t: int):
    return None if t < 0 or g.tensors[t].data is None else np.asarray(g.tensors[t].data)


def _broadcasts_over_tokens(shape: tuple[int, ...], c: int) -> bool:
    """A non-lifted operand of [1, N, C] tokens that is the same for every token: [.., 1, C'] or a scalar."""
    s = (1,) * max(3 - len(shape), 0) + tuple(shape)
    return len(s) == 3 and s[0] == 1 and s[1] == 1 and s[2] in (1, c)


def _per_token(g: Graph, op: Op, lifted: dict[int, int]) -> str | None:
    """How op treats its lifted input(s): "op" (its output is lifted too), "back" (a RESHAPE to the map,
    dropped) or None (it mixes tokens, or is not one of the per-token kinds)."""
    y = g.tensors[op.outputs[0]] if op.outputs else None
    if y is None or len(op.outputs) != 1 or y.dtype == "int16":
        return None     # (16x8 runs layer by layer)
    first = op.inputs[0] if op.inputs else -1
    if op.kind == "RESHAPE":
        h, w = divmod(lifted[first], 1 << 20)
        return "back" if tuple(y.shape) == (1, h, w, g.tensors[first].shape[-1]) else None
    if len(y.shape) != 3 or y.shape[0] != 1:
        return None
    n = y.shape[1]
    if op.kind in ELEMENTWISE:
        if len(op.inputs) != 2 or min(op.inputs) < 0:
            return None
        for t in op.inputs:
            if t not in lifted and not _broadcasts_over_tokens(g.tensors[t].shape, y.shape[2]):
                return None
        return "op" if all(g.tensors[t].shape[-2:-1] in ((n,), (1,), ()) for t in op.inputs) else None
    if op.kind in UNARY:
        return "op" if len(op.inputs) == 1 and g.tensors[first].shape == y.shape else None
    if op.kind in REDUCE:
        axes = _const(g, op.inputs[1]) if len(op.inputs) > 1 else None
        if (first not in lifted or axes is None or axes.size != 1 or not getattr(op.attrs, "keep_dims", False)
                or int(axes.reshape(-1)[0]) % 3 != 2 or y.shape[2] != 1):
            return None
        return "op"
    if op.kind == "BATCH_MATMUL":
        rhs = op.inputs[1] if len(op.inputs) == 2 else -1
        if first not in lifted or rhs < 0 or rhs in lifted or op.attrs.adj_x:
            return None
        rs = g.tensors[rhs].shape
        return "op" if len(rs) in (2, 3) and (len(rs) == 2 or rs[0] == 1) else None
    return None


def lift_token_maps(g: Graph, ops: list[Op | None], tensors: list[Tensor]) -> list[Rewrite]:
    """Rewrites ops (positions = the model file's op indices; None = removed) and tensors in place."""
    readers: dict[int, list[int]] = {}
    for k, op in enumerate(ops):
        if op is not None:
            for t in op.inputs:
                if t >= 0:
                    readers.setdefault(t, []).append(k)
    out: list[Rewrite] = []
    for root in ops:
        if root is None or root.kind != "RESHAPE" or len(root.outputs) != 1:
            continue
        x, t0 = tensors[root.inputs[0]], tensors[root.outputs[0]]
        if (len(x.shape) != 4 or x.shape[0] != 1 or x.shape[1] * x.shape[2] < 2 or x.is_const
                or tuple(t0.shape) != (1, x.shape[1] * x.shape[2], x.shape[3])):
            continue
        hw = (x.shape[1] << 20) | x.shape[2]
        gv = replace(g, tensors=tuple(tensors))
        lifted = {t0.index: hw}
        members: dict[int, str] = {}
        frontier = [t0.index]
        while frontier:
            u = frontier.pop()
            for k in readers.get(u, []):
                op = ops[k]
                if k in members or op is None:
                    continue
                how = _per_token(gv, op, lifted)
                if how is None:
                    continue
                members[k] = how
                if how == "op":
                    lifted[op.outputs[0]] = hw
                    frontier.append(op.outputs[0])
        # keep only what nothing outside the lifted run reads (and what only lifted inputs feed)
        grown = set(lifted)
        changed = True
        while changed:
            changed = False
            for k in list(members):
                op = ops[k]
                assert op is not None
                o = op.outputs[0]
                bad = members[k] == "op" and (o in g.outputs or any(r not in members for r in readers.get(o, [])))
                bad = bad or any(t in grown and t not in lifted for t in op.inputs)
                if bad:
                    if members.pop(k) == "op":
                        lifted.pop(o, None)
                    changed = True
        if not any(how == "op" for how in members.values()):
            continue
        _apply(g, ops, tensors, root, members)
        names = ", ".join(f"op {op.index} {op.kind}" for op in (ops[k] for k in sorted(members))
                          if op is not None and members[op.index] == "op")
        out.append(Rewrite("token_map", root.index, -1,
                           f"{names} on the tokens {list(t0.shape)} of op {root.index} RESHAPE run on the "
                           f"{list(x.shape)} map (per-token ops: pixel for pixel)"))
    return out


def _apply(g: Graph, ops: list[Op | None], tensors: list[Tensor], root: Op, members: dict[int, str]) -> None:
    src, t0 = root.inputs[0], root.outputs[0]
    h, w = tensors[src].shape[1], tensors[src].shape[2]
    rename: dict[int, int] = {t0: src}
    for k in sorted(members):
        op = ops[k]
        assert op is not None
        if members[k] == "back":
            y = op.outputs[0]
            if y in g.outputs:          # the model's output tensor stays: an alias of the map
                ops[k] = replace(op, inputs=(rename.get(op.inputs[0], op.inputs[0]), *op.inputs[1:]))
                continue
            rename[y] = rename.get(op.inputs[0], op.inputs[0])
            ops[k] = None
            continue
        o = op.outputs[0]
        tensors[o] = replace(tensors[o], shape=(1, h, w, tensors[o].shape[-1]))
        if op.kind in REDUCE:          # the channels: the last axis of the map too
            axes = _const(g, op.inputs[1])
            assert axes is not None
            if int(axes.reshape(-1)[0]) != -1:
                a = tensors[op.inputs[1]]
                tensors.append(replace(a, index=len(tensors), name=a.name + "_map",
                                       data=np.full(axes.shape, 3, dtype=axes.dtype)))
                op = replace(op, inputs=(op.inputs[0], len(tensors) - 1, *op.inputs[2:]))
        ops[k] = op
    for k, op in enumerate(ops):        # readers of the dropped RESHAPEs and of the flat view
        if op is None:
            continue
        if k in members or k > root.index:
            ins = tuple(rename.get(t, t) if (t != t0 or k in members) else t for t in op.inputs)
            if ins != op.inputs:
                ops[k] = replace(op, inputs=ins)
    if not any(op is not None and t0 in op.inputs for op in ops) and t0 not in g.outputs:
        ops[root.index] = None
