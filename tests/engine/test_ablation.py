"""The ablation runner trains every variant and writes a report; the shipped model verifies."""

import json

from srcrm.models.checkpoint import load_checkpoint
from srcrm.recipes.ablation import main as ablation_main
from srcrm.recipes.release import LICENCE_NOTE, ship_default


def test_ablation_trains_four_variants_and_reports(tiny_dataset, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("Budget: two steps, nowhere near convergence.")
    args = [
        "--data",
        str(tiny_dataset),
        "--out",
        str(tmp_path / "runs"),
        "--docs",
        str(tmp_path / "docs"),
        "--steps",
        "2",
        "--batch-size",
        "2",
        "--crop",
        "48x48",
        "--seeds",
        "0",
        "--parallel",
        "2",
        "--eval-every",
        "0",
        "--warmup",
        "1",
        "--threads",
        "1",
        "--notes",
        str(notes),
    ]
    assert ablation_main(args) == 0
    report = (tmp_path / "docs" / "ablation.md").read_text()
    for variant in ("baseline", "+SRM", "+CRM", "full"):
        assert f"| {variant} | 1 |" in report
    assert "Budget: two steps, nowhere near convergence." in report
    scores = json.loads((tmp_path / "runs" / "full_seed0" / "scores.json").read_text())
    assert 0 <= scores["miou"] <= 1 and len(scores["iou"]) == 2  # scored on the val split

    # A rerun keeps finished runs: nothing is trained or scored again.
    model = tmp_path / "runs" / "full_seed0" / "model.pt"
    stamp = model.stat().st_mtime_ns
    assert ablation_main(args) == 0
    assert model.stat().st_mtime_ns == stamp
    assert (tmp_path / "docs" / "ablation_curves.png").stat().st_size > 1000
    assert (tmp_path / "docs" / "ablation_class_iou.png").stat().st_size > 1000

    manifest = ship_default(tmp_path / "runs" / "full_seed0" / "model.pt", tmp_path / "m" / "default.json")
    ckpt = load_checkpoint(manifest)
    assert ckpt.config.srm and ckpt.config.crm
    assert ckpt.state_dict["head.2.weight"].dtype.is_floating_point
    assert ckpt.meta["licence"] == LICENCE_NOTE
    assert "non-commercial" in json.loads(manifest.read_text())["description"]
