"""Vector PDF output (ReportLab). Text is drawn as glyph outlines, so the file prints the same at any
size and needs no font on the printer's side — what a plaque maker cuts or engraves from."""
from __future__ import annotations

from io import BytesIO

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Circle, Drawing, Group, Path, Rect
from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from server.adapters.glyphs import outline_path
from server.domain.certificate import CertificateLayout
from server.domain.plaque import Box, PlaqueLayout, TextLine

# The text layer under the drawn glyphs of a certificate (copying, searching, screen readers): one of the CJK fonts
# every PDF reader has (Adobe's STSong), never embedded, and drawn invisibly (text render mode 3).
TEXT_LAYER_FONT = "STSong-Light"

SILVER = Color(0.87, 0.88, 0.89)
INK = Color(0.72, 0.09, 0.09)  # the red of official plaques
DARK = Color(0.1, 0.1, 0.1)
GREEN = Color(0.18, 0.49, 0.2)


def render_plaque_pdf(layout: PlaqueLayout, qr_modules: list[list[bool]], font: tuple[str, int],
                      logo_path: str | None = None) -> bytes:
    height = layout.height * mm
    drawing = Drawing(layout.width * mm, height)
    drawing.add(Rect(0, 0, layout.width * mm, height, fillColor=SILVER, strokeColor=None))
    drawing.add(Rect(12 * mm, 12 * mm, (layout.width - 24) * mm, (layout.height - 24) * mm, fillColor=None,
                     strokeColor=DARK, strokeWidth=1.5 * mm))
    if not logo_path:
        _logo_placeholder(drawing, layout, height, font)
    for line in layout.name:
        _text(drawing, line, height, font, INK)
    _text(drawing, layout.caption, height, font, DARK)
    _text(drawing, layout.url, height, font, DARK)
    _qr(drawing, layout.qr, qr_modules, height)
    out = BytesIO()
    page = canvas.Canvas(out, pagesize=(layout.width * mm, height), pageCompression=1)
    page.setTitle(layout.official_name)
    renderPDF.draw(drawing, page, 0, 0)
    if logo_path:
        box = layout.logo
        page.drawImage(logo_path, box.x * mm, height - (box.y + box.size) * mm, box.size * mm, box.size * mm,
                       preserveAspectRatio=True, mask="auto")
    page.showPage()
    page.save()
    return out.getvalue()


def _text(drawing: Drawing, line: TextLine, height: float, font: tuple[str, int], colour: Color) -> None:
    glyphs = [outline_path(font[0], font[1], ch, Path) for ch in line.text]
    scale = line.size * mm / glyphs[0][2]
    width = sum(advance for _, advance, _ in glyphs) * scale
    x = line.center_x * mm - width / 2
    for path, advance, _ in glyphs:
        path.fillColor, path.strokeColor = colour, None
        drawing.add(Group(path, transform=(scale, 0, 0, scale, x, height - line.baseline_y * mm)))
        x += advance * scale


def _qr(drawing: Drawing, box: Box, modules: list[list[bool]], height: float) -> None:
    drawing.add(Rect(box.x * mm, height - (box.y + box.size) * mm, box.size * mm, box.size * mm,
                     fillColor=Color(1, 1, 1), strokeColor=None))
    cell = box.size * mm / len(modules)
    for row, line in enumerate(modules):
        for column, dark in enumerate(line):
            if dark:
                drawing.add(Rect(box.x * mm + column * cell, height - box.y * mm - (row + 1) * cell, cell + 0.01,
                                 cell + 0.01, fillColor=DARK, strokeColor=None))


def _logo_placeholder(drawing: Drawing, layout: PlaqueLayout, height: float, font: tuple[str, int]) -> None:
    box = layout.logo
    radius = box.size * mm / 2
    cx, cy = (box.x * mm + radius), height - (box.y * mm + radius)
    drawing.add(Circle(cx, cy, radius, fillColor=None, strokeColor=GREEN, strokeWidth=4 * mm))
    _text(drawing, TextLine("社工", box.x + box.size / 2, box.y + box.size / 2 + 12, 34), height, font, GREEN)


def render_certificate_pdf(layout: CertificateLayout, qr_modules: list[list[bool]], font: tuple[str, int]) -> bytes:
    """A4, glyphs drawn as outlines in the plaques' typeface (prints the same everywhere), with an invisible text
    layer of the same words so the certificate can be read out, searched and its text extracted."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if TEXT_LAYER_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(TEXT_LAYER_FONT))
    height = layout.height * mm
    drawing = Drawing(layout.width * mm, height)
    drawing.add(Rect(10 * mm, 10 * mm, (layout.width - 20) * mm, (layout.height - 20) * mm, fillColor=None,
                     strokeColor=INK, strokeWidth=1.2 * mm))
    for line in layout.lines:
        _text_at(drawing, line.text, line.x, line.baseline_y, line.size, line.centered, height, font,
                 INK if line.size >= 10 else DARK)
    _qr(drawing, layout.qr, qr_modules, height)
    out = BytesIO()
    page = canvas.Canvas(out, pagesize=(layout.width * mm, height), pageCompression=1)
    page.setTitle(layout.title)
    renderPDF.draw(drawing, page, 0, 0)
    for line in layout.lines:
        text = page.beginText()
        text.setTextRenderMode(3)
        text.setFont(TEXT_LAYER_FONT, line.size * mm)
        width = pdfmetrics.stringWidth(line.text, TEXT_LAYER_FONT, line.size * mm)
        text.setTextOrigin(line.x * mm - (width / 2 if line.centered else 0), height - line.baseline_y * mm)
        text.textOut(line.text)
        page.drawText(text)
    page.showPage()
    page.save()
    return out.getvalue()


def _text_at(drawing: Drawing, text: str, x: float, baseline_y: float, size: float, centered: bool, height: float,
             font: tuple[str, int], colour: Color) -> None:
    if centered:
        _text(drawing, TextLine(text, x, baseline_y, size), height, font, colour)
        return
    glyphs = [outline_path(font[0], font[1], ch, Path) for ch in text]
    scale = size * mm / glyphs[0][2]
    left = x * mm
    for path, advance, _ in glyphs:
        path.fillColor, path.strokeColor = colour, None
        drawing.add(Group(path, transform=(scale, 0, 0, scale, left, height - baseline_y * mm)))
        left += advance * scale
