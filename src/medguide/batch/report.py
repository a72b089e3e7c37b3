"""The HTML report of a screening run: a static page for people (no script, no CDN).

Counts, the top findings, an inline SVG chart of findings by kidney stage and age band, and the
patients to review first (critical, then high). Orders with no frequency are one line per drug
under "what could not be checked", not one row each; patients whose age could not be read are
said so there. Every value is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STAGES = ("G1", "G2", "G3a", "G3b", "G4", "G5", "unknown")
BANDS = ("<18", "18-44", "45-64", "65-74", "75-84", "85+", "unknown")
REVIEW_LIMIT = 200

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>medguide screening report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;
color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}.critical{color:#a00;font-weight:bold}
.high{color:#c50}.num{text-align:right}small{color:#555}
</style></head><body>
<h1>Medication-safety screening</h1>
<p><small>knowledge version {{ version }} · screened for {{ now }} · medguide</small></p>
<p><b>{{ "{:,}".format(s.patients_screened) }}</b> patients with active medicines screened
({{ "{:,}".format(s.medications_screened) }} orders);
<b>{{ "{:,}".format(s.patients_with_findings) }}</b> have at least one finding
({{ "{:,}".format(s.findings) }} findings).
{{ "{:,}".format(s.patients_without_active_medicines) }} patients had no active medicine.</p>
{% if nc.orders %}<p>{{ "{:,}".format(nc.orders) }} orders of {{ "{:,}".format(nc.patients) }}
patients give no frequency (how often), so they could not be counted; they are grouped by drug
under <a href="#not-checked">what could not be checked</a>, not in the tables below (the findings
files keep one <code>ambiguous_order</code> row for each).</p>{% endif %}
<h2>By severity</h2>
<table><tr><th>severity</th><th>findings</th><th>patients</th></tr>
{% for sev, v in review_counts.by_severity.items() %}<tr><td class="{{ sev }}">{{ sev }}</td>
<td class="num">{{ "{:,}".format(v.findings) }}</td>
<td class="num">{{ "{:,}".format(v.patients) }}</td></tr>
{% endfor %}</table>
<h2>Top findings</h2>
<table><tr><th>finding</th><th>findings</th><th>patients</th></tr>
{% for code, v in top_codes %}<tr><td>{{ code }}</td>
<td class="num">{{ "{:,}".format(v.findings) }}</td>
<td class="num">{{ "{:,}".format(v.patients) }}</td></tr>{% endfor %}</table>
<h2>Patients with a high or critical finding, by kidney stage and age band</h2>
{{ chart | safe }}
<h2>Review first</h2>
<p><small>Critical findings first, then high; at most {{ limit }} rows.</small></p>
<table><tr><th>patient</th><th>severity</th><th>finding</th><th>drugs</th><th>what it means</th>
<th>kidney</th><th>age</th></tr>
{% for r in review %}<tr><td>{{ r[0] }}</td><td class="{{ r[1] }}">{{ r[1] }}</td>
<td>{{ r[2] }}</td><td>{{ r[3] }}</td><td>{{ r[4] }}</td><td>{{ r[5] }}</td>
<td>{{ r[6] }}</td></tr>{% endfor %}
</table>
<h2 id="not-checked">What could not be checked</h2>
{% if nc.orders %}<h3>Orders that could not be counted (no frequency)</h3>
<table><tr><th>drug</th><th>orders</th><th>patients</th></tr>
{% for d in nc.by_drug %}<tr><td>{{ "{:,}".format(d.orders) }} orders of {{ d.drug }} could not
be counted (no frequency)</td><td class="num">{{ "{:,}".format(d.orders) }}</td>
<td class="num">{{ "{:,}".format(d.patients) }}</td></tr>{% endfor %}</table>{% endif %}
{% if s.age_not_known %}<h3>Age not known</h3>
<table><tr><th>reason</th><th>patients</th></tr>
{% for item in s.age_not_known %}<tr><td>{{ item.reason }}</td>
<td class="num">{{ "{:,}".format(item.patients) }}</td></tr>{% endfor %}</table>
<p><small>Their doses were checked against the adult rules, and their age band is
"unknown".</small></p>{% endif %}
<h3>Other checks</h3>
<table><tr><th>reason</th><th>patients</th></tr>
{% for item in s.not_checked %}<tr><td>{{ item.reason }}</td>
<td class="num">{{ "{:,}".format(item.patients) }}</td></tr>{% endfor %}</table>
{% if s.skipped %}<h2>Input skipped</h2>
<table><tr><th>kind</th><th>count</th><th>first places</th></tr>
{% for kind, v in s.skipped.items() %}<tr><td>{{ kind }}</td><td class="num">{{ v.count }}</td>
<td>{{ v.first | join(", ") }}</td></tr>{% endfor %}</table>{% endif %}
{% if attribution %}<p><small>{{ attribution }}</small></p>{% endif %}
</body></html>
"""


def _chart(cells: dict[tuple[str, str], int]) -> str:
    """An SVG grid of stage × age band: the circle's area is the number of patients."""
    from html import escape

    w, h, left, top = 90, 36, 80, 30
    biggest = max(cells.values(), default=0) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + w * len(BANDS)}" '
        f'height="{top + h * len(STAGES) + 10}" role="img" '
        'aria-label="patients with high or critical findings by kidney stage and age band">'
    ]
    for j, band in enumerate(BANDS):
        x = left + j * w + w // 2
        out.append(
            f'<text x="{x}" y="18" text-anchor="middle" font-size="12">{escape(band)}</text>'
        )
    for i, stage in enumerate(STAGES):
        y = top + i * h + h // 2
        out.append(f'<text x="4" y="{y + 4}" font-size="12">{escape(stage)}</text>')
        for j, band in enumerate(BANDS):
            n = cells.get((stage, band), 0)
            if not n:
                continue
            x = left + j * w + w // 2
            r = max(2.0, 16 * (n / biggest) ** 0.5)
            out.append(
                f'<circle cx="{x}" cy="{y}" r="{r:.1f}" fill="#c50" fill-opacity="0.6">'
                f"<title>{escape(stage)}, {escape(band)}: {n}</title></circle>"
                f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-size="10">{n}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def write_report(out: Path, summary: dict[str, Any], report: Path) -> None:
    import json

    import duckdb
    from jinja2 import Environment

    from medguide.batch.run import NO_FREQUENCY_SQL, write_text_atomic

    con = duckdb.connect()
    con.execute(f"CREATE VIEW f AS SELECT * FROM read_parquet('{out / 'findings.parquet'}')")
    # the orders with no frequency are listed by drug, not one by one (see run._grouped)
    cells = {
        (stage, band): int(n)
        for stage, band, n in con.execute(
            "SELECT kidney_stage, age_band, count(DISTINCT patient) FROM f "
            f"WHERE severity IN ('critical', 'high') AND NOT ({NO_FREQUENCY_SQL}) GROUP BY 1, 2"
        ).fetchall()
    }
    review = con.execute(
        "SELECT patient, severity, code, drugs, message, kidney_stage, age_band FROM f "
        f"WHERE severity IN ('critical', 'high') AND NOT ({NO_FREQUENCY_SQL}) "
        "ORDER BY severity = 'critical' DESC, patient, code LIMIT ?",
        [REVIEW_LIMIT],
    ).fetchall()
    row = con.execute("SELECT any_value(knowledge_version) FROM f").fetchone()
    con.close()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    attribution = None
    if any("mimic" in i.lower() for i in manifest.get("inputs", [])):
        attribution = (
            "Data: MIMIC-III Clinical Database Demo v1.4 (Johnson AEW et al., Sci Data 2016; "
            "PhysioNet), under the Open Database License (ODbL) 1.0."
        )
    not_counted = summary.get("not_counted") or {"orders": 0, "patients": 0, "by_drug": []}
    review_counts = summary.get("to_review") or {
        "by_code": summary["by_code"],
        "by_severity": summary["by_severity"],
    }
    env = Environment(autoescape=True)
    html = env.from_string(TEMPLATE).render(
        s=summary,
        version=row[0] if row else "",
        now=manifest.get("now", ""),
        top_codes=list(review_counts["by_code"].items())[:15],
        review_counts=review_counts,
        nc=not_counted,
        chart=_chart(cells),
        review=review,
        limit=REVIEW_LIMIT,
        attribution=attribution,
    )
    write_text_atomic(report, html)
