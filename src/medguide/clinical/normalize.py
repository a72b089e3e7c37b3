"""A request as the checks read it: what a pump block says, said in the request's own terms.

An intrathecal pump is a dose like any other, so its daily rate (and a bolus) becomes an
intrathecal order that the dose checks read; its alarm and an overdue refill become the
events the triage already weighs (pump alarm, missed refill). One code path checks a pump
and an order, whoever sent them.
"""

from __future__ import annotations

from datetime import datetime

from medguide.clinical.request import AssessRequest, Event, Medication, Pump
from medguide.units import parse_rate_unit


def _refill_overdue_days(pump: Pump, now: datetime | None) -> float | None:
    if pump.refill_overdue_days is not None:
        return pump.refill_overdue_days
    if pump.refill_due is not None and now is not None:
        late = (now.date() - pump.refill_due).days
        return float(late) if late > 0 else 0.0
    return None


def _pump_orders(pump: Pump, existing: tuple[Medication, ...]) -> list[Medication]:
    """The pump's rate as an order, unless the caller already listed an intrathecal order."""
    listed = any(
        (m.route or "").lower().startswith("intrathecal")
        or (m.unit is not None and parse_rate_unit(m.unit) is not None)
        for m in existing
    )
    out: list[Medication] = []
    if pump.daily_dose is not None and pump.unit is not None and not listed:
        unit = pump.unit if parse_rate_unit(pump.unit) else f"{pump.unit}/day"
        out.append(
            Medication(
                drug=pump.drug,
                dose=pump.daily_dose,
                unit=unit,
                route="intrathecal",
                concentration=pump.concentration,
            )
        )
    if pump.bolus_mcg is not None:
        out.append(Medication(text=f"{pump.drug} {pump.bolus_mcg:g} mcg intrathecal bolus"))
    return out


def normalize_request(request: AssessRequest, now: datetime | None) -> AssessRequest:
    """The request with its pump block turned into orders and events (pure)."""
    pump = request.pump
    if pump is None:
        return request
    events = list(request.events)
    kinds = {e.kind for e in events}
    if pump.alarm and "pump_alarm" not in kinds:
        events.append(Event(kind="pump_alarm", drug=pump.drug))
    late = _refill_overdue_days(pump, now)
    if late and "pump_refill_missed" not in kinds:
        events.append(Event(kind="pump_refill_missed", drug=pump.drug, days_ago=late))
    extra = _pump_orders(pump, request.medications)
    return request.model_copy(
        update={"events": tuple(events), "medications": (*request.medications, *extra)}
    )
