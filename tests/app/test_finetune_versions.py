"""The project's model versions: the registry on disk, and the Model > Versions menu."""

from __future__ import annotations

import shutil

import pytest

from app.document.model_versions import ModelVersions, VersionRegistryError
from srcrm.train.finetune import FinetuneReport


def report(miou_before: float, miou_after: float, steps: int = 20) -> dict:
    """What the engine reports (its own dataclass, so the fields stay in step with it)."""
    scores = lambda m: {
        "miou": m,
        "boundary_f": m / 2,
        "pixel_acc": 0.8,  # noqa: E731
        "to_change": 0.2,
        "iou": {"sky": m, "road": m},
    }
    return FinetuneReport(
        before=scores(miou_before),
        after=scores(miou_after),
        train_names=["a", "b", "c"],
        holdout_names=["d"],
        steps=steps,
        seconds=12.0,
        parent="/models/parent.pt",
        class_names=["sky", "road"],
    ).to_dict()


def candidate(tmp_path, name: str, source=None):
    path = tmp_path / "scratch" / name
    path.parent.mkdir(exist_ok=True)
    if source is not None:
        shutil.copyfile(source, path)
    else:
        path.write_bytes(b"PK model bytes " + name.encode())
    return path


def test_registry_round_trip(tmp_path):
    models = tmp_path / "project" / ".srcrm" / "models"
    registry = ModelVersions(models)
    assert registry.list() == [] and registry.current is None and registry.next_id() == "v1"
    first = candidate(tmp_path, "one.pt")
    data = first.read_bytes()
    v1 = registry.add(first, report(0.40, 0.52), parent="default")
    assert v1.id == "v1" and (models / "v1.pt").read_bytes() == data and not first.exists()
    registry.set_current("v1")
    (models / "v5.pt").write_bytes(b"an orphan whose entry was lost: never overwritten")
    v6 = registry.add(candidate(tmp_path, "two.pt"), report(0.52, 0.61, steps=50), parent="v1")
    assert v6.id == "v6"

    again = ModelVersions(models)  # a new reader sees exactly what was written
    assert [v.id for v in again.list()] == ["v1", "v6"] and again.current == "v1"
    got = again.get("v6")
    assert got == v6 and got.parent == "v1" and got.steps == 50
    assert got.train_names == ["a", "b", "c"] and got.holdout_names == ["d"]
    assert got.before["miou"] == 0.52 and got.miou == 0.61 and got.class_names == ["sky", "road"]
    assert got.describe() == "v6 · mIoU 61.0% · 3 images, 50 steps"
    assert again.version_of_file(models / "v6.pt") == got and again.version_of_file(None) is None
    assert again.current_file() == models / "v1.pt"
    again.set_current(None)
    assert ModelVersions(models).current is None
    with pytest.raises(KeyError):
        again.set_current("v9")
    assert not list(models.glob(".*.tmp"))  # atomic writes leave no temporary files


@pytest.mark.parametrize(
    "content",
    [
        b"{ not json",
        b'{"format": "something else"}',
        b'{"format": "srcrm-model-versions", "versions": [{"id": 3}]}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_a_damaged_registry_gives_a_clear_message_and_is_left_alone(tmp_path, content):
    models = tmp_path / "models"
    models.mkdir()
    (models / "versions.json").write_bytes(content)
    with pytest.raises(VersionRegistryError) as info:
        ModelVersions(models)
    message = str(info.value)
    assert str(models / "versions.json") in message and "damaged" in message
    assert "model files" in message and "untouched" in message
    assert (models / "versions.json").read_bytes() == content


def menu_texts(window) -> list[str]:
    window.menus.menu("model.versions").aboutToShow.emit()
    return [a.text() for a in window.menus.menu("model.versions").actions()]


def checked(window) -> list[str]:
    window.menus.menu("model.versions").aboutToShow.emit()
    return [a.text() for a in window.menus.menu("model.versions").actions() if a.isChecked()]


def test_versions_are_listed_switchable_and_remembered_across_a_restart(
    make_window, image_folder, tiny_checkpoint, qtbot
):
    models = image_folder / ".srcrm" / "models"
    registry = ModelVersions(models)
    registry.add(candidate(image_folder.parent, "a.pt", tiny_checkpoint), report(0.3, 0.5), "default")
    registry.add(candidate(image_folder.parent, "b.pt", tiny_checkpoint), report(0.5, 0.6), "v1")
    registry.set_current("v1")

    window = make_window(image_folder, model=tiny_checkpoint)  # the folder brings its own model
    qtbot.waitUntil(
        lambda: window.model.info is not None and "v1.pt" in window.model.info.name, timeout=30000
    )
    texts = menu_texts(window)
    assert texts[0] == "Bundled Default Model"
    assert "v1 · mIoU 50.0% · 3 images, 20 steps" in texts and "v2 · mIoU 60.0% · 3 images, 20 steps" in texts
    assert checked(window) == ["v1 · mIoU 50.0% · 3 images, 20 steps"]

    next(a for a in window.menus.menu("model.versions").actions() if a.text().startswith("v2")).trigger()
    qtbot.waitUntil(
        lambda: window.model.info is not None and "v2.pt" in window.model.info.name, timeout=30000
    )
    assert ModelVersions(models).current == "v2"
    assert checked(window) == ["v2 · mIoU 60.0% · 3 images, 20 steps"]
    window.close()

    restarted = make_window(restore=True)  # the last session: this folder, and its model
    qtbot.waitUntil(
        lambda: restarted.model.info is not None and "v2.pt" in restarted.model.info.name, timeout=30000
    )
    assert restarted.project.folder == image_folder
    assert checked(restarted) == ["v2 · mIoU 60.0% · 3 images, 20 steps"]


def test_a_damaged_registry_is_reported_in_the_app_and_blocks_fine_tuning(
    make_window, image_folder, fake_predictor, qtbot
):
    models = image_folder / ".srcrm" / "models"
    models.mkdir(parents=True)
    (models / "versions.json").write_text('{"format": "srcrm-model-versions", "versions": [')
    window = make_window(image_folder, predictor=fake_predictor)
    assert window.notice.level == "error" and "versions.json" in window.notice.text
    assert "damaged" in menu_texts(window)[0]
    window.notice.hide()
    assert window.finetuning.start() is None and window.finetuning.run is None
    assert window.notice.level == "error" and "versions.json" in window.notice.text
