"""References pasted as reference managers export them become resources' fields."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from posts.reference_import import MAX_ENTRIES, parse_references
from posts.references import parse_names
from tests.test_admin import inline_management
from tests.test_authoring import change_form

pytestmark = pytest.mark.django_db

# Three articles as Zotero exports them (Better BibTeX's shape: braces, LaTeX, months).
ZOTERO_BIBTEX = r"""
@article{cryan_microbiota-gut-brain_2019,
	title = {The {Microbiota}-{Gut}-{Brain} {Axis}},
	volume = {99},
	issn = {0031-9333},
	url = {https://journals.physiology.org/doi/10.1152/physrev.00018.2018},
	doi = {10.1152/physrev.00018.2018},
	number = {4},
	journal = {Physiological Reviews},
	author = {Cryan, John F. and O'Riordan, Kenneth J. and Cowan, Caitlin S. M.},
	month = oct,
	year = {2019},
	pages = {1877--2013},
}

@article{braniste_gut_2014,
	title = {The gut microbiota influences blood-brain barrier permeability in mice},
	volume = {6},
	doi = {10.1126/scitranslmed.3009759},
	number = {263},
	journal = {Science Translational Medicine},
	author = {Braniste, Viorica and Al-Asmakh, Maha and {The Karolinska Microbiome Group}},
	year = {2014},
	pages = {263ra158},
}

@article{sudo_postnatal_2004,
	title = {Postnatal microbial colonization programs the
		hypothalamic\textendash{}pituitary\textendash{}adrenal system for stress response in mice},
	volume = {558},
	journal = {The Journal of Physiology},
	author = {Sudo, Nobuyuki and Chida, Yoichi and Aiba, Yuji},
	year = {2004},
	pages = {263--275},
	note = {caf\'{e}},
	pmid = {15133062},
}
"""


def test_a_zotero_bibtex_export_of_three_articles_gives_three_references():
    first, second, third = parse_references(ZOTERO_BIBTEX)
    assert first["title"] == "The Microbiota-Gut-Brain Axis"
    assert first["authors"] == "Cryan, John F.\nO'Riordan, Kenneth J.\nCowan, Caitlin S. M."
    assert (first["container_title"], first["year"], first["month"]) == (
        "Physiological Reviews",
        2019,
        10,
    )
    assert (first["volume"], first["issue"], first["pages"]) == ("99", "4", "1877\u20132013")
    assert first["doi"] == "10.1152/physrev.00018.2018"
    assert first["kind"] == "article-journal"
    assert second["authors"].endswith("{The Karolinska Microbiome Group}")
    assert "hypothalamic\u2013pituitary\u2013adrenal" in third["title"]
    assert third["pmid"] == "15133062"


def test_ris_csl_json_and_bare_identifiers_are_read():
    ris = (
        "TY  - JOUR\nAU  - Cryan, John F.\nAU  - World Health Organization\n"
        "TI  - The Microbiota-Gut-Brain Axis\nJO  - Physiological Reviews\nPY  - 2019/10/01\n"
        "VL  - 99\nIS  - 4\nSP  - 1877\nEP  - 2013\nDO  - 10.1152/physrev.00018.2018\nER  - \n"
        "TY  - BOOK\nAU  - Anderson, Scott C.\nTI  - The Psychobiotic Revolution\nPY  - 2017\n"
        "PB  - National Geographic\nER  - \n"
    )
    article, book = parse_references(ris)
    assert article["authors"] == "Cryan, John F.\n{World Health Organization}"
    assert (article["year"], article["month"], article["day"]) == (2019, 10, 1)
    assert article["pages"] == "1877-2013"
    assert (book["kind"], book["publisher"]) == ("book", "National Geographic")

    csl = [
        {
            "id": "x",
            "type": "webpage",
            "title": "Gut feelings",
            "author": [{"literal": "NIH"}, {"family": "Doe", "given": "Jane"}],
            "URL": "https://example.org/gut",
            "accessed": {"date-parts": [[2026, 1, 2]]},
            "issued": {"date-parts": [[2024]]},
        }
    ]
    (page,) = parse_references(json.dumps(csl))
    assert (page["kind"], page["accessed"], page["year"]) == ("webpage", "2026-01-02", 2024)
    assert parse_names(page["authors"]) == [{"literal": "NIH"}, {"family": "Doe", "given": "Jane"}]

    doi, doi_link, pmid, pmcid = parse_references(
        "10.1038/nature12820, https://doi.org/10.1073/pnas.1102999108\n31460832 PMC3179073"
    )
    assert (doi["doi"], doi_link["doi"]) == ("10.1038/nature12820", "10.1073/pnas.1102999108")
    assert (pmid["pmid"], pmcid["pmcid"], pmid["title"]) == ("31460832", "PMC3179073", "")


@pytest.mark.parametrize(
    "text, message",
    [
        ("@article{broken, title = {Never closed}\n", "This BibTeX cannot be read from line 1"),
        ('[{"title": "x"', "This is not CSL-JSON"),
        ('{"title": "x",}', "This is not CSL-JSON"),
        ("[1, 2]", "CSL-JSON is a list of references, each an object."),
        ("10.1038/nature12820 banana", "“banana” is not a DOI"),
        ("10/12345", "“10/12345” is not a DOI"),
        ('[{"title": "x", "DOI": "11.1/x"}]', "Reference 1 (x): DOI: Enter a DOI such as"),
        ('[{"title": "x", "PMID": "12a"}]', "Reference 1 (x): PMID: A PubMed id is digits only."),
        (" ".join(["31460832"] * (MAX_ENTRIES + 1)), "at most 200 can be added at once"),
        ("", "Paste BibTeX, RIS or CSL-JSON"),
    ],
)
def test_what_cannot_be_read_is_named(text, message):
    with pytest.raises(ValidationError) as caught:
        parse_references(text)
    assert message in " ".join(caught.value.messages)


def test_the_form_reads_a_paste_and_says_what_is_wrong(admin_client, client):
    url = reverse("admin:posts_post_references")
    answer = admin_client.post(url, {"text": ZOTERO_BIBTEX})
    assert answer.status_code == 200
    assert [r["year"] for r in answer.json()["resources"]] == [2019, 2014, 2004]
    refused = admin_client.post(url, {"text": "not an identifier"})
    assert refused.status_code == 400
    assert "“not” is not a DOI" in refused.json()["errors"][0]
    assert client.post(url, {"text": ZOTERO_BIBTEX}).status_code == 302  # to the login


def test_a_post_with_two_hundred_resources_saves(admin_client, make_post):
    post = make_post(body="Many sources.")
    data = change_form(admin_client, post)
    data.update(inline_management("resources", total=MAX_ENTRIES))
    for row in range(MAX_ENTRIES):
        data.update(
            {
                f"resources-{row}-number": str(row + 1),
                f"resources-{row}-kind": "article-journal",
                f"resources-{row}-title": f"Study {row + 1}",
                f"resources-{row}-authors": "Cryan, John F.",
                f"resources-{row}-doi": f"10.5555/study.{row + 1}",
            }
        )
    response = admin_client.post(reverse("admin:posts_post_change", args=[post.pk]), data)
    assert response.status_code == 302
    assert post.resources.count() == MAX_ENTRIES
    assert "Cryan JF. Study 200." in post.resources.get(number=200).formatted


@pytest.mark.parametrize(
    "text",
    [
        '[{"title": "x", "issued": {"date-parts": [[1e999]]}}]',
        '[{"title": "x", "type": [], "author": [{"family": "Doe"}]}]',
        "@article{k, title = {A study}, year = {\u00b2}, month = {\u00b2}}",
        "@article{k, title = {" + "{" * 240 + "deep" + "}" * 240 + "}}",
        "TY  - JOUR\nTI  - A study\nPY  - \u00b2\nER  - \n",
    ],
    ids=["infinite-year", "type-not-text", "superscript-digits", "nested-braces", "ris-digits"],
)
def test_odd_values_give_a_sensible_reference(text):
    (reference,) = parse_references(text)
    assert reference["title"].endswith(("x", "A study", "deep"))
    assert reference["kind"] == "article-journal"


def test_json_nested_beyond_reason_is_refused():
    with pytest.raises(ValidationError, match="This is not CSL-JSON"):
        parse_references("[" * 100_000)
