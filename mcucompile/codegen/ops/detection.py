"""TFLite_Detection_PostProcess (TFLite Micro's custom op): SSD box decoding and non-maximum suppression in
float32, as TFLite Micro computes it (kernels/detection_postprocess.cc); the C is
firmware/mcu_detection_postprocess.c (decoding, the single-score NMS) with mcu_detection_fast.c or
mcu_detection_regular.c, chosen here from use_regular_nms.

TFLite Micro's kernel reads float32 box encodings and class predictions only (a quantised model has a
DEQUANTIZE before it) and reads the anchors as float32 whatever their type: int8 inputs and non-float
anchors are refused. Its fast NMS writes the k-th detection to row categories x k + class rank, so with
more than one category per box the rows written spread past max_detections x categories: the outputs must
hold the last row it can write (checked here, with the rows' count computed from the options).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...kernels.detection import detection_dims, detection_layout
from ..records import KernelCall, ParamStruct, c_float, c_int
from ..registry import lowers

KIND = "TFLite_Detection_PostProcess"


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def rows_needed(attrs, boxes: int) -> int:
    """How many output rows TFLite Micro can write: regular max_detections; fast, with c categories per box
    and at most s = min(boxes, max_detections) selected boxes, up to row c x (s x c - 1) + c - 1."""
    if attrs.use_regular_nms:
        return attrs.max_detections
    c = max(1, min(attrs.max_classes_per_detection, attrs.num_classes))
    s = min(boxes, attrs.max_detections)
    return c * (s * c - 1) + c if s > 0 else 0


def _check_options(op):
    a = op.attrs
    if a.num_classes < 1:
        _fail(op, f"num_classes is {a.num_classes}; it must be at least 1")
    if a.max_detections < 0:
        _fail(op, f"max_detections is {a.max_detections}; TFLite Micro requires it >= 0")
    if not a.use_regular_nms and a.max_classes_per_detection < 1:
        _fail(op, f"max_classes_per_detection is {a.max_classes_per_detection}; the fast NMS requires it > 0")
    if a.use_regular_nms and a.detections_per_class < 1:
        _fail(op, f"detections_per_class is {a.detections_per_class}; the regular NMS requires it > 0")
    if not 0.0 < a.nms_iou_threshold <= 1.0:
        _fail(op, f"nms_iou_threshold is {a.nms_iou_threshold:g}; TFLite Micro requires it in (0, 1]")
    if 0.0 in (a.y_scale, a.x_scale, a.h_scale, a.w_scale):
        _fail(op, "a zero y_scale, x_scale, h_scale or w_scale (the box encodings are divided by them)")


def _check_tensors(ctx, op) -> tuple[int, int, int]:
    """(boxes, floats per box encoding, class predictions per box) after checking every tensor."""
    a = op.attrs
    if len(op.inputs) != 3 or len(op.outputs) != 4:
        _fail(op, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; TFLite Micro's kernel takes 3 "
                  "(box encodings, class predictions, anchors) and gives 4 (boxes, classes, scores, count)")
    enc, cls, anc = (ctx.tensor(i) for i in op.inputs)
    for t, what in ((enc, "box encodings"), (cls, "class predictions")):
        if t.dtype != "float32":
            _fail(op, f"the {what} ('{t.name}') are {t.dtype}: TFLite Micro's kernel reads float32 only "
                      "(put a DEQUANTIZE before it)")
        if len(t.shape) != 3 or t.shape[0] != 1:
            _fail(op, f"the {what} have shape {t.shape}; [1, boxes, n] is required (batch 1)")
    n, stride, classes = enc.shape[1], enc.shape[2], cls.shape[2]
    if stride < 4:
        _fail(op, f"the box encodings have {stride} values per box; at least 4 (y, x, h, w) are required")
    if cls.shape[1] != n:
        _fail(op, f"the class predictions have {cls.shape[1]} boxes, the box encodings {n}")
    if classes - a.num_classes not in (0, 1):
        _fail(op, f"the class predictions have {classes} classes per box for num_classes {a.num_classes}; "
                  "TFLite Micro takes num_classes or num_classes + 1 (a background class first)")
    if anc.data is None or anc.dtype != "float32":
        _fail(op, f"the anchors ('{anc.name}') must be a constant float32 tensor (TFLite Micro reads them as "
                  f"float32 whatever their type; they are {'not constant' if anc.data is None else anc.dtype})")
    if tuple(anc.shape) != (n, 4):
        _fail(op, f"the anchors have shape {anc.shape}; [{n}, 4] (y, x, h, w per box) is required")
    sizes = np.asarray(anc.data, dtype=np.float32).reshape(n, 4)[:, 2:]
    if not (sizes > 0).all():
        k = int(np.argwhere(~(sizes > 0))[0][0])
        _fail(op, f"anchor {k} has a height or width <= 0: its box is empty, on which TFLite Micro fails")
    outs = [ctx.tensor(i) for i in op.outputs]
    rows = outs[0].shape[1] if len(outs[0].shape) == 3 else -1
    want = ((1, rows, 4), (1, rows), (1, rows), (1,))
    if rows < 0 or any(t.dtype != "float32" or tuple(t.shape) != w for t, w in zip(outs, want)):
        _fail(op, "the outputs must be float32 boxes [1, D, 4], classes [1, D], scores [1, D] and count [1] "
                  f"(got {', '.join(f'{t.dtype} {t.shape}' for t in outs)})")
    need = rows_needed(a, n)
    if rows < need:
        _fail(op, f"the outputs have {rows} rows; TFLite Micro can write {need} here (its fast NMS puts the "
                  "k-th detection at row categories x k + rank)" if not a.use_regular_nms else
                  f"the outputs have {rows} rows; the regular NMS writes max_detections = {need}")
    return n, stride, classes


@lowers(KIND)
def lower_detection_postprocess(ctx, op):
    _check_options(op)
    n, stride, classes = _check_tensors(ctx, op)
    a = op.attrs
    _, cats = detection_dims(ctx.graph, op)
    offsets, _ = detection_layout(ctx.graph, op)
    offs = {k: offsets.get(k, 0) for k in ("boxes", "keep_scores", "keep_index", "sorted", "merge", "selected",
                                           "active", "box_scores", "classes", "pool_index", "pool_scores",
                                           "tmp_index", "tmp_scores")}
    name = ctx.unique(f"detect{op.index}")
    rows = ctx.tensor(op.outputs[0]).shape[1]
    params = ParamStruct("mcu_detection_params_t", f"{name}_params", (
        ("num_boxes", c_int(n)), ("box_stride", c_int(stride)), ("num_classes", c_int(a.num_classes)),
        ("class_stride", c_int(classes)), ("label_offset", c_int(classes - a.num_classes)),
        ("max_detections", c_int(a.max_detections)), ("num_categories", c_int(cats)),
        ("detections_per_class", c_int(a.detections_per_class)), ("out_rows", c_int(rows)),
        ("score_threshold", c_float(a.nms_score_threshold)), ("iou_threshold", c_float(a.nms_iou_threshold)),
        ("y_scale", c_float(a.y_scale)), ("x_scale", c_float(a.x_scale)), ("h_scale", c_float(a.h_scale)),
        ("w_scale", c_float(a.w_scale)), ("anchors", ctx.weight(op.inputs[2], "float")),
        *((f"off_{k}", c_int(v)) for k, v in offs.items()),
    ))
    variant = "regular" if a.use_regular_nms else "fast"
    enc, cls = op.inputs[0], op.inputs[1]
    args = (f"&{params.name}", ctx.act(enc, "float"), ctx.act(cls, "float"), ctx.scratch(op, "float"),
            *(ctx.act(t, "float") for t in op.outputs))
    return [KernelCall(op.index, op.kind, f"mcu_detection_postprocess_{variant}_f32", args, params,
                       ("mcu_detection_postprocess.c", f"mcu_detection_{variant}.c"),
                       f"{n} boxes x {a.num_classes} classes, {variant} NMS, {a.max_detections} detections")]
