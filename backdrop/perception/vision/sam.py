"""Quality tier: prompted Segment Anything (``segment-anything``'s ``SamPredictor``).

Build once, prompt many times: :meth:`SamSegmenter.set_image` computes the image embedding (the
expensive step: ~43 s for ViT-B on 2 CPU cores, far less on a GPU) and
:meth:`SamSegmenter.predict` answers point / box / mask prompts from it cheaply. Nothing here
downloads weights: the checkpoint is a path (``--sam-checkpoint PATH`` or the models folder after
``backdrop models pull sam-vit-b``).

Conventions: frames ``H×W×3`` uint8 RGB; points ``N×2`` (X, Y) pixels with labels ``N`` (1 =
foreground, 0 = background); boxes XYXY pixels; masks returned ``H×W`` float32 in [0, 1].
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from backdrop.perception.core.models import ModelMissingError

log = logging.getLogger(__name__)

SAM_TYPES = ("vit_b", "vit_l", "vit_h")

_EMBED_DIM_TO_TYPE = {768: "vit_b", 1024: "vit_l", 1280: "vit_h"}


def sam_type_of(state: dict[str, Any]) -> str:
    """The ``segment_anything`` builder name for a checkpoint's state dict (by encoder width)."""
    w = state.get("image_encoder.patch_embed.proj.weight")
    if w is None:
        raise ValueError("not a Segment Anything checkpoint (no image_encoder.patch_embed)")
    dim = int(w.shape[0])
    if dim not in _EMBED_DIM_TO_TYPE:
        raise ValueError(f"unknown Segment Anything encoder width {dim}")
    return _EMBED_DIM_TO_TYPE[dim]


class SamSegmenter:
    """A ``SamPredictor`` behind a small interface, with the embedding cached per image.

    Args:
        model: a built ``segment_anything.modeling.Sam`` (e.g. from :func:`load_sam`, or a tiny
            random-weight one in tests).
        device: torch device string.
    """

    tier = "sam"

    def __init__(self, model: Any, device: str = "cpu") -> None:
        from segment_anything import SamPredictor

        model.to(device)
        model.eval()
        self.predictor = SamPredictor(model)
        self._image_id: int | None = None
        self.embeddings = 0

    def set_image(self, frame: np.ndarray) -> None:
        """Compute the embedding of ``frame`` (``H×W×3`` uint8 RGB); skipped when it is the
        same array object as last time."""
        import torch

        if self._image_id == id(frame) and self.predictor.is_image_set:
            return
        with torch.inference_mode():
            self.predictor.set_image(frame, image_format="RGB")
        self._image_id = id(frame)
        self.embeddings += 1

    def predict(
        self,
        points: np.ndarray | None = None,
        labels: np.ndarray | None = None,
        box: tuple[float, float, float, float] | None = None,
        mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Mask for the prompts on the current image (:meth:`set_image` first).

        Args:
            points: ``N×2`` (X, Y) pixels; labels: ``N`` ints (1 = on the object, 0 = not).
            box: XYXY pixels.
            mask: a previous ``H×W`` float mask of the object (used as a low-res prompt).

        Returns:
            ``H×W`` float32 in [0, 1]: the best of SAM's candidate masks by predicted IoU.
        """
        import torch

        if not self.predictor.is_image_set:
            raise RuntimeError("call set_image(frame) before predict(); SAM needs the embedding")
        if points is None and box is None:
            raise ValueError("give SAM a point or a box prompt")
        low = None
        if mask is not None:
            low = _low_res_prompt(mask, self.predictor)
        with torch.inference_mode():
            masks, scores, _ = self.predictor.predict(
                point_coords=None if points is None else np.asarray(points, np.float32),
                point_labels=None if points is None else np.asarray(labels, np.int32),
                box=None if box is None else np.asarray(box, np.float32),
                mask_input=low,
                multimask_output=box is None,
                return_logits=True,
            )
        best = int(np.argmax(scores))
        logits = np.clip(masks[best].astype(np.float32), -30.0, 30.0)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    def segment(
        self,
        frame: np.ndarray,
        box: tuple[float, float, float, float] | None = None,
        point: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """One call: embed ``frame`` (once) and answer a box and/or point prompt."""
        self.set_image(frame)
        pts = None if point is None else np.asarray([point], np.float32)
        lbl = None if point is None else np.asarray([1], np.int32)
        return self.predict(pts, lbl, box)


def _low_res_prompt(mask: np.ndarray, predictor: Any) -> np.ndarray:
    """A ``1×256×256`` logit prompt from a full-resolution probability mask."""
    import cv2

    h, w = predictor.original_size
    m = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    side = predictor.model.image_encoder.img_size
    s = side / max(h, w)
    m = cv2.resize(m, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    pad = np.zeros((side, side), np.float32)
    pad[: m.shape[0], : m.shape[1]] = m
    low = cv2.resize(pad, (256, 256), interpolation=cv2.INTER_AREA)
    p = np.clip(low, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))[None].astype(np.float32)


def load_sam(
    checkpoint: str | Path, model_type: str | None = None, device: str = "cpu"
) -> SamSegmenter:
    """Build Segment Anything from a checkpoint file (no download).

    Args:
        checkpoint: a ``sam_vit_{b,l,h}_*.pth`` file.
        model_type: ``vit_b`` / ``vit_l`` / ``vit_h``; read from the weights when None.
        device: torch device.

    Raises:
        ModelMissingError: the file is missing or not a Segment Anything checkpoint (one line).
    """
    import torch
    from segment_anything import sam_model_registry

    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise ModelMissingError(
            f"Segment Anything checkpoint {path} not found: pass --sam-checkpoint PATH or run "
            "`backdrop models pull sam-vit-b` on a machine with internet"
        )
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
        kind = model_type or sam_type_of(state)
        if kind not in SAM_TYPES:
            raise ValueError(f"model_type must be one of {', '.join(SAM_TYPES)}")
        model = sam_model_registry[kind](checkpoint=None)
        model.load_state_dict(state)
    except (ValueError, RuntimeError, OSError, KeyError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ModelMissingError(
            f"{path} is not a usable Segment Anything checkpoint: {first}"
        ) from e
    log.info("loaded Segment Anything %s from %s", kind, path)
    return SamSegmenter(model, device)
