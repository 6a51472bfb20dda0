"""Speech-to-text speed and accuracy, side by side in one run -> JSON.

On the same clips (jfk.wav + espeak-ng sentences with exact transcripts), interleaved round by
round so machine noise hits all alike:

* ``sdk``: ``WhisperCppBackend`` (VAD, fitted encoder window) with whisper-tiny.en-q8_0;
* ``sdk-f16``: the same with whisper-tiny.en-f16 (the q8_0 accuracy reference);
* ``sdk-retry-unsure``: the same, re-decoding with the full window when the mean token
  log-probability is below -0.4 (``AsrOptions(retry_below_logprob=-0.4)``);
* ``whisper.cpp-full``: the same q8_0 model with the plain 30 s window (what wrapping pywhispercpp gives);
* ``faster-whisper``: faster-whisper int8 on the very CTranslate2 weights the ggml files were converted
  from (greedy, no VAD filter), when faster-whisper is installed.

Per clip the median wall time over the rounds; RTF = total audio / total median wall (x real time).
WER with Whisper-style English normalisation.

    python -m device_bench.asr_bench --threads 1 2 --rounds 3 --json device_bench/results/asr_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from device_bench.wer import wer


def _sdk(model: str, threads: int, window: str, retry_below_logprob: float | None = None,
         ) -> tuple[Callable[[np.ndarray], str], Callable[[], None]]:
    from edge_sdk.audio.whisper_cpp import WhisperCppBackend
    from edge_sdk.config import AsrOptions, ModelAsset

    b = WhisperCppBackend(AsrOptions(asset=ModelAsset(model, num_threads=threads), window=window,
                                     retry_below_logprob=retry_below_logprob))
    return (lambda a: b.transcribe(a).text), b.close


def _faster_whisper(threads: int) -> tuple[Callable[[np.ndarray], str], Callable[[], None]] | None:
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return None
    from conversion.sources import whisper_ct2_dir
    from edge_sdk.bench import faster_whisper_transcriber

    return faster_whisper_transcriber(whisper_ct2_dir("tiny.en"), threads), lambda: None


def bench(threads: int, rounds: int, clips: list[tuple[str, np.ndarray, str]]) -> list[dict[str, Any]]:
    systems = {
        "sdk": _sdk("whisper-tiny.en-q8_0", threads, "fit"),
        "sdk-retry-unsure": _sdk("whisper-tiny.en-q8_0", threads, "fit", retry_below_logprob=-0.4),
        "sdk-f16": _sdk("whisper-tiny.en-f16", threads, "fit"),
        "whisper.cpp-full": _sdk("whisper-tiny.en-q8_0", threads, "full"),
    }
    fw = _faster_whisper(threads)
    if fw:
        systems["faster-whisper"] = fw
    walls: dict[str, list[list[float]]] = {k: [[] for _ in clips] for k in systems}
    texts: dict[str, list[str]] = {k: [""] * len(clips) for k in systems}
    for _ in range(rounds + 1):  # round 0 warms up
        for i, (_, audio, _) in enumerate(clips):
            for name, (run, _) in systems.items():
                t0 = time.perf_counter()
                texts[name][i] = run(audio)
                walls[name][i].append(time.perf_counter() - t0)
    audio_s = sum(a.size / 16000 for _, a, _ in clips)
    out = []
    for name, (_, close) in systems.items():
        med = [float(np.median(w[1:])) for w in walls[name]]
        out.append({
            "system": name, "threads": threads, "audio_s": round(audio_s, 2), "wall_s": round(sum(med), 3),
            "rtf": round(audio_s / sum(med), 2),
            "wer": round(wer([(ref, hyp) for (_, _, ref), hyp in zip(clips, texts[name])]), 4),
            "clips": [{"clip": c, "wall_s": round(m, 3), "text": t} for (c, _, _), m, t in zip(clips, med, texts[name])],
        })
        close()
    return out


def main(argv: list[str] | None = None) -> int:
    from conversion.sources import speech_corpus
    from device_bench.pose_bench import machine_info
    from edge_sdk.audio.signal import read_wav, to_mono_16k

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--extended", action="store_true", help="18 more espeak-ng sentences in six voices")
    args = ap.parse_args(argv)
    clips = []
    for wav, text in speech_corpus(extended=args.extended):
        x, sr = read_wav(wav)
        clips.append((wav.name, to_mono_16k(x, sr), text))
    results = []
    for th in args.threads:
        for r in bench(th, args.rounds, clips):
            results.append(r)
            print(f"t={th} {r['system']:17} {r['rtf']:6.2f}x real time  WER {100 * r['wer']:5.1f}%"
                  f"  ({r['wall_s']} s for {r['audio_s']} s)")
    report = {"benchmark": "asr", "statistic": "per-clip median wall over rounds; rtf = audio_s / wall_s",
              "corpus": "jfk.wav + " + ("24" if args.extended else "6") + " espeak-ng sentences",
              "rounds": args.rounds, "machine": machine_info(), "results": results}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
