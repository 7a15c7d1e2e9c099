"""The canvas: the image, the class overlay and the tool cursor in a zoomable pyqtgraph view.

Speed on large images comes from two things. The overlay is a numpy BGRA buffer that a QImage
wraps without copying (:class:`BufferImageItem`); after an edit only the dirty rectangle is
recoloured (:class:`~app.document.overlay.OverlayRenderer`) and only that rectangle is
repainted. And painting draws only the exposed part of each image, never the whole 4K frame.
(pyqtgraph's ``ImageItem`` re-renders its whole image on every ``setImage``; see
``benchmarks/bench_canvas.py`` for the comparison.)
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from .document.editor import Editor
from .document.geometry import Rect
from .document.label_document import LabelDocument
from .document.overlay import OverlayMode, OverlayRenderer
from .document.tool_table import Cursor
from .document.tools import Edit

Qt = QtCore.Qt
PREVIEW_DELAY_MS = 15
PREVIEW_ALPHA = 170  # the preview's pixels: surer than the overlay, the photo still shows


class BufferImageItem(pg.GraphicsObject):
    """Shows an HxWx4 uint8 BGRA numpy buffer in place: edits to the buffer show after
    :meth:`update_rect`, with no copy and no conversion."""

    def __init__(self, premultiplied: bool = True, smooth_when_zoomed_out: bool = False):
        super().__init__()
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self._format = (
            QtGui.QImage.Format.Format_ARGB32_Premultiplied
            if premultiplied
            else QtGui.QImage.Format.Format_RGB32
        )
        self._smooth = smooth_when_zoomed_out
        self._buffer: np.ndarray | None = None
        self._qimage: QtGui.QImage | None = None
        self._bounds = QtCore.QRectF()

    def set_buffer(self, buffer: np.ndarray | None) -> None:
        self.prepareGeometryChange()
        if buffer is None:
            self._buffer = self._qimage = None
            self._bounds = QtCore.QRectF()
        else:
            assert buffer.dtype == np.uint8 and buffer.ndim == 3 and buffer.shape[2] == 4
            assert buffer.flags.c_contiguous
            h, w = buffer.shape[:2]
            self._buffer = buffer  # keeps the memory alive while the QImage uses it
            self._qimage = QtGui.QImage(buffer, w, h, buffer.strides[0], self._format)
            self._bounds = QtCore.QRectF(0, 0, w, h)
        self.update()

    def update_rect(self, rect: Rect | None = None) -> None:
        if rect is None:
            self.update()
        elif not rect.is_empty():
            self.update(QtCore.QRectF(rect.x0, rect.y0, rect.width, rect.height))

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if self._qimage is None:
            return
        exposed = option.exposedRect.intersected(self._bounds)
        if exposed.isEmpty():
            return
        x0, y0 = math.floor(exposed.left()), math.floor(exposed.top())
        x1, y1 = math.ceil(exposed.right()), math.ceil(exposed.bottom())
        src = QtCore.QRectF(x0, y0, x1 - x0, y1 - y0)
        smooth = self._smooth and painter.worldTransform().m11() < 1.0
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(src, self._qimage, src)


class Canvas(pg.GraphicsView):
    """Signals: ``hovered(x, y)`` (image coordinates, NaN outside), ``view_changed()``."""

    hovered = QtCore.Signal(float, float)
    view_changed = QtCore.Signal()

    def __init__(self, editor: Editor, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent, background=(40, 40, 44))
        self.editor = editor
        self.doc: LabelDocument | None = None
        self.renderer = OverlayRenderer()
        self.setAcceptDrops(False)  # the main window takes drops
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)

        self.vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.vb.setMouseMode(pg.ViewBox.PanMode)
        self.setCentralItem(self.vb)
        self.vb.sigRangeChanged.connect(lambda *_: self.view_changed.emit())

        self.image_item = BufferImageItem(premultiplied=False, smooth_when_zoomed_out=True)
        self.overlay_item = BufferImageItem(premultiplied=True)
        self.overlay_item.setOpacity(0.5)
        self.vb.addItem(self.image_item)
        self.vb.addItem(self.overlay_item)
        self.image_item.setZValue(0)
        self.overlay_item.setZValue(1)

        # The brush outline: black under dashed white, visible on any background.
        dark = QtGui.QPen(QtGui.QColor(0, 0, 0, 200), 0)
        dark.setCosmetic(True)
        light = QtGui.QPen(QtGui.QColor(255, 255, 255, 230), 0, QtCore.Qt.PenStyle.DashLine)
        light.setCosmetic(True)
        self.brush_cursor = QtWidgets.QGraphicsEllipseItem()
        self.brush_cursor.setPen(dark)
        self._brush_cursor_light = QtWidgets.QGraphicsEllipseItem(self.brush_cursor)
        self._brush_cursor_light.setPen(light)
        self.brush_cursor.setZValue(10)
        self.brush_cursor.setVisible(False)
        self.vb.addItem(self.brush_cursor, ignoreBounds=True)

        poly_pen = QtGui.QPen(QtGui.QColor(255, 230, 0), 0)
        poly_pen.setCosmetic(True)
        self.outline_item = QtWidgets.QGraphicsPathItem()
        self.outline_item.setPen(poly_pen)
        self.outline_item.setZValue(11)
        self.vb.addItem(self.outline_item, ignoreBounds=True)

        # What the tool would change: the pixels in their new classes' colours, outlined.
        self.preview_item = BufferImageItem(premultiplied=True)
        self.preview_item.setZValue(3)
        self.vb.addItem(self.preview_item, ignoreBounds=True)
        self.preview_outline = QtWidgets.QGraphicsPathItem()
        self.preview_outline.setPen(dark)
        self._preview_outline_light = QtWidgets.QGraphicsPathItem(self.preview_outline)
        self._preview_outline_light.setPen(light)
        self.preview_outline.setZValue(4)
        self.vb.addItem(self.preview_outline, ignoreBounds=True)
        self.mark_items: list[QtWidgets.QGraphicsPathItem] = []  # scribbles not yet applied

        self._dragging = False
        self._space_pan = False
        self._hover: tuple[float, float] | None = None
        # The preview follows the mouse once it pauses, not at every pixel it crosses.
        self._hover_timer = QtCore.QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._hover_timer.timeout.connect(self._send_hover)
        editor.changed.connect(self._on_editor_changed)
        editor.outline_changed.connect(lambda _pts: self._update_outline())
        editor.preview_changed.connect(self._show_preview)
        editor.marks_changed.connect(self._show_marks)

    # --- document -----------------------------------------------------------------------------

    def set_document(self, doc: LabelDocument | None) -> None:
        if self.doc is not None:
            self.doc.labels_changed.disconnect(self._on_labels_changed)
            self.doc.confidence_changed.disconnect(self._on_confidence_changed)
            self.doc.classes.changed.disconnect(self.refresh_colours)
        self.doc = doc
        if doc is None:
            self.image_item.set_buffer(None)
            self.overlay_item.set_buffer(None)
            return
        self._image_bgra = cv2.cvtColor(doc.image, cv2.COLOR_RGB2BGRA)
        self.image_item.set_buffer(self._image_bgra)
        dark = cv2.cvtColor(doc.image, cv2.COLOR_RGB2GRAY) < 128
        self.renderer.attach(doc.labels, doc.confidence, doc.classes, dark)
        self.renderer.refresh()
        self.overlay_item.set_buffer(self.renderer.buffer)
        doc.labels_changed.connect(self._on_labels_changed)
        doc.confidence_changed.connect(self._on_confidence_changed)
        doc.classes.changed.connect(self.refresh_colours)
        self.vb.setLimits(
            xMin=-doc.width,
            xMax=2 * doc.width,
            yMin=-doc.height,
            yMax=2 * doc.height,
            minXRange=4,
            minYRange=4,
        )
        self._update_cursor()

    def _on_labels_changed(self, rect: Rect) -> None:
        if not self._dragging:
            self._hover_timer.start()  # the preview was made against the old labels
        if self.renderer.mode == OverlayMode.CONFIDENCE:
            return
        self.overlay_item.update_rect(self.renderer.refresh(rect))

    def _on_confidence_changed(self) -> None:
        self.renderer.confidence = self.doc.confidence if self.doc else None
        if self.renderer.mode == OverlayMode.CONFIDENCE:
            self.refresh_overlay()

    def refresh_colours(self) -> None:
        self.renderer.update_lut()
        self.refresh_overlay()

    def refresh_overlay(self) -> None:
        """Recolour the whole overlay (mode, colours or visibility changed)."""
        self.overlay_item.update_rect(self.renderer.refresh())

    # --- view settings ------------------------------------------------------------------------

    @property
    def mode(self) -> OverlayMode:
        return self.renderer.mode

    def set_mode(self, mode: OverlayMode) -> None:
        self.renderer.set_mode(mode)
        self.refresh_overlay()

    def set_opacity(self, opacity: float) -> None:
        self.overlay_item.setOpacity(min(1.0, max(0.0, float(opacity))))

    def opacity(self) -> float:
        return float(self.overlay_item.opacity())

    def fit_to_window(self) -> None:
        if self.doc is not None:
            self.vb.setRange(QtCore.QRectF(0, 0, self.doc.width, self.doc.height), padding=0.02)

    def view_rect(self) -> list[float]:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        return [x0, y0, x1 - x0, y1 - y0]

    def set_view_rect(self, rect) -> None:
        x, y, w, h = (float(v) for v in rect)
        self.vb.setRange(QtCore.QRectF(x, y, w, h), padding=0)

    def zoom(self, factor: float) -> None:
        self.vb.scaleBy((1 / factor, 1 / factor))

    # --- coordinates --------------------------------------------------------------------------

    def widget_to_image(self, pos: QtCore.QPointF) -> tuple[float, float]:
        p = self.vb.mapSceneToView(self.mapToScene(pos.toPoint()))
        return float(p.x()), float(p.y())

    def image_to_widget(self, x: float, y: float) -> QtCore.QPoint:
        return self.mapFromScene(self.vb.mapViewToScene(QtCore.QPointF(x, y)))

    # --- mouse --------------------------------------------------------------------------------

    def _tool_owns_left_button(self, ev: QtGui.QMouseEvent) -> bool:
        return (
            self.doc is not None
            and ev.button() == Qt.MouseButton.LeftButton
            and self.editor.spec.cursor != Cursor.PAN
            and not self._space_pan
        )

    def mousePressEvent(self, ev: QtGui.QMouseEvent) -> None:
        if not self._tool_owns_left_button(ev):
            super().mousePressEvent(ev)
            return
        x, y = self.widget_to_image(ev.position())
        if ev.modifiers() & Qt.KeyboardModifier.AltModifier:  # Alt+click: eyedropper
            self.editor.pick(x, y)
        else:
            self._dragging = True
            self.editor.press(x, y)
        ev.accept()

    def mouseMoveEvent(self, ev: QtGui.QMouseEvent) -> None:
        x, y = self.widget_to_image(ev.position())
        self._hover = (x, y)
        self._update_cursor()
        self._update_outline()
        inside = self.doc is not None and 0 <= x < self.doc.width and 0 <= y < self.doc.height
        self.hovered.emit(x if inside else math.nan, y if inside else math.nan)
        if self._dragging and ev.buttons() & Qt.MouseButton.LeftButton:
            self.editor.move(x, y)
            ev.accept()
            return
        self._hover_timer.start()
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev: QtGui.QMouseEvent) -> None:
        if self._dragging and ev.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            self.editor.release()
            self._hover_timer.start()
            ev.accept()
            return
        super().mouseReleaseEvent(ev)

    def _send_hover(self) -> None:
        if not self._dragging:
            self.editor.hover(*(self._hover or (None, None)))

    def mouseDoubleClickEvent(self, ev: QtGui.QMouseEvent) -> None:
        if self.editor.handler.multi_click and ev.button() == Qt.MouseButton.LeftButton:
            self.editor.commit()
            ev.accept()
            return
        if self._tool_owns_left_button(ev):
            self.mousePressEvent(ev)  # fast clicks still paint
            return
        super().mouseDoubleClickEvent(ev)

    def wheelEvent(self, ev: QtGui.QWheelEvent) -> None:
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:  # Ctrl+wheel: brush size
            steps = ev.angleDelta().y() // 120 or (1 if ev.angleDelta().y() > 0 else -1)
            self.editor.grow_brush(steps)
            ev.accept()
            return
        super().wheelEvent(ev)

    def leaveEvent(self, ev) -> None:
        self._hover = None
        self._hover_timer.start()
        self._update_cursor()
        self.hovered.emit(math.nan, math.nan)
        super().leaveEvent(ev)

    def keyPressEvent(self, ev: QtGui.QKeyEvent) -> None:
        if ev.key() == Qt.Key.Key_Space and not ev.isAutoRepeat():
            self._space_pan = True  # hold Space to pan with the left button
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            ev.accept()
            return
        if self.editor.handler.multi_click:
            if ev.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.editor.commit()
                return
            if ev.key() == Qt.Key.Key_Backspace:
                self.editor.step_back()
                return
        if ev.key() == Qt.Key.Key_Escape:
            self.editor.cancel()
            return
        super().keyPressEvent(ev)

    def keyReleaseEvent(self, ev: QtGui.QKeyEvent) -> None:
        if ev.key() == Qt.Key.Key_Space and not ev.isAutoRepeat():
            self._space_pan = False
            self._update_cursor()
            ev.accept()
            return
        super().keyReleaseEvent(ev)

    # --- tool feedback ------------------------------------------------------------------------

    def _on_editor_changed(self) -> None:
        self._update_cursor()
        self._update_outline()

    def _show_preview(self, edit: Edit | None) -> None:
        """What committing now would change: those pixels in their new classes' colours, and
        their outline (black under dashed white, visible on any background)."""
        path = QtGui.QPainterPath()
        if edit is None or self.doc is None:
            self.preview_item.set_buffer(None)
        else:
            lut = self.doc.classes.lut_bgra(PREVIEW_ALPHA)
            values = np.broadcast_to(np.asarray(edit.value, np.uint8), edit.mask.shape)
            buffer = np.zeros((*edit.mask.shape, 4), np.uint8)
            buffer[edit.mask] = lut[values[edit.mask]]
            self.preview_item.set_buffer(buffer)
            self.preview_item.setPos(edit.rect.x0, edit.rect.y0)
            contours, _ = cv2.findContours(edit.mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            for contour in contours:
                pts = contour.reshape(-1, 2) + (edit.rect.x0 + 0.5, edit.rect.y0 + 0.5)
                path.addPolygon(QtGui.QPolygonF([QtCore.QPointF(float(x), float(y)) for x, y in pts]))
                path.closeSubpath()
        self.preview_outline.setPath(path)
        self._preview_outline_light.setPath(path)

    def _show_marks(self, marks: list[tuple[int, list[tuple[float, float]]]]) -> None:
        """Scribbles not yet applied, each as wide as the brush in its class colour."""
        for item in self.mark_items:
            self.vb.removeItem(item)
        self.mark_items = []
        if self.doc is None:
            return
        classes = self.doc.classes
        for class_id, points in marks:
            path = QtGui.QPainterPath(QtCore.QPointF(*points[0]))
            for p in points[1:] if len(points) > 1 else points:
                path.lineTo(*p)
            pen = QtGui.QPen(QtGui.QColor(*classes.display_rgb(class_id), 230), self.editor.brush_size)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            item = QtWidgets.QGraphicsPathItem(path)
            item.setPen(pen)
            item.setZValue(5)
            self.vb.addItem(item, ignoreBounds=True)
            self.mark_items.append(item)

    def _update_cursor(self) -> None:
        cursor = self.editor.spec.cursor
        shows_brush = cursor == Cursor.BRUSH and self._hover is not None and self.doc is not None
        if shows_brush:
            d = max(1, self.editor.brush_size)
            x, y = self._hover
            rect = QtCore.QRectF(x - d / 2, y - d / 2, d, d)
            self.brush_cursor.setRect(rect)
            self._brush_cursor_light.setRect(rect)
        self.brush_cursor.setVisible(shows_brush)
        if self._space_pan or cursor == Cursor.PAN:
            shape = Qt.CursorShape.OpenHandCursor
        elif cursor == Cursor.BRUSH:
            shape = Qt.CursorShape.CrossCursor if self.editor.brush_size < 4 else Qt.CursorShape.BlankCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.viewport().setCursor(shape)

    def _update_outline(self) -> None:
        pts = self.editor.outline
        path = QtGui.QPainterPath()
        if pts:
            path.moveTo(*pts[0])
            for p in pts[1:]:
                path.lineTo(*p)
            if self._hover is not None:
                path.lineTo(*self._hover)
            if len(pts) >= 2:
                path.lineTo(*pts[0])
        self.outline_item.setPath(path)
