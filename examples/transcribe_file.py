"""Transcribe a WAV file with timestamps: python examples/transcribe_file.py speech.wav [--model NAME]"""

from __future__ import annotations

import argparse

from edge_sdk import AsrOptions, ModelAsset, open_recognizer, read_wav


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("wav")
    ap.add_argument("--model", default="whisper-tiny.en-ct2",
                    help="manifest name (whisper.cpp: whisper-tiny.en-q8_0), CTranslate2 directory or ggml file")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    samples, rate = read_wav(args.wav)  # (n,) or (n, channels) int PCM, any rate
    with open_recognizer(AsrOptions(asset=ModelAsset(args.model, num_threads=args.threads))) as asr:
        transcript = asr.transcribe(samples, rate)
    for seg in transcript.segments:
        print(f"[{seg.start_s:6.2f} -> {seg.end_s:6.2f}] {seg.text}")
    print(f"{transcript.audio_s:.1f} s of audio in {transcript.wall_s:.2f} s ({transcript.speed_x:.1f}x real time)")
    return 0 if transcript.segments else 1


if __name__ == "__main__":
    raise SystemExit(main())
