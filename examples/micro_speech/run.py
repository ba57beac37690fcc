"""micro_speech end to end on the host: one second of 16 kHz int16 audio -> TFLite Micro's audio preprocessor
(49 frames of 480 samples, 320 apart -> 49 x 40 int8 features) -> the micro_speech keyword model -> a label.

Both models are compiled into one library (`mcucompile compile A B -o DIR`: one shared arena, the models run
one after another), driven by a small C main that reads the samples from stdin. Every feature frame and the
four scores are compared byte for byte with TFLite Micro's interpreter; the script exits 1 on any mismatch.

    .venv/bin/python examples/micro_speech/run.py                 # a synthetic speech-like second
    .venv/bin/python examples/micro_speech/run.py --wav yes.wav   # your own 16 kHz mono 16-bit recording

The frames stream as in TFLite Micro's own example: the preprocessor's noise estimate (its persistent
state, in the compiled model's state region) carries from one frame to the next; the reference runs the
49 frames through one TFLite Micro interpreter the same way (reset once, at the start).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT.parent / "shared" / "models"
PREPROCESSOR = MODELS / "tflm_examples" / "audio_preprocessor_int8.tflite"
KWS = MODELS / "micro_speech_quantized.tflite"
RATE, WINDOW, STRIDE, FRAMES, FEATURES = 16000, 480, 320, 49, 40
LABELS = ("silence", "unknown", "yes", "no")       # the micro_speech model's four outputs, in order

MAIN_C = r"""
#include <stdint.h>
#include <stdio.h>
#include "mcucompile_models.h"

static uint8_t arena[MODELS_ARENA_SIZE] __attribute__((aligned(MODELS_ARENA_ALIGN)));

int main(void)
{
    static int16_t audio[%(samples)d];
    static int8_t features[%(frames)d * %(features)d];
    int8_t scores[MICRO_SPEECH_QUANTIZED_OUTPUT0_BYTES];
    if (fread(audio, sizeof audio[0], %(samples)d, stdin) != %(samples)d) {
        return 2;
    }
    audio_preprocessor_int8_reset();                 /* the noise estimate from zero, then carried */
    for (int f = 0; f < %(frames)d; ++f) {          /* one preprocessor call per 30 ms frame, 20 ms apart */
        const void *in[] = { audio + f * %(stride)d };
        void *out[] = { features + f * %(features)d };
        audio_preprocessor_int8_invoke(arena, in, out);
    }
    const void *in[] = { features };
    void *out[] = { scores };
    micro_speech_quantized_invoke(arena, in, out);
    fwrite(features, 1, sizeof features, stdout);
    fwrite(scores, 1, sizeof scores, stdout);
    return 0;
}
"""


def speech_like(seed: int = 0) -> np.ndarray:
    """One second: 300 ms of quiet, a 450 ms voiced 'word' (harmonics of a falling pitch under two moving
    formants, an amplitude envelope), quiet again; a little background noise throughout."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE) / RATE
    word = (t >= 0.3) & (t < 0.75)
    tw = np.clip((t - 0.3) / 0.45, 0, 1)
    f0 = 170 - 60 * tw
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    f1, f2 = 350 + 400 * tw, 2200 - 1200 * tw
    x = np.zeros(RATE)
    for h in range(1, 40):
        f = h * f0
        gain = np.exp(-((f - f1) / 150) ** 2) + 0.5 * np.exp(-((f - f2) / 250) ** 2)
        x += gain * np.sin(h * phase)
    x = 9000 * x * word * np.sin(np.pi * tw) ** 0.5 + 60 * rng.standard_normal(RATE)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        if w.getframerate() != RATE or w.getsampwidth() != 2 or w.getnchannels() != 1:
            sys.exit(f"{path}: need 16 kHz mono 16-bit PCM")
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return np.pad(x, (0, max(0, RATE - x.size)))[:RATE].astype(np.int16)


def build(out: Path) -> Path:
    from mcucompile.api import compile_models
    lib = out / "lib"
    compile_models([PREPROCESSOR, KWS], lib)
    subprocess.run(["make", "-s", "-C", str(lib)], check=True, capture_output=True)
    main_c = out / "main.c"
    main_c.write_text(MAIN_C % dict(samples=RATE, frames=FRAMES, features=FEATURES, stride=STRIDE))
    exe = out / "micro_speech"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(lib), str(main_c),
                    str(lib / "libmcucompile_models.a"), "-o", str(exe)], check=True, capture_output=True)
    return exe


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wav", type=Path, help="a 16 kHz mono 16-bit recording (default: a synthetic one)")
    ap.add_argument("--out", type=Path, help="keep the build here (default: a temporary folder)")
    args = ap.parse_args()
    from mcucompile.sim.reference import run_reference
    audio = read_wav(args.wav) if args.wav else speech_like()
    with tempfile.TemporaryDirectory(prefix="micro_speech_") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        exe = build(out)
        raw = subprocess.run([str(exe)], input=audio.tobytes(), capture_output=True, check=True).stdout
    got = np.frombuffer(raw, np.int8)
    feats, scores = got[:FRAMES * FEATURES].reshape(FRAMES, FEATURES), got[FRAMES * FEATURES:]
    frames = np.stack([audio[f * STRIDE:f * STRIDE + WINDOW] for f in range(FRAMES)])[:, None, :]
    ref_feats = run_reference("tflm", PREPROCESSOR, [frames], 1, sequence=True)   # one stream, as the C
    ref_scores = run_reference("tflm", KWS, [feats.reshape(1, 1, -1)], 1)
    if ref_feats.outputs is None or ref_scores.outputs is None:
        sys.exit(f"TFLite Micro failed: {ref_feats.error or ref_scores.error}")
    feat_bad = int((ref_feats.outputs[0].reshape(FRAMES, FEATURES) != feats).sum())
    score_bad = int((ref_scores.outputs[0].reshape(-1) != scores).sum())
    label = LABELS[int(np.argmax(scores))]
    print(f"features  {FRAMES} x {FEATURES} int8, {feat_bad} bytes differ from TFLite Micro")
    print(f"scores    {' '.join(f'{n} {int(s)}' for n, s in zip(LABELS, scores))}, "
          f"{score_bad} differ from TFLite Micro")
    print(f"label     {label}")
    return 1 if feat_bad or score_bad else 0


if __name__ == "__main__":
    sys.exit(main())
