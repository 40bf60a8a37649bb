"""``/docs``: a self-contained HTML page rendered from the OpenAPI document (no scripts, no CDN)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from api.problems import PROBLEM_TYPES

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.method{font-weight:bold;text-transform:uppercase;padding:.1rem .4rem;border-radius:4px;background:#e8eefc}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
"""


def _parameters(parameters: list[dict[str, Any]]) -> str:
    if not parameters:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{'yes' if p.get('required') else 'no'}</td>"
        f"<td><code>{escape(json.dumps(p.get('schema', {})))}</code></td>"
        f"<td>{escape(p.get('description', ''))}</td></tr>" for p in parameters)
    return ("<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th>"
            f"<th>description</th></tr>{rows}</table>")


def _responses(responses: dict[str, Any]) -> str:
    items = []
    for code, response in responses.items():
        types = ", ".join(response.get("content", {})) or "no body"
        items.append(f"<li><b>{escape(code)}</b> {escape(response.get('description', ''))} "
                     f"<small>({escape(types)})</small></li>")
    return f"<ul>{''.join(items)}</ul>"


def _operation(path: str, method: str, operation: dict[str, Any]) -> str:
    body = ""
    request_body = operation.get("requestBody")
    if request_body:
        schema = request_body["content"]["application/json"]["schema"]
        body = f"<p>Request body (application/json): <code>{escape(json.dumps(schema))}</code></p>"
    anchor = escape(f"{method}-{path}")
    return (f'<div class="op" id="{anchor}"><p><span class="method">{escape(method)}</span> '
            f"<code>{escape(path)}</code> — {escape(operation.get('summary', ''))}</p>"
            f"<p>{escape(operation.get('description', ''))}</p>"
            f"{_parameters(operation.get('parameters', []))}{body}{_responses(operation['responses'])}</div>")


def _problem_types() -> str:
    rows = "".join(f'<tr id="problem-{escape(slug)}"><td><code>{escape(slug)}</code></td>'
                   f"<td>{escape(text)}</td></tr>" for slug, text in PROBLEM_TYPES)
    return ("<h2>problem types</h2><p>Every error is <code>application/problem+json</code> (RFC 9457); its "
            "<code>type</code> is <code>/docs#problem-&lt;name&gt;</code>, explained here.</p>"
            f"<table><tr><th>name</th><th>means</th></tr>{rows}</table>")


def render_docs(spec: dict[str, Any]) -> str:
    info = spec["info"]
    sections = []
    for tag in spec.get("tags", []):
        operations = [_operation(path, method, op) for path, item in spec["paths"].items()
                      for method, op in item.items() if tag["name"] in op.get("tags", [])]
        sections.append(f"<h2>{escape(tag['name'])}</h2><p>{escape(tag['description'])}</p>"
                        + "".join(operations))
    schemas = "".join(
        f"<h3 id=\"schema-{escape(name)}\">{escape(name)}</h3>"
        f"<pre>{escape(json.dumps(schema, indent=2))}</pre>"
        for name, schema in spec["components"]["schemas"].items())
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{escape(info['title'])} API</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(info['title'])} API {escape(info['version'])}</h1>"
            f"<p>{escape(info['description'])}</p>"
            f"<p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1).</p>"
            f"{''.join(sections)}{_problem_types()}<h2>schemas</h2>{schemas}</body></html>")
