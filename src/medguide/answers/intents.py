"""What kind of question it is: a keyword, pattern and entity classifier with a confidence.

Each intent has weighted patterns; the entities found in the question add weight (a beer →
alcohol, a second medicine → an interaction, a red-flag symptom → an emergency). The highest
score wins; the confidence grows with the score and with its margin over the runner-up. Two
questions in one ("what is it for and can I drive?") are split and classified part by part.

Intents whose answer is a referral (a personal dose change, a diagnosis, animals, money,
the law) are intents too: they are recognised here and declined by `decline.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from medguide.answers.entities import Entities

# Intent → the guide sections that answer it, best first. Clinical functions are added by the
# composer for the intents that need them (interactions, missed dose, overdose, emergency).
INTENT_SECTIONS: Mapping[str, tuple[str, ...]] = {
    "overview": ("overview", "uses"),
    "uses": ("uses", "corrections", "faq"),
    "how_it_works": ("how_it_works", "faq"),
    "onset": ("faq", "how_it_works", "pharmacokinetics"),
    "duration": ("pharmacokinetics", "faq"),
    "how_to_take": ("how_to_take", "products"),
    "dose": ("dosing",),
    "missed_dose": ("missed_dose",),
    "overdose": ("overdose",),
    "emergency": ("overdose", "stopping"),
    "side_effects": ("side_effects", "warnings"),
    "warnings": ("warnings", "contraindications", "conditions"),
    "interaction_drug": ("interactions",),
    "interaction_alcohol": ("lifestyle", "interactions", "warnings"),
    "interaction_herbal": ("interactions", "lifestyle"),
    "interaction_food": ("how_to_take", "lifestyle", "interactions"),
    "pregnancy": ("pregnancy",),
    "breastfeeding": ("pregnancy",),
    "children": ("children", "dosing"),
    "older_adults": ("older_adults", "kidneys_liver"),
    "kidneys_liver": ("kidneys_liver",),
    "driving": ("lifestyle", "warnings"),
    "stopping": ("stopping",),
    "dependence": ("stopping", "faq", "corrections"),
    "storage": ("storage",),
    "brand_names": ("products",),
    "alternatives": ("alternatives", "corrections", "faq"),
    "pump": ("products", "dosing", "warnings", "stopping", "overdose"),
}
# Intents answered by referral, never from the knowledge.
REFER_INTENTS: frozenset[str] = frozenset(
    {
        "dose_change",
        "diagnosis",
        "animal",
        "cost_access",
        "legal",
        "identify_pill",
        "misuse",
        "covert",
    }
)
INTENTS: tuple[str, ...] = (*INTENT_SECTIONS, *sorted(REFER_INTENTS))

# Words people use for each intent, lowercased regexes with a weight: 3 is decisive on its
# own, 2 is strong, 1 only tips a balance.
PATTERNS: Mapping[str, tuple[tuple[str, int], ...]] = {
    "overview": (
        (r"^(so )?what('?s| is| are) (it|this|that|\w+)\s*\??$", 3),
        (r"\btell me (about|more)\b", 2),
        (r"\bwhat (kind|type|sort) of (drug|medicine|medication) is\b", 3),
        (r"\bwhat is (this|that) (drug|medicine|medication|pill)\b", 3),
        (r"\bis (it|\w+) a muscle relaxant\b", 2),
    ),
    "uses": (
        (r"\bused (for|to)\b", 3),
        (r"\buse[sd]? of\b", 1),
        (r"\bwhat('?s| is| does) (it|\w+) for\b", 3),
        (r"\bwhy (was|am|is|did|do|would)\b.{0,40}\b(prescrib\w*|given|taking|on)\b", 3),
        (r"\bprescribed (for|to)\b", 3),
        (r"\btreat(s|ing|ment)?\b", 2),
        (r"\bhelp(s)? (with|for)\b", 2),
        (r"\bgood for\b", 2),
        (r"\bwork for\b", 2),
        (r"\bpain ?killer|\bpain relief|\brelieve (my )?pain|\bfor (the )?pain\b", 3),
        (r"\boff[- ]label\b", 3),
        (r"\bapproved (for|to)\b", 2),
        (r"\bindicat", 2),
        (r"\bfor (back pain|anxiety|hiccups?|alcohol|cramps?|sleep|spasms?|ms\b)", 2),
        (
            r"\b(anxiety|hiccups?|back pain|cerebral palsy|spinal cord injur|multiple sclerosis)\b",
            1,
        ),
        (r"\bwho should (get|take)\b.{0,30}\bwhy\b", 3),
        # Alcohol as the condition treated, not a drink taken with it (off-label AUD use).
        (
            r"\balcohol(ism| use disorder| dependence| addiction| cravings?| withdrawal)\b"
            r"|\b(quit|stop|cut down|cut back on) (drinking|alcohol)\b|\bcravings?\b",
            5,
        ),
    ),
    "how_it_works": (
        (r"\bhow does (it|\w+)( \w+)? work\b", 3),
        (r"\bmechanism\b", 3),
        (r"\bgaba\b", 2),
        (r"\bwhat does (it|\w+) do (in|to) (the|my|your) (body|brain|nerves|muscles|spine)", 3),
        (r"\bwork in the body\b", 3),
        (r"\bhow (it|\w+) works\b", 3),
        (r"\bact(s)? on\b", 1),
    ),
    "onset": (
        (
            r"\bhow (long|soon|quickly|fast)\b.{0,40}\b(work|kick in|take effect|start|help|notice"
            r"|feel|effect)",
            3,
        ),
        (r"\bkick(s)? in\b", 3),
        (r"\bstart(s)? working\b", 3),
        (
            r"\bwhen (will|does|should) (i|it|\w+)\b.{0,25}\b(feel|work|notice"
            r"|help|start)",
            3,
        ),
        (r"\bnot (working|helping) yet\b", 3),
        (r"\bhow long until\b", 2),
    ),
    "duration": (
        (r"\bstay(s)? in (your|my|the) (system|body|blood)", 3),
        (r"\bhalf[- ]?life\b", 3),
        (r"\bwear(s)? off\b", 3),
        (r"\bhow long does (it|\w+) last\b", 3),
        (r"\bleave (your|my|the|his|her) (body|system)\b", 3),
        (r"\bout of (my|your|the) system\b", 3),
    ),
    "how_to_take": (
        (r"\bhow (should|do|can|to|would) (i |we |you )?(take|use|give|swallow)\b", 3),
        (
            r"\b(with|without|after|before) (food|meals?|a meal|water|milk|juice|dinner"
            r"|breakfast|lunch|supper|eating)\b",
            3,
        ),
        (r"\bempty stomach\b", 3),
        (
            r"\bcrush|\bsplit (it|the|my|a)|\bchew|\bcut (it|the|my|a)"
            r"( \w+)? (pill|tablet)",
            3,
        ),
        (r"\bfeeding tube|\bg-?tube|\bng tube|\bpeg tube", 3),
        (r"\bgranules|\bsprinkle|\bapplesauce|\byogh?urt|\bsoft food", 2),
        (
            r"\b(before|at) (bed|bedtime|night)\b|\bwhat time of day\b"
            r"|\bmorning or (night|evening)",
            2,
        ),
        (r"\bhow many times a day\b|\bhow often\b", 3),
        # "10 mg three times a day" states a regimen; only a question about it is decisive.
        (r"\btimes a day\b", 1),
        (r"\bswallow", 1),
        (r"\bmeasure\b", 1),
    ),
    "dose": (
        # "20 three times a day, is that too much?": a dose to check, not an overdose
        (r"\b(is|isn'?t) (that|it|this)( dose)? (too much|too high|a lot|high)\b", 4),
        (r"\bhow high\b|\bhighest dose\b|\bmost i can take\b", 3),
        (r"\bhow much\b", 2),
        (r"\bdos(e|es|age|ing)\b", 2),
        (r"\bmax(imum|\.)?\b", 3),
        (r"\bhow many (mg|milligrams|tablets|pills)\b", 2),
        (r"\bstart(ing)? dose\b", 3),
        (r"\bhighest\b", 2),
        (r"\bmost (i|you|one) can take\b", 3),
        (r"\blimit\b", 2),
        (r"\btitrat", 3),
        (r"\busual dose\b", 3),
        (r"\bper day\b|\ba day\b", 1),
        (
            r"\b\d+(\.\d+)? ?(mg|milligrams?|ml|mls|millilit\w+)\b.{0,30}\b(too much|a lot|ok"
            r"|okay|safe|normal|too high|fine|alright|dangerous|\d+ ?mg)",
            4,
        ),
        (r"\bwhat dose\b|\bwhich dose\b", 3),
    ),
    "missed_dose": (
        (r"\b(miss|missed|missing|forget|forgot|forgotten|skipped)\b", 3),
        (r"\bdidn'?t take\b|\bdid not take\b|\bnever took\b", 3),
        (r"\blate (dose|pill|tablet)\b|\btake it late\b", 3),
        (r"\bdouble (up|dose|the dose)\b|\btake two (at once|together)\b|\bmake up for\b", 2),
    ),
    "overdose": (
        (r"\boverdos", 3),
        (r"\btoo (much|many)\b", 2),
        (r"\b(took|taken|swallowed|had)\b.{0,15}\b(extra|double|two|2|twice)\b", 2),
        (r"\bby (mistake|accident)\b|\bwrong (pills?|tablets?|medicine|dose)\b", 3),
        (
            r"\b(baby|infant|grand(child|son|daughter|kid)|\d+[- ]?(year|yr|month)s?[- ]?old)\b"
            r".{0,30}\b(ate|swallowed|got into|chewed)\b",
            3,
        ),
        (r"\bpoison", 3),
        (r"\baccidental(ly)?\b", 2),
        (r"\b(kid|child|toddler|son|daughter|dog)\b.{0,30}\b(ate|swallowed|got into)\b", 3),
        (r"\bwhat happens if (i|you|someone) take(s)? (too|a lot)", 3),
    ),
    "emergency": (),
    "side_effects": (
        (r"\bside[- ]?e?ff?ec?ts?\b|\bsideeffects?\b", 3),
        (r"\badverse\b", 2),
        (r"\breactions?\b", 1),
        (r"\bmake[s]? (me|you|people) (feel )?\w+", 2),
        (
            r"\b(make|makes|made|making) (me|you|people|him|her|them) (feel )?(so |very |really )?"
            r"(sleepy|drowsy|tired|dizzy|weak|sick|nauseous|confused|foggy|depressed|anxious)",
            3,
        ),
        (r"\b(cause|causes|caused|causing)\b", 2),
        (r"\bweight (gain|loss)\b", 2),
        (r"\bgain weight\b|\blose weight\b", 2),
        (r"\bnormal to (feel|be|have)\b", 3),
        (r"\bis (it|this) normal\b", 2),
        (r"\bdry mouth\b|\bhair loss\b|\bsexual\b", 2),
        (
            r"\bfeel(ing)? (so |very |really )?(sleepy|drowsy|tired|dizzy|weak|sick|nauseous"
            r"|confused|spaced|foggy)",
            3,
        ),
        (r"\brisks?\b", 1),
        (r"\bi feel\b|\bi'?m feeling\b|\bfeels? weird\b", 1),
    ),
    "warnings": (
        (r"\bwarnings?\b", 3),
        (r"\bprecautions?\b", 3),
        (r"\bsafety concerns?\b", 3),
        (r"\bimportant (warning|information)\b", 3),
        (r"\bwho (should|shouldn'?t|can'?t|cannot|must not|should not) (take|use|get)\b", 3),
        (r"\bcontraindicat", 3),
        (r"\ballerg", 2),
        (r"\bdangerous\b", 1),
        (
            r"\b(epilepsy|epileptic|seizure disorder|schizophreni|psychos|bipolar|stroke"
            r"|ovarian cyst"
            r"|autonomic dysreflexia|stomach ulcer|peptic ulcer|diabet)",
            2,
        ),
        (r"\bwhat should i (know|watch|look out)\b", 2),
        (r"\bwhat (should|do) i (avoid|not do)\b|\bthings to avoid\b|\bdos and don'?ts\b", 3),
        (r"\bbe careful\b|\bwatch out\b", 2),
    ),
    "interaction_drug": (
        (r"\binteract", 2),
        (r"\btogether\b", 1),
        (r"\bat the same time\b", 1),
        (r"\b(mix|mixing|combine|combining)\b", 1),
        (r"\bother (medicines|medications|drugs)\b", 2),
    ),
    "interaction_alcohol": (
        (r"\balcohol\b|\bbooze\b|\bhangover\b|\btipsy\b|\bdrunk\b", 2),
        (r"\b(have|having|drink|drinking|a) (a )?(beer|wine|glass|pint|drink|shot)", 2),
        (r"\bgo(ing)? out (drinking|for drinks)\b|\bsocial drink", 3),
        (
            r"\b(had|drank|after) (\d+|a|one|two|three|four|five|a few|some|a couple( of)?"
            r"|several) (glass(es)?|drinks?|beers?|pints?|shots?|wines?)\b",
            3,
        ),
    ),
    "interaction_herbal": (
        (r"\bherb(al|s)?\b|\bsupplements?\b|\bvitamins?\b|\bnatural remed", 3),
        (r"\bsmoke\b|\bsmoking\b|\bvape\b|\bstoned\b|\bhigh\b(?! dose)", 1),
    ),
    "interaction_food": (
        (r"\bdiet(ary)?\b", 3),
        (r"\bfoods? (to avoid|i should avoid)\b", 3),
        (r"\bcan i eat\b|\beat anything\b", 3),
        (r"\bgrapefruit\b", 3),
        (r"\bcoffee\b|\bcaffeine\b|\benergy drinks?\b", 2),
    ),
    "pregnancy": (
        (r"\bpregnan", 3),
        (r"\bexpecting (a baby)?\b", 2),
        (r"\btrying (to conceive|for a baby)|\bget pregnant|\bttc\b", 3),
        (r"\bunborn\b|\bfetus\b|\bfoetus\b|\bbirth defects?\b", 3),
        (r"\bconceiv", 2),
    ),
    "breastfeeding": (
        (r"\bbreast ?-?feed|\bbreast ?milk\b|\bnursing (my|a|the) (baby|infant)|\blactat", 3),
        (r"\bchest ?feed", 3),
        (r"\bpass(es)? into (the )?milk\b", 3),
    ),
    "children": (
        (
            r"\b(child|children|kid|kids|toddler|infant|teen|teenager|adolescent|pediatric"
            r"|paediatric|youngster|minor)\b",
            3,
        ),
        (r"\bmy (son|daughter|boy|girl|baby)\b", 2),
        (r"\bcerebral palsy\b", 1),
    ),
    "older_adults": (
        (r"\belderly\b|\bolder (adult|people|person|patient)s?\b|\bsenior\b|\bgeriatric\b", 3),
        (r"\bgrand(ma|mother|pa|father|parent)\b|\bnursing home\b|\bcare home\b", 3),
        (r"\bin (his|her|their|my) (60|70|80|90)s\b|\bover (65|70|75|80)\b", 3),
        (r"\bmy (mum|mom|mother|dad|father|nan|gran)\b", 1),
        (r"\bold age\b|\baged\b", 2),
    ),
    "kidneys_liver": (
        (r"\bkidneys?\b|\brenal\b|\bdialysis\b|\bcreatinine\b|\begfr\b|\bcrcl\b|\bckd\b", 3),
        (r"\bliver\b|\bhepat|\bcirrhosis\b", 3),
    ),
    "driving": (
        (r"\bdriv(e|ing|er)\b|\bbehind the wheel\b|\bcar\b", 3),
        (r"\boperat(e|ing) (heavy )?machine|\bmachinery\b|\bforklift\b", 3),
        (r"\bride (a|my) (bike|motorbike|motorcycle)\b|\bcycle to\b", 2),
    ),
    "stopping": (
        (
            r"\bstop(ping|ped)? (taking|using|it|the|her|his|my|their)\b|\bcan i (just )?stop\b",
            3,
        ),
        (r"\bstop(ping|ped)? \w+ (suddenly|abruptly|for good|at once|all at once)\b", 3),
        (r"\bquit(ting)?\b|\bcom(e|ing) off\b|\bget(ting)? off\b|\bwean", 3),
        (r"\btaper|\bwithdraw|\bcold turkey\b|\bdiscontinu", 3),
        (r"\bcut (back|down)\b|\bno longer need\b|\brun out\b|\bran out\b", 2),
        (r"\bstop\b", 1),
    ),
    "dependence": (
        (r"\baddict|\bdependen|\bhabit[- ]forming\b|\bhooked\b", 3),
        (r"\bget (you |me )?high\b|\brecreational\b|\babuse\b|\bmisuse\b|\beuphori", 3),
        (r"\bcontrolled substance\b|\bnarcotic\b|\bopioid\b", 2),
    ),
    "storage": (
        (r"\bstor(e|ed|ing|age)\b|\bfridge\b|\brefrigerat|\broom temperature\b", 3),
        (r"\bkeep (it|them|my|the|\w+) (in|at|cold|cool|out)\b", 3),
        (r"\bexpir|\bout of date\b|\bshelf life\b", 3),
        (
            r"\bdispos|\bthrow (away|out)\b|\bget rid of\b|\bleftover|\bunused\b"
            r"|\bold (pills|tablets)",
            3,
        ),
        (r"\bhot car\b|\bheat\b|\bfreez", 2),
    ),
    "brand_names": (
        (r"\bbrand(s| names?)?\b|\bgeneric\b|\btrade name|\bother names?\b|\bcalled\b", 3),
        (r"\b(liquid|solution|suspension|granules|syrup|oral solution)\b", 1),
        (
            r"\b(forms?|strengths?|versions?) (of|does|do|is|are)\b|\bcome in\b"
            r"|\bavailable (as|in)\b",
            3,
        ),
        (r"\bwhat (strengths?|forms?|sizes?)\b|\bwhich (strengths?|forms?)\b", 3),
        (r"\bconcentrat|\bhow strong\b|\bmg (per|in each|in a|a) ml\b", 3),
        (r"\b\d+ ?mg/\d* ?ml\b", 2),
    ),
    "alternatives": (
        (r"\balternatives?\b|\binstead( of)?\b|\bsomething else\b|\bother options?\b", 3),
        (r"\bswitch(ing)? (to|from)\b|\bbetter than\b|\bsame as\b|\bsimilar to\b", 3),
        (
            r"\bcompared? (to|with)\b|\bvs\.?\b|\bversus\b|\bdifference between\b"
            r"|\bdifferent from\b|\bis \w+ (just |exactly )?like\b|\bthe same thing as\b",
            3,
        ),
        (r"\bother muscle relaxants?\b", 2),
        (r"\bif (it|\w+) doesn'?t work\b", 2),
    ),
    "pump": (
        (r"\bpump\b|\bintrathecal\b|\bitb\b|\bspinal (injection|infusion)\b|\bcatheter\b", 3),
        (r"\bpump (alarm|refill)|\brefill appointment\b|\bimplant", 3),
    ),
    "dose_change": (
        (
            r"\b(change|increase|raise|up|bump|lower|decrease|adjust|reduce)\b.{0,25}\b(my|the|her"
            r"|his)\b.{0,15}\b(prescription|dose|dosage|script|meds?)\b.{0,20}\b(to|by)\b",
            4,
        ),
        (r"\b(change|adjust|update|renew|refill) my prescription\b", 5),
        (r"\bprescribe me\b|\bwrite me a (prescription|script)\b|\bgive me a prescription\b", 5),
        (r"\bcan you (prescribe|change|increase|lower|adjust|refill|up)\b", 5),
        (r"\bshould i (increase|raise|up|bump up|take more|lower|decrease)\b", 4),
        (r"\bcan i (increase|raise|up|bump up) (my|the) dose\b", 4),
        (
            r"\bmyself\b.{0,30}\b(increase|raise|higher dose)"
            r"|\b(increase|raise)\b.{0,30}\bmyself\b",
            4,
        ),
        # A pump is programmed by its clinic, never by the person who has it.
        (
            r"\b(re-?program|program|set|turn up|adjust|change)\b.{0,30}\bpump\b.{0,30}"
            r"\b(myself|my self|at home|to give more|higher)\b",
            9,
        ),
        # Changing one's own schedule: an extra dose on a bad day, a day's doses in one go,
        # taking it only now and then. The prescriber decides these.
        (r"\b(take|have|use) (an|one|a) extra\b(?!.{0,30}\b(by mistake|by accident))", 5),
        (r"\btake (all|both|them all|the whole|my whole)\b.{0,30}\b(at once|in one go)\b", 5),
        (r"\bevery other day\b|\bonly when i need\b|\bas (and when )?needed\b", 5),
    ),
    # Using a medicine to get high, or giving it to someone without their knowledge: never
    # answered with an amount; the decline says why it is dangerous and who can help.
    "misuse": (
        (
            r"\b(get|getting|feel) (high|buzzed|wasted|messed up|fucked up|stoned|a buzz)\b"
            r"|\bfor (a|the) (good )?(buzz|high)\b|\brecreational\w*\b|\bfor fun\b|\bto trip\b",
            9,
        ),
    ),
    "covert": (
        (
            r"\bwithout (him|her|them|my \w+) (noticing|knowing)|\bsecretly\b|\bslip (it|some)"
            r"|\bspike\b|\bin (his|her|their) (drink|food|coffee)\b.{0,40}\b(sleep|knock)"
            r"|\bmake (him|her|them|my \w+) (sleep|pass out|drowsy)\b(?!.{0,20}\b(better|well)\b)",
            9,
        ),
    ),
    "identify_pill": (
        (
            r"\bwhat does (it|\w+)( \d+ ?mg)?( \w+)? look like\b|\bwhat colou?r\b|\bimprint\b"
            r"|\bidentify (a |this |my |the )?(pill|tablet)|\bpill (identifier|id)\b"
            r"|\bfound (a|this|some) (pill|tablet)",
            6,
        ),
    ),
    "diagnosis": (
        (r"\bdo i have\b(?! to\b)|\bdiagnos|\bwhat('?s| is) wrong with me\b", 5),
        (r"\bwhat (condition|disease|illness) (do|might|could) i\b", 5),
        (
            r"\b(could|might) (this|it|i) (be|have) (ms|multiple sclerosis|cancer|a stroke|als"
            r"|parkinson)",
            5,
        ),
        (r"\bis (this|it) (ms|multiple sclerosis|cancer|a stroke|als|parkinson)", 5),
        (r"\bis (this|that|the|my) (rash|lump|spot|bump|mark|mole|swelling)\b.{0,40}\?*$", 3),
        (r"\b(is (this|it) (shingles|an infection|eczema|a rash|psoriasis))\b", 5),
    ),
    "animal": (
        (
            r"\b(dogs?|cats?|pupp(y|ies)|kittens?|pets?|horses?|vet|vets|veterinar\w*|animals?"
            r"|rabbits?|hamsters?|parrots?|ferrets?)\b",
            6,
        ),
    ),
    "cost_access": (
        (r"\binsurance\b|\binsurer\b|\bco-?pay\b|\bcovered by\b|\bmedicare\b|\bmedicaid\b", 5),
        (r"\bprice\b|\bcost(s)?\b|\bcheap(er|est)?\b|\bcoupon|\bafford\b|\bpay for\b", 5),
        (r"\bprior auth", 5),
        (r"\bbuy\b|\border (it )?online\b|\bwithout a prescription\b", 5),
    ),
    "legal": (
        (r"\blegal(ly)?\b|\billegal\b|\blaw\b|\blawyer\b|\bsue\b|\blawsuit\b|\bcourt\b", 5),
        (r"\bpolice\b|\bdrug test\b|\bcustoms\b|\bliable\b|\bliability\b", 5),
    ),
}
_COMPILED = {k: tuple((re.compile(p), w) for p, w in v) for k, v in PATTERNS.items()}

_SPLIT = re.compile(
    r"\?|;|\balso\b|\bplus\b|\b(?:and|or|but)\s+(?=(?:what|how|can|could|is|are|does|do|should"
    r"|will|when|why|where|which|who|i also|also)\b)"
    # "..., can I take it before bed": a comma before a new question starts a second part.
    r"|,\s*(?=(?:what|how|can|could|is|are|does|do|should|will|when|why|which)\s+(?:i|it|you"
    r"|we|he|she|they|this|that|there|my|the|baclofen|\w+ing)\b)"
)
_AGE = re.compile(r"\b(\d{1,3})[- ]?(?:year|yr)s?[- ]?old\b|\baged? (\d{1,3})\b")
_JOIN = re.compile(
    r"\bwith (my|his|her|the|your|it|them|this)\b|\btogether\b|\bmix|\bcombin|\balongside\b"
    r"|\bwhile (on|taking|i'?m on)\b|\bon (it|this|my)\b|\band\b"
)
HERBALS = frozenset({"kava", "valerian", "melatonin", "chamomile", "st_johns_wort", "cannabis"})
FOODS = frozenset({"grapefruit", "caffeine"})

CONFIDENT = 0.6  # at or above: the answer is given as an answer; below: with a hedge or declined


@dataclass(frozen=True)
class IntentResult:
    intent: str | None
    confidence: float
    scores: Mapping[str, int]
    text: str


def score_intents(text: str, ents: Entities, focus: str | None = None) -> dict[str, int]:
    """Weighted pattern and entity scores for one question (or one part of it)."""
    low = text.lower().replace("’", "'")
    scores: dict[str, int] = {}
    for intent, pats in _COMPILED.items():
        total = sum(w for rx, w in pats if rx.search(low))
        if total:
            scores[intent] = min(total, 8)

    def add(intent: str, w: int) -> None:
        scores[intent] = scores.get(intent, 0) + w

    if ents.red_flags:
        add("emergency", 10)
    covered = list(ents.covered_drugs)
    n_named = len(covered) + len(ents.uncovered_drugs)
    if len(covered) > 1 or focus is None:
        covered = covered[1:]
    named = [d for d in covered if d != focus] + list(ents.uncovered_drugs)
    # A second medicine named: an interaction, unless the question compares them. One other
    # medicine counts only with a word that joins it to the first ("with my", "together").
    if scores.get("alternatives", 0) < 3 and (
        n_named >= 2 or (named and (_JOIN.search(low) or ents.substances))
    ):
        add("interaction_drug", 4)
    subs = set(ents.substances)
    if scores.get("uses", 0) >= 3 and not named and not _JOIN.search(low) and not covered:
        # "what is kava used for": a question about the substance itself, not a combination
        subs = set()
    if "alcohol" in subs:
        add("interaction_alcohol", 4)
    if subs & HERBALS:
        add("interaction_herbal", 4)
    if subs & FOODS:
        add("interaction_food", 3)
    for m in _AGE.finditer(low):
        age = int(m.group(1) or m.group(2))
        if age < 18:
            add("children", 3)
        elif age >= 65:
            add("older_adults", 3)
    if ents.symptoms and not scores.get("side_effects") and scores.get("emergency", 0) == 0:
        add("side_effects", 1)
    # "can you get high on it?" asks about abuse potential; "how many to get high" asks for
    # help to misuse it: only the second is refused.
    if scores.get("misuse") and not re.search(
        r"\b(how (much|many)|what dose|best way|how (to|do i|can i)|need to take|way to)\b", low
    ):
        scores.pop("misuse")
        add("dependence", 4)
    # "is that too much" about a dose someone takes: a dose check, unless something was taken.
    if scores.get("dose", 0) >= 4 and not re.search(r"\b(took|taken|swallowed|ate)\b", low):
        scores.pop("overdose", None)
    # A missed dose asked about "doubling up" is a missed-dose question, not an overdose.
    if scores.get("missed_dose", 0) >= 3 and scores.get("overdose", 0) < 3:
        scores.pop("overdose", None)
    # "max dose for a dog": the animal decides it; never answer a dose for an animal.
    return scores


def _confidence(scores: Mapping[str, int]) -> tuple[str | None, float]:
    if not scores:
        return None, 0.0
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], INTENTS.index(kv[0])))
    top_intent, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    conf = min(1.0, top / 3.0) * (0.5 + 0.5 * (top - second) / top)
    return top_intent, round(conf, 3)


def classify(text: str, ents: Entities, focus: str | None = None) -> IntentResult:
    scores = score_intents(text, ents, focus)
    intent, conf = _confidence(scores)
    return IntentResult(intent, conf, scores, text)


def split_question(text: str) -> list[str]:
    """Two questions in one → the parts; a part with fewer than two words joins its neighbour."""
    parts = [p.strip(" ,.!") for p in _SPLIT.split(text)]
    parts = [p for p in parts if p]
    merged: list[str] = []
    for p in parts:
        if merged and len(p.split()) < 2:
            merged[-1] = f"{merged[-1]} {p}"
        else:
            merged.append(p)
    return merged or [text.strip()]
