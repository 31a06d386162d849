"""Time to render Markdown that Python-Markdown takes minutes over, before and after the guard.

Usage: .venv/bin/python bench/markdown.py [--timeout 60] [NAME ...]

For each input (the pathological ones, then real prose at 10 to 200 KB built from the demo
posts and the seed text) it prints how long rendering took before: Python-Markdown alone, with
the extensions posts/rendering.py uses, then the sanitiser on its output, in a subprocess that
is stopped after --timeout seconds ("> 60 s"); and how long posts.rendering.render(), guarded,
takes now, with what it did: rendered, or refused with the start of its message. The exit
status is 1 when any row takes a second or more now, or when real prose is refused.
"""

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's folder comes first on the path, where it would stand for the markdown package.
sys.path[0] = str(ROOT)

SEED = Path("/work/shared/seeds/000_cf8623cedc5626f4.txt")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
LIMIT_SECONDS = 1.0


def prose(kilobytes):
    """Real writing, `kilobytes` long: the demo posts and the seed text, repeated."""
    posts = sorted(ROOT.glob("demo/posts/*.md"))
    texts = [FRONT_MATTER.sub("", path.read_text()) for path in posts]
    if SEED.exists():
        texts.append(SEED.read_text())
    text = "\n\n".join(texts)
    size = kilobytes * 1024
    return (text * (size // len(text) + 1))[:size].rsplit("\n\n", 1)[0]


def repeated(piece, times, after="", name=None):
    """(name, maker) of an input: `piece` repeated, then `after`."""
    name = name or f"{piece!r} x {times:,}" + (f" + {after.strip()!r}" if after else "")
    return name, lambda: piece * times + after


INPUTS = dict(
    [
        repeated("[", 5_000),
        repeated("[", 20_000),
        repeated("![", 20_000),
        repeated("[](", 20_000),
        repeated("<div>", 50_000),
        repeated("*a", 100_000),
        repeated("`a", 100_000),
        repeated("&#x41;", 200_000),
        repeated("&#x41;", 40_000),
        # More found while measuring.
        repeated("a <b ", 20_000),
        repeated("<http://a", 10_000),
        repeated("a\n=\n", 20_000),
        repeated("[^1] ", 5_000, after="\n\n[^1]: A note."),
        repeated("- a\n", 20_000),
        repeated("a  \n", 20_000),
        repeated("<ul><li>", 10_000),
        repeated("```\n", 20_000),
    ]
)
# Accepted, but near a limit.
INPUTS.update(
    [
        repeated("[", 1_050),
        repeated("a\n\n", 2_900),
        repeated("`a` " * 100 + "\n\n", 49, name="'`a` ' x 100, 49 paragraphs"),
        repeated("<div>", 2_000),
    ]
)


def several_limits_at_once(share):
    """Unclosed “[”, many paragraphs, inline markup, HTML tags and nesting, each about `share`
    of its limit: the guard allows them together while their shares add up to at most two
    (0.34 comes to 1.95, some marks counting towards several limits)."""
    return lambda: "\n\n".join(
        [
            "[" * int(1_050 * share**0.5),  # read to the end of the paragraph: a square
            "\n\n".join(["a"] * int(2_900 * share)),
            "\n\n".join(["*a* " * 20] * int(240 * share)),
            "<i>a</i> " * int(950 * share),
            "> " * 60 + "x" * int(100_000 * share),
        ]
    )


INPUTS.update(
    {
        "prose, 10 KB": lambda: prose(10),
        "prose, 50 KB": lambda: prose(50),
        "prose, 100 KB": lambda: prose(100),
        "prose, 140 KB": lambda: prose(140),
        "prose, 200 KB": lambda: prose(200),
        "several limits at once, allowed": several_limits_at_once(0.34),
        "several limits at once, refused": several_limits_at_once(0.45),
    }
)


def before_here(name):
    """In a subprocess: Python-Markdown as rendering.py calls it, then the sanitiser."""
    import markdown

    from posts.rendering import MARKDOWN_CONFIG, MARKDOWN_EXTENSIONS, sanitize

    source = INPUTS[name]()
    started = time.perf_counter()
    html = markdown.markdown(
        source, extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG
    )
    print(time.perf_counter() - started, flush=True)
    started = time.perf_counter()
    sanitize(html)
    print(time.perf_counter() - started, flush=True)


def before(name, timeout):
    """(Markdown's seconds, the sanitiser's seconds), None for what did not end in time."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--before", name],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except subprocess.TimeoutExpired as expired:
        done = expired.stdout or ""
        done = done.decode() if isinstance(done, bytes) else done
    seconds = [float(line) for line in done.split()]
    return seconds + [None] * (2 - len(seconds))


def after(name):
    """(seconds, what render() did), the best of three runs."""
    from posts.rendering import RenderError, render

    source = INPUTS[name]()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        try:
            outcome = f"rendered, {len(render(source).html) // 1024:,} KB of HTML"
        except RenderError as error:
            outcome = f"refused: {error}"
        times.append(time.perf_counter() - started)
    return min(times), outcome


def shown(seconds, timeout):
    return f"> {timeout:.0f} s" if seconds is None else f"{seconds:.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("names", nargs="*", help="inputs to measure (default: all)")
    parser.add_argument("--before", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.before:
        return before_here(args.before)

    names = args.names or list(INPUTS)
    if unknown := set(names) - INPUTS.keys():
        parser.error(f"no input named {', '.join(map(repr, unknown))}; choose from {list(INPUTS)}")
    width = max(len(name) for name in names)
    print(f"{'input':{width}} {'size':>8} {'Markdown':>10} {'+ bleach':>10} {'now':>8}  outcome")
    failed = False
    for name in names:
        markdown_seconds, bleach_seconds = before(name, args.timeout)
        if markdown_seconds is None:
            bleach_shown = ""
        else:
            bleach_shown = shown(bleach_seconds, args.timeout - markdown_seconds)
        seconds, outcome = after(name)
        failed |= seconds >= LIMIT_SECONDS
        failed |= name.startswith("prose") and not outcome.startswith("rendered")
        size = f"{len(INPUTS[name]()) / 1024:,.0f} KB"
        print(
            f"{name:{width}} {size:>8} {shown(markdown_seconds, args.timeout):>10} "
            f"{bleach_shown:>10} {seconds:>6.2f} s  {outcome[:90]}",
            flush=True,
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
