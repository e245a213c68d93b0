"""Which vision analyzers run for a video: scene cuts, lighting, people, mask quality, captions
and objects (the embedded YOLOv3-tiny when installed, or a zero-shot detector folder). Analyzers
whose models are not installed are left out (logged), never downloaded."""

from __future__ import annotations

import logging
import os

from backdrop.perception.core.events import Analyzer
from backdrop.perception.core.media import MediaInfo
from backdrop.perception.core.models import ModelMissingError, model_path

log = logging.getLogger(__name__)

DETECTOR_ENV = "BACKDROP_DETECTOR_DIR"
"""A local OWL-ViT-family folder for objects by name (``BACKDROP_DETECTOR_LABELS``: labels)."""
CAPTIONER_ENV = "BACKDROP_CAPTIONER_DIR"
"""A local transformers image-to-text folder for captions."""


def build_vision_analyzers(info: MediaInfo, size: tuple[int, int]) -> list[Analyzer]:
    """The vision analyzers for ``info`` (frames arrive at ``size`` = (width, height))."""
    from backdrop.perception.vision.captions import (
        CaptionAnalyzer,
        DetectorDescriber,
        ImageCaptioner,
    )
    from backdrop.perception.vision.lighting import LightingAnalyzer
    from backdrop.perception.vision.mask_quality import MaskQualityAnalyzer
    from backdrop.perception.vision.scenecut import SceneCutAnalyzer

    out: list[Analyzer] = [SceneCutAnalyzer(info.fps), LightingAnalyzer()]
    count = faces = None
    try:
        from backdrop.perception.vision.faces import FaceDetector
        from backdrop.perception.vision.people import PeopleAnalyzer
        from backdrop.perception.vision.person_crop import PoseDetector

        people = PeopleAnalyzer(
            PoseDetector(model_path("pose-detection")), display_size=(info.width, info.height)
        )
        out.append(people)
        count = people.count
        faces = FaceDetector(model_path("face-detection"), min_score=0.5).detect
    except ModelMissingError as e:
        log.info("people analysis off: %s", e)
    try:
        from backdrop.perception.vision.segment import PersonMasker, load_person_segmenter

        out.append(MaskQualityAnalyzer(PersonMasker(load_person_segmenter(*size))))
    except ModelMissingError as e:
        log.info("mask quality off: %s", e)
    from backdrop.perception.vision.detect import build_objects_analyzer

    objects = build_objects_analyzer(info, size)
    describe = DetectorDescriber(count, faces, objects=objects.detector if objects else None,
                                 labels=objects.labels if objects else None)  # fmt: skip
    if os.environ.get(CAPTIONER_ENV):
        describe = ImageCaptioner(os.environ[CAPTIONER_ENV])  # type: ignore[assignment]
    out.append(CaptionAnalyzer(describe))
    if objects is not None:
        out.append(objects)
    return out
