"""Audio input: audio files of any format and the microphone, as float32 mono 16 kHz.

:func:`load_audio` reads any WAV (or other file soundfile / FFmpeg can decode) of any rate,
channel count or sample format; :func:`record_mic` records from the default input device. Both
raise :class:`VoiceError` with one line a person can act on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backdrop.perception.core.media import AUDIO_RATE


class VoiceError(Exception):
    """An audio input cannot be used (unreadable file, no microphone); one line for a person."""


def to_mono_16k(data: np.ndarray, rate: int) -> np.ndarray:
    """``data`` (samples, or samples × channels) at ``rate`` Hz → float32 mono 16 kHz in [-1, 1]."""
    x = np.asarray(data, np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != AUDIO_RATE and x.size:
        import soxr

        x = soxr.resample(x, rate, AUDIO_RATE).astype(np.float32)
    return np.clip(x, -1.0, 1.0)


def load_audio(path: str | Path) -> np.ndarray:
    """Read ``path`` as float32 mono 16 kHz in [-1, 1] (channels averaged, resampled).

    Integer, float and any-rate WAV files are read with soundfile; other containers (MP3, M4A,
    a video's soundtrack) through FFmpeg (PyAV). Raises :class:`VoiceError`.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        what = "not a regular file (a device, pipe or folder)" if path.exists() else "no such file"
        raise VoiceError(f"{path}: {what}; give an audio file")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return to_mono_16k(data, int(rate))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        pass
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise VoiceError(f"{path}: has no audio track")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
            blocks = [
                out.to_ndarray().reshape(-1)
                for frame in container.decode(container.streams.audio[0])
                for out in resampler.resample(frame)
            ]
            blocks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except av.error.FFmpegError as e:
        raise VoiceError(f"{path}: not a readable audio file ({e.strerror or e})") from e
    return np.clip(np.concatenate(blocks) if blocks else np.zeros(0, np.float32), -1.0, 1.0)


def record_mic(seconds: float, device: int | str | None = None) -> np.ndarray:
    """Record ``seconds`` from the microphone as float32 mono 16 kHz.

    Raises:
        VoiceError: no capture library or no input device (the message says which).
    """
    try:
        import sounddevice as sd
    except (ImportError, OSError) as e:
        raise VoiceError(f"microphone capture is not available here ({e})") from e
    try:
        info = sd.query_devices(device, kind="input")
    except (ValueError, sd.PortAudioError) as e:
        raise VoiceError(
            "no microphone (audio capture device) found on this machine; "
            "record a WAV file and pass it with --voice instead"
        ) from e
    rate = int(info.get("default_samplerate") or AUDIO_RATE)
    try:
        data = sd.rec(int(seconds * rate), samplerate=rate, channels=1, dtype="float32",
                      device=device)  # fmt: skip
        sd.wait()
    except sd.PortAudioError as e:
        raise VoiceError(f"recording from the microphone failed ({e})") from e
    return to_mono_16k(data, rate)


__all__ = ["VoiceError", "load_audio", "record_mic", "to_mono_16k"]
