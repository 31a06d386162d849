"""References pasted as researchers keep them: BibTeX, RIS or CSL-JSON (what Zotero, Mendeley
and EndNote export), or bare DOIs and PubMed ids, read into resources' fields. Nothing is
looked up over the network: what the paste says is what the resources get."""

import json
import re

import bibtexparser
import rispy
from bibtexparser import middlewares
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from pylatexenc.latex2text import LatexNodes2Text

from posts.references import KINDS, names_text, parse_name
from posts.resources import DOI_PREFIX, Resource

MAX_ENTRIES = 200
# 200 references as reference managers export them fit in well under this.
MAX_CHARACTERS = 400_000
KIND_NAMES = {kind for kind, _ in KINDS}
BIBTEX_KINDS = {
    "article": "article-journal",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "online": "webpage",
    "misc": "webpage",
    "unpublished": "article",
    "preprint": "article",
    "dataset": "dataset",
}
RIS_KINDS = {
    "JOUR": "article-journal",
    "JFULL": "article-journal",
    "BOOK": "book",
    "CHAP": "chapter",
    "ELEC": "webpage",
    "WEB": "webpage",
    "UNPB": "article",
    "DATA": "dataset",
}
MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, 1)}
DIGITS = re.compile(r"[0-9]{1,4}")
IDENTIFIER = re.compile(r"(?P<doi>10\.\d{4,9}/\S+)|(?P<pmcid>PMC\d{1,10})|(?P<pmid>\d{1,10})")
# Fields that may be left for the author to fill in, once a bare identifier has filled its own.
FILLED_LATER = ["title"]
_latex = LatexNodes2Text()


def parse_references(text):
    """The pasted references as resources' fields, in order (as Resource.copy() gives them), or
    a ValidationError naming each entry that cannot be read."""
    text = text.strip()
    if not text:
        raise ValidationError("Paste BibTeX, RIS or CSL-JSON, or DOIs and PubMed ids.")
    if len(text) > MAX_CHARACTERS:
        raise ValidationError("This is more than 400 KB of references: paste fewer at once.")
    try:
        if text[0] in "[{":
            entries = _csl_json(text)
        elif re.search(r"^\s*@\w+\s*[{(]", text, re.MULTILINE):
            entries = _bibtex(text)
        elif re.search(r"^TY  - ", text, re.MULTILINE):
            entries = _ris(text)
        else:
            entries = _identifiers(text)
    except (RecursionError, OverflowError, TypeError, KeyError, AttributeError) as error:
        # Nested beyond reason, or values of a kind no reference has.
        raise ValidationError("These references cannot be read: check what was pasted.") from error
    if len(entries) > MAX_ENTRIES:
        raise ValidationError(
            f"This paste holds {len(entries)} references; "
            f"at most {MAX_ENTRIES} can be added at once."
        )
    return [_checked(number, label, values) for number, (label, values) in enumerate(entries, 1)]


def _checked(number, label, values):
    """The entry's fields, as the post form would take them, or a ValidationError naming it."""
    resource = Resource(
        number=1, **{key: value for key, value in values.items() if key != "authors"}
    )
    resource.authors = values.get("authors", [])
    try:
        resource.full_clean(exclude=["post", *([] if resource.title else FILLED_LATER)])
    except ValidationError as error:
        problems = "; ".join(
            f"{_label(field)}{' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
        raise ValidationError(f"Reference {number} ({label}): {problems}") from error
    copy = resource.copy()
    del copy["number"]
    copy["authors"] = names_text(resource.authors)
    return copy


def _label(field):
    if field == NON_FIELD_ERRORS:
        return ""
    return f"{Resource._meta.get_field(field).verbose_name}: "


def _csl_json(text):
    try:
        items = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValidationError(f"This is not CSL-JSON: {error}.") from error
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationError("CSL-JSON is a list of references, each an object.")
    return [
        (str(item.get("id") or item.get("title") or "untitled")[:60], _from_csl(item))
        for item in items
    ]


def _text(value):
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def _date(value):
    """(year, month, day) from CSL's {"date-parts": [[2019, 10, 1]]}."""
    try:
        parts = [int(part) for part in value["date-parts"][0]][:3]
    except (KeyError, IndexError, TypeError, ValueError, OverflowError):
        return None, None, None
    return tuple(parts + [None] * (3 - len(parts)))


def _from_csl(item):
    year, month, day = _date(item.get("issued"))
    accessed = _date(item.get("accessed"))
    names = [name for name in item.get("author") or [] if isinstance(name, dict)]
    return {
        "kind": kind
        if isinstance(kind := item.get("type"), str) and kind in KIND_NAMES
        else "article-journal",
        "title": _text(item.get("title")),
        "authors": [_csl_name(name) for name in names],
        "container_title": _text(item.get("container-title")),
        "year": year,
        "month": month,
        "day": day,
        "volume": _text(item.get("volume")),
        "issue": _text(item.get("issue")),
        "pages": _text(item.get("page")),
        "publisher": _text(item.get("publisher")),
        "url": _text(item.get("URL")),
        "accessed": "-".join(f"{part:02d}" for part in accessed) if all(accessed) else None,
        "doi": DOI_PREFIX.sub("", _text(item.get("DOI"))),
        "pmid": _text(item.get("PMID")),
        "pmcid": _text(item.get("PMCID")),
    }


def _csl_name(name):
    if name.get("literal"):
        return {"literal": _text(name["literal"])}
    given = _text(name.get("given"))
    family = " ".join(
        filter(None, [_text(name.get("non-dropping-particle")), _text(name.get("family"))])
    )
    return {"family": family, "given": given} if given else {"literal": family or "Anonymous"}


def _bibtex(text):
    library = bibtexparser.parse_string(text, append_middleware=[middlewares.SeparateCoAuthors()])
    if len(library.entries) > MAX_ENTRIES:  # before the costlier decoding of each
        raise ValidationError(
            f"This paste holds {len(library.entries)} references; "
            f"at most {MAX_ENTRIES} can be added at once."
        )
    if library.failed_blocks:
        first = library.failed_blocks[0]
        raise ValidationError(
            f"This BibTeX cannot be read from line {first.start_line + 1}: check its braces "
            "and commas."
        )
    return [(entry.key, _from_bibtex(entry)) for entry in library.entries]


def _decoded(value):
    """LaTeX as readers see it: `caf\\'{e}` as café, `{DNA}` as DNA, `--` as a dash."""
    if not isinstance(value, str):
        return ""
    try:
        return " ".join(_latex.latex_to_text(value).split())
    except RecursionError:  # braces nested beyond reason: the text as written
        return " ".join(value.split())


def _bibtex_name(name):
    name = name.strip()
    if name.startswith("{") and name.endswith("}"):  # a body, as BibTeX braces one
        return {"literal": _decoded(name[1:-1])}
    return parse_name(_decoded(name))


def _from_bibtex(entry):
    fields = {key.lower(): field.value for key, field in entry.fields_dict.items()}
    month = _decoded(fields.get("month", "")).lower()[:3]
    year = _decoded(fields.get("year", ""))
    authors = fields.get("author") or fields.get("editor") or []
    return {
        "kind": BIBTEX_KINDS.get(entry.entry_type.lower(), "article-journal"),
        "title": _decoded(fields.get("title", "")),
        "authors": [
            _bibtex_name(name) for name in (authors if isinstance(authors, list) else [authors])
        ],
        "container_title": _decoded(
            fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle") or ""
        ),
        "year": int(year) if DIGITS.fullmatch(year) else None,
        "month": MONTHS.get(month) or (int(month) if DIGITS.fullmatch(month) else None),
        "day": None,
        "volume": _decoded(fields.get("volume", "")),
        "issue": _decoded(fields.get("number") or fields.get("issue") or ""),
        "pages": _decoded(fields.get("pages", "")),
        "publisher": _decoded(fields.get("publisher", "")),
        "url": fields.get("url", "").strip(),
        "accessed": fields.get("urldate", "").strip()[:10] or None,
        "doi": DOI_PREFIX.sub("", fields.get("doi", "").strip()),
        "pmid": fields.get("pmid", "").strip(),
        "pmcid": fields.get("pmcid", "").strip(),
    }


def _ris(text):
    try:
        records = rispy.loads(text)
    except (OSError, ValueError, KeyError) as error:
        raise ValidationError(f"This RIS cannot be read: {error}") from error
    if not records:
        raise ValidationError("This RIS holds no record: each starts with TY and ends with ER.")
    return [
        (
            _text(record.get("title") or record.get("primary_title"))[:60] or "untitled",
            _from_ris(record),
        )
        for record in records
    ]


def _from_ris(record):
    date = _text(record.get("year") or record.get("publication_year") or record.get("date"))
    parts = [part for part in re.split(r"[/-]", date) if DIGITS.fullmatch(part)]
    numbers = [int(part) for part in parts[:3]] + [None] * (3 - len(parts[:3]))
    start, end = _text(record.get("start_page")), _text(record.get("end_page"))
    urls = record.get("urls") or []
    names = record.get("authors") or record.get("first_authors") or []
    return {
        "kind": RIS_KINDS.get(_text(record.get("type_of_reference")), "article-journal"),
        "title": _text(record.get("title") or record.get("primary_title")),
        "authors": [parse_name(name) for name in names if _text(name)],
        "container_title": _text(
            record.get("journal_name")
            or record.get("secondary_title")
            or record.get("alternate_title3")
        ),
        "year": numbers[0],
        "month": numbers[1],
        "day": numbers[2],
        "volume": _text(record.get("volume")),
        "issue": _text(record.get("number")),
        "pages": f"{start}-{end}" if start and end else start,
        "publisher": _text(record.get("publisher")),
        "url": _text(urls[0]) if urls else "",
        "accessed": None,
        "doi": DOI_PREFIX.sub("", _text(record.get("doi"))),
        "pmid": "",
        "pmcid": "",
    }


def _identifiers(text):
    entries = []
    for token in re.split(r"[\s,;]+", text):
        bare = DOI_PREFIX.sub("", token.strip())
        bare = re.sub(r"^(?:pmid|pmcid):\s*", "", bare, flags=re.IGNORECASE)
        match = IDENTIFIER.fullmatch(bare)
        if match is None:
            raise ValidationError(
                f"“{token[:80]}” is not a DOI (10.1038/nature123), a PubMed id (31460832) or a "
                "PubMed Central id (PMC3179073)."
            )
        entries.append((bare, {key: value or "" for key, value in match.groupdict().items()}))
    return entries
