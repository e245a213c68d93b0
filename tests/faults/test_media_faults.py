"""Broken media: a truncated video renders as far as it decodes and says how much was missing;
a still image given as the video is named as such."""

from __future__ import annotations

from pathlib import Path

import av

from backdrop.perception.core.media import iter_frames, probe
from backdrop.render.pipeline import render_video
from backdrop.render.plan import EditPlan

from .helpers import blue_plan, cli, one_line_error, silent_wav, write_png


def _faststart_cut(src: Path, out: Path, keep: float = 0.5) -> Path:
    """``src`` remuxed with its index first ("faststart"), then cut to ``keep`` of its size."""
    full = out.with_name("faststart.mp4")
    i = av.open(str(src))
    o = av.open(str(full), "w", options={"movflags": "+faststart"})
    streams = {s.index: o.add_stream_from_template(s) for s in i.streams}
    for p in i.demux():
        if p.dts is None:
            continue
        p.stream = streams[p.stream.index]
        o.mux(p)
    o.close()
    i.close()
    data = full.read_bytes()
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def test_a_truncated_faststart_mp4_renders_what_decodes_and_says_so(
    make_video, tmp_path: Path
) -> None:
    src = make_video("src.mp4", width=320, height=240, frames=48)
    cut = _faststart_cut(src, tmp_path / "cut.mp4")
    decoded = sum(1 for _ in iter_frames(cut))
    assert 0 < decoded < 48  # the container still says 48 frames
    stats = render_video(cut, EditPlan(), tmp_path / "o.mp4")
    assert stats.frames == decoded and stats.missing_seconds > 0.5
    code, out, err = cli("render", cut, blue_plan(tmp_path / "p.json"), "-o", tmp_path / "o2.mp4")
    assert code == 0, err
    assert "warning" in err and "missing" in err and f"{stats.frames} frames" in err
    assert probe(tmp_path / "o2.mp4").frame_count == decoded


def test_a_complete_video_has_nothing_missing(make_video, tmp_path: Path) -> None:
    src = make_video("src.mp4", width=64, height=48, frames=12)
    assert render_video(src, EditPlan(), tmp_path / "o.mp4").missing_seconds == 0.0


def test_a_png_given_as_the_video_is_named_a_still_image(tmp_path: Path) -> None:
    png = write_png(tmp_path / "photo.png", 64, 48)
    msg = one_line_error(*cli("edit", png, "make the background blue", "-o",
                              tmp_path / "o.mp4")[::2])  # fmt: skip
    assert "still image" in msg and not (tmp_path / "o.mp4").exists()


def test_a_spoken_instruction_longer_than_the_cap_is_refused(make_video, tmp_path: Path) -> None:
    """Was: 5 minutes of speech took 129 s to transcribe; now refused before transcribing."""
    from backdrop.agent.voice import MAX_INSTRUCTION_SECONDS

    wav = tmp_path / "long.wav"
    wav.write_bytes(silent_wav(MAX_INSTRUCTION_SECONDS + 5))
    video = make_video("v.mp4", width=64, height=48, frames=3)
    msg = one_line_error(*cli("edit", video, "--voice", wav, "-o", tmp_path / "o.mp4")[::2])
    assert "at most" in msg and not (tmp_path / "o.mp4").exists()


def test_chat_voice_longer_than_the_cap_is_refused_before_transcribing(tmp_path: Path) -> None:
    """chat's /voice had no cap (5 min of speech: 129 s of transcription); it now says the limit
    in one line and submits nothing to the session."""
    from backdrop.agent.chat import Chat
    from backdrop.agent.voice import MAX_INSTRUCTION_SECONDS

    wav = tmp_path / "long.wav"
    wav.write_bytes(silent_wav(MAX_INSTRUCTION_SECONDS + 5))

    class _NoSession:
        class ctx:  # noqa: N801 - the folders a typed /voice path may come from
            @staticmethod
            def allowed_folders() -> list[Path]:
                return [tmp_path]

        def add_listener(self, fn: object) -> None:
            pass

        def submit_audio(self, audio: object) -> None:
            raise AssertionError("audio over the cap reached the session")

    said: list[str] = []
    chat = Chat(_NoSession(), said.append, tmp_path)  # type: ignore[arg-type]
    chat._voice("/voice", str(wav))
    assert len(said) == 1 and "(error)" in said[0] and "at most 30 s" in said[0], said
