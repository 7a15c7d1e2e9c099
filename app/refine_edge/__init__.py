"""Refine Edge in the app: a panel that mattes one class into a soft cut-out."""

from .panel import RefineEdgePanel, kept_path, open_panel

__all__ = ["RefineEdgePanel", "kept_path", "open_panel"]
