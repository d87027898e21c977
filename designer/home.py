"""The start page at ``/``: the installed apps and their entities, in Chinese and English. It shows no
data (it is readable before signing in); the end-user web app (lists, forms, inbox) replaces it.
Until then it says what is served and where the API and its documentation are."""
from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>积木 Jimu</title>
<style>
body{{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f7fa;color:#303133}}
header{{background:#1f6feb;color:#fff;padding:16px 24px}} header h1{{margin:0;font-size:20px}}
main{{max-width:960px;margin:24px auto;padding:0 16px}}
.app{{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 20px;margin-bottom:16px}}
.app h2{{margin:0 0 4px;font-size:18px}} .muted{{color:#909399;font-size:13px}}
table{{width:100%;border-collapse:collapse;margin-top:12px}}
td,th{{text-align:left;padding:8px;border-bottom:1px solid #ebeef5}}
a{{color:#1f6feb;text-decoration:none}}
</style></head>
<body><header><h1>积木 Jimu</h1><div class="muted" style="color:#dbe7ff">无代码平台 · No-code platform</div></header>
<main>{apps}
<p class="muted">接口文档 API documentation: <a href="/docs">/docs</a> · <a href="/api/v1/apps">/api/v1/apps</a></p>
</main></body></html>"""


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    rt = request.app.state.runtime
    parts = []
    for name in sorted(rt.apps):
        app = rt.apps[name].compiled
        rows = []
        for e in app.entities.values():
            url = f"/api/v1/records/{app.name}/{e.name}"
            rows.append(f"<tr><td>{_esc(e.label.get('zh'))} · {_esc(e.label.get('en'))}</td>"
                        f"<td><code>{_esc(url)}</code></td></tr>")
        parts.append(
            f"<section class=\"app\"><h2>{_esc(app.label.get('zh'))} · {_esc(app.label.get('en'))}</h2>"
            f"<div class=\"muted\">{_esc(app.name)} {_esc(app.version)}</div>"
            f"<table><tr><th>实体 Entity</th><th>API</th></tr>{''.join(rows)}</table></section>")
    if not parts:
        parts.append("<section class=\"app\">尚未安装应用。No app installed yet: "
                     "<code>jimu install apps/sales_erp --demo</code></section>")
    return HTMLResponse(_PAGE.format(apps="".join(parts)))


def _esc(s) -> str:
    return html.escape(str(s or ""))
