"""Video mode's actions, shortcuts and the Video menu (the actions are kept on
:class:`~app.video.video_flow.VideoFlow`; both are built with the window's others by
:class:`~app.menus.WindowMenus`).

Keys: Left / Right (or , and .) step one frame, Shift+Left / Shift+Right one second, Home / End
go to the first / last frame, K plays and pauses, Ctrl+J jumps to a frame number; A / D step
frames too while a video is open. Frame commands are greyed out (and their keys free) when no
video is open."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtGui

from .. import actions
from . import exports

if TYPE_CHECKING:
    from .video_flow import VideoFlow


def build_actions(flow: VideoFlow, a: Callable[..., QtGui.QAction]) -> None:
    """The video actions, made with the window's action factory ``a`` and kept on ``flow``."""
    flow.act_open_video = a(
        "Open &Video…",
        flow.choose_video,
        "Ctrl+Alt+O",
        "A video file (mp4, avi, mkv, mov): label it frame by frame",
    )
    flow.act_open_sequence = a(
        "Open Image &Sequence…",
        flow.choose_sequence,
        None,
        "A folder of images taken as the frames of one video",
    )
    flow.frame_actions = [
        a("&Play / Pause", lambda: flow.toggle_play(), "K"),
        a("&Previous Frame", lambda: flow.step_frame(-1), ["Left", ","]),
        a("&Next Frame", lambda: flow.step_frame(+1), ["Right", "."]),
        a("One Second &Back", lambda: flow.step_seconds(-1), "Shift+Left"),
        a("One Second &Forward", lambda: flow.step_seconds(+1), "Shift+Right"),
        a("F&irst Frame", lambda: flow.show_frame(0), "Home"),
        a(
            "&Last Frame",
            lambda: flow.session.video and flow.show_frame(flow.session.video.frame_count - 1),
            "End",
        ),
        a("&Jump to Frame…", lambda: flow.timeline.focus_jump_box(), "Ctrl+J"),
    ]
    flow.act_prelabel_video = a(
        "Pre-label the &Video…",
        flow.prelabel_video,
        "Ctrl+Alt+L",
        "Label every frame (or a range) with the model, in the background; frames you "
        "edited are never replaced",
    )
    flow.act_smooth_video = a(
        "&Smooth Labels Over Neighbouring Frames…",
        flow.smooth_video,
        None,
        "A per-pixel majority vote over neighbouring frames removes one-frame flicker",
    )
    flow.act_propagate = a(
        "Propagate &Correction to the Next Frames…",
        flow.propagate_correction,
        "Ctrl+Alt+P",
        "Carry what you changed on this frame to the following frames along the motion; "
        "you preview it before anything is written",
    )
    flow.act_cancel_video_job = a("&Cancel the Running Video Task", flow.cancel_video_job)


def build_menu(flow: VideoFlow, menu_bar) -> None:
    exports.register()
    menu = menu_bar.addMenu("Vi&deo")
    menu.addActions([flow.act_open_video, flow.act_open_sequence])
    menu.addSeparator()
    menu.addActions(flow.frame_actions)
    menu.addSeparator()
    menu.addActions(
        [flow.act_prelabel_video, flow.act_smooth_video, flow.act_propagate, flow.act_cancel_video_job]
    )
    menu.addSeparator()
    export = menu.addMenu("&Export")
    export.aboutToShow.connect(lambda: actions.fill_menu(export, flow.host, exports.ENTRIES))
    actions.fill_menu(export, flow.host, exports.ENTRIES)
    flow.video_menu = menu
