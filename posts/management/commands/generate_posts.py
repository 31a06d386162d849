"""Generate published posts with tags, resources, series and links between them, for benchmarks.

`manage.py generate_posts 1000 [--seed 1] [--tags 50] [--series 20]`

Posts are named synthetic-1, synthetic-2… and synthetic-1 is the newest: numbers go back in
time, one post every one to five hours. Running the command again continues the numbers and
goes further back, before the oldest synthetic post, so every synthetic post is older than
those with lower numbers. Each post links to one or two posts older than itself from the same
run, cites its resources, has one to four tags (the first of the vocabulary, Gut Health, on
most posts) and is the next part of one of the run's new series. The posts and the rebuilt
search index are written in one transaction.
"""

import itertools
import math
import random
import re
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag

from posts import search
from posts.links import LinkResolver
from posts.models import (
    Announcement,
    Post,
    PreviousSlug,
    Resource,
    Series,
    SeriesPart,
    TaggedPost,
)
from posts.page_cache import retire_pages
from posts.references import format_references
from posts.rendering import reading_minutes, render

SLUG_PREFIX = "synthetic-"
SERIES_SLUG_PREFIX = "synthetic-series-"
AUTHOR_USERNAME = "synthetic"
BATCH_SIZE = 2000
# A series position is at most 9999; a run makes more series than asked rather than overflow.
MAX_SERIES_PARTS = 9999
# Rendering each of 100,000 bodies would take minutes; posts share rendered bodies instead,
# enough of them that the text and the search index are not all alike.
VARIANTS_PER_LINK_COUNT = 60
# Bodies are rendered with these in place of the slugs of the posts they will link to.
LINK_STAND_INS = ("generated-link-target-a", "generated-link-target-b")
# Posts link to posts at most this many places older, as a blog refers to recent writing.
LINK_REACH = 200
# Tag sizes fall off as 1 / rank ** ZIPF_EXPONENT, so the first tag is on most posts.
ZIPF_EXPONENT = 1.2
MIN_GAP_SECONDS, MAX_GAP_SECONDS = 3600, 5 * 3600

TAG_NAMES = [
    "Gut Health", "Microbiome", "Sleep", "Nutrition", "Inflammation", "Stress", "Mood",
    "Probiotics", "Fibre", "Immunity", "Metabolism", "Exercise", "Vagus Nerve", "Serotonin",
    "Cognition", "Anxiety", "Depression", "Fermented Foods", "Antibiotics",
    "Short-Chain Fatty Acids", "Brain Health", "Circadian Rhythm", "Hormones", "Ageing",
    "Memory", "Neuroscience", "Diet", "Obesity", "Diabetes", "Allergies", "Autism",
    "Parkinson's Disease", "Alzheimer's Disease", "Dopamine", "Cortisol", "Polyphenols",
    "Prebiotics", "Intestinal Barrier", "Bacteria", "Viruses", "Fungi", "Infant Health",
    "Pregnancy", "Mental Health", "Pain", "IBS", "Coeliac Disease", "Methods", "Reviews",
    "Clinical Trials",
]  # fmt: skip
TOPICS = [
    "the gut microbiome", "sleep", "short-chain fatty acids", "the vagus nerve", "serotonin",
    "chronic stress", "dietary fibre", "fermented foods", "inflammation",
    "the intestinal barrier", "antibiotics", "probiotics", "mood", "memory", "exercise",
    "circadian rhythms", "cortisol", "tryptophan", "bile acids", "the immune system",
]  # fmt: skip
ORGANISMS = [
    "Bifidobacterium", "Lactobacillus", "Akkermansia", "Faecalibacterium", "Bacteroides",
    "Prevotella", "Roseburia", "Eubacterium",
]  # fmt: skip
SUBJECTS = [
    "mice", "healthy adults", "older adults", "infants", "students", "twins",
    "people with IBS", "rats", "volunteers", "shift workers",
]  # fmt: skip
MEASURES = [
    "anxiety scores", "sleep quality", "stool consistency", "cortisol levels", "reaction times",
    "microbial diversity", "markers of inflammation", "mood ratings", "blood sugar",
]  # fmt: skip
SURNAMES = [
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "García", "Novak", "Schmidt", "Patel", "Rossi",
    "Kowalski", "Nguyen", "O'Brien", "Haddad", "Fischer", "Silva", "Jensen",
]  # fmt: skip
VENUES = [
    "Gut Microbes", "Nature Microbiology", "Brain, Behavior, and Immunity", "Cell Host & Microbe",
    "The Lancet Gastroenterology & Hepatology", "Psychoneuroendocrinology", "Microbiome",
    "Journal of Neuroscience",
]  # fmt: skip

TITLES = [
    "{Topic} and {topic2}: what the evidence says",
    "How {topic} shapes {topic2}",
    "What {organism} tells us about {topic}",
    "Does {topic} change {measure}?",
    "A closer look at {topic} in {subjects}",
    "{Topic}, {topic2} and a small trial",
]
SUMMARIES = [
    "A study of {n} {subjects} links {topic} to {measure}. Here is what it can and cannot say.",
    "Why {organism} keeps turning up in research on {topic}, and what that means for {topic2}.",
    "{Topic} and {topic2} in {subjects}: the effect is real, but smaller than reported.",
]
HEADINGS = [
    "What the study found", "Why {topic} matters", "The mechanism", "What we still don't know",
    "Where this leaves us", "A note on methods", "The {organism} question",
    "How big is the effect?", "Reading the numbers",
]  # fmt: skip
PARAGRAPHS = [
    "A growing body of work links {topic} to {topic2}. In a study of {n} {subjects}, "
    "researchers reported that {measure} shifted after {weeks} weeks{cite}. The effect was "
    "modest, and the authors were careful to say so, but it lined up with what earlier animal "
    "work had suggested about *{organism}*.",
    "Why would {topic} matter for {topic2}? One answer runs through *{organism}*, a genus that "
    "breaks fibre down into compounds the body uses as fuel. When those compounds fall, so do "
    "{measure}, at least in {subjects}{cite}. That is a chain of three links, and each link is "
    "weaker than it looks.",
    "It is worth being precise about what was measured. The trial tracked {measure} in {n} "
    "{subjects} over {weeks} weeks, against a placebo that looked and tasted the same{cite}. "
    "Nobody knew who was getting what until the end, which is the part that makes the result "
    "worth talking about.",
    "None of this means you should change what you eat tomorrow. Effects seen in {subjects} "
    "often shrink or vanish in larger groups, and a single study of {topic} is a hint, not an "
    "instruction{cite}. What it does suggest is a question worth asking next: does "
    "*{organism}* do the same thing outside the lab?",
    "The **strongest** evidence on {topic} still comes from {subjects}, and the _weakest_ from "
    'surveys that ask people to remember what they ate. As one reviewer put it, "the '
    'microbiome is not a mood ring"{cite}. That is fair, and it cuts both ways.',
    "Part of the difficulty is that {topic} and {topic2} move together for reasons that have "
    "nothing to do with bacteria: people who sleep badly also eat differently, exercise less "
    "and report more stress{cite}. Untangling those threads takes studies with {n} or more "
    "participants, and there are few of them.",
]
LISTS = [
    "The main points so far:\n\n"
    "- {Topic} and {topic2} interact in both directions\n"
    "- *{organism}* appears in most of the studies\n"
    "- the effect on {measure} is small but consistent",
    "What would settle the question:\n\n"
    "1. a trial in {subjects} lasting longer than {weeks} weeks\n"
    "2. a measure of {measure} taken before and after\n"
    "3. a replication by a second group",
]
QUOTES = [
    '> "We saw a change in {measure}, not a cure for anything."\n\n'
    "That caution, from the study's lead author, is the right one.",
]
LINK_SENTENCES = [
    "We looked at a related question in [{text}](post:{slug}), where the evidence on {topic2} "
    "turned out to be thinner than the headlines.",
    "As [{text}](post:{slug}) explained, {topic} is only one part of the story.",
    "This builds on [{text}](post:{slug}), which covered the basics of {topic2}.",
]
LINK_TEXTS = ["an earlier post", "our look at {topic}", "the previous part", "a post on {topic2}"]
FOOTNOTES = [
    "Footnote text: {n} is the number randomised, not the number who finished.",
    "The authors declared funding from a maker of probiotic supplements.",
]


def capitalized(text):
    return text[:1].upper() + text[1:]


def words(rng):
    """Values for the placeholders of one template, drawn once."""
    topic, topic2 = rng.sample(TOPICS, 2)
    return {
        "topic": topic,
        "Topic": capitalized(topic),
        "topic2": topic2,
        "organism": rng.choice(ORGANISMS),
        "subjects": rng.choice(SUBJECTS),
        "measure": rng.choice(MEASURES),
        "n": rng.choice([24, 48, 60, 96, 120, 250, 410, 1200]),
        "weeks": rng.choice([4, 6, 8, 12, 16]),
    }


def body_markdown(rng, link_count):
    """A post body citing resources 1 and 2, linking to `link_count` stand-in slugs."""
    values = words(rng)
    paragraphs = rng.sample(PARAGRAPHS, 5)
    headings = rng.sample(HEADINGS, 3)
    cites = iter(["[#1]", "", "[#2]", "", "[#1]"])
    blocks = [p.format(cite=f" {next(cites)}".rstrip(), **values) for p in paragraphs]
    for index, slug in enumerate(LINK_STAND_INS[:link_count]):
        sentence = rng.choice(LINK_SENTENCES)
        text = rng.choice(LINK_TEXTS).format(**values)
        # The first link early, the second later, each at the end of a paragraph.
        where = 1 + 2 * index
        blocks[where] += " " + sentence.format(text=text, slug=slug, **values)
    extra = rng.choice([*LISTS, *QUOTES, None])
    if extra:
        blocks.insert(3, extra.format(**values))
    footnote = rng.random() < 0.3
    if footnote:
        blocks[-1] += "[^1]"
    for position, heading in zip((1, 3, len(blocks) - 1), headings, strict=True):
        level = "###" if heading == "A note on methods" else "##"
        blocks[position] = f"{level} {heading.format(**values)}\n\n{blocks[position]}"
    if footnote:
        blocks.append("[^1]: " + rng.choice(FOOTNOTES).format(**values))
    return "\n\n".join(blocks) + "\n"


class Variant:
    """A body rendered once, its links pointing at stand-ins to be replaced per post."""

    def __init__(self, body, link_count):
        stand_ins = {
            slug: Post(slug=slug, title=slug, status=Post.Status.PUBLISHED)
            for slug in LINK_STAND_INS
        }
        page = Post(slug="generated-variant", body=body)

        def find_posts(slugs):
            return {slug: stand_ins[slug] for slug in slugs if slug in stand_ins}

        links = LinkResolver(page, find_posts=find_posts)
        rendered = render(body, resolve_links=links)
        if links.broken or links.problems:
            raise CommandError(f"A generated body has broken links: {links.problems}")
        self.body = body
        self.html = rendered.html
        self.citations = list(rendered.citations)
        self.stand_ins = [
            (slug, f'href="{stand_ins[slug].get_absolute_url()}"')
            for slug in LINK_STAND_INS[:link_count]
        ]
        for slug, href in self.stand_ins:
            if body.count(f"(post:{slug})") != 1 or self.html.count(href) != 1:
                raise CommandError("A generated body must link to each stand-in once.")
        # Every slug the links get (the prefix, then digits) counts as the same number of words.
        body_as_posted = self.for_targets([f"{SLUG_PREFIX}1"] * link_count)[0]
        self.reading_minutes = reading_minutes(body_as_posted)

    def for_targets(self, slugs):
        """Body and HTML linking to the posts with these slugs instead of the stand-ins."""
        body, html = self.body, self.html
        for (stand_in, href), slug in zip(self.stand_ins, slugs, strict=True):
            body = body.replace(f"(post:{stand_in})", f"(post:{slug})")
            html = html.replace(href, href.replace(stand_in, slug))
        return body, html


def highest_number(prefix, slugs):
    # Numbers with a leading zero are never generated, so they cannot be taken.
    pattern = re.compile(re.escape(prefix) + r"([1-9][0-9]*)")
    return max((int(m[1]) for slug in slugs if (m := pattern.fullmatch(slug))), default=0)


class Command(BaseCommand):
    help = (
        "Generate published posts with tags, resources, series and internal links, for "
        "benchmarks: synthetic-1 is the newest, and running again continues further back."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many posts to make.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same posts.")
        parser.add_argument("--tags", type=int, default=50, help="Size of the tag vocabulary.")
        parser.add_argument(
            "--series", type=int, default=20, help="How many series to spread the posts over."
        )

    def handle(self, *args, count, seed, tags, series, **options):
        if count < 1 or tags < 1 or series < 1:
            raise CommandError("The count, --tags and --series must be at least 1.")
        started = time.perf_counter()
        # One transaction: nothing is left half made, and SQLite writes the search index in
        # one commit rather than one per post.
        with transaction.atomic():
            newest_before = Post.objects.aggregate(newest=Max("pk"))["newest"] or 0
            first, last = self.generate(count, seed, tags, series)
            generated = time.perf_counter() - started
            # Bulk inserts bypass Post.save(), which keeps the index current post by post.
            search.rebuild_index(
                Post.objects.filter(pk__gt=newest_before).values_list("pk", flat=True)
            )
        retire_pages()  # bulk inserts send no signal for posts.effects to act on
        if connection.vendor == "postgresql":
            # Fresh statistics, so that the planner knows the tables' new sizes at once.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        total = time.perf_counter() - started
        self.stdout.write(
            f"Made {count} posts ({SLUG_PREFIX}{first} to {SLUG_PREFIX}{last}) in "
            f"{total:.1f} s ({generated:.1f} s writing, {total - generated:.1f} s indexing "
            "for search)."
        )

    def generate(self, count, seed, tag_count, series_count):
        taken = itertools.chain(
            Post.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", flat=True),
            PreviousSlug.objects.filter(slug__startswith=SLUG_PREFIX).values_list(
                "slug", flat=True
            ),
        )
        first = highest_number(SLUG_PREFIX, taken) + 1
        last = first + count - 1
        # Mixed with the first number so that a second run is not a copy of the first.
        rng = random.Random(f"{seed}:{first}")

        oldest = Post.objects.filter(
            slug__startswith=SLUG_PREFIX, published_at__isnull=False
        ).aggregate(oldest=Min("published_at"))["oldest"]
        anchor = (oldest or timezone.now()).replace(microsecond=0)
        back = itertools.accumulate(
            rng.randint(MIN_GAP_SECONDS, MAX_GAP_SECONDS) for _ in range(count)
        )
        published = {
            n: anchor - timedelta(seconds=s)
            for n, s in zip(range(first, last + 1), back, strict=True)
        }

        # Small runs share bodies too: rendering them is most of the time such a run takes.
        shared = min(VARIANTS_PER_LINK_COUNT, count // 4 + 1)
        variants = {
            # Only the oldest post of a run has no older post to link to.
            link_count: [
                Variant(body_markdown(rng, link_count), link_count)
                for _ in range(shared if link_count else 1)
            ]
            for link_count in (0, 1, 2)
        }
        author = self.author()
        tags = self.tags(tag_count)
        tag_weights = list(
            itertools.accumulate(1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(tags)))
        )
        series = self.series(max(series_count, math.ceil(count / MAX_SERIES_PARTS)), rng)
        positions = dict.fromkeys(series, 0)
        ids = {}  # number: pk, of the posts written so far

        # Oldest first, so that the posts a post links to are written before it, and ids grow
        # with time as on a real site.
        numbers = range(last, first - 1, -1)
        for start in range(0, count, BATCH_SIZE):
            batch = numbers[start : start + BATCH_SIZE]
            posts, targets = [], []
            for n in batch:
                older = last - n
                link_count = min(rng.choice((1, 2)), older)
                linked = rng.sample(range(n + 1, n + 1 + min(older, LINK_REACH)), link_count)
                variant = rng.choice(variants[link_count])
                body, html = variant.for_targets([f"{SLUG_PREFIX}{t}" for t in linked])
                values = words(rng)
                posts.append(
                    Post(
                        title=rng.choice(TITLES).format(**values),
                        slug=f"{SLUG_PREFIX}{n}",
                        author=author,
                        summary=rng.choice(SUMMARIES).format(**values),
                        body=body,
                        body_html=html,
                        citations=variant.citations,
                        reading_minutes=variant.reading_minutes,
                        status=Post.Status.PUBLISHED,
                        published_at=published[n],
                        content_changed_at=published[n],
                    )
                )
                targets.append(linked)
            Post.objects.bulk_create(posts, batch_size=BATCH_SIZE)
            ids.update((n, post.pk) for n, post in zip(batch, posts, strict=True))

            tagged, resources, parts, links = [], [], [], []
            for post, linked in zip(posts, targets, strict=True):
                tag_ids, wanted = [], rng.randint(1, min(4, len(tags)))
                while len(tag_ids) < wanted:
                    tag = rng.choices(tags, cum_weights=tag_weights)[0]
                    if tag.pk not in tag_ids:
                        tag_ids.append(tag.pk)
                tagged += [
                    TaggedPost(tag_id=tag_id, content_object_id=post.pk) for tag_id in tag_ids
                ]
                resources += [
                    self.resource(rng, post, number) for number in range(1, rng.randint(2, 4) + 1)
                ]
                part_of = rng.choice([s for s in series if positions[s] < MAX_SERIES_PARTS])
                positions[part_of] += 1
                parts.append(
                    SeriesPart(series_id=part_of.pk, post_id=post.pk, position=positions[part_of])
                )
                links += [
                    Post.links.through(from_post_id=post.pk, to_post_id=ids[t]) for t in linked
                ]
            TaggedPost.objects.bulk_create(tagged, batch_size=BATCH_SIZE)
            for _, of_post in itertools.groupby(resources, key=lambda r: r.post_id):
                format_references(of_post)  # as each save would
            Resource.objects.bulk_create(resources, batch_size=BATCH_SIZE)
            SeriesPart.objects.bulk_create(parts, batch_size=BATCH_SIZE)
            Post.links.through.objects.bulk_create(links, batch_size=BATCH_SIZE)
            # Made up, not news: nobody is e-mailed about them.
            Announcement.objects.bulk_create(
                [Announcement(post=post) for post in posts],
                batch_size=BATCH_SIZE,
            )
        return first, last

    def author(self):
        author, created = get_user_model().objects.get_or_create(
            username=AUTHOR_USERNAME, defaults={"first_name": "Sam", "last_name": "Synthetic"}
        )
        if created:
            author.set_unusable_password()
            author.save(update_fields=["password"])
        return author

    def tags(self, count):
        """The vocabulary, most used first: the project's tags where they exist already."""
        names = [
            name if round_ == 0 else f"{name} {round_ + 1}"
            for round_ in range(math.ceil(count / len(TAG_NAMES)))
            for name in TAG_NAMES
        ][:count]
        found = []
        for name in names:
            tag = (
                Tag.objects.filter(slug=slugify(name)).first()
                or Tag.objects.filter(name__iexact=name).first()
                or Tag.objects.create(name=name)
            )
            found.append(tag)
        return found

    def series(self, count, rng):
        first = (
            highest_number(
                SERIES_SLUG_PREFIX,
                Series.objects.filter(slug__startswith=SERIES_SLUG_PREFIX).values_list(
                    "slug", flat=True
                ),
            )
            + 1
        )
        made = []
        for number in range(first, first + count):
            topic = rng.choice(TOPICS)
            made.append(
                Series.objects.create(
                    title=f"Notes on {topic} ({number})",
                    slug=f"{SERIES_SLUG_PREFIX}{number}",
                    description=f"Generated posts about *{topic}*, oldest first.",
                )
            )
        return made

    def resource(self, rng, post, number):
        authors = [
            {"family": surname, "given": rng.choice("ABCDEFGHJKLMNPRST")}
            for surname in rng.sample(SURNAMES, rng.randint(1, 4))
        ]
        return Resource(
            post_id=post.pk,
            number=number,
            title=f"{capitalized(rng.choice(TOPICS))} and {rng.choice(MEASURES)} in "
            f"{rng.choice(SUBJECTS)}",
            authors=authors,
            container_title=rng.choice(VENUES),
            year=rng.randint(1995, 2025),
            doi=f"10.5555/{post.slug}.{number}",
        )
