"""Limits that keep the cost of rendering any text small, checked before Markdown does the
costly work.

Python-Markdown, and html5lib behind bleach, spend about a tenth of a millisecond on each
element (a paragraph, a list item, a link, a piece of code), and time that grows with the
square of some counts: an unclosed “[” or “`” is read to the end of its paragraph, and a start
tag without its “>” to the end of the text; each piece of inline markup copies its paragraph,
each nested quote or list reads it again, each line of a paragraph may be read again for every
line above it. Twenty thousand “[” take minutes. The limits below are far above real writing
(a 20,000-word post has about 140,000 characters and a few thousand elements) and keep any one
cause to well under a second; `bench/markdown.py` measures them.

`check_source` runs on the text as written. `Guard` runs inside Markdown, once fenced code has
been set aside (Markdown reads no further into it; the sanitiser still does) and before raw HTML
is read.
"""

import re
from bisect import bisect_left
from collections import Counter

from markdown.preprocessors import Preprocessor

MAX_CHARACTERS = 300_000
MAX_FENCES = 400  # lines that open or close fenced code
MAX_TAGS = 2_000  # raw HTML tags and comments
MAX_TAG_SCAN = 3_000_000  # characters read to find where the tags end
MAX_FOOTNOTES = 500
MAX_FOOTNOTE_REFERENCES = 100  # to one footnote
MAX_TOC_MARKERS = 3
MAX_BLANK_LINES = 20_000
MAX_BLOCKS = 3_000  # paragraphs, headings, list items, table cells, blocks of raw HTML
MAX_INLINE = 10_000  # pieces of inline markup (see MARKUP)
MAX_LINES_SQUARED = 2_000_000  # summed over paragraphs: one of 1,400 lines, or many short
MAX_NESTING_WORK = 10_000_000  # depth of quotes and lists times the paragraph's length
MAX_MARKUP_WORK = 200_000_000  # inline markup times the length of its paragraph
MAX_CODE_ENTITIES = 20_000  # “<”, “>”, “&” and quotes in fenced code
MAX_CODE_WORK = 5_000_000_000  # those times the length of their block
# The shares of the limits above that one text may use together (some count the same marks).
MAX_LIMITS_USED = 2
MAX_SCANNED = 600_000  # characters read to find the ends of “[…]”, “(…)” and code

FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})", re.MULTILINE)
TAG_OPENER = re.compile(r"<[A-Za-z/!?]")
MAX_TAG_LENGTH = 1_000
MAX_TAG_NAME_LENGTH = 200
MAX_TAG_WORDS = 2_000  # words an unfinished tag may run on for
LONG_TAG_NAME = re.compile(rf"<[/!?]?[A-Za-z][^\s>]{{{MAX_TAG_NAME_LENGTH}}}")
SPACE = re.compile(r"\s+")
# A start tag written plainly: what Python's HTML parser reads to its end and no further.
START_TAG = re.compile(
    r"""<[A-Za-z][A-Za-z0-9:-]*"""
    r"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*/?>"""
)
FOOTNOTE = re.compile(r"(^[ ]{0,3})?\[\^([^\]\n]{1,100})\](:)?", re.MULTILINE)
TOC_MARKER = re.compile(r"^[ \t]*\[TOC\][ \t]*$", re.MULTILINE)

# A line that may start an element of its own rather than continue a paragraph.
BLOCK_LINE = re.compile(r"^[ \t]*[-*+_#>|=<\[\d]", re.MULTILINE)
# What can start an inline match: emphasis and code (by runs), links, images, HTML, entities,
# escapes, smart quotes and dashes, hard line breaks; and “>”, which becomes an entity. Each
# costs about as much as an element, and copies its paragraph.
MARKUP = re.compile(r"\*+|_+|`+|--+|\.\.\.|  \n|[\[!<>&\\'\"]")
# Quotes and lists opening a line: each “>” nests, and so does every other character.
NESTING = re.compile(r"^[ \t>*+\-\d.)]*", re.MULTILINE)
TICKS = re.compile(r"`+")
# What Markdown replaces, before it looks for links, by a placeholder no longer than 16
# characters: escapes, code (here each of its runs of backticks), footnotes and citations.
REPLACED = re.compile(r"\\[\\`\[\]()]|`+|\[\^[^\]\n]{1,100}\]|\[(?:Resource\s+)?#[0-9]{1,4}\]")
PLACEHOLDER, CODE = "\x02" * 16, "\x03" * 16
BRACKET = re.compile(r"[\[\]()]")
QUOTE = re.compile(r"[\"']")


class TooCostly(ValueError):
    """The text would take too long to render; the message says where and why."""


def check_source(source):
    """Refuse text too long, or with too much fenced code, for Markdown to read at all."""
    if len(source) > MAX_CHARACTERS:
        raise TooCostly(
            f"This text has {len(source):,} characters; at most {MAX_CHARACTERS:,} can be "
            "shown. Split it into several posts."
        )
    if (fences := len(FENCE.findall(source))) > MAX_FENCES:
        raise TooCostly(
            f"This text has {fences:,} lines that open or close fenced code (``` or ~~~); "
            f"at most {MAX_FENCES:,}."
        )


class Guard(Preprocessor):
    """Refuses, before Markdown reads it, text that would cost too much to render."""

    def run(self, lines):
        # Fenced code, set aside by now as HTML.
        check_code([block for block in self.md.htmlStash.rawHtmlBlocks if isinstance(block, str)])
        text = "\n".join(lines)
        check_tags(text)
        check_footnotes(text)
        # Markdown splits the text at blank lines, and takes each part from the front.
        if (blank := lines.count("")) > MAX_BLANK_LINES:
            raise TooCostly(f"This text has {blank:,} blank lines; at most {MAX_BLANK_LINES:,}.")
        tags = len(TAG_OPENER.findall(text))
        check_paragraphs([block for block in text.split("\n\n") if block.strip()], tags)
        return lines


def check_code(blocks):
    """Code costs Markdown nothing, but each “<”, “>”, “&” and quote in it is an entity, which
    html5lib reads as a piece of its own and adds to the code's text, copying that."""
    entities = [block.count("&") for block in blocks]
    if sum(entities) > MAX_CODE_ENTITIES:
        raise TooCostly(
            f"The code in this text has {sum(entities):,} “<”, “>”, “&” and quotes; at most "
            f"{MAX_CODE_ENTITIES:,} can be shown."
        )
    work = sum(count * len(block) for count, block in zip(entities, blocks, strict=True))
    if work > MAX_CODE_WORK:
        count = max(entities)
        raise TooCostly(
            f"A block of code has {count:,} “<”, “>”, “&” and quotes: too costly to render in "
            "one block. Split it into several."
        )


def check_tags(text):
    """Python's HTML parser reads each tag to its end, or to the end of the text when it finds
    none; html5lib (in the sanitiser) reads a tag name a character at a time, and takes the
    words up to the next “>” for attributes, comparing each with all the others."""
    openers = [match.start() for match in TAG_OPENER.finditer(text)]
    if len(openers) > MAX_TAGS:
        raise TooCostly(
            f"This text has {len(openers):,} HTML tags; at most {MAX_TAGS:,}. Write &lt; "
            "for a “<” shown as it is."
        )
    if long_name := LONG_TAG_NAME.search(text):
        raise TooCostly(
            f"The HTML tag “{long_name.group()[:20]}…” has a name of over "
            f"{MAX_TAG_NAME_LENGTH} characters, too long to render."
        )
    spaces = [match.start() for match in SPACE.finditer(text)]
    quotes = [match.start() for match in QUOTE.finditer(text)]
    tag_ends = [match.start() for match in re.finditer(">", text)]
    scanned, unended = 0, []
    for start in openers:
        end = parsed_end(text, start)
        if end < 0 and text[start + 1].isalpha():
            # html5lib reads on to the next “>”, or past it when a quote comes first.
            stop = following(tag_ends, start, len(text))
            if following(quotes, start, len(text)) < stop:
                stop = len(text)
            words = bisect_left(spaces, stop) - bisect_left(spaces, start)
            if words > MAX_TAG_WORDS:
                raise TooCostly(
                    f"The HTML tag “{text[start:][:20]}…” does not end plainly with “>”: the "
                    f"{words:,} words after it would be read as its attributes, too many to "
                    "render. End it, or write &lt; for a “<” shown as it is."
                )
        if end < 0:
            unended.append(text[start:][:20])
            end = len(text)
        scanned += end - start
    if scanned > MAX_TAG_SCAN:
        raise TooCostly(
            f"This text has {len(unended):,} HTML tags that do not end plainly with “>”, "
            f"such as “{unended[0]}…”: too costly to render. End them, or write &lt; for "
            "a “<” shown as it is."
        )


def parsed_end(text, start):
    """Where Python's HTML parser finds the end of the tag starting at start, or -1."""
    if text.startswith("<!--", start):
        return text.find("-->", start)
    if text[start + 1].isalpha():
        tag = START_TAG.match(text, start, start + MAX_TAG_LENGTH)
        return tag.end() if tag else -1
    if text.startswith("<![", start):
        return -1
    return text.find(">", start)


def following(positions, start, default):
    """The first of the sorted positions after start, or default."""
    index = bisect_left(positions, start)
    return positions[index] if index < len(positions) else default


def check_footnotes(text):
    """Markdown numbers each reference to a footnote by counting up through those before it,
    and copies the table of contents for each [TOC]."""
    definitions, references = 0, Counter()
    for match in FOOTNOTE.finditer(text):
        if match.group(1) is not None and match.group(3):
            definitions += 1
        else:
            references[match.group(2)] += 1
    if definitions > MAX_FOOTNOTES:
        raise TooCostly(f"This text has {definitions:,} footnotes; at most {MAX_FOOTNOTES:,}.")
    if references and (most := references.most_common(1)[0])[1] > MAX_FOOTNOTE_REFERENCES:
        raise TooCostly(
            f"Footnote [^{most[0]}] is referred to {most[1]:,} times; at most "
            f"{MAX_FOOTNOTE_REFERENCES:,}."
        )
    if (markers := len(TOC_MARKER.findall(text))) > MAX_TOC_MARKERS:
        raise TooCostly(
            f"This text asks for a table of contents ([TOC]) {markers:,} times; at most "
            f"{MAX_TOC_MARKERS}."
        )


def check_paragraphs(paragraphs, tags=0):
    """Each cost within its limit, and all of them together within MAX_LIMITS_USED of them:
    each limit alone allows about half the time the text may take."""
    # The paragraph that costs most is named where one can be: it is usually the culprit.
    used = [tags / MAX_TAGS]
    for limit, cost, problem in [
        (MAX_LINES_SQUARED, lines_squared, too_many_lines),
        (MAX_NESTING_WORK, nesting_work, too_deep),
        (MAX_SCANNED, lambda paragraph: scanned(paragraph)[0], unclosed),
        (MAX_MARKUP_WORK, markup_work, too_much_markup),
    ]:
        costs = [cost(paragraph) for paragraph in paragraphs]
        if sum(costs) > limit:
            number = max(range(len(costs)), key=costs.__getitem__)
            paragraph = paragraphs[number]
            opening = " ".join(paragraph.split())[:30]
            raise TooCostly(f"Paragraph {number + 1:,} (“{opening}…”) {problem(paragraph)}")
        used.append(sum(costs) / limit)
    blocks = sum(
        1 + len(BLOCK_LINE.findall(paragraph)) + paragraph.count("|") for paragraph in paragraphs
    )
    if blocks > MAX_BLOCKS:
        raise TooCostly(
            f"This text has about {blocks:,} paragraphs, headings, list items and table cells; "
            f"at most {MAX_BLOCKS:,} can be shown. Split it into several posts."
        )
    # A link costs about twice what the rest does: its “[” counts twice.
    inline = sum(len(MARKUP.findall(paragraph)) + paragraph.count("[") for paragraph in paragraphs)
    if inline > MAX_INLINE:
        raise TooCostly(
            f"This text has about {inline:,} pieces of emphasis, code, links, HTML and smart "
            f"quotes; at most {MAX_INLINE:,} can be shown. Split it into several posts."
        )
    used += [blocks / MAX_BLOCKS, inline / MAX_INLINE]
    if sum(used) > MAX_LIMITS_USED:
        raise TooCostly(
            "This text comes near several limits at once (many paragraphs, much markup, "
            "unclosed brackets, HTML tags or deep nesting): together too costly to render. "
            "Split it into several posts."
        )


def lines_squared(paragraph):
    return (paragraph.count("\n") + 1) ** 2


def too_many_lines(paragraph):
    return (
        f"runs {paragraph.count(chr(10)) + 1:,} lines without a blank line: too many to render "
        "at once. Separate its parts with blank lines."
    )


def nesting(paragraph):
    return max(
        prefix.count(">") + (len(prefix) - prefix.count(">")) // 2
        for prefix in NESTING.findall(paragraph)
    )


def nesting_work(paragraph):
    return nesting(paragraph) * len(paragraph)


def too_deep(paragraph):
    return f"nests quotes or lists {nesting(paragraph):,} deep: too deep to render. Flatten it."


def markup_work(paragraph):
    return len(MARKUP.findall(paragraph)) * len(paragraph)


def too_much_markup(paragraph):
    [(mark, count)] = Counter(MARKUP.findall(paragraph)).most_common(1)
    return (
        f"has {count:,} “{mark.strip() or 'line break'}” and other markup: too much to "
        "render in one paragraph. Split it with blank lines, or put code in a fenced block."
    )


def scanned(paragraph):
    """(characters Markdown reads to find where the paragraph's code and links end; how many
    runs of “`”, “[” and links' “(” it reads to the end of the paragraph)."""
    ticks, open_ticks = backticks_read(paragraph)
    brackets, open_brackets, open_links = brackets_read(paragraph)
    return ticks + brackets, open_ticks, open_brackets, open_links


def backticks_read(paragraph):
    """Markdown reads from each run of backticks to the next run as long, or to the end."""
    read = left_open = 0
    next_run = {}  # length of a run -> where the next run that long starts
    for match in reversed(list(TICKS.finditer(paragraph))):
        start, length = match.start(), len(match.group())
        stop = next_run.get(length, len(paragraph))
        read += stop - start
        left_open += stop == len(paragraph)
        next_run[length] = start
    return read, left_open


def brackets_read(paragraph):
    """In the paragraph as Markdown sees it once code, escapes and footnotes are replaced, a
    “[” is read to its matching “]” (twice for an image), and the “(” of a link to its
    matching “)”, or past a title in quotes to the “)” after it; to the end of the paragraph
    when there is no end, or when code comes first, which Markdown reads differently."""
    text = REPLACED.sub(lambda match: CODE if match.group()[0] == "`" else PLACEHOLDER, paragraph)
    end = len(text)
    code = [match.start() for match in re.finditer(CODE, text)]
    quotes = [match.start() for match in QUOTE.finditer(text)]
    titles = {  # quote -> where a title in such quotes may end, and the link with it
        quote: [match.span() for match in re.finditer(quote + "[ ]*\\)", text)] for quote in "\"'"
    }

    closing = {}  # where each “[” and “(” that is closed is closed
    opened = {"]": [], ")": []}
    for match in BRACKET.finditer(text):
        position, bracket = match.start(), match.group()
        if bracket in "[(":
            opened["]" if bracket == "[" else ")"].append(position)
        elif opened[bracket]:
            closing[opened[bracket].pop()] = position
    read = open_brackets = open_links = 0
    for match in BRACKET.finditer(text):
        start, bracket = match.start(), match.group()
        stop = closing.get(start, end)
        if bracket == "(":
            if not (start and text[start - 1] == "]"):
                continue  # not a link's address
            if (quote := following(quotes, start, end)) < stop:
                ends = titles[text[quote]]
                index = bisect_left(ends, (quote + 1,))
                stop = ends[index][1] - 1 if index < len(ends) else end
        elif bracket != "[":
            continue
        if following(code, start, end) < stop:
            stop = end
        read += (stop - start) * (2 if bracket == "[" and text[start - 1 : start] == "!" else 1)
        open_brackets += bracket == "[" and stop == end
        open_links += bracket == "(" and stop == end
    return read, open_brackets, open_links


def unclosed(paragraph):
    _, ticks, brackets, links = scanned(paragraph)
    if brackets:
        problem = f"{brackets:,} “[” without a matching “]”"
    elif links:
        problem = f"{links:,} links whose address or title is not closed"
    else:
        problem = f"{ticks:,} “`” without a matching “`”"
    return (
        f"has {problem}: too costly to render. Close them, or write \\[ or \\` for one shown "
        "as it is."
    )
