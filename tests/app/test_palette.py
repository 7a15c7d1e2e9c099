"""The overlay's colours: every pair of classes told apart on screen, the dataset's own colours
in every export."""

from app.document import ClassTable
from app.document.palette import lab, min_distance
from app.io_actions.common import labelset_of
from srcrm.data.labelsets import CAMVID


def test_every_pair_of_the_default_classes_is_told_apart_on_screen():
    classes = ClassTable.default()
    car, road = classes.names.index("car"), classes.names.index("road")
    assert min_distance(list(CAMVID.palette)) < 25  # CamVid's own: car and road both purple
    assert min_distance(classes.display) >= 45  # ΔE76; 2.3 is a just-noticeable difference
    assert min_distance([classes.display[car], classes.display[road]]) >= 45
    assert (lab(classes.display)[:, 0] >= 40).all()  # none too dark to see over a dark photo


def test_exports_keep_the_dataset_colours_whatever_is_shown():
    classes = ClassTable.default()
    classes.set_color(8, (255, 0, 255))
    assert classes.display[8] == (255, 0, 255)
    assert labelset_of(classes).palette == tuple(CAMVID.palette)


def test_a_new_class_is_shown_apart_from_the_others_and_the_table_reloads_as_saved():
    classes = ClassTable.default()
    new = classes.add("bollard", (64, 0, 128))  # the dataset colour of car, say
    assert min(min_distance([classes.display[new], d]) for d in classes.display[:new]) >= 20
    again = ClassTable.from_dict(classes.to_dict())
    assert again.display == classes.display and again.colors == classes.colors
