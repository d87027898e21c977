"""The fonts printed documents are set in: Noto Sans SC and Noto Serif SC, installed with the project.

They come from the PyPI package ``pylopdf-fonts-zh-cn`` (pinned in pyproject.toml), a data-only
package holding the Regular weights of Noto Sans SC and Noto Serif SC from notofonts/noto-cjk
(``Sans/SubsetOTF/SC`` and ``Serif/SubsetOTF/SC``), under the SIL Open Font License 1.1 (see
docs/licences/noto-cjk-OFL.txt). The files are OpenType with CID-keyed CFF outlines, which fpdf2
embeds as FontFile3 subsets holding only the glyphs a document uses. Nothing is read from the
system's fonts, so a PDF looks the same on every installation.
"""
from __future__ import annotations

from pathlib import Path

from engine.errors import JimuError, msg

SANS = "jimu-sans"
SERIF = "jimu-serif"
_SERIF_NAMES = ("serif", "times", "song", "宋体", "宋", "明朝")


def font_path(family: str) -> Path:
    """The file of ``SANS`` or ``SERIF``; a clear error when the font package is missing."""
    try:
        import pylopdf_fonts_zh_cn as fonts
    except ImportError:
        raise JimuError("print.E010", msg("未安装打印字体包 pylopdf-fonts-zh-cn", "the print font package "
                                          "pylopdf-fonts-zh-cn is not installed"), status=500) from None
    path = fonts.serif_path() if family == SERIF else fonts.sans_path()
    if not Path(path).is_file():
        raise JimuError("print.E010", msg(f"找不到打印字体文件 {path}", f"the print font file {path} is missing"),
                        status=500)
    return Path(path)


def family_for(name: str | None) -> str:
    """The bundled family a template's font name stands for: serif names the serif, anything else
    (helvetica, 黑体, an unknown name) the sans; the built-in PDF fonts have no Chinese."""
    n = (name or "").strip().lower()
    if "sans" in n or "黑" in n:  # sans-serif, Noto Sans, 黑体
        return SANS
    return SERIF if n == SERIF or any(s in n for s in _SERIF_NAMES) else SANS
