"""TFLite_Detection_PostProcess: the kernel's scratch layout (firmware/mcu_detection_*.c).

One buffer of 4-byte words, carved here once; the lowering passes the offsets (in words) to the C:

- both NMS variants: the decoded boxes (4 x boxes floats), the NMS's kept scores, kept box indices, sorted
  order, merge buffer and selected boxes (boxes words each), its active flags (boxes bytes, rounded up to
  words) and one score per box (the best class's, or the current class's);
- fast: each box's best classes (boxes x categories indices);
- regular: the pool of the best detections so far plus one class's selections (max detections + boxes,
  indices and scores) and the pool's reordering buffers (max detections, indices and scores).
"""

from __future__ import annotations

import numpy as np


def detection_dims(graph, op) -> tuple[int, int]:
    """(boxes, categories per box of the fast NMS) of a TFLite_Detection_PostProcess op."""
    a = op.attrs
    boxes = int(graph.tensors[op.inputs[0]].shape[1]) if len(graph.tensors[op.inputs[0]].shape) == 3 else 0
    return boxes, max(1, min(a.max_classes_per_detection, a.num_classes))


def detection_layout(graph, op) -> tuple[dict[str, int], int]:
    """The scratch offsets in words (the params struct's off_* fields) and the total in words."""
    a = op.attrs
    n, cats = detection_dims(graph, op)
    dets = max(a.max_detections, 0)
    parts = [("boxes", 4 * n), ("keep_scores", n), ("keep_index", n), ("sorted", n), ("merge", n),
             ("selected", n), ("active", (n + 3) // 4), ("box_scores", n)]
    if a.use_regular_nms:
        parts += [("pool_index", dets + n), ("pool_scores", dets + n), ("tmp_index", dets), ("tmp_scores", dets)]
    else:
        parts += [("classes", n * cats)]
    offsets, at = {}, 0
    for name, words in parts:
        offsets[name] = at
        at += words
    return offsets, at


def detection_scratch(graph, op, simd) -> int:
    return 4 * detection_layout(graph, op)[1]


KIND = "TFLite_Detection_PostProcess"


def written_rows(attrs, categories: int, count: int) -> list[int]:
    """The output rows TFLite Micro writes when it reports `count` detections: regular NMS every one of the
    max_detections rows (zero past the count); fast NMS the k-th detection at row categories x k + k mod
    categories (its row formula: rows are left between detections when categories > 1)."""
    if attrs.use_regular_nms:
        return list(range(attrs.max_detections))
    return [categories * k + k % categories for k in range(count)]


def defined_entries(graph, ref_outputs) -> list:
    """Per model output, a boolean mask of the entries the reference defines (None: all of them). The
    boxes, classes and scores rows a TFLite_Detection_PostProcess op leaves unwritten hold whatever its
    arena held before (the last sample's values), so comparisons skip them; the rows written follow from
    the reference's own count output (when the model outputs it)."""
    masks: list = [None] * len(graph.outputs)
    for op in graph.ops:
        if op.kind != KIND or len(op.outputs) != 4 or op.outputs[3] not in graph.outputs:
            continue
        counts = np.asarray(ref_outputs[graph.outputs.index(op.outputs[3])]).reshape(-1)
        _, cats = detection_dims(graph, op)
        for slot in range(3):
            t = op.outputs[slot]
            if t not in graph.outputs:
                continue
            k = graph.outputs.index(t)
            shape = graph.tensors[t].shape                        # [1, rows, 4] or [1, rows]
            mask = np.zeros((len(counts), *shape), dtype=bool)
            for s, c in enumerate(counts):
                rows = [r for r in written_rows(op.attrs, cats, int(c) if np.isfinite(c) else 0) if r < shape[1]]
                mask[s, 0, rows] = True
            masks[k] = mask
    return masks
