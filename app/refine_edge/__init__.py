"""Refine Edge in the app: a panel that mattes one class into a soft cut-out."""

from .panel import RefineEdge, RefineEdgePanel, kept_path

__all__ = ["RefineEdge", "RefineEdgePanel", "kept_path"]
