"""What to do, in plain words: the advice codes of an answer as parts people read.

The advice codes are the contract (DESIGN.md); these sentences may be reworded. Each advice
part cites the guide section its advice comes from. Spanish wording covers the safety parts
(the opening action and every advice line); the rest of a Spanish answer stays in English
and says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from medguide.answers.model import AnswerPart, Draft
from medguide.answers.retrieval import guide_index
from medguide.knowledge.catalog import Catalog

# Order in which advice is shown: the most urgent first.
ADVICE_ORDER = (
    "call_emergency_services",
    "call_poison_center",
    "contact_prescriber",
    "do_not_stop_abruptly",
    "gradual_taper",
    "do_not_double",
    "take_missed_dose_now",
    "skip_missed_dose",
    "do_not_take_all_missed_doses",
    "avoid_alcohol",
    "avoid_driving_until_known",
    "monitor_mental_status",
    "not_covered_refer",
)
ADVICE_EN: Mapping[str, str] = {
    "call_emergency_services": "Call emergency services (911, 112 or 999) for danger signs: "
    "very hard to wake, slow or odd breathing, a seizure, high fever with stiffness.",
    "call_poison_center": "If too much may have been taken, call a poison centre (US "
    "1-800-222-1222; UK NHS 111) even when there are no signs yet.",
    "contact_prescriber": "Talk to your doctor or pharmacist (or the pump team) about this; "
    "they know your whole situation.",
    "do_not_stop_abruptly": "Do not stop it suddenly: stopping all at once can cause "
    "withdrawal (seeing things, fits, high fever, worse stiffness).",
    "gradual_taper": "Coming off is done slowly, lowering the dose step by step over one to "
    "two weeks or longer, with a plan from the prescriber.",
    "do_not_double": "Never take a double dose or extra tablets to make up for a missed one.",
    "take_missed_dose_now": "If you remember soon after the usual time, take the missed dose.",
    "skip_missed_dose": "If the next dose is due soon (within about 2 hours), skip the missed "
    "one and take the next at the usual time.",
    "do_not_take_all_missed_doses": "Do not take all the missed doses at once; ask the "
    "prescriber how to restart after several missed days.",
    "avoid_alcohol": "Avoid alcohol: it adds to the sleepiness and slows breathing more.",
    "avoid_driving_until_known": "Do not drive or use machines until you know how it affects you.",
    "monitor_mental_status": "Someone should keep an eye on how alert and clear-headed the "
    "person is.",
    "not_covered_refer": "For anything medguide cannot answer, ask a pharmacist or your "
    "prescriber; if you are worried, do not wait.",
}
ADVICE_ES: Mapping[str, str] = {
    "call_emergency_services": "Llame a los servicios de emergencia (911 o 112) ante señales "
    "de peligro: cuesta mucho despertarle, respira lento o raro, tiene una convulsión, o "
    "fiebre alta con rigidez.",
    "call_poison_center": "Si pudo tomar de más, llame a un centro de toxicología (en Estados "
    "Unidos 1-800-222-1222) aunque todavía no haya síntomas.",
    "contact_prescriber": "Hable con su médico o farmacéutico (o con la clínica de la bomba); "
    "conocen toda su situación.",
    "do_not_stop_abruptly": "No lo deje de golpe: dejarlo de repente puede causar abstinencia "
    "(alucinaciones, convulsiones, fiebre alta, más rigidez).",
    "gradual_taper": "Se deja poco a poco, bajando la dosis despacio durante una o dos semanas "
    "o más, con un plan de su médico.",
    "do_not_double": "Nunca tome dos dosis juntas ni pastillas de más para compensar una "
    "dosis olvidada (no tome doble dosis).",
    "take_missed_dose_now": "Si se acuerda poco después de la hora, tome la dosis olvidada.",
    "skip_missed_dose": "Si falta poco (unas 2 horas) para la siguiente, sáltese la olvidada y "
    "tome la siguiente a su hora.",
    "do_not_take_all_missed_doses": "No tome juntas todas las dosis olvidadas; pregunte a su "
    "médico cómo volver a empezar.",
    "avoid_alcohol": "Evite el alcohol: aumenta el sueño y frena más la respiración.",
    "avoid_driving_until_known": "No maneje ni use máquinas hasta saber cómo le afecta.",
    "monitor_mental_status": "Alguien debe vigilar si la persona está despierta y lúcida.",
    "not_covered_refer": "Para lo que medguide no puede responder, pregunte a un farmacéutico "
    "o a su médico; si está preocupado, no espere.",
}
# The opening action in Spanish, by the advice code of the opening part.
OPENER_ES: Mapping[str, str] = {
    "call_emergency_services": "Llame ahora a los servicios de emergencia (911 en Estados "
    "Unidos y gran parte de América Latina, 112 en Europa): es una urgencia.",
    "call_poison_center": "Llame ahora a un centro de toxicología (en Estados Unidos "
    "1-800-222-1222), aunque la persona parezca estar bien; llame a emergencias (911 o 112) "
    "si cuesta despertarla, respira lento o tiene una convulsión.",
    "contact_prescriber": "Hable hoy mismo con su médico, su farmacéutico o la clínica de la "
    "bomba: esto hay que revisarlo hoy.",
}
NOT_TRANSLATED_ES = (
    "Lo anterior (qué hacer) está en español; el resto de la respuesta sigue en inglés porque "
    "no está traducido. Un farmacéutico puede explicárselo en español."
)
# The guide section each piece of advice comes from, for its sources.
ADVICE_SECTION: Mapping[str, str] = {
    "call_emergency_services": "overdose",
    "call_poison_center": "overdose",
    "contact_prescriber": "warnings",
    "do_not_stop_abruptly": "stopping",
    "gradual_taper": "stopping",
    "do_not_double": "missed_dose",
    "take_missed_dose_now": "missed_dose",
    "skip_missed_dose": "missed_dose",
    "do_not_take_all_missed_doses": "missed_dose",
    "avoid_alcohol": "lifestyle",
    "avoid_driving_until_known": "lifestyle",
    "monitor_mental_status": "side_effects",
}


def _sources(catalog: Catalog, focus: str | None, code: str) -> tuple[str, ...]:
    if focus is None:
        return ()
    guide = guide_index(catalog).guides.get(focus)
    sec = guide.section(ADVICE_SECTION.get(code, "")) if guide else None
    if sec is None or not sec.items:
        return ()
    return tuple(dict.fromkeys(sec.items[0].sources))


def advice_parts(
    catalog: Catalog, focus: str | None, draft: Draft, lang: str = "en"
) -> list[AnswerPart]:
    """One "what to do" part per advice code, most urgent first; the advice already said by
    the opening sentence is not repeated."""
    table = ADVICE_ES if lang == "es" else ADVICE_EN
    opened = {p.code for p in draft.parts if p.kind == "emergency"}
    codes = sorted(
        (c for c in draft.advice if c in table and c not in opened),
        key=lambda c: ADVICE_ORDER.index(c) if c in ADVICE_ORDER else 99,
    )
    return [
        AnswerPart(
            "advice",
            table[c],
            _sources(catalog, focus, c),
            focus,
            ADVICE_SECTION.get(c),
            "What to do",
            False,
            c,
        )
        for c in codes
    ]
