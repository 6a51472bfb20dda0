"""Speech-to-text with CTranslate2 (int8) on a Whisper model in CTranslate2's format.

Each utterance gets its own encoder window (the fitted window of :mod:`edge_sdk.audio.recognizer`:
50 frames per second of audio, rounded up to 256, at least ``AsrOptions.min_window_frames``), which
CTranslate2 encodes at that length: a 10 s utterance costs a third of a 30 s window, not all of it.
Greedy decoding without timestamp tokens; if the text fails whisper's own checks (compression ratio
> 2.4 or mean log-probability < -1) it is decoded again at temperatures 0.2 ... 1.0 (seeded, so a
decode never depends on the ones before), and a silent window (no-speech probability > 0.6 with a low
log-probability) gives no text.

Safety: the model (a CTranslate2 directory: model.bin, vocabulary.txt, config.json) is resolved through
the manifest (sha256 of all three) or checked as a path; model.bin's whole layout is walked
(:func:`edge_sdk.whisper_files.ct2.parse_ct2`) and the vocabulary matched to its embeddings before CTranslate2
opens the directory; a model CTranslate2 still rejects raises :class:`ModelLoadError`.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._version import install_hint
from ..config import AsrOptions
from ..errors import BackendUnavailableError, ConfigError, ModelIntegrityError, ModelLoadError
from ..models import CT2_MAGIC, ResolvedModel, resolve_model
from ..runtime import distribution_version
from ..whisper_files.ct2 import CT2_SIDECARS
from .mel import log_mel
from .recognizer import UtteranceRecognizer, default_threads

__all__ = ["Ct2WhisperBackend", "Ct2Info", "check_ct2_dir", "is_ct2_model", "compression_ratio"]

TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COMPRESSION_RATIO_MAX = 2.4
LOGPROB_MIN = -1.0
NO_SPEECH_MIN = 0.6
MAX_TOKENS = 224  # whisper's own limit for one window's text


def _import_ct2() -> Any:
    try:
        import ctranslate2
    except ImportError as e:
        raise BackendUnavailableError(f"speech-to-text needs `{install_hint('asr')}` (ctranslate2): {e}") from e
    return ctranslate2


@dataclass(frozen=True)
class Ct2Info:
    """What the check of a CTranslate2 Whisper directory found: ``vocabulary`` (token strings, one per
    embedding) and ``n_mels``."""

    vocabulary: tuple[str, ...]
    n_mels: int


def check_ct2_dir(resolved: ResolvedModel) -> Ct2Info:
    """Walk the model ``resolved`` points at (the model.bin of a CTranslate2 directory) before CTranslate2
    opens it: model.bin must still have ``resolved.sha256`` and a complete Whisper layout, vocabulary.txt
    one token per embedding, config.json an object; manifest models also pin those two files' digests."""
    from ..whisper_files.ct2 import parse_ct2

    path = resolved.path
    if path.name != "model.bin":
        raise ModelIntegrityError(f"{path}: a CTranslate2 Whisper model is a directory with model.bin, "
                                  "vocabulary.txt and config.json; pass the directory")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != resolved.sha256:
        raise ModelIntegrityError(f"{path}: changed while it was read (sha256 differs from the check a moment ago)")
    m = parse_ct2(data, str(path))
    if m.spec != "WhisperSpec":
        raise ModelIntegrityError(f"{path}: CTranslate2 spec {m.spec!r}, expected WhisperSpec")
    for name in ("encoder/conv1/weight", "decoder/embeddings/weight"):
        if name not in m:
            raise ModelIntegrityError(f"{path}: a Whisper model.bin has {name}; this one does not")
    n_mels, n_vocab = int(m["encoder/conv1/weight"].shape[1]), int(m["decoder/embeddings/weight"].shape[0])
    del m, data
    pinned: Mapping[str, str] = resolved.entry.params.get("sidecars", {}) if resolved.entry else {}
    raw: dict[str, bytes] = {}
    for name in CT2_SIDECARS:
        p = path.with_name(name)
        if not p.is_file():
            raise ModelIntegrityError(f"{path.parent}: a CTranslate2 Whisper directory needs {name} ({p} is missing)")
        raw[name] = p.read_bytes()
        want = pinned.get(name)
        if want is not None and hashlib.sha256(raw[name]).hexdigest() != want:
            raise ModelIntegrityError(f"{p}: sha256 mismatch with the manifest ({want})")
    try:
        vocab = raw["vocabulary.txt"].decode("utf-8").split("\n")
        config = json.loads(raw["config.json"].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelIntegrityError(f"{path.parent}: vocabulary.txt / config.json unreadable: {e}") from e
    if vocab and vocab[-1] == "":
        vocab.pop()
    if len(vocab) != n_vocab or not isinstance(config, dict):
        raise ModelIntegrityError(f"{path.parent}: {len(vocab)} vocabulary entries for {n_vocab} embeddings "
                                  "(or config.json is not an object)")
    return Ct2Info(tuple(vocab), n_mels)


def _resolve(model: str, sha256: str | None) -> ResolvedModel:
    p = Path(model).expanduser()
    if p.is_dir():  # an official CTranslate2 directory (model.bin, config.json, vocabulary.txt)
        return resolve_model(str(p / "model.bin"), expected_sha256=sha256)
    return resolve_model(model, expected_sha256=sha256, task="asr")


def compression_ratio(text: str) -> float:
    """Bytes / zlib-compressed bytes of the text: > 2.4 means a loop (whisper's own test)."""
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


class Ct2WhisperBackend(UtteranceRecognizer):
    """One CTranslate2 Whisper model (int8 on the CPU). Not thread-safe: one instance per thread.

    Args:
        options: :class:`AsrOptions` (model, threads, language, VAD, window policy).
    """

    name = "ctranslate2"
    compute_type = "int8"

    def __init__(self, options: AsrOptions | None = None) -> None:
        from ..whisper_files.tokens import bpe_token_bytes

        self.options = options or AsrOptions()
        a = self.options.asset
        self._model = None
        self._init_common()
        self.model: ResolvedModel = _resolve(a.model, a.sha256)
        info = check_ct2_dir(self.model)
        ct2 = _import_ct2()
        self._ct2 = ct2
        self.num_threads = int(a.num_threads or default_threads())
        vocab = info.vocabulary
        ids = {t: i for i, t in enumerate(vocab) if t.startswith("<|") and t.endswith("|>")}
        try:
            self._eot, self._sot, self._no_ts = ids["<|endoftext|>"], ids["<|startoftranscript|>"], ids["<|notimestamps|>"]
        except KeyError as e:
            raise ModelIntegrityError(f"{self.model.path}: vocabulary.txt lacks the special token {e}") from e
        self._ids = ids
        self._tokens = bpe_token_bytes(list(vocab))
        self.n_mels = info.n_mels
        try:
            self._model = ct2.models.Whisper(str(self.model.path.parent), device="cpu", compute_type=self.compute_type,
                                             intra_threads=self.num_threads, inter_threads=1)
        except (RuntimeError, ValueError) as e:
            raise ModelLoadError(f"CTranslate2 {distribution_version('ctranslate2')} rejected {self.model.path}: {e}; "
                                 "rebuild it with `edge-sdk models pull` or pass a CTranslate2 Whisper directory") from e
        self.multilingual = bool(self._model.is_multilingual)
        lang = self.options.language
        if lang and not self.multilingual and lang != "en":
            raise ConfigError(f"{self.model.name} is English-only; language={lang!r} needs a multilingual model")
        if lang and self.multilingual and f"<|{lang}|>" not in ids:
            raise ConfigError(f"{self.model.name} does not know language {lang!r}")
        self.language = lang or ("en" if not self.multilingual else "auto")

    @property
    def closed(self) -> bool:
        return self._model is None

    def _prompt(self, encoded: Any) -> list[int]:
        if not self.multilingual:
            return [self._sot, self._no_ts]
        lang = self.language
        if lang == "auto":
            best = self._model.detect_language(encoded)[0][0][0]  # [(token, p), ...] of the first item
            lang = best[2:-2]
        return [self._sot, self._ids[f"<|{lang}|>"], self._ids["<|transcribe|>"], self._no_ts]

    def _text(self, ids: list[int]) -> str:
        return b"".join(self._tokens[i] for i in ids if i < self._eot).decode("utf-8", "replace").strip()

    def _decode(self, audio: np.ndarray, window: int, max_tokens: int) -> tuple[str, int, float]:
        ct2 = self._ct2
        feats = log_mel(audio, 2 * window, self.n_mels)[None]
        encoded = self._model.encode(ct2.StorageView.from_array(feats), to_cpu=False)
        prompt = self._prompt(encoded)
        text, n, avg = "", 0, 0.0
        for t in TEMPERATURES:
            kw: dict[str, Any] = dict(beam_size=1, max_length=max_tokens or MAX_TOKENS, return_scores=True,
                                      return_no_speech_prob=True, suppress_blank=True, suppress_tokens=[-1])
            if t > 0:
                ct2.set_random_seed(0)  # sampled re-decodes are reproducible, whatever came before
                kw.update(sampling_temperature=t, sampling_topk=0)
            r = self._model.generate(encoded, [prompt], **kw)[0]
            seq = r.sequences_ids[0]
            n = len(seq)
            avg = float(r.scores[0]) * n / (n + 1) if n else 0.0  # mean log-probability, whisper's way
            if r.no_speech_prob > NO_SPEECH_MIN and avg < LOGPROB_MIN:
                return "", n, avg
            text = self._text(seq)
            if compression_ratio(text) <= COMPRESSION_RATIO_MAX and avg >= LOGPROB_MIN:
                break
        return text, n, avg

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name, "model": self.model.name, "model_path": str(self.model.path), "sha256": self.model.sha256,
            "compute_type": self.compute_type, "multilingual": self.multilingual, "language": self.language,
            "num_threads": self.num_threads, "window": self.options.window,
            "ctranslate2": distribution_version("ctranslate2"),
        }

    def close(self) -> None:
        if self._model is not None:
            with self._lock:
                self._model = None


def is_ct2_model(model: str) -> bool:
    """True when ``model`` (a path) is a CTranslate2 model.bin or a directory holding one."""
    p = Path(model).expanduser()
    if p.is_dir():
        return (p / "model.bin").is_file()
    if not p.is_file():
        return False
    with open(p, "rb") as f:
        return f.read(len(CT2_MAGIC)) == CT2_MAGIC and p.suffix == ".bin"
