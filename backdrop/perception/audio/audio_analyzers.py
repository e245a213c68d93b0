"""Which audio analyzers run for a video, wired so the audio is scored once.

Order matters: the :class:`~backdrop.perception.audio.vad.SpeechAnalyzer` runs first on each chunk;
the speaker-turn analyzer labels the regions it closed; the transcript analyzer transcribes them
and asks the speaker analyzer who spoke; the active-speaker analyzer (when the face models are
installed) correlates lip motion with the speech energy.
"""

from __future__ import annotations

import logging

from backdrop.perception.core.events import Analyzer
from backdrop.perception.core.media import MediaInfo

log = logging.getLogger(__name__)


def build_audio_analyzers(
    info: MediaInfo,
    asr_model: str | None = None,
    transcript: bool = True,
    speakers: bool = True,
    active_speaker: bool = True,
) -> list[Analyzer]:
    """The audio analyzers for ``info`` (none when the video has no audio track).

    Args:
        info: the probed video.
        asr_model: speech-to-text model name or folder (default: ``$BACKDROP_ASR_MODEL`` or the
            embedded tiny.en).
        transcript, speakers, active_speaker: turn single analyzers off.

    Raises:
        AsrModelMissingError: the speech-to-text model is not installed.
    """
    if not info.has_audio:
        return []
    from backdrop.perception.audio.vad import SpeechAnalyzer

    vad = SpeechAnalyzer()
    out: list[Analyzer] = [vad]
    turns = None
    if speakers:
        from backdrop.perception.audio.speakers import (
            SpeakerEmbedder,
            SpeakerTurnAnalyzer,
            load_voice_encoder,
        )

        turns = SpeakerTurnAnalyzer(SpeakerEmbedder(load_voice_encoder()), vad)
        out.append(turns)
    if transcript:
        from backdrop.perception.audio.asr import Transcriber, TranscriptAnalyzer, load_asr_model

        speaker_of = turns.speaker_of if turns is not None else None
        out.append(TranscriptAnalyzer(Transcriber(load_asr_model(asr_model)), vad, speaker_of))
    if active_speaker:
        from backdrop.perception.vision.active_speaker import build_active_speaker_analyzer

        asd = build_active_speaker_analyzer(info, turns.speaker_of if turns else None)
        if asd is not None:
            out.append(asd)
    return out
