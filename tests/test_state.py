"""Streaming state: resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE) in the
persistent state region, kept between invokes, bit-exact with TFLite Micro over a sequence of invokes.

The model is what the TensorFlow converter writes for a tf.Module with a tf.Variable state buffer [1, K-1, C]:
each invoke reads the state, concatenates the new frame [1, 1, C], assigns the shifted window back and runs
a fully connected layer on the window (int8 full quantisation with a representative dataset; the variable
quantised too). The variable starts at random values (CALL_ONCE's init subgraph assigns them), so the
initial value is checked as well. A second model has two variables: the window, run through a CONV_2D, and a
leaky sum of the outputs (out = 0.5 x previous out + conv(window), assigned back).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from mcucompile import api
from mcucompile.errors import UnsupportedModelError

K, C, F = 4, 3, 5


def _convert(path, quantize_variables: bool = True, seed: int = 0):
    import tensorflow as tf
    rng = np.random.default_rng(seed)
    init = rng.uniform(-1.5, 1.5, (1, K - 1, C)).astype(np.float32)
    w = rng.standard_normal((K * C, F)).astype(np.float32)

    class Stream(tf.Module):
        def __init__(self):
            self.state = tf.Variable(init, trainable=False)

        @tf.function(input_signature=[tf.TensorSpec([1, 1, C], tf.float32)])
        def __call__(self, x):
            win = tf.concat([self.state, x], axis=1)
            self.state.assign(win[:, 1:, :])
            return tf.matmul(tf.reshape(win, [1, K * C]), w)

    m = Stream()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([m.__call__.get_concrete_function()], m)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]

    def rep():
        r = np.random.default_rng(1)
        for _ in range(50):
            yield [r.uniform(-1.5, 1.5, (1, 1, C)).astype(np.float32)]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    conv._experimental_variable_quantization = quantize_variables
    path.write_bytes(conv.convert())
    return path


def _convert_conv(path, seed: int = 0):
    import tensorflow as tf
    k, c, f = 5, 4, 6
    rng = np.random.default_rng(seed)
    init = rng.uniform(-1, 1, (1, k - 1, c)).astype(np.float32)
    w = (rng.standard_normal((1, 3, c, f)) * 0.5).astype(np.float32)

    class Stream(tf.Module):
        def __init__(self):
            self.win = tf.Variable(init, trainable=False)
            self.prev = tf.Variable(tf.zeros([1, 1, k - 2, f]), trainable=False)

        @tf.function(input_signature=[tf.TensorSpec([1, 1, c], tf.float32)])
        def __call__(self, x):
            win = tf.concat([self.win, x], axis=1)
            self.win.assign(win[:, 1:, :])
            out = 0.5 * self.prev + tf.nn.relu(tf.nn.conv2d(tf.reshape(win, [1, 1, k, c]), w, 1, "VALID"))
            self.prev.assign(out)
            return tf.reshape(out, [1, (k - 2) * f])

    m = Stream()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([m.__call__.get_concrete_function()], m)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]

    def rep():
        r = np.random.default_rng(1)
        for _ in range(50):
            yield [r.uniform(-1, 1, (1, 1, c)).astype(np.float32)]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    conv._experimental_variable_quantization = True
    path.write_bytes(conv.convert())
    return path


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    return _convert(tmp_path_factory.mktemp("state") / "stream.tflite")


@pytest.fixture(scope="module")
def stream_conv(tmp_path_factory):
    return _convert_conv(tmp_path_factory.mktemp("state") / "stream_conv.tflite")


# ---- reading: the converter's pattern resolved into variables ------------------------------------------

def test_reader_resolves_the_variables_and_their_initial_value(stream):
    g = api.load(stream)
    kinds = [op.kind for op in g.ops]
    assert "VAR_HANDLE" not in kinds and "CALL_ONCE" not in kinds          # resolved, no code
    assert kinds[0] == "READ_VARIABLE" and kinds[-1] == "ASSIGN_VARIABLE"
    v, = g.variables
    assert (v.dtype, v.shape) == ("int8", (1, K - 1, C))
    read = g.ops[0]
    assert read.inputs == () and g.tensors[read.outputs[0]].shape == v.shape
    # the init subgraph's constant: the quantised random start, not the zero point TFLite Micro would fill
    assert v.initial is not None and v.initial.shape == v.shape and len(np.unique(v.initial)) > 3
    assert v.quant is not None and np.any(v.initial != v.quant.zero_point[0])


# ---- the state region: header, memory report, not in the arena -----------------------------------------

def test_state_region_in_header_report_and_memory_map(stream, tmp_path):
    from click.testing import CliRunner

    from mcucompile.cli import main
    out = tmp_path / "proj"
    api.compile_model(stream, out)
    h = (out / "stream.h").read_text()
    assert "#define STREAM_STATE_SIZE 16" in h                 # 9 bytes, slots 8-byte aligned
    assert "void stream_reset(void);" in h and "uint8_t *stream_state(void);" in h
    c = (out / "stream.c").read_text()
    assert "static uint64_t state_mem[2];" in c and "memcpy((uint8_t *)state_mem + 0, stream_state_init, 9)" in c
    mm = json.loads((out / "stream_memory.json").read_text())
    assert mm["state_bytes"] == 16 and mm["state"][0]["initial"] == "constant"
    assert all(b["size"] and b["kind"] != "state" for b in mm["buffers"])
    a = api.analyze(stream)
    assert a.state_bytes == 16 and a.as_dict()["state"][0]["size"] == 9
    # the arena holds the activations only: the read's output, the window, the FC output, the slice
    assert a.peak_sram_bytes == mm["arena_bytes"]
    r = CliRunner().invoke(main, ["analyze", str(stream)])
    assert r.exit_code == 0, r.output
    assert "state            16 B  (kept between invokes, outside the arena: variable 'Variable' int8" in r.output


# ---- bit-exact over a sequence of invokes --------------------------------------------------------------

def test_stream_sequence_bit_exact_on_host(stream):
    g = api.load(stream)
    x = api.random_inputs(g, 8, seed=3)
    seq = api.simulate(str(stream), inputs=x, sequence=True, references=("tflm", "litert_ref"))
    tflm, litert = seq.comparisons
    assert tflm.available and tflm.mismatches == 0, tflm
    assert litert.available and litert.mismatches == 0, litert
    assert seq.ok and seq.extra["state_bytes"] == 16 and seq.extra["sequence"] is True
    # each sample from the initial state (a new interpreter per sample; <model>_reset() before each in C)
    fresh = api.simulate(str(stream), inputs=x, references=("tflm", "litert_ref"))
    assert fresh.ok and all(c.available and c.mismatches == 0 for c in fresh.comparisons)
    assert np.array_equal(seq.outputs[0][0], fresh.outputs[0][0])            # the same start
    for s in range(1, 8):                                                     # then the window carries over
        assert not np.array_equal(seq.outputs[0][s], fresh.outputs[0][s]), s


def test_two_variables_conv_stream_sequence_bit_exact_on_host(stream_conv):
    g = api.load(stream_conv)
    assert sorted(v.nbytes for v in g.variables) == [16, 18]              # the window and the output sum
    assert {"CONV_2D", "MUL", "ADD"} <= {op.kind for op in g.ops}
    x = api.random_inputs(g, 10, seed=5)
    seq = api.simulate(str(stream_conv), inputs=x, sequence=True, references=("tflm", "litert_ref"))
    assert seq.ok and all(c.available and c.mismatches == 0 for c in seq.comparisons), seq.comparisons
    assert seq.extra["state_bytes"] == 16 + 24
    assert len({tuple(y) for y in seq.outputs[0].reshape(10, -1)}) == 10      # every step a new output


def test_stream_sequence_on_qemu_m4(stream, qemu_toolchain):
    g = api.load(stream)
    x = api.random_inputs(g, 5, seed=4)
    r = api.simulate(str(stream), inputs=x, sequence=True, board="qemu-m4", references=("tflm",))
    tflm, = r.comparisons
    assert tflm.available and tflm.mismatches == 0, tflm
    assert r.ok and r.nondeterministic == 0
    assert r.extra["board"] == "qemu-m4" and r.extra["instructions"] > 0 and r.extra["qemu_runs"] == 1


def test_cli_simulate_sequence(stream):
    from click.testing import CliRunner

    from mcucompile.cli import main
    r = CliRunner().invoke(main, ["simulate", str(stream), "--samples", "6", "--sequence", "--reference", "tflm",
                                  "--no-sanitize"])
    assert r.exit_code == 0, r.output
    assert "6 samples run on the host (ASan/UBSan off), as one stream (state carried over)" in r.output
    assert "vs TFLite Micro         bit-exact" in r.output
    assert "state            16 B kept between invokes (outside the arena)" in r.output


# ---- refusals ------------------------------------------------------------------------------------------

def test_float_variable_is_refused(tmp_path):
    """The converter's default keeps the variable in float32 (DEQUANTIZE / QUANTIZE around it): refused at its
    initial value (CALL_ONCE comes first), and, without the init subgraph, at the first read."""
    path = _convert(tmp_path / "float_var.tflite", quantize_variables=False)
    with pytest.raises(UnsupportedModelError, match=r"CALL_ONCE \(op 1\): init subgraph 1 \('NoOp'\): assigns "
                                                    r"float32 values to variable 'Variable'; only int8, int16, int32 "
                                                    r"variables are supported \(quantise the variables too"):
        api.load(path)

    def no_init(m, schema):
        sg = m.subgraphs[0]
        sg.operators = [op for op in sg.operators if op.opcodeIndex != _opcode(m, schema, "CALL_ONCE")]
        m.subgraphs = m.subgraphs[:1]
    path = _edit(path, tmp_path / "float_no_init.tflite", no_init)
    with pytest.raises(UnsupportedModelError, match=r"READ_VARIABLE \(op 2\): variable 'Variable' holds float32 "
                                                    r"values; only int8, int16, int32 variables are supported "
                                                    r"\(quantise the variables too"):
        api.load(path)


def _edit(path, out, fn):
    """Rewrite a .tflite with TensorFlow's flatbuffer object API: fn(model) edits it in place."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(path.read_bytes(), 0))
    fn(m, schema)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    out.write_bytes(bytes(b.Output()))
    return out


def _opcode(m, schema, kind):
    code = getattr(schema.BuiltinOperator, kind)
    return next(k for k, oc in enumerate(m.operatorCodes) if max(oc.builtinCode, oc.deprecatedBuiltinCode) == code)


def test_call_once_with_a_non_trivial_init_is_refused(stream, tmp_path):
    def non_constant(m, schema):          # the init subgraph assigns a tensor that is not a constant
        init = m.subgraphs[1]
        assign = next(op for op in init.operators if op.opcodeIndex == _opcode(m, schema, "ASSIGN_VARIABLE"))
        init.tensors[assign.inputs[1]].buffer = 0
    path = _edit(stream, tmp_path / "init_nonconst.tflite", non_constant)
    with pytest.raises(UnsupportedModelError, match=r"CALL_ONCE \(op 0\): init subgraph 1 \('NoOp'\): op 1 is "
                                                    r"ASSIGN_VARIABLE of a value that is not a constant; only an "
                                                    r"init subgraph that assigns constants to variables"):
        api.load(path)

    def computes(m, schema):              # the init subgraph runs another op
        init = m.subgraphs[1]
        init.operators[0].opcodeIndex = _opcode(m, schema, "FULLY_CONNECTED")
    path = _edit(stream, tmp_path / "init_op.tflite", computes)
    with pytest.raises(UnsupportedModelError, match=r"init subgraph 1 \('NoOp'\): op 0 is FULLY_CONNECTED; only an "
                                                    r"init subgraph that assigns constants") as e:
        api.load(path)
    assert "; only an init subgraph that assigns constants to variables (VAR_HANDLE, ASSIGN_VARIABLE) is supported" \
        in str(e.value)

    def late(m, schema):                  # CALL_ONCE after the first read
        ops = m.subgraphs[0].operators
        k = next(i for i, op in enumerate(ops) if op.opcodeIndex == _opcode(m, schema, "CALL_ONCE"))
        r = next(i for i, op in enumerate(ops) if op.opcodeIndex == _opcode(m, schema, "READ_VARIABLE"))
        ops.insert(r, ops.pop(k))
    path = _edit(stream, tmp_path / "late.tflite", late)
    with pytest.raises(UnsupportedModelError, match=r"CALL_ONCE \(op 2\): comes after a READ_VARIABLE or "
                                                    r"ASSIGN_VARIABLE; only a CALL_ONCE before every variable access"):
        api.load(path)


def test_inconsistent_or_unassigned_variables_are_refused(stream, tmp_path):
    def int16_value(m, schema):           # the assigned value int16, the read int8
        sg = m.subgraphs[0]
        assign = next(op for op in sg.operators if op.opcodeIndex == _opcode(m, schema, "ASSIGN_VARIABLE"))
        sg.tensors[assign.inputs[1]].type = schema.TensorType.INT16
    path = _edit(stream, tmp_path / "int16.tflite", int16_value)
    with pytest.raises(UnsupportedModelError, match=r"ASSIGN_VARIABLE \(op 7\): variable 'Variable' is int16 "
                                                    r"\[1, 3, 3\] here but int8 \[1, 3, 3\] at op 2"):
        api.load(path)

    def never_assigned(m, schema):        # no init subgraph call and no assignment: TFLite Micro has no buffer
        sg = m.subgraphs[0]
        drop = {_opcode(m, schema, "CALL_ONCE"), _opcode(m, schema, "ASSIGN_VARIABLE")}
        sg.operators = [op for op in sg.operators if op.opcodeIndex not in drop]
        m.subgraphs = m.subgraphs[:1]
    path = _edit(stream, tmp_path / "unassigned.tflite", never_assigned)
    with pytest.raises(UnsupportedModelError, match=r"READ_VARIABLE \(op 1\): variable 'Variable' is never "
                                                    r"assigned \(TFLite Micro allocates a variable at its first "
                                                    r"ASSIGN_VARIABLE\)"):
        api.load(path)


def test_persistent_request_api():
    """What a lowering asks: slots in request order, 8-byte aligned, shared by key, initial bytes in flash."""
    from mcucompile.codegen.lowering import LowerCtx
    from mcucompile.codegen.records import State, c_arg
    from mcucompile.ir import Graph
    ctx = LowerCtx(Graph("m", (), (), (), ()))
    a = ctx.persistent("op 0 delay line", 10, "int16_t")
    b = ctx.persistent("op 1 history", 3, fill=0x80)
    c = ctx.persistent("variable v", 4, "int32_t", initial=np.array([7], dtype=np.int32), key=("variable", 0))
    again = ctx.persistent("variable v", 4, "int8_t", key=("variable", 0))
    assert (a, b, c, again) == (State(0, "int16_t"), State(16, "int8_t"), State(24, "int32_t"), State(24, "int8_t"))
    assert ctx.state_bytes == 32 and [s.fill for s in ctx.state] == [0, 0x80, 0]
    assert ctx.state[2].initial == ctx.consts[-1].name and ctx.consts[-1].values.tolist() == [7, 0, 0, 0]
    assert c_arg(b, str, str, str) == "((int8_t *)((uint8_t *)state_mem + 16))"
