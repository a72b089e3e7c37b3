"""What people read: advice codes and triage levels in plain words.

One table for every command, so the same code always reads the same way. The codes are the
stable contract (DESIGN.md); these sentences may be reworded.
"""

from __future__ import annotations

ADVICE_TEXT = {
    "call_emergency_services": "Call emergency services now (999 / 911 / 112).",
    "call_poison_center": "Call a poison centre now (US 1-800-222-1222; UK NHS 111).",
    "contact_prescriber": "Contact the prescriber, pharmacist or pump team.",
    "take_missed_dose_now": "Take the missed dose now.",
    "skip_missed_dose": "Skip the missed dose and take the next one at the usual time.",
    "do_not_double": "Never take two doses together or an extra dose to catch up.",
    "do_not_take_all_missed_doses": "Do not take all the missed doses at once.",
    "gradual_taper": "Stop only by lowering the dose step by step, with a plan.",
    "do_not_stop_abruptly": "Do not stop suddenly.",
    "avoid_driving_until_known": "Do not drive or use machines until you know how it affects you.",
    "avoid_alcohol": "Avoid alcohol; it adds to the sleepiness.",
    "monitor_mental_status": "Someone should keep an eye on alertness and confusion.",
    "not_covered_refer": "This is not covered here (or was not fully understood): ask a clinician "
    "or pharmacist, and if you are worried, do not wait.",
    "consider_activated_charcoal": "(For clinicians) activated charcoal may be considered.",
    "consider_hemodialysis": "(For clinicians) haemodialysis may be considered.",
    "reduce_dose": "The dose may need lowering; ask the prescriber.",
}
LEVEL_TEXT = {
    "emergency": "EMERGENCY: call emergency services now.",
    "urgent": "URGENT: get advice today from a clinician, or a poison centre if too much was "
    "taken.",
    "routine": "Not urgent: mention it at the next visit, or sooner if it gets worse.",
    "self_care": "Usually fine to manage yourself; get help if it gets worse.",
}
