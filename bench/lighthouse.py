"""Score pages with Lighthouse (mobile preset) as production serves them.

Usage: .venv/bin/python bench/lighthouse.py [PATH ...]
Default paths: the home page, the seed post, one of its tags, its series and a search. Installs
the Lighthouse pinned in bench/package.json (`npm ci --prefix bench`) when it is missing and runs
it on the Chromium at CHROME_PATH (default /usr/bin/chromium); it never downloads a browser.
The site runs under gunicorn with DEBUG off, collected static files and the demo series, all in
a throwaway directory. Prints each page's scores, then the audits that cost points. Exits
non-zero only when Lighthouse produces no result.
"""

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
DEFAULT_PATHS = [
    "/",
    "/posts/the-link-between-mental-health-and-gut-health/",
    "/tags/gut-health/",
    "/series/gut-and-mind/",
    "/search/?q=microbiome",
]
UNSCORED = {"notApplicable", "informative", "manual", "error"}
# Chromium sometimes starts tracing the page's new renderer process after the navigation began;
# Lighthouse then finds no navigationStart and asks to be run again.
RETRY = {"NO_NAVSTART"}


def lighthouse(url, output, chrome, attempts=3):
    """The Lighthouse result for `url`, or None if Lighthouse wrote none."""
    for _ in range(attempts):
        output.unlink(missing_ok=True)
        run = subprocess.run(
            [
                LIGHTHOUSE,
                url,
                f"--only-categories={','.join(CATEGORIES)}",
                "--output=json",
                f"--output-path={output}",
                "--quiet",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu"
                " --disable-background-networking --disable-component-update --disable-sync"
                " --no-first-run",
            ],
            env={**os.environ, "CHROME_PATH": chrome},
            stderr=subprocess.PIPE,
            text=True,
        )  # exits non-zero on a page error (a 404, say) yet still writes the result
        if not output.exists():
            print(run.stderr, file=sys.stderr)
            return None
        lhr = json.loads(output.read_text())
        if lhr.get("runtimeError", {}).get("code") not in RETRY:
            break
    return lhr


def report(path, lhr, errored):
    """Print the scores row; return the lines on lost points and note audits that errored."""
    scores = {c: lhr["categories"][c]["score"] for c in CATEGORIES}
    row = "".join(f"{'-' if s is None else round(s * 100):>16}" for s in scores.values())
    shift = lhr["audits"].get("cumulative-layout-shift", {}).get("numericValue")
    print(f"{path:56}{row}{'-' if shift is None else f'{shift:.3f}':>8}")
    if lhr.get("runtimeError"):
        return [f"  error: {lhr['runtimeError']['message']}"]
    lines = []
    for category, score in scores.items():
        refs = sorted(lhr["categories"][category]["auditRefs"], key=lambda ref: -ref["weight"])
        audits = [lhr["audits"][ref["id"]] for ref in refs]
        for audit in audits:
            if audit["scoreDisplayMode"] == "error":
                errored.setdefault(audit["id"], audit.get("errorMessage", ""))
        if score is not None and score < 1:
            lines.append(f"  {category}:")
            for audit in audits:
                if audit["scoreDisplayMode"] not in UNSCORED and audit["score"] < 1:
                    line = f"    {audit['id']} ({audit['score']:.2f}) {audit['title']}"
                    lines.append(f"{line}  {audit.get('displayValue', '')}".rstrip())
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument(
        "--pictures",
        action="store_true",
        help="give the seed post a 4000x3000 feature image and a captioned figure, with their "
        "renditions made, as bench/pictures.py does",
    )
    args = parser.parse_args()
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not Path(chrome).exists():
        sys.exit(f"no browser at {chrome}: apt-get install chromium, or set CHROME_PATH")
    if not LIGHTHOUSE.exists():
        subprocess.run(["npm", "ci", "--prefix", BENCH, "--no-audit", "--no-fund"], check=True)
    sys.path.insert(0, str(ROOT))
    from bench.served import served_demo

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="gutbrain-lighthouse-"))
    broken, details, errored = [], [], {}
    setup = None
    if args.pictures:
        from bench.pictures import SETUP, SLUG, photo

        for seed, name in enumerate(("feature", "inline")):
            photo(4000, 3000, seed).save(workdir / f"{name}.jpg", "JPEG", quality=90)
        setup = SETUP.format(
            feature=str(workdir / "feature.jpg"),
            inline=str(workdir / "inline.jpg"),
            slug=SLUG,
            made=True,
        )
    try:
        with served_demo("gutbrain-lighthouse-site-", setup) as base:
            for path in args.paths * 2:  # warm up both workers
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(f"{base}{path}").close()
            print(f"{'path':56}" + "".join(f"{c:>16}" for c in CATEGORIES) + f"{'CLS':>8}")
            for path in args.paths:
                lhr = lighthouse(f"{base}{path}", workdir / "lhr.json", chrome)
                if lhr is None:
                    broken.append(path)
                    print(f"{path:56}{'Lighthouse failed':>16}")
                elif lines := report(path, lhr, errored):
                    details += ["", path, *lines]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n".join(details))
    if errored:  # unscored: these audits cost no points, but their advice is missing
        print("\nAudits Lighthouse could not compute with this browser:")
        print("\n".join(f"  {audit}: {message}" for audit, message in errored.items()))
    print(f"\n{len(args.paths)} pages in {time.monotonic() - started:.0f} s")
    if broken:
        sys.exit(f"Lighthouse failed to run on {', '.join(broken)}")


if __name__ == "__main__":
    main()
