"""What the pages show: plain words for codes, and the adherence chart as inline SVG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

ADVICE_WORDS: Mapping[str, str] = {
    "call_emergency_services": "Call emergency services now.",
    "call_poison_center": "Phone a poison centre now.",
    "contact_prescriber": "Talk to the prescriber, a pharmacist or the pump team.",
    "take_missed_dose_now": "Take the missed dose now.",
    "skip_missed_dose": "Leave out the missed dose and take the next one at its usual time.",
    "do_not_double": "Never take two doses at once, or an extra one to catch up.",
    "do_not_take_all_missed_doses": "Do not take the missed doses all together.",
    "gradual_taper": "Come off it only step by step, with a plan from the prescriber.",
    "do_not_stop_abruptly": "Do not stop it suddenly.",
    "avoid_driving_until_known": "Do not drive or use machines until you know how it affects you.",
    "avoid_alcohol": "Keep away from alcohol: it makes the drowsiness worse.",
    "monitor_mental_status": "Someone should watch for heavy sleepiness or confusion.",
    "not_covered_refer": "This is not covered here: ask a pharmacist or clinician.",
    "consider_activated_charcoal": "For clinicians: activated charcoal may be considered.",
    "consider_hemodialysis": "For clinicians: haemodialysis may be considered.",
    "reduce_dose": "The dose may need to be lower: ask the prescriber.",
}

SEVERITY_WORDS: Mapping[str, str] = {
    "critical": "Very serious",
    "high": "Serious",
    "moderate": "Take care",
    "low": "Worth knowing",
    "info": "For information",
}

LEVEL_WORDS: Mapping[str, str] = {
    "emergency": "Emergency: call for help now",
    "urgent": "Get advice today",
    "routine": "Mention it at the next visit",
    "self_care": "Usually fine to look after yourself",
}

EMERGENCY_NUMBERS = "911 in the US and Canada, 999 in the UK, 112 in the EU"


def advice_words(codes: Sequence[str]) -> list[str]:
    return [ADVICE_WORDS.get(c, c.replace("_", " ")) for c in codes]


def adherence_svg(days: Sequence[Mapping[str, Any]], title: str = "Doses taken each day") -> str:
    """One bar a day (share of expected doses taken), with the numbers written on the bars so
    nothing depends on colour or hover. Scales to the width of a phone."""
    n = max(len(days), 7)  # a week wide at least, so one day's bar is not a wall
    bar, gap, h, top, bottom = 36, 8, 120, 20, 34
    width = n * (bar + gap) + gap
    parts = [
        f'<svg role="img" aria-labelledby="chart-title" viewBox="0 0 {width} {h + top + bottom}"'
        f' width="100%" style="max-width:{max(width, 240)}px" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line x1="0" y1="{top + h}" x2="{width}" y2="{top + h}" stroke="#333"/>',
    ]
    for i, d in enumerate(days):
        taken, expected = int(d.get("taken", 0)), int(d.get("expected", 0))
        ratio = taken / expected if expected else 0.0
        x = gap + i * (bar + gap)
        bh = round(h * ratio)
        parts.append(
            f'<rect x="{x}" y="{top + h - bh}" width="{bar}" height="{bh}" fill="#1f5f99">'
            f"<title>{escape(str(d.get('period')))}: {taken} of {expected}</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar / 2}" y="{top + h - bh - 4}" text-anchor="middle" '
            f'font-size="12" fill="#111">{taken}/{expected}</text>'
        )
        label = str(d.get("period", ""))[5:]
        parts.append(
            f'<text x="{x + bar / 2}" y="{top + h + 16}" text-anchor="middle" '
            f'font-size="11" fill="#111">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
