"""Resources as references: names as people and bodies, CSL-JSON, and the text readers see,
formatted by a CSL processor (citeproc-py) in the style the site chooses (posts/csl/).

What is stored and edited are the fields; the formatted text is derived from them at save,
like a post's HTML from its Markdown, and `manage.py format_references` derives it again for
every resource when GUTBRAIN_CITATION_STYLE changes.
"""

import html
import logging
import re
import warnings
from pathlib import Path

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from posts.rendering import sanitize

logger = logging.getLogger(__name__)
STYLES = Path(__file__).parent / "csl"
# CSL's names for the kinds of work, as reference managers export them.
KINDS = [
    ("article-journal", "Journal article"),
    ("book", "Book"),
    ("chapter", "Book chapter"),
    ("webpage", "Web page"),
    ("article", "Preprint"),
    ("dataset", "Dataset"),
]
# Words that make a name a body (an organisation), not a person with a family name.
BODIES = re.compile(
    r"\b(organi[sz]ation|consortium|group|institutes?|society|association|committee|council|"
    r"agency|university|collaboration|network|foundation|cent(?:er|re)|team|ministry|"
    r"department|board|office|service|trust|alliance|et al\.?)\b",
    re.IGNORECASE,
)
# "Smith JA": a family name, then initials, as Vancouver and PubMed write them.
FAMILY_INITIALS = re.compile(r"(?P<family>.+?)\s+(?P<initials>[A-Z]{1,4})")
# The number a numbered style puts first: the page's list numbers entries itself.
LEADING_NUMBER = re.compile(r"^\s*\[?\d+\]?\.?\s*")


def parse_name(text):
    """A CSL name from a name as people write it: "Smith, J. A.", "Smith JA", "J. A. Smith",
    or a body ("World Health Organization", or any name in braces, as BibTeX marks one)."""
    text = " ".join(text.split())
    if text.startswith("{") and text.endswith("}") and text[1:-1].strip():
        return {"literal": text[1:-1].strip()}
    if not any(character.isalnum() for character in text):
        return {"literal": text}  # nothing to take apart
    if "," in text and not BODIES.search(text):
        family, given = (part.strip() for part in text.split(",", 1))
        if not family:
            return {"literal": text}
        return {"family": family, "given": given} if given else {"literal": family}
    if BODIES.search(text) or " " not in text:
        return {"literal": text}
    if match := FAMILY_INITIALS.fullmatch(text):
        return {"family": match["family"], "given": " ".join(match["initials"])}
    given, family = text.rsplit(" ", 1)
    return {"family": family, "given": given}


# " and " between names, as BibTeX lists them; not inside a body's braces.
BETWEEN_NAMES = re.compile(r"\s+and\s+(?![^{]*\})")


def parse_names(text):
    """Names one to a line (or separated by " and ", as BibTeX lists them)."""
    lines = [line for part in text.splitlines() for line in BETWEEN_NAMES.split(part)]
    return [parse_name(line) for line in lines if line.strip()]


def name_text(name):
    """A name as it is edited and exported, read back the same by parse_name."""
    if "literal" in name:
        return "{" + name["literal"] + "}"
    return f"{name['family']}, {name['given']}" if name.get("given") else name["family"]


def names_text(names):
    return "\n".join(name_text(name) for name in names)


def csl_item(resource, item_id=None):
    """The resource as CSL-JSON, what reference managers read and write."""
    item = {"id": item_id or f"resource-{resource.number}", "type": resource.kind}
    item["title"] = resource.title
    if resource.authors:
        item["author"] = list(resource.authors)
    for field, key in [
        ("container_title", "container-title"),
        ("volume", "volume"),
        ("issue", "issue"),
        ("pages", "page"),
        ("publisher", "publisher"),
        ("doi", "DOI"),
        ("pmid", "PMID"),
        ("pmcid", "PMCID"),
        ("url", "URL"),
    ]:
        if value := getattr(resource, field):
            item[key] = value
    if resource.year:
        parts = [resource.year, resource.month, resource.month and resource.day]
        item["issued"] = {"date-parts": [[part for part in parts if part]]}
    if resource.accessed:
        accessed = resource.accessed
        item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    return item


def style(name):
    """The CSL style of that name, from posts/csl/."""
    path = STYLES / f"{name}.csl"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in STYLES.glob("*.csl")))
        raise ImproperlyConfigured(
            f"GUTBRAIN_CITATION_STYLE is {name!r}; the styles are: {available}."
        )
    try:
        chosen = CitationStylesStyle(str(path), validate=False)
    except Exception as error:  # the processor's own XML and style errors have no common base
        raise ImproperlyConfigured(f"The citation style {path} cannot be read: {error}") from error
    # A numbered style starts each entry with its number, which the page's list shows itself.
    chosen.numbered = "citation-number" in path.read_text(encoding="utf-8")
    return chosen


def check_style(app_configs=None, **kwargs):
    """`manage.py check` (and every start) says so when the citation style cannot be used."""
    try:
        style(settings.GUTBRAIN_CITATION_STYLE)
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="posts.E001")]
    return []


def _escaped(value):
    # The processor copies text into its HTML as it is: escape what authors typed first.
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(part) for part in value]
    if isinstance(value, dict):
        return {key: _escaped(part) for key, part in value.items()}
    return value


def format_references(resources, style_name=None):
    """Set `formatted` on each resource: its reference in the site's style, as safe HTML, with
    its DOI, PubMed and PubMed Central identifiers as links."""
    resources = list(resources)
    if not resources:
        return
    items = [csl_item(resource, f"r{index}") for index, resource in enumerate(resources)]
    try:
        entries = bibliography(items, style(style_name or settings.GUTBRAIN_CITATION_STYLE))
    except Exception:  # a style that cannot be read, or that the processor fails on
        # `manage.py check` names a style that cannot be read; meanwhile, titles.
        logger.exception("Resources are shown by their titles only")
        entries = {f"r{index}": html.escape(r.title) for index, r in enumerate(resources)}
    for index, resource in enumerate(resources):
        text = entries.get(f"r{index}", "")
        resource.formatted = sanitize(with_links(text, resource))


def bibliography(items, chosen):
    """{item id: formatted HTML} of CSL-JSON items, in the chosen style, without the numbers a
    numbered style puts first; what the items say is escaped first."""
    items = [_escaped(item) for item in items]
    made = CitationStylesBibliography(chosen, CiteProcJSON(items), formatter.html)
    for item in items:
        made.register(Citation([CitationItem(item["id"])]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # variables a style does not know, such as PMCID
        formatted = [str(entry) for entry in made.bibliography()]
    if chosen.numbered:
        formatted = [LEADING_NUMBER.sub("", entry, count=1) for entry in formatted]
    return dict(zip(made.keys, formatted, strict=True))


def with_links(text, resource):
    """The identifiers as links: where the style printed them, else after the reference."""
    links = []
    if resource.doi:
        link = f'<a class="identifier" href="https://doi.org/{html.escape(resource.doi)}">'
        shown = html.escape(resource.doi, quote=False)
        for printed in (f"https://doi.org/{shown}", f"doi:{shown}", shown):
            if printed in text:
                text = text.replace(printed, f"{link}{printed}</a>", 1)
                break
        else:
            links.append(f"{link}doi:{shown}</a>")
    elif resource.url and (shown := html.escape(resource.url, quote=False)) in text:
        text = text.replace(shown, f'<a href="{html.escape(resource.url)}">{shown}</a>', 1)
    if resource.pmid:
        links.append(
            f'<a class="identifier" href="https://pubmed.ncbi.nlm.nih.gov/{resource.pmid}/">'
            f"PMID {resource.pmid}</a>"
        )
    if resource.pmcid:
        links.append(
            '<a class="identifier" href="https://www.ncbi.nlm.nih.gov/pmc/articles/'
            f'{resource.pmcid}/">{resource.pmcid}</a>'
        )
    return " ".join([text.strip(), *links])
