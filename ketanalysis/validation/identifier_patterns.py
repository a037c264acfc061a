"""Patterns of the identifier guard: column names, value shapes and the bundled name lists.

Anchor: the 18 identifier kinds of the HIPAA Safe Harbor method, 45 CFR 164.514(b)(2)(i)
(A)-(R). Each kind below carries its letter. Column names are compared after
:func:`squash` (lower case, accents removed, non-alphanumerics squashed to ``_``); values
are matched case-insensitively as whole values and as tokens inside free text.

The name lists are a small hand-typed selection of the most frequent given names of the
US Social Security Administration's popular-names tables (1920-2020) and of the INSEE
"fichier des prenoms", and of the most frequent surnames of the US Census 2010 surname
table and of INSEE; they are not a verbatim extract (no network at test time). Given names
that are also common words (``may``, ``grace``, ``will`` ...) are in :data:`AMBIGUOUS` and
count only before a listed surname or when both words are capitalised.
"""

from __future__ import annotations

import re
import unicodedata

# HIPAA Safe Harbor kinds (letter of 164.514(b)(2)(i)) -> the label used in messages
KINDS = {
    "A": "names",
    "B": "geographic subdivisions (addresses, postcodes)",
    "C": "calendar dates",
    "D": "phone numbers",
    "E": "fax numbers",
    "F": "e-mail addresses",
    "G": "social security numbers",
    "H": "medical record numbers",
    "I": "health plan numbers",
    "J": "account numbers",
    "K": "certificate or licence numbers",
    "L": "vehicle identifiers",
    "M": "device identifiers",
    "N": "URLs",
    "O": "IP addresses",
    "P": "biometric identifiers",
    "Q": "photographs",
    "R": "other unique identifying numbers",
}
ADDRESS = KINDS["B"]


def squash(name) -> str:
    """Lower-case a column name, drop accents, squash non-alphanumerics to one ``_``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def fold(text: str) -> str:
    """Text without accents (for matching names and month words)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


_N = r"(_?(number|no|nr|num|id|code))?"
# column names (squashed) that are identifiers by name
NAME_RULES: tuple[tuple[str, re.Pattern], ...] = (
    (
        "A",
        re.compile(
            r"^(patient_|pt_|subject_|first_|last_|full_|given_|family_|middle_|maiden_|mother_s?_|"
            r"father_s?_|contact_|kin_|spouse_|guardian_|sur|fore|nick)?names?$|"
            r"^(firstname|lastname|fullname|initials|nom|prenom|nom_de_famille|nom_naissance|"
            r"nom_patient|vorname|nachname|familienname|apellidos?|nombre|next_of_kin|"
            r"contact_person)$"
        ),
    ),
    (
        "B",
        re.compile(
            r"^(home_|street_|postal_|mailing_|patient_)?(address|addr|street|adresse|anschrift|"
            r"strasse|zip|zip_?code|zipcode|post_?code|postal_?code|code_postal|cp|plz|"
            r"postleitzahl|city|town|ville|commune|county|ort|wohnort|latitude|longitude|lat|lon|"
            r"lng|gps|geolocation|coordinates)$"
        ),
    ),
    (
        "C",
        re.compile(
            r"^(dob|dod|birth_?date|birthday|date_?of_?(birth|death)|date|datum|"
            r"date_naissance|geburtsdatum)$|(^|_)date(_|$)|_(dt|datetime|timestamp)$|^timestamp$"
        ),
    ),
    (
        "D",
        re.compile(
            r"^(home_|work_|mobile_|cell_|contact_)?(phone|telephone|tel|mobile|cell|cellphone|"
            r"portable|handy|telefon)" + _N + "$"
        ),
    ),
    ("E", re.compile(r"^fax" + _N + "$")),
    ("F", re.compile(r"^(e_?mail|mail|courriel|email_?address|e_?mail_?addr)$")),
    (
        "G",
        re.compile(
            r"^(ssn|social_?security" + _N + r"|sin|nhs" + _N + r"|nir|insee|numero_secu|"
            r"securite_sociale|national_id|nino|national_insurance" + _N + r")$"
        ),
    ),
    (
        "H",
        re.compile(
            r"^(mrn|mr"
            + _N
            + r"|medical_?record"
            + _N
            + r"|hospital"
            + _N
            + r"|chart"
            + _N
            + r"|ipp|ehr_id|emr_id|dossier"
            + _N
            + r")$"
        ),
    ),
    (
        "I",
        re.compile(
            r"^(health_?plan"
            + _N
            + r"|insurance"
            + _N
            + r"|member_id|policy"
            + _N
            + r"|medicaid"
            + _N
            + r"|medicare"
            + _N
            + r"|beneficiary"
            + _N
            + r"|subscriber_id|"
            r"carte_vitale|mutuelle)$"
        ),
    ),
    (
        "J",
        re.compile(
            r"^(account" + _N + r"|bank_account|iban|credit_card|card_number|billing_account)$"
        ),
    ),
    (
        "K",
        re.compile(
            r"^(licen[cs]e"
            + _N
            + r"|drivers?_licen[cs]e"
            + _N
            + r"|certificate"
            + _N
            + r"|passport"
            + _N
            + r")$"
        ),
    ),
    (
        "L",
        re.compile(
            r"^(vin|licen[cs]e_plate|number_plate|plate" + _N + r"|vehicle_id|immatriculation)$"
        ),
    ),
    ("M", re.compile(r"^(device_id|device_serial|serial" + _N + r"|imei|udid|udi|mac_address)$")),
    ("N", re.compile(r"^(url|website|web_?page|homepage)$")),
    ("O", re.compile(r"^(ip|ip_?address|ipv4|ipv6|ip_addr)$")),
    (
        "P",
        re.compile(
            r"^(fingerprints?|voice_?prints?|retina(_scan)?|iris_scan|biometrics?|face_id)$"
        ),
    ),
    (
        "Q",
        re.compile(
            r"^(photo|photos|photograph|picture|headshot|face_photo|photo_path|image_file)$"
        ),
    ),
)
# names that look like an identifier rule but are categories
INNOCENT_NAMES = frozenset({"hospital", "site", "state", "site_name", "drug_name"})
# numeric columns are scanned by value only when their name says id or number
ID_LIKE = re.compile(r"(^|_)(ids?|no|nr|num|number|code|key|record|ref|uid|identifier)(_|$)")

_MONTH = (
    r"(jan(uary|vier)?|feb(ruary)?|fev(rier)?|febr?uar|mar(ch|s)?|marz|apr(il)?|avr(il)?|"
    r"may|mai|june?|juin|juni|july?|juil(let)?|juli|aug(ust)?|aout|sept?(ember|embre)?|"
    r"oct(ober|obre)?|okt(ober)?|nov(ember|embre)?|dec(ember|embre)?|dez(ember)?)\.?"
)
_D, _M = r"(0?[1-9]|[12]\d|3[01])", r"(0?[1-9]|1[0-2])"
_Y = r"((19|20)\d{2})"
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_TLD = r"(com|org|net|edu|gov|fr|de|uk|nl|ca|io|info|eu|us|be|ch|es|it)"
# value patterns: (kind letter, pattern found anywhere in a text value)
TEXT_RULES: tuple[tuple[str, re.Pattern], ...] = (
    ("F", re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.I)),
    (
        "F",
        re.compile(
            r"\b[\w.+-]+\s*(\(at\)|\[at\]|\sat\s)\s*[\w-]+\s*(\(dot\)|\[dot\]|\sdot\s)\s*"
            + _TLD
            + r"\b",
            re.I,
        ),
    ),
    (
        "N",
        re.compile(
            r"\b(https?://|ftp://|www\.)\S+|\b[\w-]{2,}\.(\w+\.)*"
            + _TLD
            + r"(/\S*)?(?=[\s>),;]|$)",
            re.I,
        ),
    ),
    (
        "O",
        re.compile(
            r"(?<![\d.])(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\d.])"
        ),
    ),
    (
        "O",
        re.compile(
            r"(?<![\w:])([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|"
            r"(?<![\w:])([0-9a-f]{1,4}:){1,6}(:[0-9a-f]{1,4}){1,6}(?![\w:])|"
            r"(?<![\w:])([0-9a-f]{1,4}:){1,7}:(?![\w:])|(?<![\w:])::(ffff:)?[0-9a-f]{1,4}"
            r"(:[0-9a-f]{1,4}){0,6}(?![\w:])",
            re.I,
        ),
    ),
    (
        "C",
        re.compile(
            rf"(?<![\d.:/-]){_Y}[-/.]{_M}[-/.]{_D}(?![\d.:/-])|"
            rf"(?<![\d.:/-]){_D}[-/.]{_D}[-/.]{_Y}(?![\d.:/-])|"
            rf"(?<![\d.:/-]){_D}[-/]{_D}[-/]\d{{2}}(?![\d.:/-])|"
            rf"(?<!\d){_Y}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)|"
            rf"\b{_D}(st|nd|rd|th|er)?[\s-]+{_MONTH}[\s,-]+{_Y}\b|"
            rf"\b{_MONTH}\s+{_D}(st|nd|rd|th)?,?\s+{_Y}\b|"
            rf"\b{_MONTH}\s+{_Y}\b",
            re.I,
        ),
    ),
    (
        "G",
        re.compile(
            r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])|(?<!\d)\d{3} \d{2} \d{4}(?!\d)|"
            r"\b[12] ?\d{2} ?(0[1-9]|1[0-2]) ?(\d{2}|2[ab]) ?\d{3} ?\d{3}( ?\d{2})?\b|"
            r"\b[a-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[a-d]\b|"
            r"\b(ssn|social security|nir|nino|insee)\D{0,12}\d{9,15}\b",
            re.I,
        ),
    ),
    (
        "H",
        re.compile(
            r"\b(mrn|mr#|medrec|ipp|medical record|chart|dossier)\s*"
            r"(no\.?|nr|number|n°|#)?\s*[:#-]?\s*[a-z]{0,3}\d{4,}",
            re.I,
        ),
    ),
    (
        "I",
        re.compile(
            r"\b(member|policy|subscriber|insurance|medicaid|medicare|health plan|"
            r"beneficiary|carte vitale)\s*(id|no\.?|number|#)?\s*[:#-]?\s*"
            r"[a-z0-9-]*\d[a-z0-9-]{4,}",
            re.I,
        ),
    ),
    (
        "I",
        re.compile(
            r"\b[1-9][ac-hjkmnp-r-t-y][ac-hjkmnp-rt-y0-9]\d-?[ac-hjkmnp-rt-y]"
            r"[ac-hjkmnp-rt-y0-9]\d-?[ac-hjkmnp-rt-y]{2}\d{2}\b",
            re.I,
        ),
    ),
    (
        "J",
        re.compile(
            r"\b[a-z]{2}\d{2}( ?[a-z0-9]{4}){3,7}( ?[a-z0-9]{1,3})?\b|"
            r"\b(account|acct|iban|card)\s*(no\.?|number|#)?\s*[:#-]?\s*\d[\d -]{5,}",
            re.I,
        ),
    ),
    ("J", re.compile(r"(?<![\d-])\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}(?![\d-])")),
    (
        "K",
        re.compile(
            r"\b(licen[cs]e|passport|certificate|permis)\s*(no\.?|number|#)?\s*"
            r"[:#-]?\s*[a-z0-9-]*\d[a-z0-9-]{4,}",
            re.I,
        ),
    ),
    (
        "L",
        re.compile(
            r"\b(?=[a-hj-npr-z0-9]*\d)(?=[a-hj-npr-z0-9]*[a-hj-npr-z])"
            r"[a-hj-npr-z0-9]{17}\b|\b[a-z]{2}-\d{3}-[a-z]{2}\b|"
            r"\b(plate|immatriculation)\s*[:#-]?\s*[a-z0-9 -]{4,}",
            re.I,
        ),
    ),
    (
        "M",
        re.compile(
            r"\b(serial|s/n|sn|imei|udi|device id)\s*(no\.?|number|#)?\s*[:#-]?\s*"
            r"[a-z0-9-]*\d[a-z0-9-]{3,}|\b([0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b|"
            r"\(01\)\d{14}",
            re.I,
        ),
    ),
    ("Q", re.compile(r"\.(jpe?g|png|gif|heic|tiff?|bmp|dcm)\b|data:image/", re.I)),
    (
        "B",
        re.compile(
            r"\b\d+[a-z]?,?\s+(bis\s+|ter\s+)?([a-z'.-]+\s+){0,4}(street|st|avenue|ave|road|rd|"
            r"lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|close|crescent)\b|"
            r"\b\d+[a-z]?,?\s+(bis\s+|ter\s+)?(rue|avenue|av|boulevard|bd|place|allee|chemin|"
            r"impasse|quai|route|cours)\s+\w+|"
            r"\b[a-z-]*(stra(ss|\u00df)e|str\.|weg|platz|gasse|allee|damm)\s+\d+[a-z]?\b|"
            r"\bp\.?\s?o\.?\s+box\s+\d+|"
            r"(?<!\d)\d{5}-\d{4}(?!\d)",
            re.I,
        ),
    ),
    (
        "B",
        re.compile(
            rf"\b({_STATES}),?\s+\d{{5}}(-\d{{4}})?\b|"
            r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b|"
            r"(?<![\d.-])\d{5}\s+[A-Z][a-z\u00e0-\u00ff]{2,}|"
            r"\b(zip|postcode|post code|plz|cp|code postal)\s*[:#-]?\s*[\w-]{3,}"
        ),
    ),
)
# whole values of a postcode-like kind (any country named in the brief), in any text column
POSTCODE_VALUE = re.compile(
    r"^(\d{5}(-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|"
    r"[1-9]\d{3}\s?[A-Z]{2})$",
    re.I,
)
# whole values only (checked in columns not named as the patient key)
PHONE = re.compile(
    r"(?<![\w+-])(\+\d{1,3}[\s.-]?(\(0\)\s?)?\(?\d{1,4}\)?([\s./-]?\d{2,5}){1,5}|"
    r"\(?\b[2-9]\d{2}\)?[\s.-]?\d{3}[\s.-]\d{4}|"
    r"\(\d{3}\)\s?\d{3}[\s.-]?\d{4}|"
    r"\b0[1-9]([\s.-]?\d{2}){4}|"
    r"\b0\d{2,4}[\s/-]?\d{3,4}[\s-]?\d{3,4}|"
    r"(?<!\d)\d{10,11})(?![\w-])"
)
GIVEN = frozenset(
    """
james john robert michael william david richard joseph thomas charles christopher daniel
matthew anthony donald steven paul andrew joshua kenneth kevin brian george edward ronald
timothy jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott
brandon benjamin samuel gregory frank alexander raymond patrick jack dennis jerry tyler
aaron jose adam henry nathan douglas zachary peter kyle walter ethan jeremy harold keith
christian roger noah gerald carl terry sean austin arthur lawrence jesse dylan bryan joe
jordan billy bruce albert willie gabriel logan alan juan wayne roy ralph randy eugene
vincent russell elijah louis bobby philip johnny liam oliver lucas mason mary patricia
jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa betty margaret sandra
ashley kimberly emily donna michelle dorothy carol amanda melissa deborah stephanie rebecca
sharon laura cynthia kathleen amy shirley angela helen anna brenda pamela nicole emma
samantha katherine christine debra rachel catherine carolyn janet ruth maria heather diane
virginia julie joyce victoria olivia kelly christina lauren joan evelyn judith megan cheryl
andrea hannah martha jacqueline frances gloria ann teresa kathryn sara janice jean alice
madison doris abigail julia judy sophia denise beverly danielle marilyn theresa charlotte
marie diana natalie isabella brittany kayla alexis lori ava mia amelia harper jean pierre
michel philippe alain nicolas christophe patrick francois laurent frederic eric stephane
pascal olivier sebastien thierry julien david jerome bernard dominique didier bruno yves
sylvain vincent gilles herve emmanuel guillaume antoine maxime jacques marcel andre rene
claude hugo louis gabriel arthur jules raphael leo mathis nathan enzo theo thomas lucas
marie nathalie isabelle sylvie catherine francoise christine monique valerie sandrine
veronique sophie martine nicole celine stephanie chantal delphine aurelie emilie julie
camille lea manon chloe ines jade louise zoe lina mathilde clemence anais pauline elodie
juliette margaux oceane yasmine fatima mohamed ahmed ali youssef karim mehdi omar fatou
aisha wei li ming hiroshi yuki priya raj anil sanjay deepak ravi carlos luis miguel
jorge pedro ana lucia carmen rosa elena sofia giulia giuseppe marco luca hans klaus jurgen
wolfgang stefan uwe dieter petra ursula monika sabine heike katrin anke birgit sven lars
ingrid astrid daniela tomas ian grace
""".split()
)
AMBIGUOUS = frozenset(
    """
will may june april august grace hope joy faith rose lily iris ivy daisy dawn eve mark
bill art bob don guy jack jay ray rich frank grant gene earl summer amber ruby crystal
christian jordan austin victoria virginia nancy florence georgia carolina chelsea louise
marine celeste jade pierre jean ali li wei mai rene ana rosa carmen elena sofia lina
""".split()
)
SURNAMES = frozenset(
    """
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez
gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris
sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen
hill flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez
phillips evans turner diaz parker cruz edwards collins reyes stewart morris morales murphy
cook rogers gutierrez ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox
ward richardson watson brooks chavez wood james bennett gray mendoza ruiz hughes price
alvarez castillo sanders patel myers long ross foster jimenez okafor whitfield novak
bernard dubois durand lefebvre leroy moreau simon laurent michel garcia david bertrand roux
vincent fournier morel girard andre mercier dupont lambert bonnet francois martinez legrand
garnier faure rousseau blanc guerin muller henry roussel nicolas perrin morin mathieu
clement gauthier dumont lopez fontaine chevalier robin masson sanchez gerard nguyen boyer
denis lemaire duval joly gautier roger roche roy noel meyer lucas meunier jean perez
marchand dufour blanchard marie barbier brun dumas brunet schmitt leroux colin fernandez
schmidt schneider fischer weber wagner becker schulz hoffmann koch richter klein wolf
schroder neumann schwarz zimmermann braun hartmann krause lange okonkwo chen wang zhang
liu yang huang zhao wu zhou singh kumar sharma rossi russo ferrari esposito bianchi
""".split()
)
TITLES = re.compile(
    r"\b(mr|mrs|ms|miss|dr|prof|mme|mlle|monsieur|madame|herr|frau)\b\.?\s+"
    r"([A-Za-z][a-z'-]+)"
)
STOP = frozenset(
    """
and or the of de la le du des et und der die das von van hospital clinic centre center
university medical health institute syndrome disease ward unit street road avenue rue
county city college school foundation trust group site study arm infusion spray tablet
team service department hopital klinik
""".split()
)
# a pair after these words names a place or an institution ("Saint Paul", "Hopital Paul
# Brousse"), not a person
PLACE_PREFIX = frozenset(
    "saint st ste san santa sao mount mt fort port lake cape hospital hopital clinic "
    "clinique centre center institute institut university universite college school "
    "ecole foundation fondation ward service klinik krankenhaus rue avenue street".split()
)
AMBIGUOUS = AMBIGUOUS | frozenset("charlotte madison eugene dallas".split())
GIVEN = GIVEN | AMBIGUOUS
