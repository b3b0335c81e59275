"""Named things a question can ask about that a profile may not mention: places and
other careers. A question naming one the profile never mentions is not covered, however
close its other words come ("which colleges in Texas…", "how do I become a nurse?").
"""

from __future__ import annotations

import re
from functools import lru_cache

US_STATES = """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri
montana nebraska nevada new_hampshire new_jersey new_mexico new_york north_carolina north_dakota ohio oklahoma oregon
pennsylvania rhode_island south_carolina south_dakota tennessee texas utah vermont virginia washington west_virginia
wisconsin wyoming""".split()

COUNTRIES = """afghanistan albania algeria argentina armenia australia austria bangladesh belgium bolivia brazil
bulgaria cambodia cameroon canada chile china colombia croatia cuba cyprus czechia denmark ecuador egypt estonia
ethiopia finland france germany ghana greece guatemala haiti honduras hungary iceland india indonesia iran iraq
ireland israel italy jamaica japan jordan kazakhstan kenya kuwait laos latvia lebanon libya lithuania luxembourg
malaysia mexico mongolia morocco nepal netherlands new_zealand nicaragua nigeria north_korea norway oman pakistan
panama paraguay peru philippines poland portugal qatar romania russia rwanda saudi_arabia senegal serbia singapore
slovakia slovenia somalia south_africa south_korea korea spain sri_lanka sudan sweden switzerland syria taiwan
tanzania thailand tunisia turkey uganda ukraine united_arab_emirates uae united_kingdom uk england scotland wales
united_states usa us america uruguay venezuela vietnam yemen zambia zimbabwe dubai""".split()

CITIES = """new_york_city nyc los_angeles chicago houston dallas austin miami boston seattle atlanta phoenix denver
london paris berlin madrid rome toronto vancouver sydney melbourne tokyo beijing shanghai mumbai delhi
abu_dhabi riyadh doha cairo lagos nairobi""".split()

# Regions count as mentioned when a profile names any country inside them.
REGIONS: dict[str, tuple[str, ...]] = {
    "europe": ("united kingdom", "germany", "france", "spain", "italy", "ireland", "netherlands", "sweden", "poland"),
    "asia": ("india", "china", "japan", "korea", "southeast asia", "philippines", "singapore", "asian"),
    "africa": ("nigeria", "kenya", "egypt", "south africa", "ghana", "african"),
    "south america": ("brazil", "argentina", "chile", "colombia", "peru"),
    "latin america": ("mexico", "brazil", "argentina", "colombia"),
    "north america": ("united states", "canada", "mexico"),
    "middle east": ("middle eastern", "uae", "saudi arabia", "qatar", "dubai"),
    "scandinavia": ("sweden", "norway", "denmark", "finland"),
    "caribbean": ("jamaica", "cuba", "haiti"),
    "antarctica": (),
    "oceania": ("australia", "new zealand"),
    # other names of the same country
    "america": ("united states",),
    "usa": ("united states",),
    "us": ("united states",),
    "uk": ("united kingdom",),
    "england": ("united kingdom",),
    "scotland": ("united kingdom",),
    "wales": ("united kingdom",),
    "dubai": ("uae", "united arab emirates"),
    "abu dhabi": ("uae", "united arab emirates"),
    "riyadh": ("saudi arabia",),
    "united arab emirates": ("uae",),
}

# Other careers a student may ask about instead of the profile's own.
CAREERS = """nurse nurses nursing dental_hygienist dental_hygienists hygienist hygienists dentist dentists pharmacist
pharmacists pharmacy_technician physician_assistant paramedic paramedics emt surgeon_tech surgical_technologist
physical_therapist physiotherapist occupational_therapist respiratory_therapist medical_assistant phlebotomist
lab_technician veterinarian vet_tech pilot teacher lawyer engineer electrician plumber accountant programmer
software_engineer chef firefighter police_officer midwife optometrist chiropractor dietitian radiologist""".split()

_ASK_AS_CAREER = r"(?:become|becoming|be|being|work as|working as|job as|jobs as|career as|train(?:ing)? (?:as|to be)|study(?:ing)? to be|switch(?:ing)? to|school for|program for|degree for)\s+(?:a|an)?\s*"


def _phrase(name: str) -> str:
    return name.replace("_", " ")


@lru_cache(maxsize=64)
def _place_re() -> re.Pattern[str]:
    names = sorted({_phrase(n) for n in US_STATES + COUNTRIES + CITIES} | set(REGIONS), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


@lru_cache(maxsize=64)
def _career_re() -> re.Pattern[str]:
    names = sorted({_phrase(n) for n in CAREERS}, key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(rf"\b{_ASK_AS_CAREER}(?:[a-z]+\s+){{0,2}}?({alt})\b|\b(medical school|med school|nursing school|dental school|law school|residency|the military|army|navy)\b|\b({alt})\s+(?:school|program|degree|license|salary|pay|jobs?|career)\b")


def mentioned(name: str, corpus_lower: str) -> bool:
    if re.search(r"\b" + re.escape(name) + r"\b", corpus_lower):
        return True
    return any(re.search(r"\b" + re.escape(m) + r"\b", corpus_lower) for m in REGIONS.get(name, ()))


def uncovered_entities(question: str, corpus_lower: str) -> list[str]:
    """Places and other careers the question names that the corpus never mentions."""
    q = question.lower()
    found: list[str] = []
    for m in _place_re().finditer(q):
        name = m.group(1)
        if name == "us" and not re.search(r"\b(?:the|in|across) us\b", q):
            continue  # the pronoun "us"
        if not mentioned(name, corpus_lower):
            found.append(name)
    for m in _career_re().finditer(q):
        name = m.group(1) or m.group(2) or m.group(3)
        if name and not mentioned(name, corpus_lower):
            found.append(name)
    return list(dict.fromkeys(found))
