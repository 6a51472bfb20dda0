"""Speech-to-text with whisper.cpp (ggml f16/q8_0 models) through pywhispercpp's bindings.

Safety: the model file is resolved through the manifest (sha256) or checked as a path, and its whole
ggml layout is walked (:mod:`edge_sdk.whisper_files.ggml`) before whisper.cpp opens it; a file
whisper.cpp still rejects raises :class:`ModelLoadError`. Audio is validated and converted to
16 kHz mono float32 first. No model name ever reaches pywhispercpp (that path downloads).

Speed: whisper.cpp encodes a fixed 30 s window per call. Here each call encodes only the window the
utterance needs (``audio_ctx``: 50 frames per second of audio plus a margin, rounded up to a multiple
of 256, at least 512 = 10.2 s), greedy decoding, no timestamp tokens, a token budget proportional to the duration. If that
output looks broken (hit the token budget, or a phrase repeating in a loop) the utterance is decoded
again with the full 30 s window, which is what plain whisper.cpp would have done.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._native import quiet_stderr
from .._version import install_hint
from ..config import AsrOptions, ModelAsset
from ..errors import BackendUnavailableError, ConfigError, EdgeSdkError, ModelLoadError
from ..models import ResolvedModel, resolve_model
from ..runtime import distribution_version
from ..whisper_files.ggml import GgmlInfo, inspect_ggml
from .recognizer import FULL_CTX, MIN_CTX, Transcript, UtteranceRecognizer, default_threads, looks_broken, window_frames
from .signal import SAMPLE_RATE

__all__ = ["WhisperCppBackend", "Transcript", "window_frames", "looks_broken", "default_threads", "FULL_CTX", "MIN_CTX"]

DEFAULT_MODEL = "whisper-tiny.en-q8_0"  # when no options are given


def _import_bindings() -> Any:
    try:
        import _pywhispercpp as pw
    except ImportError as e:
        raise BackendUnavailableError(f"speech-to-text needs `{install_hint('asr')}` (pywhispercpp==1.5.1): {e}") from e
    return pw


class WhisperCppBackend(UtteranceRecognizer):
    """One whisper.cpp context (model weights + state). Not thread-safe: one instance per thread.

    Args:
        options: :class:`AsrOptions` (model, threads, language, VAD, window policy); default: ``whisper-tiny.en-q8_0``.
    """

    name = "whisper.cpp"

    def __init__(self, options: AsrOptions | None = None) -> None:
        self.options = options or AsrOptions(asset=ModelAsset(DEFAULT_MODEL))
        a = self.options.asset
        self._ctx = None
        self.model: ResolvedModel = resolve_model(a.model, expected_sha256=a.sha256, task="asr")
        self.info: GgmlInfo = inspect_ggml(self.model.path)
        pw = _import_bindings()
        self._pw = pw
        self.num_threads = int(a.num_threads or default_threads())
        cparams = pw.whisper_context_default_params()
        with quiet_stderr() as err:
            ctx = pw.whisper_init_from_file_with_params(str(self.model.path), cparams)
        # pywhispercpp wraps a failed load's NULL context in a live-looking object (any call on it
        # segfaults), so whisper.cpp's own "failed to load" line is the signal.
        if ctx is None or "failed to load" in err.text:
            said = f": {err.tail(3)}" if err.tail() else ""
            raise ModelLoadError(f"whisper.cpp rejected {self.model.path} (pywhispercpp {distribution_version('pywhispercpp')}"
                                 f"){said}; rebuild it with `edge-sdk models build` or pass a whisper.cpp ggml model")
        self._ctx = ctx
        lang = self.options.language
        if lang and not self.info.multilingual and lang != "en":
            raise ConfigError(f"{self.model.name} is English-only; language={lang!r} needs a multilingual model")
        self.language = lang or ("en" if not self.info.multilingual else "auto")
        self._init_common()

    @property
    def closed(self) -> bool:
        return self._ctx is None

    # -- one utterance ---------------------------------------------------------------------
    def _params(self, audio_ctx: int, max_tokens: int) -> Any:
        """Every decode parameter, set on every call (whisper.cpp params persist otherwise)."""
        pw = self._pw
        p = pw.whisper_full_default_params(pw.whisper_sampling_strategy.WHISPER_SAMPLING_GREEDY)
        values = dict(
            n_threads=self.num_threads, audio_ctx=audio_ctx, max_tokens=max_tokens, no_context=True,
            no_timestamps=True, single_segment=True, print_progress=False, print_realtime=False,
            print_special=False, print_timestamps=False, token_timestamps=False, translate=False,
            language=self.language, detect_language=False, suppress_blank=True, temperature=0.0,
            temperature_inc=0.2, entropy_thold=2.4, logprob_thold=-1.0, no_speech_thold=0.6,
            suppress_nst=True,
        )
        for k, v in values.items():
            setattr(p, k, v)
        p.greedy = {"best_of": 1}
        return p

    def _decode(self, audio: np.ndarray, audio_ctx: int, max_tokens: int) -> tuple[str, int, float]:
        """(text, tokens, mean log-probability of the text tokens; 0.0 when there are none)."""
        pw = self._pw
        rc = pw.whisper_full(self._ctx, self._params(audio_ctx, max_tokens), audio, audio.size)
        if rc not in (0, None):
            raise EdgeSdkError(f"whisper.cpp failed on a {audio.size / SAMPLE_RATE:.2f} s utterance (code {rc})")
        texts, tokens, logp = [], 0, []
        eot = pw.whisper_token_eot(self._ctx)
        for i in range(pw.whisper_full_n_segments(self._ctx)):
            raw = pw.whisper_full_get_segment_text(self._ctx, i)
            texts.append(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))
            n = pw.whisper_full_n_tokens(self._ctx, i)
            tokens += n
            for j in range(n):
                if pw.whisper_full_get_token_id(self._ctx, i, j) < eot:  # text tokens only
                    logp.append(np.log(max(pw.whisper_full_get_token_p(self._ctx, i, j), 1e-6)))
        return "".join(texts).strip(), tokens, float(np.mean(logp)) if logp else 0.0

    def transcribe_plain(self, audio16k: np.ndarray) -> str:
        """What plain whisper.cpp gives (the benchmark's reference): the whole recording in one ``whisper_full``
        call with its 30 s window, seeking on its own timestamps, greedy, no VAD."""
        audio = np.ascontiguousarray(audio16k, dtype=np.float32)
        with self._lock:
            p = self._params(FULL_CTX, 0)
            p.no_timestamps, p.single_segment = False, False
            rc = self._pw.whisper_full(self._ctx, p, audio, audio.size)
            if rc not in (0, None):
                raise EdgeSdkError(f"whisper.cpp failed on {audio.size / SAMPLE_RATE:.2f} s of audio (code {rc})")
            n = self._pw.whisper_full_n_segments(self._ctx)
            texts = [self._pw.whisper_full_get_segment_text(self._ctx, i) for i in range(n)]
        return " ".join((t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t)).strip() for t in texts).strip()

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name, "model": self.model.name, "model_path": str(self.model.path), "sha256": self.model.sha256,
            "ftype": self.info.ftype, "multilingual": self.info.multilingual, "language": self.language,
            "num_threads": self.num_threads, "window": self.options.window, "pywhispercpp": distribution_version("pywhispercpp"),
        }

    def close(self) -> None:
        if self._ctx is not None:
            with self._lock:
                self._pw.whisper_free(self._ctx)
                self._ctx = None
