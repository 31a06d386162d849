"""Fenced code in colour: Pygments through Markdown's codehilite, with CSS classes only (the
Content-Security-Policy allows no inline style), coloured by static/posts/code.css.

Only the language named in a fence (```python) is used. Anything else a fence may say, which
codehilite would hand on to Pygments (inline styles, tab sizes, line numbers), is dropped
before Markdown reads the fence. Code in no known language is left plain, with no guessing, and
so is indented code. Each coloured token costs the sanitiser about as much as an element:
beyond MAX_TOKENS in one text, the rest of its code is left plain.
"""

import re

from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.preprocessors import Preprocessor
from pygments.formatters import HtmlFormatter
from pygments.lexers import find_lexer_class_by_name
from pygments.token import STANDARD_TYPES, Text
from pygments.util import ClassNotFound

CSS_CLASS = "highlight"
# The classes Pygments gives the tokens it colours: "k" for a keyword, "s2" for a string…
TOKEN_CLASSES = frozenset(STANDARD_TYPES.values()) - {""}
# About 75,000 characters of real code; no more than half a second of the sanitiser's time.
MAX_TOKENS = 10_000
# Fence options that fenced_code reads as: this block without Pygments, plain.
PLAIN_FENCE = "{use_pygments=false}"
# In `{.python #id}`, the language is the first class, as fenced_code reads it.
FIRST_CLASS = re.compile(r"(?:^|\s)\.([\w#.+-]+)")


class CodeExtension(CodeHiliteExtension):
    """codehilite for fenced code alone, with a language only, and a budget of tokens for the
    text; a new one for each text."""

    def __init__(self):
        super().__init__(css_class=CSS_CLASS, guess_lang=False, pygments_formatter=TokenBudget())

    def extendMarkdown(self, md):
        super().extendMarkdown(md)
        # Indented code says no language: codehilite would look for one in its first line.
        md.treeprocessors.deregister("hilite")
        # After whitespace is normalised (30), before fenced code is read (25).
        md.preprocessors.register(FenceLanguage(md), "fence_language", 26)


class FenceLanguage(Preprocessor):
    """Rewrites the opening of each fenced block to its language, or to plain code."""

    def run(self, lines):
        # The pattern fenced_code itself reads blocks with, so both find the same ones.
        text = FencedBlockPreprocessor.FENCED_BLOCK_RE.sub(opened_plainly, "\n".join(lines))
        return text.split("\n")


def opened_plainly(block):
    language = block.group("lang")
    if block.group("attrs"):
        first = FIRST_CLASS.search(block.group("attrs"))
        language = first and first.group(1)
    opening = language if known(language) else PLAIN_FENCE
    fence = block.group("fence")
    return f"{fence}{opening}\n{block.group('code')}{fence}"


def known(language):
    """Whether Pygments has a lexer by this name."""
    if not language:
        return False
    try:
        find_lexer_class_by_name(language)
    except ClassNotFound:
        return False
    return True


class TokenBudget:
    """Makes the formatters of one text's code, which share MAX_TOKENS coloured tokens."""

    def __init__(self, tokens=MAX_TOKENS):
        self.left = tokens

    def __call__(self, **options):
        return BudgetedFormatter(self, **options)

    def spend(self, tokens):
        for kind, value in tokens:
            if self.left > 0:
                self.left -= 1
                yield kind, value
            else:
                yield Text, value


class BudgetedFormatter(HtmlFormatter):
    """Pygments' HTML with classes, never inline styles, out of the text's budget of tokens."""

    def __init__(self, budget, **options):
        super().__init__(**{**options, "noclasses": False})
        self.budget = budget

    def format_unencoded(self, tokensource, outfile):
        super().format_unencoded(self.budget.spend(tokensource), outfile)
