"""The reader's shape checks (ir/shapes.py): a model whose tensor shapes disagree with its ops never
reaches code generation. Every single shape entry of the seed models is changed, one at a time: each
mutant either stops with a one-line error, or is a consistent model (a different input size that gives
the same output, say) which compiles."""

import re
import struct

import pytest
from conftest import ROOT

from mcucompile.codegen.generate import compile_graph
from mcucompile.errors import McuCompileError
from mcucompile.frontend.tflite_reader import parse_tflite
from mcucompile.fuzz import _Structure

SEEDS = ["hello_world_int8.tflite", "kws_ref_model.tflite", "micro_speech_quantized.tflite"]


@pytest.mark.parametrize("name", SEEDS + ["tiny_cnn_int8.tflite"])
def test_every_changed_shape_entry_is_refused(shared_models, name):
    path = ROOT / "examples" / name if name.startswith("tiny") else shared_models / name
    data = path.read_bytes()
    g = parse_tflite(data)
    s = _Structure(data)
    assert len(s.shape_elems) == sum(len(t.shape) for t in g.tensors)
    named = 0
    for pos in s.shape_elems:
        (old,) = struct.unpack_from("<i", data, pos)
        for new in (old + 1, 2 * old + 3):
            buf = bytearray(data)
            struct.pack_into("<i", buf, pos, new)
            try:
                compile_graph(parse_tflite(bytes(buf), source="m.tflite"))
            except McuCompileError as e:
                msg = str(e)
            else:
                continue
            assert msg and "\n" not in msg
            named += bool(re.search(r"op \d+ \([A-Z_0-9]+\): output tensor \d+ has shape .* but the op computes", msg))
    assert named > 0        # the shape rule, not only the buffer-size checks, caught some
