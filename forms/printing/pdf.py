"""HTML to PDF with fpdf2: pure Python (fontTools, Pillow, defusedxml), no system libraries.

fpdf2 lays out a subset of HTML: headings, paragraphs, ``<b> <i> <u> <font color size face>``,
``<br> <hr>``, lists, ``<center>``, ``<p align>`` and tables (``<table border width>``, ``<tr
bgcolor>``, ``<th>/<td width align colspan rowspan bgcolor>``, plain text in a cell). No CSS. HTML
it cannot lay out (a tag inside a table cell, an image that is not a ``data:`` URI) is a 422
naming the template (print.E005), never a 500.

Every font name maps to the bundled Noto Sans SC (or Noto Serif SC for serif names): the built-in
PDF fonts have no Chinese. The bundled font has one weight, so bold and italic print in it as
regular; emphasise with size, colour or a cell's background. No file or network is read: images
come only as ``data:`` URIs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from fpdf import FPDF
from fpdf.enums import ResourceAccessPolicy
from fpdf.errors import FPDFException
from fpdf.fonts import TextStyle

from engine.errors import JimuError

from .fonts import SANS, SERIF, family_for, font_path

SIZES_MM = {"A4": (210, 297), "A5": (148, 210), "Letter": (215.9, 279.4)}  # portrait width, height
DEFAULT_MARGIN_MM = 15.0
DEFAULT_FONT_PT = 10.5
MAX_PAGES = 500
_HEADINGS = {"h1": 20, "h2": 16, "h3": 14, "h4": 12, "h5": 11, "h6": 10}


class LayoutError(Exception):
    """HTML the layout engine refuses; the text is fpdf2's own (about tags and fonts, not values)."""


@dataclass(frozen=True)
class PageSetup:
    size: str = "A4"
    orientation: str = "portrait"
    margin_mm: float = DEFAULT_MARGIN_MM

    @classmethod
    def of(cls, page: Mapping[str, Any] | None) -> "PageSetup":
        page = page or {}
        return cls(page.get("size") or "A4", page.get("orientation") or "portrait",
                   float(page.get("margin_mm", DEFAULT_MARGIN_MM)))


class _FontTable(dict):
    """fpdf2 asks ``"jimu-sansB" in fonts`` before it sets table headings in bold: the regular face
    answers for every style of a bundled family (``set_font`` below never asks for the others)."""

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str) and key.rstrip("BI") in (SANS, SERIF):
            key = key.rstrip("BI")
        return super().__contains__(key)


class _Document(FPDF):
    """An FPDF whose every font is a bundled one, loaded the first time a page uses it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        catalog = self._resource_catalog
        catalog.font_registry = _FontTable(catalog.font_registry)

    def set_font(self, family=None, style="", size=0):
        fam = family_for(family or self.font_family)
        if fam not in self.fonts:
            self.add_font(fam, "", str(font_path(fam)))
        if not isinstance(style, str):
            style = style.style if style is not None else ""
        # one weight only: bold and italic print upright and regular, underline and strike-through stay
        return super().set_font(fam, "".join(c for c in style.upper() if c in "US"), size)


def _refuse_image(src: str) -> str:
    if not src.startswith("data:image/"):
        raise LayoutError("images must be data: URIs (no files or web addresses)")
    return src


def html_to_pdf(html: str, page: PageSetup, *, title: str = "", lang: str = "zh") -> bytes:
    pdf = _Document(orientation="L" if page.orientation == "landscape" else "P", unit="mm",
                    format=SIZES_MM.get(page.size, SIZES_MM["A4"]))
    pdf.resource_access_policy = ResourceAccessPolicy.NONE  # no local files, no web: a template reads nothing
    pdf.set_margins(page.margin_mm, page.margin_mm, page.margin_mm)
    pdf.set_auto_page_break(True, margin=page.margin_mm)
    pdf.set_creator("Jimu")
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    if title:
        pdf.set_title(title)
    pdf.add_page()
    pdf.set_font(SANS, size=DEFAULT_FONT_PT)
    styles = {tag: TextStyle(color="#000000", font_size_pt=pt, t_margin=3, b_margin=1.5)
              for tag, pt in _HEADINGS.items()}
    styles["p"] = TextStyle(b_margin=1.5)  # a table right under a paragraph does not touch it
    styles["pre"] = TextStyle(font_family=SANS, t_margin=2)
    styles["blockquote"] = TextStyle(color="#333333", t_margin=2, b_margin=2, l_margin=8)
    try:
        pdf.write_html(html, font_family=SANS, tag_styles=styles, image_map=_refuse_image,
                       warn_on_tags_not_matching=False, li_prefix_color=(0, 0, 0))
        if pdf.pages_count > MAX_PAGES:
            raise LayoutError(f"more than {MAX_PAGES} pages")
        return bytes(pdf.output())
    except (LayoutError, JimuError):
        raise
    except (FPDFException, NotImplementedError) as e:
        raise LayoutError(str(e)[:300]) from None
    except Exception as e:  # noqa: BLE001 - whatever HTML trips the layout engine is the template's, not a 500
        raise LayoutError(type(e).__name__) from None
