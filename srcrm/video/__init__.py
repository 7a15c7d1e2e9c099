"""Video: frame-exact reading, per-frame label storage, pre-labelling, correction propagation,
temporal consistency and export. Qt-free; the app builds its video view on these."""

from srcrm.video.export import (
    export_coco_video,
    export_label_pngs,
    export_labelme_frames,
    export_matte_pngs,
    write_matte_video,
    write_overlay_video,
)
from srcrm.video.label_store import FrameLabelStore, LabelStoreError
from srcrm.video.matte import SteadyMatting, matte_flicker
from srcrm.video.prelabel import (
    PrelabelProgress,
    PrelabelSummary,
    VideoPrelabelConfig,
    prelabel_video,
)
from srcrm.video.propagate import apply_propagation, dense_flow, propagate_correction
from srcrm.video.source import (
    VIDEO_SUFFIXES,
    FrameSource,
    ImageSequenceSource,
    VideoFileSource,
    VideoReadError,
    frames_at,
    open_source,
)
from srcrm.video.temporal import flicker, flicker_series, smooth_store, smooth_window

__all__ = [
    "VIDEO_SUFFIXES",
    "FrameLabelStore",
    "FrameSource",
    "ImageSequenceSource",
    "LabelStoreError",
    "PrelabelProgress",
    "PrelabelSummary",
    "SteadyMatting",
    "VideoFileSource",
    "VideoPrelabelConfig",
    "VideoReadError",
    "apply_propagation",
    "dense_flow",
    "export_coco_video",
    "export_label_pngs",
    "export_labelme_frames",
    "export_matte_pngs",
    "flicker",
    "flicker_series",
    "frames_at",
    "matte_flicker",
    "open_source",
    "prelabel_video",
    "propagate_correction",
    "smooth_store",
    "smooth_window",
    "write_matte_video",
    "write_overlay_video",
]
