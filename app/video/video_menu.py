"""Video mode's actions, shortcuts and the Video menu (part of
:class:`~app.video.video_flow.VideoMixin`; built with the window's other actions by
:class:`~app.menus.MenusMixin`).

Keys: Left / Right (or , and .) step one frame, Shift+Left / Shift+Right one second, Home / End
go to the first / last frame, K plays and pauses, Ctrl+J jumps to a frame number; A / D step
frames too while a video is open. Frame commands are greyed out (and their keys free) when no
video is open."""

from __future__ import annotations

from .. import actions
from . import exports


class VideoMenuMixin:
    def _build_video_actions(self) -> None:
        a = self._action
        self.act_open_video = a(
            "Open &Video…",
            self.choose_video,
            "Ctrl+Alt+O",
            "A video file (mp4, avi, mkv, mov): label it frame by frame",
        )
        self.act_open_sequence = a(
            "Open Image &Sequence…",
            self.choose_sequence,
            None,
            "A folder of images taken as the frames of one video",
        )
        self.frame_actions = [
            a("&Play / Pause", lambda: self.toggle_play(), "K"),
            a("&Previous Frame", lambda: self.step_frame(-1), ["Left", ","]),
            a("&Next Frame", lambda: self.step_frame(+1), ["Right", "."]),
            a("One Second &Back", lambda: self.step_seconds(-1), "Shift+Left"),
            a("One Second &Forward", lambda: self.step_seconds(+1), "Shift+Right"),
            a("F&irst Frame", lambda: self.show_frame(0), "Home"),
            a("&Last Frame", lambda: self.video and self.show_frame(self.video.frame_count - 1), "End"),
            a("&Jump to Frame…", lambda: self.timeline.focus_jump_box(), "Ctrl+J"),
        ]
        self.act_prelabel_video = a(
            "Pre-label the &Video…",
            self.prelabel_video,
            "Ctrl+Alt+L",
            "Label every frame (or a range) with the model, in the background; frames you "
            "edited are never replaced",
        )
        self.act_smooth_video = a(
            "&Smooth Labels Over Neighbouring Frames…",
            self.smooth_video,
            None,
            "A per-pixel majority vote over neighbouring frames removes one-frame flicker",
        )
        self.act_propagate = a(
            "Propagate &Correction to the Next Frames…",
            self.propagate_correction,
            "Ctrl+Alt+P",
            "Carry what you changed on this frame to the following frames along the motion; "
            "you preview it before anything is written",
        )
        self.act_cancel_video_job = a("&Cancel the Running Video Task", self.cancel_video_job)

    def _build_video_menu(self, menu_bar) -> None:
        exports.register()
        menu = menu_bar.addMenu("Vi&deo")
        menu.addActions([self.act_open_video, self.act_open_sequence])
        menu.addSeparator()
        menu.addActions(self.frame_actions)
        menu.addSeparator()
        menu.addActions(
            [self.act_prelabel_video, self.act_smooth_video, self.act_propagate, self.act_cancel_video_job]
        )
        menu.addSeparator()
        export = menu.addMenu("&Export")
        export.aboutToShow.connect(lambda: actions.fill_menu(export, self, exports.ENTRIES))
        actions.fill_menu(export, self, exports.ENTRIES)
        self.video_menu = menu
