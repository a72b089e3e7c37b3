"""Changes of dose: an order read against the regimen it replaces (`replaces`).

Medicine reconciliation and a CDS Hooks draft order beside the active one are changes, not
two orders: the replaced regimen is never counted in the daily total or as a duplicate. The
change itself is checked:

- a new daily amount about a thousand times (or a thousandth of) the old one is a unit slip
  (mg for mcg), `unit_mismatch`, critical (ISMP, S86);
- a cut of half or more in someone who has taken the drug for weeks is `withdrawal_risk`:
  the drug's withdrawal after an abrupt reduction (S5, S39), with a taper suggested from the
  knowledge's taper rule;
- a liquid switched to another product at the same volume, where the two concentrations
  differ, is `concentration_confusion`, high, with both daily totals in mg (ISMP on liquid
  baclofen, S8).
"""

from __future__ import annotations

from dataclasses import dataclass

from medguide.clinical.amounts import Dose, dose_of
from medguide.clinical.context import Context
from medguide.clinical.findings import CheckResult, Finding, NotChecked
from medguide.clinical.model import Order
from medguide.clinical.orders import parse_medication
from medguide.clinical.request import Medication, PriorRegimen
from medguide.units import fmt_number

# At or beyond this ratio a change is read as a unit slip, not a new dose (a thousand-fold
# error with room for rounding; no real change of dose is a 500-fold step).
UNIT_SLIP_RATIO = 500.0
# A cut to this fraction of the daily amount or less is a large cut (issue text and S73:
# tapers lower the dose in steps far smaller than half).
LARGE_CUT = 0.5


@dataclass(frozen=True)
class Change:
    old: Dose
    new: Dose
    old_daily: float
    new_daily: float

    @property
    def ratio(self) -> float:
        return self.new_daily / self.old_daily

    def as_dict(self) -> dict[str, object]:
        return {
            "order": self.new.order.index,
            "drug": self.new.drug.id,
            "old_daily": round(self.old_daily, 4),
            "new_daily": round(self.new_daily, 4),
            "unit": self.new.unit,
            "ratio": round(self.ratio, 4),
        }


def prior_order(ctx: Context, order: Order, prior: PriorRegimen) -> Order:
    """The replaced regimen read like an order (the new order's drug and route by default)."""
    med = ctx.request.medications[order.index]
    as_med = Medication(
        text=prior.text,
        drug=prior.drug or (None if prior.text else med.drug),
        dose=prior.dose,
        unit=prior.unit,
        route=prior.route or med.route,
        frequency=prior.frequency,
        concentration=prior.concentration,
        started=prior.started,
    )
    return parse_medication(ctx.catalog, as_med, order.index)


def _days_on(ctx: Context, prior: PriorRegimen) -> int | None:
    if prior.started is None or ctx.now is None:
        return None
    return (ctx.now.date() - prior.started).days


def _slip(c: Change) -> Finding:
    return Finding(
        "unit_mismatch",
        "critical",
        f"The new {c.new.drug.name} order is {fmt_number(c.new_daily)} {c.new.unit} a day "
        f"where it replaces {fmt_number(c.old_daily)} {c.old.unit} a day: "
        f"{fmt_number(round(c.ratio if c.ratio > 1 else 1 / c.ratio))} times "
        f"{'more' if c.ratio > 1 else 'less'}. That is the size of a mg/mcg slip; confirm "
        "the unit before any dose is given.",
        (c.new.drug.id,),
        c.as_dict(),
        ("contact_prescriber",),
        ("S86",),
    )


def _cut(ctx: Context, c: Change, days: int | None) -> Finding | None:
    drug = c.new.drug
    taper = drug.taper
    weeks = taper.min_days if taper is not None else 14
    if days is not None and days < weeks:
        return None
    sources = tuple(dict.fromkeys(s for w in drug.withdrawal for x in w.signs for s in x.sources))
    if taper is not None:
        sources = tuple(dict.fromkeys([*sources, *taper.sources]))
    how_long = (
        f"after {days // 7} weeks on it"
        if days is not None
        else "(how long it was taken is not given)"
    )
    return Finding(
        "withdrawal_risk",
        "high" if days is not None else "moderate",
        f"{drug.name} goes from {fmt_number(c.old_daily)} to {fmt_number(c.new_daily)} "
        f"{c.new.unit} a day in one step {how_long}: a cut this large can bring on "
        "withdrawal. Lower it in steps instead; see a taper plan.",
        (drug.id,),
        {**c.as_dict(), "days_on_drug": days, "taper_min_days": weeks},
        ("gradual_taper", "do_not_stop_abruptly", "contact_prescriber"),
        sources or ("S5",),
    )


def _same_volume_switch(ctx: Context, order: Order, prior: Order, c: Change) -> Finding | None:
    if order.unit != "mL" or prior.unit != "mL" or order.dose != prior.dose:
        return None
    if order.name.product_id == prior.name.product_id or abs(c.ratio - 1.0) < 0.01:
        return None
    return Finding(
        "concentration_confusion",
        "high",
        f"The same {fmt_number(order.dose or 0)} mL of another {c.new.drug.name} liquid is "
        f"{fmt_number(c.new_daily)} {c.new.unit} a day instead of {fmt_number(c.old_daily)} "
        f"{c.new.unit}: the products have different strengths. Prescribe in "
        f"{c.new.unit} and check the volume.",
        (c.new.drug.id,),
        c.as_dict(),
        ("contact_prescriber",),
        ("S8",),
    )


def check_changes(ctx: Context) -> CheckResult:
    findings: list[Finding] = []
    not_checked: list[NotChecked] = []
    changes: list[dict[str, object]] = []
    for order in ctx.orders:
        if order.index >= len(ctx.request.medications):
            continue
        prior = ctx.request.medications[order.index].replaces
        if prior is None:
            continue
        old_order = prior_order(ctx, order, prior)
        new, old = dose_of(ctx.catalog, order), dose_of(ctx.catalog, old_order)
        if new is None or old is None or new.daily is None or old.daily is None or not old.daily:
            not_checked.append(
                NotChecked(
                    "change_of_dose",
                    f"the change from the replaced regimen of {order.name.matched or order.text} "
                    "could not be worked out (a dose or frequency is missing)",
                    tuple(x for x in (order.name.drug_id,) if x),
                )
            )
            continue
        c = Change(old, new, old.daily, new.daily)
        changes.append(c.as_dict())
        if c.ratio >= UNIT_SLIP_RATIO or c.ratio <= 1 / UNIT_SLIP_RATIO:
            findings.append(_slip(c))
            continue
        if c.ratio <= LARGE_CUT:
            cut = _cut(ctx, c, _days_on(ctx, prior))
            if cut is not None:
                findings.append(cut)
        switch = _same_volume_switch(ctx, order, old_order, c)
        if switch is not None:
            findings.append(switch)
    return CheckResult(
        findings=tuple(findings),
        not_checked=tuple(not_checked),
        computed={"changes": changes} if changes else {},
    )
