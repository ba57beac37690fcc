"""Command line: thin wrappers over api.py that print reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from . import __version__
from .codegen.generate import Options
from .errors import McuCompileError


def _fmt_bytes(n: int) -> str:
    return f"{n:,} B" if n < 10240 else f"{n:,} B ({n / 1024:.1f} KiB)"


def _options(io_outside: bool, align: int) -> Options:
    return Options(io_in_arena=not io_outside, align=align)


_common = [
    click.option("--io-outside", is_flag=True,
                 help="Keep model inputs/outputs in the caller's buffers instead of inside the arena."),
    click.option("--align", default=4, show_default=True, type=click.IntRange(1, 64),
                 help="Byte alignment of every buffer in the arena."),
]


def common(f):
    for o in reversed(_common):
        f = o(f)
    return f


class Main(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except McuCompileError as e:
            click.secho(f"error: {e}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mcucompile")
def main():
    """mcucompile: compile int8 TFLite models to C for Cortex-M microcontrollers.

    \b
    Typical use:
      mcucompile analyze model.tflite            per-layer table, peak SRAM, MACs, flash
      mcucompile compile model.tflite -o build/   C sources, weights, kernels, Makefile, memory map
      mcucompile simulate model.tflite            build on the host, compare bit-exactly with TFLite Micro
    """


@main.command()
@click.argument("model", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead of a table.")
@common
def analyze(model, as_json, io_outside, align):
    """Per-layer table: op, output shape, MACs, weight bytes, live activation bytes; and totals."""
    from .api import analyze as run
    a = run(model, _options(io_outside, align))
    if as_json:
        click.echo(json.dumps(a.as_dict(), indent=2))
        return
    click.echo(f"{'#':>3}  {'op':<20} {'output shape':<18} {'MACs':>12} {'weights B':>10} {'live B':>10}")
    for l in a.layers:
        click.echo(f"{l.index:>3}  {l.kind:<20} {str(list(l.output_shape)):<18} {l.macs:>12,} "
                   f"{l.weight_bytes:>10,} {l.live_bytes:>10,}")
    click.echo("")
    click.echo(f"model            {a.model}: {len(a.layers)} ops")
    click.echo(f"MACs             {a.macs:,}")
    click.echo(f"flash (weights)  {_fmt_bytes(a.flash_weights_bytes)}")
    click.echo(f"peak SRAM        {_fmt_bytes(a.peak_sram_bytes)}  (arena; lower bound {a.lower_bound_bytes:,} B"
               f", {'I/O inside' if a.io_in_arena else 'I/O outside'})")


@main.command("compile")
@click.argument("model", type=click.Path(dir_okay=True, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Folder for the generated project (created; never overwrites foreign files without --force).")
@click.option("--force", is_flag=True, help="Write into a non-empty folder that mcucompile did not create.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@common
def compile_(model, out, force, as_json, io_outside, align):
    """Generate C: <name>.h/.c, <name>_weights.c, the kernels it needs, a Makefile and a JSON memory map."""
    from .api import compile_model
    c = compile_model(model, out, _options(io_outside, align), force=force)
    summary = {"model": c.graph.name, "output": str(out), "files": sorted(c.files),
               "arena_bytes": c.arena_bytes, "lower_bound_bytes": c.plan.lower_bound,
               "flash_weights_bytes": int(sum(np.asarray(k.values).nbytes for k in c.consts))}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"wrote {len(c.files)} files to {out}/")
    for f in sorted(c.files):
        click.echo(f"  {f}")
    click.echo(f"arena {_fmt_bytes(c.arena_bytes)} (lower bound {c.plan.lower_bound:,} B), "
               f"constants {_fmt_bytes(summary['flash_weights_bytes'])}")


def _load_inputs(path: Path, g) -> list[np.ndarray]:
    from .errors import McuCompileError as E
    names = [g.tensors[t].name for t in g.inputs]
    try:
        z = np.load(path, allow_pickle=False)
    except Exception as e:
        raise E(f"{path}: cannot read as .npy/.npz ({e})") from None
    if isinstance(z, np.lib.npyio.NpzFile):
        with z:
            missing = [n for n in names if n not in z.files]
            if missing:
                raise E(f"{path}: no array for input(s) {missing}; it has {z.files}")
            arrays = [z[n] for n in names]
    else:
        if len(names) != 1:
            raise E(f"the model has {len(names)} inputs: give an .npz keyed by {names}")
        arrays = [z]
    out = []
    for t, a in zip(g.inputs, arrays):
        ten = g.tensors[t]
        if tuple(a.shape) == ten.shape:
            a = a[None]
        if tuple(a.shape[1:]) != ten.shape:
            raise E(f"input {ten.name!r}: array shape {a.shape} is neither {ten.shape} nor [N, *{ten.shape}]")
        if a.dtype != np.dtype(ten.dtype):
            raise E(f"input {ten.name!r}: array dtype {a.dtype}, the model wants {ten.dtype} "
                    "(quantise with the input scale and zero point in the generated header)")
        out.append(a)
    return out


@main.command()
@click.argument("model", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="int8 inputs: .npy [N, *shape] or one sample; .npz keyed by input name for several inputs.")
@click.option("--output", "output_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write our outputs here (.npy, or .npz keyed by output name when there are several).")
@click.option("--samples", default=20, show_default=True, help="Random int8 inputs when --input is not given.")
@click.option("--seed", default=0, show_default=True)
@click.option("--no-sanitize", is_flag=True, help="Build without -fsanitize=address,undefined (faster).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@common
def simulate(model, input_path, output_path, samples, seed, no_sanitize, as_json, io_outside, align):
    """Build the generated C on the host, run it, and compare every output bit-exactly with TFLite Micro
    (and LiteRT's reference kernels as a second opinion). Exit code 1 on any mismatch or touch outside the plan."""
    from . import api
    g = api.load(model)
    inputs = _load_inputs(input_path, g) if input_path else None
    r = api.simulate(model, inputs=inputs, samples=samples, seed=seed, options=_options(io_outside, align),
                     sanitize=not no_sanitize)
    if output_path:
        if len(r.outputs) == 1:
            np.save(output_path, r.outputs[0])
        else:
            np.savez(output_path, **{g.tensors[t].name: a for t, a in zip(g.outputs, r.outputs)})
    if as_json:
        click.echo(json.dumps(r.as_dict(), indent=2))
    else:
        click.echo(f"{r.model}: {r.samples} samples run on the host (ASan/UBSan {'off' if no_sanitize else 'on'})")
        for c in r.comparisons:
            label = {"tflm": "TFLite Micro", "litert_ref": "LiteRT BUILTIN_REF"}.get(c.reference, c.reference)
            if not c.available:
                click.echo(f"  vs {label:<20} not available: {c.error}")
            elif c.mismatches == 0:
                click.echo(f"  vs {label:<20} bit-exact")
            else:
                click.echo(f"  vs {label:<20} {c.mismatches} mismatches, max |diff| {c.max_abs_diff}, "
                           f"first at {c.first_index}" + (f" (known: {c.note})" if c.note else ""))
        click.echo(f"  arena planned    {r.arena_bytes:,} B")
        click.echo(f"  arena touched    {r.touched_bytes:,} B (highest byte {r.touched_extent:,}); "
                   f"guard-zone writes {r.guard_violations}")
        if r.nondeterministic:
            click.echo(f"  outputs differed between two runs on {r.nondeterministic} samples "
                       "(the code reads memory it did not write)")
        click.echo("OK" if r.ok else "FAILED")
    sys.exit(0 if r.ok else 1)


@main.command()
def ops():
    """List the supported TFLite ops."""
    from .codegen.lowering import REGISTRY, load_all
    load_all()
    for k in sorted(REGISTRY):
        click.echo(k)


if __name__ == "__main__":
    main()
