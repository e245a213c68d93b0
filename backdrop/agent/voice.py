"""Spoken instructions: an audio file or the microphone → text → the interpreter.

:func:`load_audio` reads any WAV (or other file soundfile / FFmpeg can decode) of any rate,
channel count or sample format and returns float32 mono 16 kHz. :class:`VoiceInput` gates it with
voice activity, transcribes the speech and judges whether the result is sure enough.
:func:`handle_voice` sends what was heard to the interpreter and says both what was heard and what
was understood; an utterance with no speech, or too unsure, gets "I didn't catch that" and
changes nothing.
"""

from __future__ import annotations

import logging
import re
import statistics
from dataclasses import dataclass, field

import numpy as np

from backdrop.agent.replies import Interpreter, Reply
from backdrop.agent.voice_check import Check, check_reading, confirm_question, partial_question
from backdrop.perception.audio.asr import AsrOptions, Transcriber
from backdrop.perception.audio.files import VoiceError, load_audio, record_mic
from backdrop.perception.audio.vad import VadParams, spoken_span
from backdrop.perception.core.events import Word
from backdrop.perception.core.media import AUDIO_RATE
from backdrop.tools import ToolContext

log = logging.getLogger(__name__)

DIDNT_CATCH = "I didn't catch that"

COMMAND_PROMPT = (
    "Instructions for a video background editor: remove, blur or replace the background, make "
    "the background blue, keep the person who is talking, fade it in."
)
"""Decoder prompt for spoken instructions: primes Whisper with the editing vocabulary (tiny.en
hears "background" as "back round" on synthetic voices without it)."""


COMMAND_VAD = VadParams(stop_secs=0.6)
"""Voice-activity thresholds for spoken instructions (a 0.6 s pause ends the utterance)."""


def command_asr_options(**overrides: object) -> AsrOptions:
    """:class:`AsrOptions` for spoken instructions (:data:`COMMAND_PROMPT` as initial prompt)."""
    return AsrOptions(**{"initial_prompt": COMMAND_PROMPT, **overrides})  # type: ignore[arg-type]


MAX_INSTRUCTION_SECONDS = 30.0
"""Longest spoken instruction transcribed (seconds): the CLI, the web editor and chat's /voice
all refuse longer audio instead of spending minutes on it."""


def check_instruction_audio(audio: np.ndarray, what: str = "the recording") -> None:
    """Refuse audio longer than :data:`MAX_INSTRUCTION_SECONDS`.

    Args:
        audio: float32 mono samples at 16 kHz.
        what: how the message names the audio ("the recording", a file name).

    Raises:
        VoiceError: one line saying how long it is and the limit.
    """
    if len(audio) > MAX_INSTRUCTION_SECONDS * AUDIO_RATE:
        raise VoiceError(
            f"{what} is {len(audio) / AUDIO_RATE:.0f} s long; say the instruction in at most "
            f"{MAX_INSTRUCTION_SECONDS:.0f} s"
        )


@dataclass(frozen=True)
class Heard:
    """What was heard in one utterance.

    Attributes:
        text: the transcript ("" when nothing usable was heard).
        words: word timings (seconds from the start of the audio) and probabilities.
        confidence: mean word probability in [0, 1].
        avg_logprob: mean token log probability of the kept segments.
        speech_seconds: voice-activity time found, seconds.
        reason: why nothing usable was heard ("no speech", "unsure", ...), or "".
        audio: the transcribed samples (float32 mono 16 kHz, the voice-activity span), kept so
            that near readings can be scored on them; None when nothing was transcribed.
    """

    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 0.0
    avg_logprob: float = 0.0
    speech_seconds: float = 0.0
    reason: str = ""
    audio: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return bool(self.text) and not self.reason


_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|sure|correct|right|that's right|exactly|ok(?:ay)?|please do|"
    r"do it|apply it)(?:\W+(?:please|thanks|thank you|that's right|i did|do it))*[\s,.!]*$",
    re.I,
)
_NO = re.compile(r"^\s*(?:no|nope|nah|wrong|cancel|never ?mind|drop it|don't)(?:\W+(?:thanks|"
                 r"thank you|i didn't|drop it|cancel))*[\s,.!]*$", re.I)  # fmt: skip


class VoiceInput:
    """Voice activity gate + transcription + confidence check for spoken instructions.

    Args:
        transcriber: the injected :class:`Transcriber` (give it :func:`command_asr_options`).
        vad: voice-activity thresholds (seconds).
        min_confidence: mean word probability below which the utterance is "too unsure".
        min_avg_logprob: mean token log probability below which it is "too unsure".
        confirm: ask before applying an instruction that a near reading would change (see
            :mod:`backdrop.agent.voice_check`); False applies every sure transcript as heard.

    Attributes:
        pending: the reading asked about ("Did you say …?") and not yet answered, or "".
        last_check: the verdict on the last instruction checked (None when none was).
    """

    def __init__(
        self,
        transcriber: Transcriber,
        vad: VadParams = COMMAND_VAD,
        min_confidence: float = 0.35,
        min_avg_logprob: float = -1.0,
        confirm: bool = True,
    ) -> None:
        self.transcriber = transcriber
        self.vad = vad
        self.min_confidence = min_confidence
        self.min_avg_logprob = min_avg_logprob
        self.confirm = confirm
        self.pending = ""
        self.last_check: Check | None = None

    def listen(self, audio: np.ndarray) -> Heard:
        """Transcribe one utterance (float32 mono 16 kHz)."""
        span = spoken_span(audio, self.vad)
        if span is None:
            return Heard("", reason="no speech")
        speech_s = span.speech_seconds
        tr = self.transcriber.transcribe(
            span.audio, offset=span.offset, source="voice", speech_end=span.speech_end
        )
        words = tr.words
        conf = statistics.fmean(w.probability for w in words) if words else 0.0
        text = tr.text
        if not text:
            return Heard("", (), 0.0, tr.avg_logprob, speech_s, "no words")
        if conf < self.min_confidence or tr.avg_logprob < self.min_avg_logprob:
            return Heard(text, words, conf, tr.avg_logprob, speech_s, "unsure")
        return Heard(text, words, conf, tr.avg_logprob, speech_s, audio=span.audio)

    def question(self, heard: Heard, ctx: ToolContext) -> Reply | None:
        """The yes/no question to ask instead of applying ``heard`` to ``ctx``, or None to
        apply it as heard. Asking remembers the reading in :attr:`pending`.

        An answer to a pending question is never questioned; anything else said clears it (a
        new instruction replaces the one asked about).
        """
        self.last_check = None
        if self.pending and (_YES.match(heard.text) or _NO.match(heard.text)):
            return None
        self.pending = ""
        if not (self.confirm and heard.ok and heard.audio is not None):
            return None
        check = check_reading(
            heard.text, heard.audio, ctx, self.transcriber.score_readings, words=heard.words
        )
        self.last_check = check
        if not check.ask:
            return None
        log.info("asking about %r (near readings %s)", heard.text, check.rivals)
        self.pending = check.ask
        if check.partial:
            return Reply(partial_question(heard.text, check), clarify=True)
        return Reply(f"I heard: “{heard.text}”. {confirm_question(check.ask)}", clarify=True)

    def answer(self, text: str) -> tuple[bool, str] | None:
        """``text`` as the answer to the pending question: ``(True, reading)`` for yes (apply
        the reading), ``(False, reading)`` for no (drop it); None when no question is pending or
        ``text`` is not a yes or a no (then the question is dropped: a new instruction replaces
        it). Clears :attr:`pending` either way."""
        reading, self.pending = self.pending, ""
        if not reading:
            return None
        if _YES.match(text):
            return True, reading
        if _NO.match(text):
            return False, reading
        return None


@dataclass(frozen=True)
class VoiceReply:
    """The answer to a spoken instruction: what was heard, and the interpreter's reply."""

    heard: Heard
    reply: Reply

    @property
    def text(self) -> str:
        return self.reply.text


def didnt_catch(heard: Heard) -> Reply:
    """The reply to an utterance with no speech, or too unsure: "I didn't catch that" (with what
    little was heard, when anything), asking to say it again."""
    extra = f" (it sounded like “{heard.text}”)" if heard.text else ""
    return Reply(f"{DIDNT_CATCH}{extra}. Could you say it again?", clarify=True)


def load_voice_input() -> VoiceInput:
    """The embedded speech-to-text for spoken instructions (loads the model; blocking).

    Raises:
        AsrModelMissingError: the embedded speech model is not installed (the message says
            how to install it).
    """
    from backdrop.perception.audio.asr import load_asr_model

    return VoiceInput(Transcriber(load_asr_model(), command_asr_options()))


def handle_voice(
    audio: np.ndarray, ctx: ToolContext, voice: VoiceInput, interpreter: Interpreter
) -> VoiceReply:
    """Hear ``audio`` and, when sure, apply it through ``interpreter`` to ``ctx``.

    The reply says what was heard and what was understood. No speech, or too unsure: "I didn't
    catch that" (with what little was heard, when anything), and the plan is unchanged.
    """
    heard = voice.listen(audio)
    if not heard.ok:
        return VoiceReply(heard, didnt_catch(heard))
    asked = voice.question(heard, ctx)
    if asked is not None:
        return VoiceReply(heard, asked)
    said = heard.text
    answered = voice.answer(said)
    if answered is not None and not answered[0]:
        return VoiceReply(heard, dropped(answered[1], said))
    reply = interpreter.interpret(answered[1] if answered else said, ctx)
    text = f"I heard: “{said}”. {reply.text}"
    return VoiceReply(heard, Reply(text, reply.calls, reply.changed, reply.clarify))


def dropped(reading: str, said: str = "") -> Reply:
    """The reply to "no" after "Did you say …?": the reading is dropped, nothing changed."""
    heard = f"I heard: “{said}”. " if said else ""
    return Reply(f"{heard}OK, I dropped “{reading}”; nothing changed. Say it again?")


__all__ = [
    "COMMAND_PROMPT",
    "DIDNT_CATCH",
    "Heard",
    "Interpreter",
    "VoiceError",
    "VoiceInput",
    "VoiceReply",
    "command_asr_options",
    "didnt_catch",
    "dropped",
    "handle_voice",
    "load_audio",
    "record_mic",
]
