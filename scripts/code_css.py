"""Writes static/posts/code.css, the colours of highlighted code (posts/highlighting.py).

Usage: .venv/bin/python scripts/code_css.py   (again after a Pygments upgrade)

Colours come from two Pygments styles: LIGHT, and DARK for readers whose system is dark. Each
is darkened or lightened until it reads at 4.5:1 or more (WCAG AA) on the code's background,
the site's --surface; the styles' own backgrounds and borders are left out, so that code sits on
the site's colours. Every dark rule undoes what its light rule set, so no light colour is left
on a dark page.
"""

from pathlib import Path

from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES

LIGHT, DARK = "default", "github-dark"
# --surface in static/posts/site.css, light and dark.
LIGHT_BACKGROUND, DARK_BACKGROUND = "f3f1ea", "202328"
MIN_CONTRAST = 4.5
OUT = Path(__file__).resolve().parent.parent / "static/posts/code.css"
SCOPE = ".highlight"


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable(colour, background):
    """The colour, moved towards black on a light background (white on a dark one) in small
    steps until it has MIN_CONTRAST with it."""
    rgb = tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))
    back = tuple(int(background[i : i + 2], 16) for i in (0, 2, 4))
    target = 0 if luminance(back) > 0.5 else 255
    step = 0
    while contrast(rgb, back) < MIN_CONTRAST:
        step += 1
        rgb = tuple(round(c + (target - c) * 0.04) for c in rgb)
        if step > 100:
            break
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def looks(style_name, background):
    """{class: {property: value}} for every token class the style gives a look."""
    style = get_style_by_name(style_name)
    found = {}
    for token, name in STANDARD_TYPES.items():
        if not name:
            continue
        look = style.style_for_token(token)
        properties = {}
        if look["color"]:
            properties["color"] = readable(look["color"], background)
        if look["bold"]:
            properties["font-weight"] = "bold"
        if look["italic"]:
            properties["font-style"] = "italic"
        if look["underline"]:
            properties["text-decoration"] = "underline"
        if properties:
            found[name] = properties
    return found


def rules(looks_by_class, indent=""):
    """CSS rules, classes with the same look sharing one."""
    grouped = {}
    for name, properties in looks_by_class.items():
        declarations = "; ".join(f"{p}: {v}" for p, v in properties.items())
        grouped.setdefault(declarations, []).append(f"{SCOPE} .{name}")
    return [f"{indent}{', '.join(sel)} {{ {decl} }}" for decl, sel in grouped.items()]


def main():
    light = looks(LIGHT, LIGHT_BACKGROUND)
    dark = looks(DARK, DARK_BACKGROUND)
    for name, properties in light.items():
        undone = {p: "inherit" for p in properties if p not in dark.get(name, {})}
        if undone:
            dark[name] = {**dark.get(name, {}), **undone}
    lines = [
        f"/* Highlighted code: Pygments' {LIGHT} and {DARK} styles, every colour at "
        f"{MIN_CONTRAST}:1 or more",
        "   on the code's background. Made by scripts/code_css.py: edit that, not this. */",
        *rules(light),
        "@media (prefers-color-scheme: dark) {",
        *rules(dark, indent="  "),
        "}",
    ]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"Wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
