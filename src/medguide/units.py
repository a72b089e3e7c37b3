"""Units of dose: one small pint registry, and the fast tables the order reader uses.

Only what medication orders need is defined (mass, volume, and the count units "tablet" and
"packet"); pint's full default definitions take far longer to load and accept spellings a
prescriber never meant as a dose unit.

pint costs about a third of a second to import and tens of microseconds per conversion, too
slow for a command-line start and for the per-order path. So the spellings and factors are
also kept as plain tables (`UNIT_ALIASES`, `MASS_IN_MG`, `VOLUME_IN_ML`); `registry()` builds
the one pint registry from `DEFINITIONS` on first use, and a test proves the tables and the
registry agree. A spelling missing from the tables is looked up in the registry.

>>> normalize_unit("µg")
'mcg'
>>> convert_mass(0.5, "g", "mg")
500.0
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # pragma: no cover
    import pint

# The registry's definitions (pint syntax). Everything below derives from these names.
DEFINITIONS: Final = """
gram = [mass] = g = gm = gramme
milligram = 1e-3 * gram = mg = milligramme
microgram = 1e-6 * gram = mcg = ug = µg = μg = microgramme
kilogram = 1e3 * gram = kg
pound = 453.59237 * gram = lb = lbs
liter = [volume] = L = l = litre
milliliter = 1e-3 * liter = mL = ml = millilitre = cc
teaspoon = 5 * milliliter = tsp
tablet = [tablet] = tab = pill = capsule = cap
packet = [packet] = sachet = pkt
"""

# fmt: off
CANONICAL: Final[dict[str, str]] = {
    "gram": "g", "milligram": "mg", "microgram": "mcg", "kilogram": "kg", "pound": "lb",
    "liter": "L", "milliliter": "mL", "teaspoon": "tsp", "tablet": "tablet", "packet": "packet",
}

MASS_IN_MG: Final[dict[str, float]] = {
    "mg": 1.0, "mcg": 1e-3, "g": 1e3, "kg": 1e6, "lb": 453_592.37,
}
# A teaspoon is read only so that a caregiver's "two teaspoons" of a liquid can be counted in
# an overdose; orders should never be written in it.
VOLUME_IN_ML: Final[dict[str, float]] = {"mL": 1.0, "L": 1e3, "tsp": 5.0}
COUNT_UNITS: Final = frozenset({"tablet", "packet"})

# Lower-case spelling → canonical unit. Plurals are listed so the hot path never needs pint.
UNIT_ALIASES: Final[dict[str, str]] = {
    "mg": "mg", "mgs": "mg", "milligram": "mg", "milligrams": "mg", "milligramme": "mg",
    "milligrammes": "mg",
    "mcg": "mcg", "mcgs": "mcg", "ug": "mcg", "µg": "mcg", "μg": "mcg", "microgram": "mcg",
    "micrograms": "mcg", "microgramme": "mcg", "microgrammes": "mcg",
    "g": "g", "gm": "g", "gram": "g", "grams": "g", "gramme": "g", "grammes": "g",
    "kg": "kg", "kilogram": "kg", "kilograms": "kg",
    "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb",  # body weight only
    "ml": "mL", "mls": "mL", "milliliter": "mL", "milliliters": "mL", "millilitre": "mL",
    "millilitres": "mL", "cc": "mL",
    "l": "L", "liter": "L", "liters": "L", "litre": "L", "litres": "L",
    "tab": "tablet", "tabs": "tablet", "tablet": "tablet", "tablets": "tablet",
    "pill": "tablet", "pills": "tablet",
    # a capsule is counted like a tablet: one solid dose unit of the product's strength
    "capsule": "tablet", "capsules": "tablet", "cap": "tablet", "caps": "tablet",
    "tsp": "tsp", "teaspoon": "tsp", "teaspoons": "tsp",
    "packet": "packet", "packets": "packet", "sachet": "packet", "sachets": "packet",
    "pkt": "packet", "pkts": "packet",
}
# fmt: on


class UnknownUnit(ValueError):
    """A unit spelling medguide does not know; the message names it."""

    def __init__(self, spelling: str) -> None:
        super().__init__(f"unknown unit {spelling!r} (use mg, mcg, g, mL, tablet or packet)")
        self.spelling = spelling


@cache
def registry() -> pint.UnitRegistry[Any]:
    """The application's one pint registry (built on first use, then shared)."""
    import pint

    reg: pint.UnitRegistry[Any] = pint.UnitRegistry(None)
    for line in DEFINITIONS.strip().splitlines():
        reg.define(line)
    return reg


@cache
def normalize_unit(spelling: str) -> str:
    """Canonical spelling of a dose unit ("MG" → "mg", "millilitres" → "mL").

    Raises UnknownUnit for anything else, including compound units ("mg/kg").
    """
    key = spelling.strip()
    found = UNIT_ALIASES.get(key.lower()) or UNIT_ALIASES.get(key)
    if found:
        return found
    if not key or not key.replace("µ", "").replace("μ", "").isalpha():
        raise UnknownUnit(spelling)
    import pint

    try:
        unit = registry().parse_units(key.lower())
    except (pint.errors.PintError, AttributeError, ValueError, TypeError):
        raise UnknownUnit(spelling) from None
    name = str(unit)
    if name not in CANONICAL:
        raise UnknownUnit(spelling)
    return CANONICAL[name]


def is_mass(unit: str) -> bool:
    return unit in MASS_IN_MG


def is_volume(unit: str) -> bool:
    return unit in VOLUME_IN_ML


def convert_mass(value: float, unit: str, to: str) -> float:
    """Convert a mass between mg, mcg, g and kg (canonical or any known spelling)."""
    src, dst = normalize_unit(unit), normalize_unit(to)
    if src not in MASS_IN_MG or dst not in MASS_IN_MG:
        raise ValueError(f"cannot convert {src} to {dst}: both must be masses")
    return value * MASS_IN_MG[src] / MASS_IN_MG[dst]


def convert_volume(value: float, unit: str, to: str) -> float:
    src, dst = normalize_unit(unit), normalize_unit(to)
    if src not in VOLUME_IN_ML or dst not in VOLUME_IN_ML:
        raise ValueError(f"cannot convert {src} to {dst}: both must be volumes")
    return value * VOLUME_IN_ML[src] / VOLUME_IN_ML[dst]


def to_mg(value: float, unit: str) -> float:
    return convert_mass(value, unit, "mg")


def mass_in_unit(value: float, unit: str, to: str) -> float | None:
    """`value unit` in the mass unit `to`, reading a per-kg or per-day unit by its mass part
    ("mg/kg" compares as mg); None when the two are not both masses.

    >>> mass_in_unit(0.3, "mg/day", "mcg"), mass_in_unit(5, "mL", "mg")
    (300.0, None)
    """
    src = unit.split("/")[0]
    if src == to:
        return value
    if src in MASS_IN_MG and to in MASS_IN_MG:
        return value * MASS_IN_MG[src] / MASS_IN_MG[to]
    return None


def fmt_number(x: float) -> str:
    """A number for people: 100000 → "100,000", 0.15 → "0.15", 2.50 → "2.5".

    >>> fmt_number(100000), fmt_number(0.15), fmt_number(2.5), fmt_number(1/3)
    ('100,000', '0.15', '2.5', '0.3333')
    """
    return f"{x:,.0f}" if x == int(x) else f"{x:,.4g}"


# Rate units: an infusion (a pump) or a stated daily total. (mass unit, hours per unit time)
_RATE_PER: Final[dict[str, float]] = {
    "day": 24.0, "d": 24.0, "24h": 24.0, "24 h": 24.0, "24hr": 24.0, "24hrs": 24.0,
    "24 hours": 24.0, "h": 1.0, "hr": 1.0, "hour": 1.0,
}  # fmt: skip


def parse_rate_unit(spelling: str) -> tuple[str, float] | None:
    """(mass unit, factor to a day) of a rate unit such as "mcg/day" or "mg/h"; None when the
    spelling is not a rate.

    >>> parse_rate_unit("mcg/day"), parse_rate_unit("mg/h"), parse_rate_unit("mg")
    (('mcg', 1.0), ('mg', 24.0), None)
    """
    mass, sep, per = spelling.strip().partition("/")
    if not sep:
        return None
    hours = _RATE_PER.get(per.strip().lower())
    unit = UNIT_ALIASES.get(mass.strip().lower())
    if hours is None or unit not in MASS_IN_MG:
        return None
    return unit, 24.0 / hours


def parse_concentration(text: str) -> tuple[float, str]:
    """(amount per mL, mass unit) of a concentration such as "2000 mcg/mL" or "5 mg/5 mL".

    >>> parse_concentration("2000 mcg/mL"), parse_concentration("5 mg / 5 mL")
    ((2000.0, 'mcg'), (1.0, 'mg'))
    """
    import re

    m = re.fullmatch(
        r"\s*(\d+(?:\.\d+)?)\s*([a-zµμ]+)\s*/\s*(\d+(?:\.\d+)?)?\s*(ml|mls|millilitre|milliliter)\s*",
        text.strip().lower(),
    )
    if not m:
        raise ValueError(
            f"concentration {text!r} is not an amount per mL such as '2000 mcg/mL' or '5 mg/mL'"
        )
    unit = UNIT_ALIASES.get(m.group(2))
    if unit not in MASS_IN_MG:
        raise ValueError(f"concentration {text!r} needs a mass unit (mg or mcg) per mL")
    per = float(m.group(3)) if m.group(3) else 1.0
    if per <= 0 or float(m.group(1)) <= 0:
        raise ValueError(f"concentration {text!r} must be above zero")
    return float(m.group(1)) / per, unit
