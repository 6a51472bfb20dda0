"""Real-speech development corpus from Debian packages, sha256-checked, plus noisy and non-speech clips.

Real human recordings whose exact words the package itself states:

* ``asterisk-core-sounds-en-wav`` 1.6.1 (CC-BY-SA-3.0): prompts read by Allison Smith, 8 kHz telephone
  band; the words of each prompt are in ``core-sounds-en.txt`` of ``asterisk-core-sounds-en``.
* ``alsa-utils``: /usr/share/sounds/alsa/{Front,Rear,Side}_{Left,Right,Center}.wav, a human voice
  saying its file name (48 kHz).
* jfk.wav (whisper.cpp's sample, :func:`conversion.fetch.fetch_jfk`).

Derived clips (16 kHz int16, deterministic, seed fixed): a ~57 s narration joined from four long prompts
with pauses; jfk + the narration + three long prompts mixed with pink noise and mains hum at 20 / 10 / 5 dB
SNR; 60 s each of pink noise, hum, near-silence and music-like chords (no words: must give no text).

    python -m conversion.speech_corpus        # fetch + build into <cache>/media/speech_real
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import wave
from pathlib import Path

import numpy as np

from conversion.fetch import _run, fetch_jfk, media_dir
from edge_sdk.models import sha256_file
from edge_sdk.pull.samples import JFK_TEXT

ASTERISK_DEBS = ("asterisk-core-sounds-en-wav=1.6.1-1", "asterisk-core-sounds-en=1.6.1-1")
ASTERISK_DIR = "usr/share/asterisk/sounds/en_US_f_Allison"
ASTERISK_TEXT = "usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz"
ASTERISK_TEXT_SHA256 = "436538195b7c7361bd227036686f1a4039f694648c76573bdaca956655d34450"
# Prompts with plain words (no digits, symbols, URLs or typos in the transcript), 2.8-30.3 s.
ASTERISK_SHA256 = {
    "vm-newuser": "0a44678ddd9ad655ed1b8542381648effecde0239b2a1f780576c0640109e093",
    "vm-record-prepend": "688308d7faad95f331f6378f74f1148725cc1a7c5bd7867da223482b789af1fc",
    "tt-allbusy": "2019602a88f5ada1946b7ed98535d53a1f77e8ed26aa9367a85654952ab5faf2",
    "demo-nogo": "ea3e55811cb185ff7e7feff3bfccaf2e4dc9f42a7d156b635b6fc248fd923a8e",
    "demo-abouttotry": "20417fa2ac7080515515276874d37c9982b6a3d7bf5a8edf5dae50ab5e9f36db",
    "demo-echotest": "e37b2cab78316a46e8d889b38a60bcf889654a3dd5ca0c23135519276d52460f",
    "basic-pbx-ivr-main": "11f76e9cf33e53a280b694f6293baf3fd6c1e7b164ca415039268307a939bd2b",
    "demo-congrats": "c47bcc0dfb442cf40ab833e442843a9be0c3558458ab3e1c403f602e00546afc",
    "queue-youarenext": "c062839a5d10a7b2b8f8d5e7f814eb6dc7963b03b515bf99f2e07480a6acd4c4",
    "vm-nobox": "8c897761cb853ccdd05ecfa4d174d5246dbed3c5c2e6fe1f6d5656b677a8ca8f",
    "demo-thanks": "1a88e0a1fc2da3f3adde078ab534287242dd7950f157e28c5d9c9a9bd3910236",
    "vm-invalid-password": "51c3254c337a5bc22f2844fff5fffc3499a93fa04ac229556b066b8db7c7c9d8",
    "privacy-unident": "d93e1ff39ff00ca2f7d409ffe64f9ed6cf59996b4131b4e2afb235464bd59d17",
    "vm-tmpexists": "3ba2cd90c179ce2a3cf2aa464ff14c2f11cd9531abf2b6034d8cf29c74deb726",
    "followme/status": "f8ff08a323250c876a56a170f0e384566a3421fa9499b633a2db6703c9145d03",
    "confbridge-pin-bad": "2dc2ed29cd6cbeaf7d2f09f2691622b714808339869756da86acb2c67c9ff0b9",
    "ss-noservice": "2bcdc52e51c0dedd95e9fc2c7839af6f94300284555fa50b897b0f7e9e24447d",
    "priv-introsaved": "a1243fbc77c57e0e16cab978a8e893a17f12704573b4e1f690de4b07aa6b2639",
}
ALSA_DEB = "alsa-utils"
ALSA_DIR = "usr/share/sounds/alsa"
ALSA_SHA256 = {
    "Front_Center": "0d61518bcd3f13b0c709a5298e939caf698b80d31d71d50475365ee0e5536cc9",
    "Front_Left": "9f97e8458785da2f0aa0ec60bf9cc81520cbf80a4683e83eca9cb5f2958e9fef",
    "Front_Right": "1fdea4d7003f1f7d3e48d3521aaab0a112c4ac570b02ddf1813abacac3070f6f",
    "Rear_Center": "9343207e3298813fdc4d26b7948e15a38533c37a9f232c3eff809b565398b330",
    "Rear_Left": "1679e0557701864d55b742a0abd3fe5f50d95b1bfcb55ffad4b597dcc7e3c7b8",
    "Rear_Right": "12828d125f692faa75c7445d52125dcc2c36f82c4f7a3ef49b8ae6afd74ada9d",
    "Side_Left": "03dc7c641d7825417d2a261831715e945e95d87343fb037db910e7ce4f87a2a1",
    "Side_Right": "ecdd0329945f355960796a56f8126d5080ed93fdd2437c7eaddbbbd56137d7e9",
}
NARRATION = ("demo-echotest", "demo-abouttotry", "demo-nogo", "tt-allbusy")  # joined with pauses, ~57 s
NOISY_BASE = ("jfk", "narration", "demo-congrats", "basic-pbx-ivr-main", "vm-record-prepend")
SNRS_DB = (20, 10, 5)
NON_SPEECH = ("pink-noise", "hum", "silence", "chords")
SR = 16000


def _extract_debs(specs: tuple[str, ...], tmp: Path) -> Path:
    for spec in specs:
        _run(["apt-get", "download", spec], cwd=tmp)
    for deb in tmp.glob("*.deb"):
        _run(["dpkg-deb", "-x", str(deb), str(tmp / "x")])
    return tmp / "x"


def _checked_copy(src: Path, dest: Path, digest: str) -> None:
    actual = sha256_file(src)
    if actual != digest:
        raise RuntimeError(f"{src}: sha256 {actual}, expected {digest} (package changed?)")
    shutil.copyfile(src, dest)


def fetch_sources(dest: Path) -> Path:
    """Copy the recordings (and the asterisk transcript file) out of their Debian packages into ``dest/src``."""
    src = dest / "src"
    if (src / ".complete").exists():
        return src
    src.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        x = _extract_debs(ASTERISK_DEBS + (ALSA_DEB,), Path(tmp))
        _checked_copy(x / ASTERISK_TEXT, src / "core-sounds-en.txt.gz", ASTERISK_TEXT_SHA256)
        for name, digest in ASTERISK_SHA256.items():
            _checked_copy(x / ASTERISK_DIR / f"{name}.wav", src / f"asterisk_{name.replace('/', '_')}.wav", digest)
        for name, digest in ALSA_SHA256.items():
            _checked_copy(x / ALSA_DIR / f"{name}.wav", src / f"alsa_{name}.wav", digest)
    (src / ".complete").write_text("ok")
    return src


def asterisk_transcripts(src: Path) -> dict[str, str]:
    """Prompt name -> its words, from the package's core-sounds-en.txt."""
    out = {}
    with gzip.open(src / "core-sounds-en.txt.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if ":" in line and not line.startswith(";"):
                k, text = line.split(":", 1)
                out[k.strip()] = text.strip()
    return out


def _read16k(path: Path) -> np.ndarray:
    from edge_sdk.audio.signal import read_wav, to_mono_16k

    return to_mono_16k(*read_wav(path))


def _write(path: Path, x: np.ndarray) -> Path:
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return path


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS 1/f noise (spectrum shaped in the frequency domain)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec[1:] /= np.sqrt(f[1:] / f[1])
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return x / np.sqrt(np.mean(x ** 2))


def hum(n: int, rng: np.random.Generator, base_hz: float = 50.0) -> np.ndarray:
    """Unit-RMS mains hum: 50 Hz and odd/even harmonics with a slow wobble, plus faint hiss."""
    t = np.arange(n) / SR
    x = sum(a * np.sin(2 * np.pi * base_hz * k * t + rng.uniform(0, 6.28)) for k, a in
            ((1, 1.0), (2, 0.5), (3, 0.35), (5, 0.2), (7, 0.1)))
    x = x * (1 + 0.1 * np.sin(2 * np.pi * 0.3 * t)) + 0.02 * rng.standard_normal(n)
    return x / np.sqrt(np.mean(x ** 2))


def chords(n: int, rng: np.random.Generator) -> np.ndarray:
    """Music-like: triads of harmonic tones (vibrato, piano-like decay), a new chord every 0.5-1.5 s."""
    out = np.zeros(n)
    i = 0
    while i < n:
        length = min(n - i, int(rng.uniform(0.5, 1.5) * SR))
        t = np.arange(length) / SR
        root = 110 * 2 ** (rng.integers(0, 24) / 12)
        env = np.exp(-t * rng.uniform(1.0, 3.0)) * np.minimum(1, t / 0.01)
        for semis in (0, 4, 7):
            f0 = root * 2 ** (semis / 12)
            phase = 2 * np.pi * f0 * t + 0.3 * np.sin(2 * np.pi * 5 * t)
            out[i:i + length] += env * sum(np.sin(k * phase) / k ** 1.5 for k in range(1, 7))
        i += length
    return out / np.sqrt(np.mean(out ** 2))


def _mix(speech: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``speech`` + pink noise and hum (3:1 in power), scaled to ``snr_db`` against the speech's active RMS."""
    n = speech.size
    noise = np.sqrt(0.75) * pink_noise(n, rng) + np.sqrt(0.25) * hum(n, rng)
    frames = speech[: n // 512 * 512].reshape(-1, 512)
    power = np.mean(frames ** 2, axis=1)
    active = power[power > 0.01 * power.max()]  # speech frames, not the pauses
    gain = np.sqrt(np.mean(active) / 10 ** (snr_db / 10))
    x = speech + gain * noise
    return x / max(1.0, float(np.abs(x).max()) / 0.99)


def real_speech_corpus(include_noisy: bool = True) -> list[tuple[Path, str]]:
    """(wav, exact words) of every speech clip: jfk, 18 asterisk prompts, 8 alsa clips, the narration and,
    with ``include_noisy``, the noisy variants (name ``<base>_snr<dB>``)."""
    dest = media_dir() / "speech_real"
    src = fetch_sources(dest)
    texts = asterisk_transcripts(src)
    clips: list[tuple[Path, str]] = [(fetch_jfk(), JFK_TEXT)]
    for name in ASTERISK_SHA256:
        clips.append((src / f"asterisk_{name.replace('/', '_')}.wav", texts[name]))
    for name in ALSA_SHA256:
        clips.append((src / f"alsa_{name}.wav", name.replace("_", " ")))
    narration = dest / "narration.wav"
    narration_text = " ".join(texts[k] for k in NARRATION)
    if not narration.exists():
        rng = np.random.default_rng(0)
        parts = []
        for k in NARRATION:
            parts += [_read16k(src / f"asterisk_{k}.wav"), np.zeros(int(rng.uniform(0.6, 1.4) * SR))]
        _write(narration, np.concatenate(parts))
    clips.append((narration, narration_text))
    if include_noisy:
        base = {"jfk": clips[0], "narration": clips[-1]}
        base.update({k: (src / f"asterisk_{k}.wav", texts[k]) for k in NOISY_BASE if k in ASTERISK_SHA256})
        for k in NOISY_BASE:
            wav, text = base[k]
            for snr in SNRS_DB:
                out = dest / f"{k}_snr{snr}.wav"
                if not out.exists():
                    _write(out, _mix(_read16k(wav), snr, np.random.default_rng(snr)))
                clips.append((out, text))
    return clips


def non_speech_clips(seconds: float = 60.0) -> list[Path]:
    """60 s each of pink noise (-30 dBFS), hum (-30 dBFS), near-silence (dither) and music-like chords (-20 dBFS)."""
    dest = media_dir() / "speech_real"
    dest.mkdir(parents=True, exist_ok=True)
    n = int(seconds * SR)
    makers = {"pink-noise": lambda r: 0.03 * pink_noise(n, r), "hum": lambda r: 0.03 * hum(n, r),
              "silence": lambda r: 3e-5 * r.standard_normal(n), "chords": lambda r: 0.1 * chords(n, r)}
    out = []
    for name in NON_SPEECH:
        path = dest / f"{name}.wav"
        if not path.exists():
            _write(path, np.clip(makers[name](np.random.default_rng(1)), -1, 1))
        out.append(path)
    return out


if __name__ == "__main__":
    clips = real_speech_corpus()
    print(f"{len(clips)} speech clips, {len(non_speech_clips())} non-speech clips in {media_dir() / 'speech_real'}")
