"""The Segment Anything code path on a tiny random-weight SAM assembled here (no weights)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("segment_anything")

from segment_anything.modeling import (  # noqa: E402
    ImageEncoderViT,
    MaskDecoder,
    PromptEncoder,
    Sam,
    TwoWayTransformer,
)

from backdrop.perception.core.models import ModelInstallError, ModelMissingError, pull_model  # noqa: E402
from backdrop.perception.vision.prompt_seg import PromptTracker  # noqa: E402
from backdrop.perception.vision.sam import SamSegmenter, load_sam  # noqa: E402


def tiny_sam() -> Sam:
    """ViT depth 2, width 96, the usual 1024 input and 256-d prompt space (random weights)."""
    torch.manual_seed(0)
    enc = ImageEncoderViT(
        depth=2, embed_dim=96, img_size=1024, mlp_ratio=2, num_heads=2, patch_size=16,
        out_chans=256, qkv_bias=True, use_rel_pos=False, global_attn_indexes=(1,), window_size=4,
        norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
    )  # fmt: skip
    pe = PromptEncoder(embed_dim=256, image_embedding_size=(64, 64), input_image_size=(1024, 1024),
                       mask_in_chans=16)  # fmt: skip
    dec = MaskDecoder(
        num_multimask_outputs=3,
        transformer=TwoWayTransformer(depth=1, embedding_dim=256, mlp_dim=256, num_heads=8),
        transformer_dim=256, iou_head_depth=2, iou_head_hidden_dim=64,
    )  # fmt: skip
    return Sam(image_encoder=enc, prompt_encoder=pe, mask_decoder=dec).eval()


@pytest.fixture(scope="module")
def sam() -> SamSegmenter:
    torch.set_num_threads(1)
    return SamSegmenter(tiny_sam())


def test_embedding_once_then_prompts(sam: SamSegmenter) -> None:
    frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    with pytest.raises(RuntimeError, match="set_image"):
        SamSegmenter(tiny_sam()).predict(box=(10, 10, 50, 50))
    sam.set_image(frame)
    sam.set_image(frame)  # same image: no second embedding
    assert sam.embeddings == 1
    m_box = sam.predict(box=(20, 20, 100, 90))
    m_pt = sam.predict(points=np.array([[50, 50]]), labels=np.array([1]))
    m_both = sam.predict(points=np.array([[50, 50]]), labels=np.array([1]), box=(20, 20, 100, 90),
                         mask=m_box)  # fmt: skip
    for m in (m_box, m_pt, m_both):
        assert m.shape == (120, 160) and m.dtype == np.float32
        assert m.min() >= 0.0 and m.max() <= 1.0


def test_tracker_embeds_only_keyframes(sam: SamSegmenter) -> None:
    frames = [np.full((96, 128, 3), 40 + 10 * i, np.uint8) for i in range(4)]
    before = sam.embeddings
    tr = PromptTracker(sam, box=(10, 10, 60, 60), keyframe_every=3)
    masks = [tr(f) for f in frames]
    assert all(m.shape == (96, 128) for m in masks)
    assert sam.embeddings - before == tr.keyframes == 2  # frames 0 and 3
    assert tr.tier == "sam"


def test_load_sam_from_a_checkpoint_and_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="--sam-checkpoint"):
        load_sam(tmp_path / "missing.pth")
    bad = tmp_path / "bad.pth"
    torch.save({"x": torch.zeros(1)}, bad)
    with pytest.raises(ModelMissingError, match="not a usable Segment Anything checkpoint"):
        load_sam(bad)


def test_pull_fails_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def offline(*a: object, **k: object) -> None:
        raise OSError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(ModelInstallError) as e:
        pull_model("sam-vit-b", dest=tmp_path)
    assert "\n" not in str(e.value) and "--sam-checkpoint" in str(e.value)
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))
