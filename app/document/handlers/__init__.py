"""Tool handlers, one file per tool (or per family of tools that differ in a value)."""

from .base import ToolHandler

__all__ = ["ToolHandler"]
