"""Words students use → words the profiles use.

Each rule is a pattern over the lower-cased question and the text it adds to the search
(for both the dense and the lexical side, at a lower weight than the student's words).
These are general career/imaging vocabulary, not answers to particular questions.
"""

from __future__ import annotations

import re

_RULES: list[tuple[str, str]] = [
    (r"\bx[\s-]?rays?\b", "X-ray"),
    (r"\brad(?:iology|iologic)?[\s-]?techs?\b|\bradtechs?\b|\bradiographers?\b|\bx[\s-]?ray techs?\b|\bsonographers?\b", "imaging technologist radiologic technology"),
    (r"\bcpr\b|\bfirst[\s-]aid\b|\bbls\b|\blife[\s-]support\b|\bresuscitat\w*", "basic life support BLS emergency response"),
    (r"\bpay\b(?!\s+for)|\bpays\b(?!\s+for)|\bpaid\b|\bsalar(?:y|ies)\b|\bwages?\b|\bearn\w*|\bmoney\b|\bincome\b|\bcompensation\b", "salaries income"),
    (r"\btax\w*", "tax-free income"),
    (r"\bpays? for\b|\bcover(?:s)? the cost\b|\bsponsor\w*|\breimburs\w*|\btuition (?:assistance|help)\b|\bemployer\w* help\b", "employers sponsor advanced training"),
    (r"\b(?:4|four)[\s-]?(?:yrs?|years?)\b", "four-year bachelor's programs"),
    (r"\b(?:2|two)[\s-]?(?:yrs?|years?)\b", "two years associate degree"),
    (r"\bbachelors?\b|\bb\.?s\.?\b|\bundergrad\w*", "bachelor's degree"),
    (r"\bassociates?\b|\bcommunity college\b", "associate degree"),
    (r"\bmasters?\b|\bgrad(?:uate)? school\b|\bph\.?d\b|\bpostgrad\w*", "graduate degrees further education research"),
    (r"\bct\b|\bcat[\s-]?scans?\b", "computed tomography CT"),
    (r"\bmri\b", "magnetic resonance imaging MRI"),
    (r"\bultrasound\b|\bsonograph\w*|\becho\b", "ultrasound sonography"),
    (r"\bmammo\w*", "mammography"),
    (r"\bnuclear\b|\bpet scan\w*", "nuclear medicine"),
    (r"\bai\b|\ba\.i\.?\b|\bartificial intelligence\b|\brobots?\b|\bautomat\w*|\bmachine learning\b|\breplace\w*", "AI artificial intelligence automation machine learning"),
    (r"\babroad\b|\boverseas\b|\binternational\w*|\bother countr\w+|\bforeign\b|\bworldwide\b|\bglobal\w*|\bcountr(?:y|ies)\b|\bimmigrat\w*|\bemigrat\w*|\brelocat\w*", "global countries internationally"),
    (r"\bhours\b|\bschedules?\b|\bshifts?\b|\bnights?\b|\bnite\w*|\bweekends?\b|\bon[\s-]?call\b|\bovertime\b", "shifts schedules nights weekends on-call hours"),
    (r"\bpart[\s-]?time\b|\bflexib\w*", "part-time flexible schedules"),
    (r"\bstres+\w*|\bpressure\b|\bburn[\s-]?out\b|\banxiety\b|\bhard on you\b", "stress level"),
    (r"\bwork[\s-]?life\b|\bfree time\b|\bfamily time\b|\blifestyle\b", "work-life balance"),
    (r"\bschool\w*|\bcolleges?\b|\buni\b|\buniversit\w*|\bstudy\w*|\bstudies\b|\bclasses\b|\bcourses?\b|\bcoursework\b|\bedu\w*", "education program coursework"),
    (r"\bhigh school\b|\bdiploma\b|\bprereq\w*|\bgpa\b|\bgrades\b", "high school diploma strong science courses admission"),
    (r"\bmath\w*|\bscience\w*|\bbiology\b|\bchemistry\b|\bphysics\b", "science anatomy physiology physics"),
    (r"\blicen[sc]\w*", "licensure license state"),
    (r"\bcerts?\b|\bcertif\w*|\bcredential\w*|\bregistry\b|\bboards?\b", "certification ARRT"),
    (r"\bexams?\b|\btests?\b|\btesting\b", "exam"),
    (r"\bdemand\b|\boutlook\b|\bjob market\b|\bhiring\b|\bjobs? available\b|\bopenings\b|\bfuture\b|\bsecure\b|\bsecurity\b|\b(?:more|growing|increasing|rising|high) need\b|\bneeded\b", "demand job market growth"),
    (r"\bhipaa\b|\bprivacy\b|\bconfidential\w*|\bpatient data\b", "HIPAA privacy confidentiality"),
    (r"\bequipment\b|\bmachines?\b|\bmachinery\b|\btools?\b|\bgear\b|\bdevices?\b|\btech stack\b|\btechnolog(?:y|ies)\b|\bsoftware\b", "equipment machines tools technology"),
    (r"\bsoft skills?\b|\bpeople skills?\b|\bpersonality\b|\bpersonal (?:qualities|traits)\b|\btraits?\b|\bqualities\b", "soft abilities"),
    (r"\bpeople person\b|\bpeople skills\b|\bsocial\b|\boutgoing\b|\bfriendly\b|\bshy\b|\bintrovert\w*|\btalk(?:ing)? to (?:people|patients|others)\b|\bcaring\b|\bcompassion\w*|\bempath\w*", "soft abilities empathy patient-focused communication interpersonal skills"),
    (r"\bhard skills?\b|\btechnical skills?\b|\btech skills?\b", "tech skills"),
    (r"\bportfolio\b|\bresume\b|\bcv\b|\bstand out\b", "portfolio"),
    (r"\bradiation\b|\bdose\b|\bdosage\b|\bexposure\b|\bexposed\b|\bsafe\b|\bsafety\b|\bdangerous\b|\bharmful\b", "radiation safety exposure protect"),
    (r"\blow(?:er)?[\s-]dose\b|\blower (?:in )?(?:radiation|dose|exposure)\b|\bless (?:radiation|exposure)\b|\breduc\w* (?:the )?(?:radiation|dose|exposure)\b", "low-dose reducing exposure"),
    (r"\bsick\b|\bhurt\b|\binjur\w*|\bill\b|\bunwell\b|\bdying\b|\bwounded\b", "ill or injured patients critically ill"),
    (r"\bput (?:in|into|on)\b|\binclude\b|\badd to\b|\bshow(?:case)?\b", "include incorporate compiling records"),
    (r"\bfix\w*|\brepair\w*|\bbreak(?:s|ing)?\b|\bbroken\b|\bbreaks down\b|\bmalfunction\w*|\btroubleshoot\w*", "troubleshoot technical issues maintaining equipment"),
    (r"\bdyes?\b|\binject\w*", "contrast media agents"),
    (r"\bday[\s-]to[\s-]day\b|\bdaily\b|\bduties\b|\btasks?\b|\bresponsibilit\w*|\bwhat (?:do|does|would|will)\b.*\bdo\b|\ball day\b", "responsibilities duties role"),
    (r"\bwhere\b.*\bwork\b|\bwork(?:place|\s+environment)\b|\benvironment\b|\bsetting\b|\boffice\b", "work setting hospitals clinics environment"),
    (r"\bchallenge\w*|\bdownsides?\b|\bcons\b|\bdifficult\w*|\bhard(?:est)? parts?\b|\btough(?:est)? parts?\b|\bproblems?\b|\bworst\b", "challenges"),
    (r"\bpromot\w*|\badvanc\w*|\bmove up\b|\bclimb\b|\bgrowth\b|\bgrow\b|\bcareer path\b|\bladder\b", "career advancement growth supervisory leadership"),
    (r"\btrends?\b|\bchanging\b|\bchanges\b|\bnew tech\w*", "trends"),
    (r"\bfirst job\b|\bentry[\s-]level\b|\bstarting out\b|\bnew grads?\b|\bafter (?:i |you )?graduat\w*|\bout of school\b|\bstart(?:ing)? (?:my|your|the) career\b", "entry-level technologists start in supervised roles"),
    (r"\bwho (?:gives|runs|offers|awards|issues|provides|grants|does|certifies|handles)\b|\bwhich (?:organi[sz]ation|body|bodies|agency|group)\b|\bwhat (?:organi[sz]ation|body|agency|group)\b", "American Registry of Radiologic Technologists ARRT recognized bodies agencies"),
    (r"\binterns?\w*|\brotations?\b|\bhands[\s-]on\b|\bexperience\b|\bclinicals?\b", "clinical rotations internships hands-on experience"),
    (r"\bnetwork\w*|\bconferences?\b|\bassociations?\b|\bconnections\b", "networking professional associations conferences"),
    (r"\bcontinuing ed\w*|\bce credits?\b|\bkeep learning\b|\blifelong\b", "continuing education"),
    (r"\bstand(?:ing|s)?\b(?!\s+(?:out|for))|\bstood\b|\bon (?:your|my|their) feet\b|\bphysical\w*|\blifting\b|\bsit(?:ting)? down\b", "standing for long periods assisting patients limited mobility"),
    (r"\bpatients?\b|\bbedside manner\b", "patients"),
    (r"\bteam\w*|\bcoworkers?\b|\bcolleagues?\b|\bdoctors?\b|\bradiologists?\b", "collaborate radiologists team"),
    (r"\bmiddle east\w*|\bdubai\b|\bgulf\b|\bemirates\b|\bsaudi\b|\buae\b", "Middle Eastern countries UAE Saudi Arabia"),
    (r"\basia\w*|\bindia\b|\bchina\b", "Asia India China"),
    (r"\beurope\w*|\buk\b|\bbritain\b|\bengland\b|\bgermany\b", "United Kingdom Germany developed countries"),
    (r"\bcanada\b|\baustralia\b|\busa?\b|\bamerica\b|\bunited states\b|\bstates\b", "United States Canada Australia developed countries"),
    (r"\bspeciali[sz]\w*|\bmodalit\w*", "specialization modalities"),
    (r"\bfoundation\w*|\bbasics?\b|\bbasic skills\b|\bcore skills\b|\bfundamental\w*", "foundational skills"),
    (r"\brecords?\b|\bpaperwork\b|\bdocumentation\b|\bcharting\b", "records documentation"),
    (r"\bsterili[sz]\w*|\binfection\w*|\bgerms?\b|\bhygiene\b|\bdisinfect\w*", "infection control sterilization"),
    (r"\bonline\b|\binternet\b|\bwebsites?\b|\blinkedin\b|\bsocial media\b", "digital online professional networking platforms"),
    (r"\bwho\b.*\bwork(?:ing)? (?:with|alongside|next to)\b|\bwork(?:ing)? (?:with|alongside) (?:other|doctors|others)\b", "collaborating with specialists radiologists oncologists surgeons"),
]

_COMPILED = [(re.compile(p), add) for p, add in _RULES]


def expansions(question: str) -> list[str]:
    """The additions whose pattern matches the lower-cased question, in rule order."""
    q = question.lower()
    return [add for rx, add in _COMPILED if rx.search(q)]


def covered_words(question: str) -> set[str]:
    """The words of the question that some rule understands (inside a matched span)."""
    q = question.lower()
    out: set[str] = set()
    for rx, _ in _COMPILED:
        for m in rx.finditer(q):
            out.update(re.findall(r"[a-z0-9']+", m.group(0)))
    return out
