"""Print templates (forms/printing): a record printed to PDF in the bundled Chinese font.

First the pieces on their own (a template with a ``lines`` list rendered to PDF bytes, the sandbox,
the formatting), then through the API on the test bundle tests/forms/bundles/printing (SQLite and
PostgreSQL): the printed quote holds the Chinese customer name and every line total, the font is
embedded as a subset, a hidden field prints blank, the ``print`` grant and the row scope hold, and a
template that reaches for Python's internals is a 422 that carries no data.

``JIMU_WRITE_SCREENSHOTS=1`` also writes the printed quote's first page to docs/screenshots/.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pypdf
import pypdfium2
import pytest

from engine.bundle.checker import check_bundle
from engine.errors import ValidationFailed
from forms.printing.fonts import SANS, font_path
from forms.printing.formatting import format_date, format_datetime, format_money, format_number
from forms.printing.pdf import PageSetup, html_to_pdf
from forms.printing.templates import Fields, PrintTemplate, render_html

BUNDLE = Path(__file__).resolve().parent / "bundles" / "printing"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "print-quote.png"
CUSTOMER = "华东精密机械有限公司"
LINES = [{"item": "精密轴承 6204", "qty": 1000, "price": "12.34"},
         {"item": "不锈钢螺丝 M3", "qty": 20, "price": "40"}]
LINE_TOTALS = ["12,340.00", "800.00"]
TOTAL = "13,140.00"

LINES_HTML = """<h1>报价单 {{ record.number }}</h1>
<p>客户：{{ record.customer }}</p>
<table border="1" width="100%">
<tr><th width="50%">品名</th><th width="20%">数量</th><th width="30%">小计</th></tr>
{% for line in record.lines %}<tr><td>{{ line.item }}</td><td>{{ line.qty }}</td><td>{{ line.subtotal }}</td></tr>
{% endfor %}</table>
{% if raw.total > 10000 %}<p>大额：{{ raw.total | money(2, 'CNY') }}</p>{% endif %}"""


def pdf_text(content: bytes) -> str:
    """The text of every page with white space and NULs taken out: pypdf reads the fonts' embedded
    encoding CMap (2-byte codes) one byte at a time, so each character comes with a NUL before it."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "".join("".join((p.extract_text() or "").replace("\x00", "").split()) for p in reader.pages)


def pdfium_text(content: bytes) -> str:
    """The first page's text as a viewer copies it (spaces kept)."""
    doc = pypdfium2.PdfDocument(content)
    try:
        return doc[0].get_textpage().get_text_range()
    finally:
        doc.close()


def embedded_fonts(content: bytes) -> list[tuple[str, int]]:
    """(base font name, bytes of its embedded font program) of every font the first page uses."""
    page = pypdf.PdfReader(io.BytesIO(content)).pages[0]
    out = []
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        for d in font.get("/DescendantFonts", [font]):
            d = d.get_object()
            fd = d["/FontDescriptor"].get_object()
            stream = fd.get("/FontFile2") or fd.get("/FontFile3")
            out.append((str(d["/BaseFont"]), len(stream.get_object().get_data()) if stream is not None else 0))
    return out


def ink(png: bytes) -> float:
    """The share of a page's pixels that are not white."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    return sum(img.histogram()[:200]) / (img.width * img.height)


def page_png(content: bytes, scale: float = 1.5) -> bytes:
    doc = pypdfium2.PdfDocument(content)
    buf = io.BytesIO()
    doc[0].render(scale=scale).to_pil().save(buf, format="PNG")
    doc.close()
    return buf.getvalue()


# --- the pieces on their own ------------------------------------------------------------------------
def test_a_template_with_lines_renders_to_a_small_pdf_in_the_embedded_chinese_font():
    record = Fields(number="QT-001", customer=CUSTOMER,
                    lines=[Fields(item=line["item"], qty=str(line["qty"]), subtotal=t)
                           for line, t in zip(LINES, LINE_TOTALS)])
    html = render_html(PrintTemplate("quote", {"zh": "报价单"}, LINES_HTML, {}),
                       {"record": record, "raw": {"total": Decimal("13140")}}, where="quote.quote")
    content = html_to_pdf(html, PageSetup(), title="QT-001")

    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert CUSTOMER in text and "精密轴承6204" in text
    for t in LINE_TOTALS:
        assert t in text
    assert f"大额：¥{TOTAL}" in text  # the condition and the money filter
    fonts = embedded_fonts(content)
    assert [name for name, _ in fonts] and all("NotoSansSC" in name for name, _ in fonts)
    # a subset: the whole font is megabytes, the glyphs of one page are a few kilobytes
    whole = font_path(SANS).stat().st_size
    assert whole > 5_000_000
    assert all(0 < size < 100_000 for _, size in fonts)
    assert len(content) < 100_000


def test_every_font_name_prints_in_a_bundled_chinese_face():
    html = ('<p>默认字体</p><p><font face="helvetica">Helvetica 黑体</font></p>'
            '<p><font face="宋体">宋体报价</font></p><table border="1"><tr><th>表头</th></tr></table>')
    content = html_to_pdf(html, PageSetup(size="A5", orientation="landscape", margin_mm=10))
    names = sorted({name.split("+")[-1] for name, _ in embedded_fonts(content)})
    assert names == ["NotoSansSC", "NotoSerifSC"]
    assert "宋体报价" in pdf_text(content) and "Helvetica黑体" in pdf_text(content)
    page = pypdf.PdfReader(io.BytesIO(content)).pages[0]
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 420  # A5 across


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__ }}",
    "{{ record.__init__ }}",
    "{{ record._private }}",
    "{{ raw.lines.append(1) }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ '{0.__class__}'.format(record) }}",
    "{{ record | attr('__class__') }}",
    "{% for line in record.lines %}{{ line.__class__.__subclasses__() }}{% endfor %}",
])
def test_the_sandbox_refuses_python_internals_with_a_bilingual_error_and_no_data(payload):
    record = Fields(customer=CUSTOMER, lines=[Fields(item="轴承")])
    with pytest.raises(ValidationFailed) as e:
        render_html(PrintTemplate("t", {"zh": "模板"}, "<p>{{ record.customer }}</p>\n" + payload, {}),
                    {"record": record, "raw": Fields(lines=[Fields(item="轴承")])}, where="quote.t")
    err = e.value
    assert err.code == "print.E003" and err.status == 422
    assert "沙箱" in err.message["zh"] and "sandbox" in err.message["en"]
    assert "quote.t" in err.message["en"] and "line 2" in err.message["en"]
    assert CUSTOMER not in str(err.to_dict())


@pytest.mark.parametrize("payload", [
    "{{ 'x' * 100000000 }}",
    "{{ 2 ** 100000 }}",
    "{{ ((10 ** 100) ** 100) ** 100 }}",
    "{% for i in range(100000) %}{{ 'a' * 30 }}{% endfor %}",
])
def test_a_runaway_template_is_stopped(payload):
    with pytest.raises(ValidationFailed) as e:
        render_html(PrintTemplate("t", {}, payload, {}), {}, where="quote.t")
    assert e.value.code == "print.E006"


def test_a_long_render_is_stopped_at_its_deadline():
    # an empty loop body still asks the sandbox for attributes: the deadline is checked there
    slow = "{% for i in range(100000) %}{% if record.customer %}{% endif %}{% endfor %}"
    with pytest.raises(ValidationFailed) as e:
        render_html(PrintTemplate("t", {}, slow, {}), {"record": Fields(customer="x")}, where="quote.t",
                    deadline_s=0)
    assert e.value.code == "print.E006"


def test_template_mistakes_are_422s_that_name_the_template_and_line():
    with pytest.raises(ValidationFailed) as e:
        render_html(PrintTemplate("t", {}, "<p>\n{% if %}</p>", {}), {}, where="quote.t")
    assert e.value.code == "print.E001" and "line 2" in e.value.message["en"] and "第 2 行" in e.value.message["zh"]
    with pytest.raises(ValidationFailed) as e:
        render_html(PrintTemplate("t", {}, "<p>{{ 1 / 0 }}</p>", {}), {}, where="quote.t")
    assert e.value.code == "print.E004"
    # a name that is not there prints blank: a field hidden from the reader must not break a template
    assert render_html(PrintTemplate("t", {}, "[{{ record.nothing }}][{{ raw.x.y }}]", {}),
                       {"record": Fields(), "raw": Fields()}, where="quote.t") == "[][]"


def test_values_are_shown_as_people_write_them():
    assert format_money(Decimal("1234567.5"), 2, "CNY") == "¥1,234,567.50"
    assert format_money(Decimal("-5"), None, "USD") == "-$5.00"
    assert format_money(Decimal("3"), 2, "CHF") == "CHF 3.00"
    assert format_number(Decimal("1000.0000")) == "1,000"
    assert format_number(Decimal("1234.5"), 2) == "1,234.50"
    assert format_date("2025-03-05", "zh") == "2025年3月5日" and format_date("2025-03-05", "en") == "2025-03-05"
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert format_datetime("2025-03-05T17:30:00Z", "zh", shanghai) == "2025年3月6日 01:30"


def test_a_template_that_does_not_parse_is_refused_at_bundle_load(tmp_path):
    bundle = tmp_path / "printing"
    shutil.copytree(BUNDLE, bundle)
    quote = bundle / "entities" / "quote.yaml"
    quote.write_text(quote.read_text(encoding="utf-8").replace(
        "<p>{{ labels.number }}: {{ record.number }}</p>", "<p>{% if %}</p>"), encoding="utf-8")
    result = check_bundle(bundle)
    assert not result.ok
    [err] = result.errors
    assert err.code == "bundle.E060" and err.file == "entities/quote.yaml"
    assert err.path == "$.print_templates[1].html" and err.line is not None
    assert "slip" in err.message["en"] and "line 1" in err.message["en"] and "语法错误" in err.message["zh"]


# --- through the API ---------------------------------------------------------------------------------
@pytest.fixture
def print_env(forms_env):
    env = forms_env("printing")
    r = env.admin.post(env.url("customer"), json={"name": CUSTOMER, "contact": "王经理"})
    assert r.status_code == 201, r.text
    r = env.admin.post(env.url("quote"), json={
        "number": "QT-2025-001", "customer": r.json()["id"], "quoted_on": "2025-03-05", "status": "draft",
        "discount": "1234.5", "internal_note": "底价可再降三个点", "lines": LINES})
    assert r.status_code == 201, r.text
    env.quote = r.json()
    env.clerk = env.client_for("clerk1", roles=(("printing", "clerk"),))
    return env


def test_a_quote_prints_with_its_customer_and_every_line(print_env):
    env = print_env
    quote = env.quote
    r = env.clerk.get(env.url("quote", f"/{quote['id']}/print/quote"), params={"lang": "zh"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("inline;") and "QT-2025-001" in disposition
    assert "%E6%8A%A5%E4%BB%B7%E5%8D%95" in disposition  # 报价单, the template's label, UTF-8 encoded
    text = pdf_text(r.content)
    assert CUSTOMER in text
    for t in LINE_TOTALS:
        assert t in text
    assert f"合计：¥{TOTAL}" in text
    assert "¥12.34" in text and "¥40.00" in text and "1,000" in text  # money at its precision, a quantity
    assert "报价日期：2025年3月5日" in text and "状态：草稿" in text
    assert "大额报价，需经理审批" in text  # a condition on the raw total
    assert "内部备注：底价可再降三个点" in text
    assert all("NotoSansSC" in name and size > 0 for name, size in embedded_fonts(r.content))

    png = page_png(r.content)
    assert 0.003 < ink(png) < 0.2  # text and the table's rules on a mostly white page
    if os.environ.get("JIMU_WRITE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)

    en = env.clerk.get(env.url("quote", f"/{quote['id']}/print/quote"), params={"lang": "en"})
    assert en.status_code == 200, en.text
    text = pdf_text(en.content)
    assert "Status：Draft" in text and "Date：2025-03-05" in text and "Quote" in text
    assert "Large quote: needs a manager" in pdfium_text(en.content)
    events = env.admin.get("/api/v1/admin/events", params={"kind": "print"}).json()["items"]
    assert len(events) == 2 and events[0]["target"] == f"record:{env.app_name}.quote.{quote['id']}"


def test_a_hidden_field_prints_blank(print_env):
    env = print_env
    url = env.url("quote", f"/{env.quote['id']}/print/slip")
    auditor = env.client_for("auditor1", roles=(("printing", "auditor"),))
    r = auditor.get(url)
    assert r.status_code == 200, r.text
    text = pdf_text(r.content)
    assert "内部备注:[]" in text and "底价" not in text
    assert f"客户:{CUSTOMER}" in text and "折扣:¥1,234.50" in text
    # the same template shows the note to whoever may see it
    assert "内部备注:[底价可再降三个点]" in pdf_text(env.clerk.get(url).content)


def test_printing_needs_the_print_grant_and_a_readable_record(print_env):
    env = print_env
    url = env.url("quote", f"/{env.quote['id']}/print/quote")
    reader = env.client_for("reader1", roles=(("printing", "reader"),))
    assert reader.get(env.url("quote", f"/{env.quote['id']}")).status_code == 200  # may read, not print
    r = reader.get(url)
    assert r.status_code == 403 and r.json()["code"] == "print.E403"
    assert reader.get(env.url("quote", "/print-templates")).status_code == 403

    rep = env.client_for("rep1", roles=(("printing", "rep"),))  # may print, reads only their own quotes
    r = rep.get(url)
    assert r.status_code == 404 and r.json()["code"] == "record.E404"

    listed = env.clerk.get(env.url("quote", "/print-templates"))
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()["items"]] == ["quote", "slip", "escape", "cell_markup"]
    assert listed.json()["items"][0]["label"] == {"zh": "报价单", "en": "Quotation"}


def test_a_template_reaching_for_internals_is_a_422_without_the_record(print_env):
    env = print_env
    r = env.clerk.get(env.url("quote", f"/{env.quote['id']}/print/escape"))
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "print.E003"
    assert "quote.escape" in body["message"]["en"] and "quote.escape" in body["message"]["zh"]
    assert r.headers["content-type"].startswith("application/json")
    assert CUSTOMER not in r.text


def test_what_cannot_be_printed_is_told_plainly(print_env):
    env = print_env
    base = f"/{env.quote['id']}/print/"
    r = env.clerk.get(env.url("quote", base + "cell_markup"))  # a line break inside a table cell
    assert r.status_code == 422 and r.json()["code"] == "print.E005"
    assert "quote.cell_markup" in r.json()["message"]["en"]
    r = env.clerk.get(env.url("quote", base + "nothing"))
    assert r.status_code == 404 and r.json()["code"] == "print.E404"
    r = env.clerk.get(env.url("quote", base + "quote"), params={"lang": "fr"})
    assert r.status_code == 422 and r.json()["code"] == "print.E007"
