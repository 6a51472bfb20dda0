"""Speech-to-text speed and accuracy on real recordings, side by side in one run -> JSON.

Corpus: conversion/speech_corpus.py (jfk.wav, 18 asterisk prompts, 8 alsa voice clips, a 60 s narration,
their noisy variants at 20/10/5 dB SNR); ``--corpus espeak`` gives the older jfk + espeak-ng set.
Same tiny.en weights (CTranslate2 float16; the ggml q8_0 file is converted from them), interleaved round by
round so machine noise hits all rows alike:

* ``sdk``: the default recogniser (Silero VAD, fitted encoder window, CTranslate2 int8);
* ``sdk-whisper.cpp``: the same pipeline on whisper.cpp q8_0 (``--model whisper-tiny.en-q8_0``);
* ``sdk-nomerge``: the default without joining utterances <= 1 s apart (``VadOptions(merge_gap_s=0)``, as live
  streams run);
* ``sdk-energy``: the default with the energy VAD (``VadOptions(method="energy")``);
* ``sdk-novad``: the default's fitted window, no VAD (each clip cut into <= 29 s pieces);
* ``whisper.cpp-plain``: one ``whisper_full`` call per clip, 30 s window, no VAD (plain whisper.cpp q8_0);
* ``faster-whisper`` / ``faster-whisper-vad``: faster-whisper int8 greedy on the CTranslate2 weights the
  ggml files were converted from, its Silero VAD filter off / on (when faster-whisper is installed).

Per clip the median wall time over the rounds; RTF = total audio / total median wall (x real time).
WER with Whisper-style English normalisation. ``--live`` adds end-of-utterance -> transcript latency:
clips played at real-time pace in 100 ms blocks (the microphone default) into VAD + recogniser (2 threads), the end of an
utterance being the end of its last frame the Silero model is sure of (p > 0.5) offline.

    python -m device_bench.asr_bench --all-clips --threads 1 --json device_bench/results/asr_real_all_t1_cpu_x86_64.json
    python -m device_bench.asr_bench --threads --live --json device_bench/results/asr_live_cpu_x86_64.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from conversion.metrics import wer

Runner = tuple[Callable[[np.ndarray], str], Callable[[], None]]
Q8 = "whisper-tiny.en-q8_0"
# The default selection (~133 s, keeps a run short on a shared 2-core machine); ``--all-clips`` uses all 43.
BENCH_CLIPS = ("jfk", "asterisk_demo-echotest", "asterisk_demo-abouttotry", "asterisk_tt-allbusy", "asterisk_vm-newuser",
               "asterisk_queue-youarenext", "alsa_Front_Left", "alsa_Rear_Right", "jfk_snr10", "demo-congrats_snr10",
               "vm-record-prepend_snr5", "basic-pbx-ivr-main_snr20")


def _backend(threads: int, **kw: Any) -> Any:
    from edge_sdk.audio.backends import open_recognizer
    from edge_sdk.config import DEFAULT_ASR_MODEL, AsrOptions, ModelAsset

    return open_recognizer(AsrOptions(asset=ModelAsset(kw.pop("model", DEFAULT_ASR_MODEL), num_threads=threads), **kw))


def _sdk(threads: int, **kw: Any) -> Runner:
    b = _backend(threads, **kw)
    return (lambda a: b.transcribe(a).text), b.close


def _novad(threads: int) -> Runner:
    b = _backend(threads)
    n = 29 * 16000
    return (lambda a: " ".join(b.transcribe_utterance(a[i:i + n]) for i in range(0, a.size, n)).strip()), b.close


def _plain(threads: int) -> Runner:
    b = _backend(threads, model=Q8)
    return b.transcribe_plain, b.close


def _faster_whisper(threads: int, vad_filter: bool) -> Runner | None:
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return None
    from conversion.fetch import whisper_ct2_dir
    from edge_sdk.bench import faster_whisper_transcriber

    return faster_whisper_transcriber(whisper_ct2_dir("tiny.en"), threads, vad_filter=vad_filter), lambda: None


def bench(threads: int, rounds: int, clips: list[tuple[str, np.ndarray, str]],
          windows: list[tuple[int, float]] = ()) -> list[dict[str, Any]]:
    """Every system (and the default with each ``windows`` (min_window_frames, window_margin_s)) on ``clips``."""
    from edge_sdk.audio.vad import VadOptions

    systems: dict[str, Runner] = {
        "sdk": _sdk(threads),
        "sdk-whisper.cpp": _sdk(threads, model=Q8),
        **{f"sdk-min{m}-margin{g:g}": _sdk(threads, min_window_frames=m, window_margin_s=g) for m, g in windows},
        "sdk-nomerge": _sdk(threads, vad=VadOptions(merge_gap_s=0)),
        "sdk-energy": _sdk(threads, vad=VadOptions(method="energy")),
        "sdk-novad": _novad(threads),
        "whisper.cpp-plain": _plain(threads),
    }
    for name, vad in (("faster-whisper", False), ("faster-whisper-vad", True)):
        fw = _faster_whisper(threads, vad)
        if fw:
            systems[name] = fw
    walls: dict[str, list[list[float]]] = {k: [[] for _ in clips] for k in systems}
    texts: dict[str, list[str]] = {k: [""] * len(clips) for k in systems}
    for run, _ in systems.values():  # warm up: first call of each system
        run(clips[0][1][:16000 * 5])
    for _ in range(rounds):
        for i, (_, audio, _) in enumerate(clips):
            for name, (run, _) in systems.items():
                t0 = time.perf_counter()
                texts[name][i] = run(audio)
                walls[name][i].append(time.perf_counter() - t0)
    out = []
    for name, (_, close) in systems.items():
        med = [float(np.median(w)) for w in walls[name]]
        row = {"system": name, "threads": threads, **_scores(clips, texts[name], med)}
        for subset in ("clean", "noisy"):
            keep = [i for i, (c, _, _) in enumerate(clips) if ("_snr" in c) == (subset == "noisy")]
            if keep:
                row[subset] = _scores([clips[i] for i in keep], [texts[name][i] for i in keep], [med[i] for i in keep])
        row["clips"] = [{"clip": c, "wall_s": round(m, 3), "text": t} for (c, _, _), m, t in zip(clips, med, texts[name])]
        out.append(row)
        close()
    return out


def _scores(clips: list[tuple[str, np.ndarray, str]], texts: list[str], walls: list[float]) -> dict[str, Any]:
    audio_s = sum(a.size / 16000 for _, a, _ in clips)
    return {"audio_s": round(audio_s, 2), "wall_s": round(sum(walls), 3), "speed_x": round(audio_s / sum(walls), 2),
            "rtf": round(sum(walls) / audio_s, 4),
            "wer": round(wer([(ref, hyp) for (_, _, ref), hyp in zip(clips, texts)]), 4)}


def live_latency(clips: list[tuple[str, np.ndarray, str]], threads: int = 2, gap_s: float = 1.5,
                 block: int = 1600, early_s: float | None = None, hangover_s: float = 0.3,
                 model: str | None = None) -> dict[str, Any]:
    """Play ``clips`` (with ``gap_s`` of room noise between them) at real-time pace in ``block``-sample chunks
    into the product's ``SpeechStage`` (Silero VAD + the recogniser of ``model``, default the SDK's; ``early_s``
    and ``hangover_s`` as given); per utterance: wall time from feeding a clip's last sure-speech sample (Silero
    p > 0.5 offline) to having its last transcript.
    WER of the live transcripts against the clips' transcripts."""
    from edge_sdk.audio.silero import FRAME, speech_probabilities
    from edge_sdk.config import DEFAULT_ASR_MODEL, AsrOptions, ModelAsset, VadOptions
    from edge_sdk.stages.speech import SpeechStage

    rng = np.random.default_rng(0)
    parts, ends, spans, t = [], [], [], 0.0
    for _, x, _ in clips:
        spans.append(t)
        p = speech_probabilities(x)
        ends.append(t + (np.flatnonzero(p > 0.5).max() + 1) * FRAME / 16000)
        gap = (3e-4 * rng.standard_normal(int(gap_s * 16000))).astype(np.float32)
        parts += [x, gap]
        t += (x.size + gap.size) / 16000
    stream = np.concatenate(parts)
    vad = VadOptions.for_live(early_s=early_s, hangover_s=hangover_s)
    model = model or DEFAULT_ASR_MODEL
    stage = SpeechStage(AsrOptions(asset=ModelAsset(model, num_threads=threads), vad=vad))
    stage.backend.transcribe_utterance(stream[:16000])  # warm up
    start = time.perf_counter()
    done: list[tuple[float, float, str, float]] = []  # (end on the stream clock, wall clock when transcribed, text, mid)
    for i in range(0, stream.size, block):
        wait = start + (i + block) / 16000 - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        for s in stage.process(stream[i:i + block], i / 16000).result:
            done.append((s.end_s, time.perf_counter() - start, s.text, (s.start_s + s.end_s) / 2))
    done += [(s.end_s, time.perf_counter() - start, s.text, (s.start_s + s.end_s) / 2) for s in stage.flush().result]
    acc = stage.accounts()
    stage.close()
    lat, hyps = [], []
    for k, e in enumerate(ends):  # a clip's transcripts: those centred in its span; latency: when the last one came
        hi = spans[k + 1] if k + 1 < len(spans) else np.inf
        mine = [(w, txt) for _, w, txt, mid in done if spans[k] <= mid < hi]
        if mine:
            lat.append(mine[-1][0] - e)
        hyps.append(" ".join(txt for _, txt in mine))
    return {"model": model,
            "threads": threads, "early_s": early_s, "hangover_s": hangover_s, "utterances": len(ends), "transcribed": len(lat),
            "block_samples": block,
            "p50_s": round(float(np.percentile(lat, 50)), 3), "p95_s": round(float(np.percentile(lat, 95)), 3),
            "wer": round(wer([(ref, h) for (_, _, ref), h in zip(clips, hyps)]), 4),
            "early_used": acc.get("early_used"), "early_wasted": acc.get("early_wasted"),
            "latencies_s": [round(x, 3) for x in lat]}


def load_corpus(name: str) -> list[tuple[str, np.ndarray, str]]:
    from edge_sdk.audio.signal import read_wav, to_mono_16k

    if name == "espeak":
        from conversion.fetch import speech_corpus

        pairs = speech_corpus()
    else:
        from conversion.speech_corpus import real_speech_corpus

        pairs = real_speech_corpus(include_noisy=name == "real")
    return [(wav.stem, to_mono_16k(*read_wav(wav)), text) for wav, text in pairs]


def main(argv: list[str] | None = None) -> int:
    from device_bench.common import machine_info

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", nargs="*", type=int, default=[1, 2], help="thread counts of the WER/speed rows (none: skip)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--corpus", choices=("real", "real-clean", "espeak"), default="real")
    ap.add_argument("--all-clips", action="store_true", help="every clip of the corpus, not BENCH_CLIPS")
    ap.add_argument("--window-sweep", nargs="*", default=[], metavar="MIN:MARGIN",
                    help="also the default with AsrOptions(min_window_frames=MIN, window_margin_s=MARGIN)")
    ap.add_argument("--live", action="store_true", help="also measure end-of-utterance -> transcript latency")
    ap.add_argument("--live-vad", nargs="+", default=["0.3:0", "0.3:0.15"], metavar="HANGOVER:EARLY",
                    help="--live: VadOptions hangover_s:early_s pairs to compare (early 0 = off)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    clips = load_corpus(args.corpus)
    if args.corpus != "espeak" and not args.all_clips:
        clips = [c for c in clips if c[0] in BENCH_CLIPS]
    results = []
    for th in args.threads:
        windows = [(int(a), float(b)) for a, b in (w.split(":") for w in args.window_sweep)]
        for r in bench(th, args.rounds, clips, windows):
            results.append(r)
            print(f"t={th} {r['system']:19} {r['speed_x']:6.2f}x real time  WER {100 * r['wer']:5.1f}%"
                  + (f" (clean {100 * r['clean']['wer']:.1f}%, noisy {100 * r['noisy']['wer']:.1f}%)" if "noisy" in r else "")
                  + f"  ({r['wall_s']} s for {r['audio_s']} s)", flush=True)
    report: dict[str, Any] = {
        "benchmark": "asr", "statistic": "per-clip median wall over rounds; speed_x = audio_s / wall_s; rtf = wall_s / audio_s",
        "corpus": args.corpus, "clips": [c for c, _, _ in clips], "rounds": args.rounds, "machine": machine_info(),
        "results": results}
    if args.live:
        live_clips = [c for c in load_corpus("real-clean") if c[1].size < 16 * 16000][:14]
        report["live"] = []
        for pair in args.live_vad:
            hang, early = (float(v) for v in pair.split(":"))
            r = live_latency(live_clips, early_s=early or None, hangover_s=hang)
            report["live"].append(r)
            print(f"live (2 threads, hangover_s {hang}, early_s {r['early_s']}, {r['transcribed']}/{r['utterances']} clips): "
                  f"end of utterance -> transcript p50 {r['p50_s']} s, p95 {r['p95_s']} s, WER {100 * r['wer']:.1f}%, "
                  f"early transcripts used {r['early_used']}, decoded in vain {r['early_wasted']}", flush=True)
    report["load_average_after"] = [round(v, 2) for v in os.getloadavg()]  # other work on the machine meanwhile
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
