"""TFLite_Detection_PostProcess (SSD box decoding and non-maximum suppression, float32 outputs), bit-exact
with TFLite Micro.

The models are built directly (tests/tflite_builder.py): int8 box encodings [1, N, 4] and class predictions
[1, N, C (+1)] (model inputs, or a small FULLY_CONNECTED head), DEQUANTIZE (TFLite Micro's kernel reads
float32 only), constant float32 anchors, the custom op with its flexbuffer options, four float32 outputs.
TFLite Micro leaves some output rows unwritten (they keep the last sample's values); the comparisons skip
exactly those (mcucompile/kernels/detection.py), and our kernel zeroes them (checked below).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from flatbuffers import flexbuffers

from mcucompile import api
from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.detection import lower_detection_postprocess, rows_needed
from mcucompile.errors import ModelFormatError, UnsupportedModelError
from mcucompile.kernels import SCRATCH
from mcucompile.kernels.detection import detection_layout, written_rows

KIND = "TFLite_Detection_PostProcess"


def options(max_det=4, mcpd=1, dpc=None, regular=None, score_th=0.3, iou=0.5, C=3,
            scales=(10.0, 10.0, 5.0, 5.0)) -> dict:
    o = dict(max_detections=max_det, max_classes_per_detection=mcpd, nms_score_threshold=score_th,
             nms_iou_threshold=iou, num_classes=C, y_scale=scales[0], x_scale=scales[1], h_scale=scales[2],
             w_scale=scales[3])
    if dpc is not None:
        o["detections_per_class"] = dpc
    if regular is not None:
        o["use_regular_nms"] = regular
    return o


def detect_model(N=6, C=3, bg=1, rows=None, head=False, anchors=None, raw_options=None, seed=0, **kw) -> bytes:
    """int8 inputs -> DEQUANTIZE -> TFLite_Detection_PostProcess -> boxes, classes, scores, count. `head`:
    the two int8 tensors come from FULLY_CONNECTED layers over one int8 feature input [N, 8] (then RESHAPE)."""
    from tflite_builder import M, O, T, build
    rng = np.random.default_rng(seed)
    o = options(C=C, **kw)
    if anchors is None:
        anchors = np.stack([rng.uniform(0.1, 0.9, N), rng.uniform(0.1, 0.9, N),
                            rng.uniform(0.05, 0.4, N), rng.uniform(0.05, 0.4, N)], 1)
    cats = max(1, min(o["max_classes_per_detection"], C))
    if rows is None:
        rows = o["max_detections"] * (1 if o.get("use_regular_nms") else cats)
    ts = [T((1, N, 4), "int8", [0.05], [0], name="box_q"),
          T((1, N, C + bg), "int8", *(([0.02], [0]) if head else ([1 / 256], [-128])), name="cls_q"),
          T((1, N, 4), "float32", name="box"), T((1, N, C + bg), "float32", name="cls"),
          T((N, 4), "float32", data=np.asarray(anchors, np.float32), name="anchors"),
          T((1, rows, 4), "float32", name="det_boxes"), T((1, rows), "float32", name="det_classes"),
          T((1, rows), "float32", name="det_scores"), T((1,), "float32", name="num_det")]
    custom = bytes(flexbuffers.Dumps(o)) if raw_options is None else raw_options
    ops = [O("DEQUANTIZE", [0], [2]), O("DEQUANTIZE", [1], [3]),
           O(KIND, [2, 3, 4], [5, 6, 7, 8], custom_options=custom)]
    inputs = [0, 1]
    if head:
        F = 8
        k = len(ts)
        ts += [T((N, F), "int8", [0.05], [-3], name="features"),
               T((4, F), "int8", [0.001], [0], rng.integers(-127, 128, (4, F)).astype(np.int8), name="w_box"),
               T((4,), "int32", [0.00005], [0], rng.integers(-800, 800, 4).astype(np.int32), name="b_box"),
               T((N, 4), "int8", [0.05], [0], name="box_fc"),
               T((C + bg, F), "int8", [0.001], [0], rng.integers(-127, 128, (C + bg, F)).astype(np.int8),
                 name="w_cls"),
               T((C + bg,), "int32", [0.00005], [0], rng.integers(-800, 800, C + bg).astype(np.int32), name="b_cls"),
               T((N, C + bg), "int8", [0.02], [0], name="cls_fc"),
               T((3,), "int32", data=np.array([1, N, 4], np.int32), name="box_shape"),
               T((3,), "int32", data=np.array([1, N, C + bg], np.int32), name="cls_shape")]
        ops = [O("FULLY_CONNECTED", [k, k + 1, k + 2], [k + 3]), O("FULLY_CONNECTED", [k, k + 4, k + 5], [k + 6]),
               O("RESHAPE", [k + 3, k + 7], [0]), O("RESHAPE", [k + 6, k + 8], [1]), *ops]
        inputs = [k]
    return build(M(ts, ops, inputs, [5, 6, 7, 8]))


def _write(tmp_path, name, **kw):
    path = tmp_path / f"detect_{name}.tflite"
    path.write_bytes(detect_model(**kw))
    return path


def _op(g):
    return next(op for op in g.ops if op.kind == KIND)


def _tied_inputs(n, N, C, bg, seed):
    """Inputs with many equal scores (three codes) and equal boxes (two encodings)."""
    rng = np.random.default_rng(seed)
    box = rng.choice(np.array([0, 20], np.int8), (n, 1, N, 4))
    cls = rng.choice(np.array([60, 100, 100, 127], np.int8), (n, 1, N, C + bg))
    return [box, cls]


# ---- reading and compile-time decisions ---------------------------------------------------------------

def test_reader_takes_the_flexbuffer_options(tmp_path):
    g = api.load(_write(tmp_path, "read", N=7, C=2, max_det=3, mcpd=2, regular=True, dpc=5, score_th=0.25,
                        iou=0.6))
    a = _op(g).attrs
    assert (a.max_detections, a.max_classes_per_detection, a.detections_per_class) == (3, 2, 5)
    assert a.use_regular_nms and a.num_classes == 2
    assert a.nms_score_threshold == float(np.float32(0.25)) and a.nms_iou_threshold == float(np.float32(0.6))
    assert (a.y_scale, a.x_scale, a.h_scale, a.w_scale) == (10.0, 10.0, 5.0, 5.0)
    # absent detections_per_class and use_regular_nms: TFLite Micro's defaults, 100 and the fast NMS
    a = _op(api.load(_write(tmp_path, "defaults", N=7, C=2))).attrs
    assert a.detections_per_class == 100 and a.use_regular_nms is False
    # float32 activations pass the dtype gate only around this op
    assert {g.tensors[t].dtype for t in g.activations()} == {"int8", "float32"}


def test_scratch_layout_and_written_rows(tmp_path):
    g = api.load(_write(tmp_path, "scratch", N=10, C=4, max_det=3, mcpd=2, rows=24))
    op = _op(g)
    offsets, words = detection_layout(g, op)
    # boxes 4N, five N-word NMS buffers, one score per box, the active bytes (N/4 rounded up), then N x 2 categories
    assert words == 4 * 10 + 6 * 10 + 3 + 10 * 2 and offsets["classes"] == words - 20
    assert SCRATCH[KIND].fn(g, op, "none") == 4 * words
    assert written_rows(op.attrs, 2, 3) == [0, 3, 4]               # TFLite Micro's row = 2 k + k mod 2
    assert rows_needed(op.attrs, 10) == 2 * (3 * 2 - 1) + 2 == 12
    reg = _op(api.load(_write(tmp_path, "scratch_reg", N=10, C=4, max_det=3, regular=True)))
    g2 = api.load(tmp_path / "detect_scratch_reg.tflite")
    assert detection_layout(g2, reg)[1] == 4 * 10 + 6 * 10 + 3 + 2 * (3 + 10) + 2 * 3
    assert written_rows(reg.attrs, 1, 0) == [0, 1, 2]             # regular: every max_detections row
    call = lower_detection_postprocess(LowerCtx(g2), reg)[0]
    assert call.func == "mcu_detection_postprocess_regular_f32"
    assert call.sources == ("mcu_detection_postprocess.c", "mcu_detection_regular.c")


# ---- bit-exact against TFLite Micro --------------------------------------------------------------------

CASES = {
    "fast_1class_few": dict(N=5, C=1, max_det=2, score_th=0.2),                 # more boxes pass than kept
    "fast_5classes": dict(N=20, C=5, max_det=10, score_th=0.6, seed=1),        # fewer pass than max_det
    "fast_no_background": dict(N=8, C=2, bg=0, max_det=5, iou=0.3, seed=2),
    "fast_mcpd2": dict(N=6, C=3, max_det=3, mcpd=2, rows=12, score_th=0.5, seed=3),
    "fast_mcpd3_of_2": dict(N=7, C=2, max_det=2, mcpd=3, rows=8, score_th=0.4, seed=4),
    "fast_64_anchors": dict(N=64, C=3, max_det=12, score_th=0.1, iou=0.4, seed=5),   # sorts past 20 boxes
    "regular_dpc1": dict(N=12, C=3, max_det=4, regular=True, dpc=1, seed=6),
    "regular_5classes": dict(N=30, C=5, max_det=10, regular=True, score_th=0.55, iou=0.45, seed=7),
    "regular_no_bg_rows": dict(N=9, C=4, bg=0, max_det=3, regular=True, dpc=2, rows=5, score_th=0.4, seed=8),
    "regular_iou1": dict(N=16, C=2, max_det=20, regular=True, dpc=6, iou=1.0, score_th=0.3, seed=9),
    "head_fast": dict(N=12, C=3, max_det=4, head=True, score_th=0.3, seed=10),
    "head_regular": dict(N=12, C=2, max_det=5, head=True, regular=True, dpc=3, score_th=0.3, seed=11),
}


def _check(tmp_path, name, kw, inputs=None, board=None, samples=10):
    path = _write(tmp_path, name, **kw)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=3, references=("tflm",), board=board)
    tflm, = r.comparisons
    assert tflm.available, tflm.error
    assert tflm.mismatches == 0, (name, tflm)
    assert r.ok
    return path, r


@pytest.mark.parametrize("case", sorted(CASES))
def test_built_detections_bit_exact_with_tflm(tmp_path, case):
    kw = CASES[case]
    _, r = _check(tmp_path, case, kw)
    boxes, classes, scores, count = r.outputs
    n = count.reshape(-1)
    assert (n > 0).all() and len(np.unique(scores)) > 3, (case, n)        # real detections to compare
    # every row TFLite Micro does not write is zero here
    a = _op(api.load(tmp_path / f"detect_{case}.tflite")).attrs
    cats = max(1, min(a.max_classes_per_detection, a.num_classes))
    for s in range(len(n)):
        unwritten = np.setdiff1d(np.arange(scores.shape[-1]), written_rows(a, cats, int(n[s])))
        assert not scores[s, 0, unwritten].any() and not boxes[s, 0, unwritten].any()


def test_max_detections_below_and_above_what_passes(tmp_path):
    """The same inputs: max_detections 2 caps the count; 40 (more than the boxes) leaves it at what passes
    the threshold and the NMS."""
    _, capped = _check(tmp_path, "cap", dict(N=15, C=2, max_det=2, score_th=0.3, seed=12))
    _, wide = _check(tmp_path, "wide", dict(N=15, C=2, max_det=40, score_th=0.3, seed=12))
    assert (capped.outputs[3] == 2).all()
    assert (wide.outputs[3] > 2).all() and (wide.outputs[3] <= 15).all()
    assert np.array_equal(wide.outputs[2][:, :, :2], capped.outputs[2])   # the same best two


@pytest.mark.parametrize("regular", [False, True])
def test_thresholds_that_drop_every_box(tmp_path, regular):
    _, r = _check(tmp_path, f"none_{regular}", dict(N=8, C=3, max_det=4, regular=regular, score_th=1.5),
                  samples=4)
    assert (r.outputs[3] == 0).all() and not r.outputs[0].any() and not r.outputs[2].any()


@pytest.mark.parametrize("regular", [False, True])
def test_equal_scores_and_boxes_order_as_tflm(tmp_path, regular):
    """Three score codes and two box encodings over 24 anchors: equal scores everywhere, their order decided
    by TFLite Micro's tie-breaking (box order in the NMS sort, then class and pool order)."""
    N, C = 24, 3
    kw = dict(N=N, C=C, max_det=8, mcpd=2 if not regular else 1, rows=8 * (4 if not regular else 1),
              regular=regular, dpc=4, score_th=0.5, iou=0.3, seed=13,
              anchors=np.tile(np.array([[0.5, 0.5, 0.2, 0.2], [0.5, 0.6, 0.2, 0.2], [0.3, 0.3, 0.1, 0.3]]),
                              (N // 3, 1)))
    path, r = _check(tmp_path, f"ties_{regular}", kw, inputs=_tied_inputs(6, N, C, 1, 14))
    assert len(np.unique(r.outputs[2][r.outputs[2] > 0])) <= 3             # the scores do tie
    # bit for bit, not only equal values: the float32 outputs' bytes on the rows TFLite Micro writes
    from mcucompile.sim.reference import run_reference
    ref = run_reference("tflm", path, _tied_inputs(6, N, C, 1, 14), 4)
    a = _op(api.load(path)).attrs
    for s in range(6):
        rows = written_rows(a, 2 if not regular else 1, int(ref.outputs[3][s].reshape(-1)[0]))
        for k in range(3):
            ours, theirs = r.outputs[k][s, 0, rows], ref.outputs[k][s][0, rows]
            assert ours.astype(np.float32).tobytes() == theirs.astype(np.float32).tobytes()


def test_detection_on_qemu_m4(tmp_path, qemu_toolchain):
    _, r = _check(tmp_path, "qemu", CASES["fast_5classes"], board="qemu-m4", samples=4)
    assert (r.outputs[3] > 0).all()
    _, r = _check(tmp_path, "qemu_reg", CASES["regular_dpc1"], board="qemu-m4", samples=4)
    assert (r.outputs[3] > 0).all()


# ---- refusals ------------------------------------------------------------------------------------------

def _with(op, **changes):
    return dataclasses.replace(op, attrs=dataclasses.replace(op.attrs, **changes))


def _retensor(g, k, **changes):
    ts = list(g.tensors)
    ts[k] = dataclasses.replace(ts[k], **changes)
    return dataclasses.replace(g, tensors=tuple(ts))


def test_options_tflm_rejects_are_refused(tmp_path):
    g = api.load(_write(tmp_path, "bad", N=6, C=3, max_det=4))
    op = _op(g)
    bad = [
        (_with(op, num_classes=0), "num_classes is 0; it must be at least 1"),
        (_with(op, max_detections=-1), r"max_detections is -1; TFLite Micro requires it >= 0"),
        (_with(op, max_classes_per_detection=0), "max_classes_per_detection is 0; the fast NMS requires it > 0"),
        (_with(op, use_regular_nms=True, detections_per_class=0),
         "detections_per_class is 0; the regular NMS requires it > 0"),
        (_with(op, nms_iou_threshold=0.0), r"nms_iou_threshold is 0; TFLite Micro requires it in \(0, 1\]"),
        (_with(op, h_scale=0.0), "a zero y_scale, x_scale, h_scale or w_scale"),
        (_with(op, num_classes=1), "the class predictions have 4 classes per box for num_classes 1; TFLite "
                                   r"Micro takes num_classes or num_classes \+ 1 \(a background class first\)"),
        (_with(op, max_detections=5), "the outputs have 4 rows; TFLite Micro can write 5 here"),
        (_with(op, max_detections=5, use_regular_nms=True),
         "the outputs have 4 rows; the regular NMS writes max_detections = 5"),
        (_with(op, max_classes_per_detection=2), "the outputs have 4 rows; TFLite Micro can write 16 here"),
    ]
    for bad_op, msg in bad:
        with pytest.raises(UnsupportedModelError, match=rf"{KIND} \(op 2\): " + msg):
            lower_detection_postprocess(LowerCtx(g), bad_op)


def test_tensors_tflm_cannot_take_are_refused(tmp_path):
    g = api.load(_write(tmp_path, "badt", N=6, C=3, max_det=4))
    op = _op(g)
    anchors = g.tensors[4]
    bad_anchors = anchors.data.copy()
    bad_anchors[3, 2] = 0.0
    bad = [
        (g, dataclasses.replace(op, inputs=(0, 3, 4)),
         r"the box encodings \('box_q'\) are int8: TFLite Micro's kernel reads float32 only \(put a DEQUANTIZE "
         r"before it\)"),
        (_retensor(g, 2, shape=(2, 3, 4)), op, r"the box encodings have shape \(2, 3, 4\); \[1, boxes, n\] is "
                                               r"required \(batch 1\)"),
        (_retensor(g, 2, shape=(1, 6, 3)), op, "the box encodings have 3 values per box; at least 4"),
        (_retensor(g, 3, shape=(1, 5, 4)), op, "the class predictions have 5 boxes, the box encodings 6"),
        (_retensor(g, 4, dtype="int8"), op, r"the anchors \('anchors'\) must be a constant float32 tensor "
                                            r"\(TFLite Micro reads them as float32 whatever their type; they are int8"),
        (_retensor(g, 4, shape=(6, 5)), op, r"the anchors have shape \(6, 5\); \[6, 4\]"),
        (_retensor(g, 4, data=bad_anchors), op, "anchor 3 has a height or width <= 0: its box is empty"),
        (_retensor(g, 8, shape=(2,)), op, r"the outputs must be float32 boxes .* and count .*float32 \(2,\)"),
        (g, dataclasses.replace(op, outputs=op.outputs[:3]),
         r"has 3 inputs and 3 outputs; TFLite Micro's kernel takes 3 \(box encodings, class predictions, "
         r"anchors\) and gives 4 \(boxes, classes, scores, count\)"),
    ]
    for graph, bad_op, msg in bad:
        with pytest.raises(UnsupportedModelError, match=rf"{KIND} \(op 2\): " + msg):
            lower_detection_postprocess(LowerCtx(graph), bad_op)


def test_reader_refusals():
    from mcucompile.frontend.tflite_reader import parse_tflite
    with pytest.raises(ModelFormatError, match=rf"{KIND} \(op 2\): its options lack max_detections, "
                                               "nms_iou_threshold"):
        o = options()
        del o["max_detections"], o["nms_iou_threshold"]
        parse_tflite(detect_model(raw_options=bytes(flexbuffers.Dumps(o))))
    with pytest.raises(ModelFormatError, match=rf"{KIND} \(op 2\): its custom options are not a flexbuffer map"):
        parse_tflite(detect_model(raw_options=bytes(flexbuffers.Dumps([1, 2, 3]))))


def test_analyze_lists_the_op_in_its_own_column(tmp_path):
    from click.testing import CliRunner

    from mcucompile.cli import main
    out = CliRunner().invoke(main, ["analyze", str(_write(tmp_path, "analyze", N=6, C=3, max_det=4))]).output
    header = next(line for line in out.splitlines() if line.lstrip().startswith("#"))
    row = next(line for line in out.splitlines() if KIND in line)
    assert row.index("[1, 4, 4]") == header.index("output shape")       # the long name does not push it
