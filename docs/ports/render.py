#!/usr/bin/env python3
"""Renders the side-by-side ports (docs/ports/*.md) as HTML pages for people.

One page per document: each section's Tornado original (the Python and the
text around it) on the left, the gust port (the Rust, without the lines a
doctest hides) on the right, and the note on what differs below the pair.
An index page lists the documents. Python 3's standard library only.

    python3 docs/ports/render.py                  # writes target/ports-html/
    python3 docs/ports/render.py --out DIR
    python3 docs/ports/render.py --check          # and checks the pages in
                                                  # headless Chromium
    python3 docs/ports/render.py --check --screenshot docs/ports-side-by-side.png

--check opens every page in headless Chromium (Debian's `chromium`
package, installed with apt-get when missing) at two window widths and
fails unless every Rust block of the Markdown is a pair on the page, with
both sides, and nothing is wider than the window or its box.
"""

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = [ROOT / "target" / "ports-html"]  # where the pages go (set by build)

CSS = """
:root { --gap: 1.25rem; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 110rem; padding: 1rem 1.5rem 4rem;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: #1d2430; background: #fff; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2.5rem 0 .75rem; padding-top: .75rem;
     border-top: 1px solid #d8dde6; }
h3 { font-size: 1.08rem; margin: 2rem 0 .6rem; }
nav { font-size: .9rem; margin-bottom: 1rem; }
code { font: .88em/1.4 ui-monospace, "DejaVu Sans Mono", monospace;
       background: #f1f3f7; padding: .05em .25em; border-radius: 3px; }
pre { font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", monospace;
      white-space: pre-wrap; overflow-wrap: anywhere; margin: .5rem 0;
      padding: .6rem .75rem; border-radius: 5px; background: #f6f8fa;
      border: 1px solid #e1e5eb; }
pre code { background: none; padding: 0; font: inherit; }
blockquote { margin: .5rem 0; padding: .1rem 1rem; border-left: 3px solid #c9d1dc;
             color: #3d4757; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: .75rem 0; }
th, td { border: 1px solid #d8dde6; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
.pair { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr);
        gap: var(--gap); margin: .75rem 0; }
.pair > div { min-width: 0; }
.side-label { font-size: .75rem; font-weight: 600; letter-spacing: .04em;
              text-transform: uppercase; color: #6a7485; margin-bottom: .25rem; }
.original pre.python { background: #f5f8ff; border-color: #d6e0f5; }
.port pre.rust { background: #fbf6f1; border-color: #eadccf; }
.note { margin: .25rem 0 1rem; padding: .5rem .9rem; background: #fafbfc;
        border-left: 3px solid #9aa7b8; }
.note p:first-child { margin-top: 0; }
.note p:last-child { margin-bottom: 0; }
@media (max-width: 900px) {
  .pair { grid-template-columns: minmax(0, 1fr); }
}
"""


# --------------------------------------------------------------------------
# Markdown (the subset the ports use)
# --------------------------------------------------------------------------

def slug(text):
    """GitHub's anchor for a heading."""
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def link_target(url):
    """Links between ports go to their pages; others stay as written."""
    if re.match(r"^[a-z]+:", url) or url.startswith("#"):
        return url
    path, _, anchor = url.partition("#")
    if path == "README.md":
        path = "index.html"
    elif "/" not in path and path.endswith(".md"):
        path = path[:-3] + ".html"
    else:  # a file of the repository, from where the pages are
        path = os.path.relpath(HERE / path, OUT[0])
    return path + ("#" + anchor if anchor else "")


def inline(text):
    """Code spans, links, bold and italics; everything else escaped."""
    spans = []

    def keep(fragment):
        spans.append(fragment)
        return "\x00%d\x00" % (len(spans) - 1)

    def code(m):
        body = m.group(2)
        if body.startswith(" ") and body.endswith(" ") and body.strip():
            body = body[1:-1]
        return keep("<code>%s</code>" % html.escape(body))

    text = re.sub(r"(`+)(.+?)\1", code, text)
    text = html.escape(text, quote=False)
    text = re.sub(
        r"\[([^\]]+)\]\(([^)\s]+)\)",
        lambda m: keep('<a href="%s">%s</a>' % (html.escape(link_target(m.group(2))), m.group(1))),
        text,
    )
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    while "\x00" in text:  # a link's text may hold code spans
        text = re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], text)
    return text


def hidden(line):
    """Whether rustdoc hides this line of a doctest (`# ` or a lone `#`)."""
    stripped = line.lstrip()
    return stripped == "#" or stripped.startswith("# ")


def rust_as_shown(code):
    lines = []
    for line in code.split("\n"):
        if hidden(line):
            continue
        stripped = line.lstrip()
        if stripped.startswith("##"):
            line = line[: len(line) - len(stripped)] + stripped[1:]
        lines.append(line)
    return "\n".join(lines).strip("\n")


def parse_blocks(text):
    """Splits Markdown into blocks: ('code', lang, text), ('heading', level,
    text), ('quote', lines), ('list', items), ('table', rows), ('para', text)."""
    lines = text.split("\n")
    blocks = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^(`{3,})(.*)$", line)
        if fence:
            marker, lang = fence.group(1), fence.group(2).strip()
            body = []
            i += 1
            while i < len(lines) and lines[i].rstrip() != marker:
                body.append(lines[i])
                i += 1
            blocks.append(("code", lang.split(",")[0], "\n".join(body)))
            i += 1
            continue
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        if heading:
            blocks.append(("heading", len(heading.group(1)), heading.group(2).strip()))
            i += 1
            continue
        if not line.strip():
            i += 1
            continue
        if line.startswith(">"):
            quote = []
            while i < len(lines) and lines[i].startswith(">"):
                quote.append(lines[i][1:].lstrip() if len(lines[i]) > 1 else "")
                i += 1
            blocks.append(("quote", quote))
            continue
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.match(r"^:?-+:?$", c) for c in cells):
                    rows.append(cells)
                i += 1
            blocks.append(("table", rows))
            continue
        item = re.match(r"^(\s*)([-*]|\d+\.) (.*)$", line)
        if item:
            ordered = item.group(2)[0].isdigit()
            items = []
            while i < len(lines):
                m = re.match(r"^([-*]|\d+\.) (.*)$", lines[i])
                if m:
                    items.append(m.group(2))
                elif lines[i].startswith("  ") and lines[i].strip() and items:
                    items[-1] += " " + lines[i].strip()
                else:
                    break
                i += 1
            blocks.append(("list", ordered, items))
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not re.match(r"^(`{3,}|#{1,6} |>|\|)", lines[i]):
            if para and re.match(r"^([-*]|\d+\.) ", lines[i]):
                break
            para.append(lines[i].strip())
            i += 1
        blocks.append(("para", " ".join(para)))
    return blocks


def render_block(block):
    kind = block[0]
    if kind == "code":
        _, lang, body = block
        if lang == "rust":
            body = rust_as_shown(body)
        cls = html.escape(lang or "text")
        return '<pre class="%s"><code>%s</code></pre>' % (cls, html.escape(body))
    if kind == "heading":
        _, level, text = block
        return '<h%d id="%s">%s</h%d>' % (level, slug(inline(text)), inline(text), level)
    if kind == "quote":
        return "<blockquote>%s</blockquote>" % "".join(render_block(b) for b in parse_blocks("\n".join(block[1])))
    if kind == "table":
        rows = block[1]
        head = "".join("<th>%s</th>" % inline(c) for c in rows[0])
        body = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % inline(c) for c in r) for r in rows[1:])
        return "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (head, body)
    if kind == "list":
        _, ordered, items = block
        tag = "ol" if ordered else "ul"
        return "<%s>%s</%s>" % (tag, "".join("<li>%s</li>" % inline(it) for it in items), tag)
    return "<p>%s</p>" % inline(block[1])


# --------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------

def render_port(md_text, title_suffix):
    """A port: the intro, then each section's pairs."""
    blocks = parse_blocks(md_text)
    title = next((b[2] for b in blocks if b[0] == "heading" and b[1] == 1), "Port")
    out = []
    pending = []  # blocks since the last heading or pair: the next pair's left side
    pairs = 0

    def flush_pending():
        out.extend(render_block(b) for b in pending)
        pending.clear()

    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block[0] == "heading":
            flush_pending()
            out.append(render_block(block))
            i += 1
            continue
        if block[0] == "code" and block[1] == "rust":
            pairs += 1
            left = "".join(render_block(b) for b in pending) or "<p>(no original)</p>"
            pending.clear()
            right = render_block(block)
            note = []
            i += 1
            while i < len(blocks) and blocks[i][0] != "heading" and not (
                blocks[i][0] == "code" and blocks[i][1] in ("python", "rust")
            ):
                note.append(render_block(blocks[i]))
                i += 1
            out.append(
                '<div class="pair" data-pair="%d">'
                '<div class="original"><div class="side-label">Tornado</div>%s</div>'
                '<div class="port"><div class="side-label">gust</div>%s</div>'
                "</div>" % (pairs, left, right)
            )
            if note:
                out.append('<div class="note">%s</div>' % "".join(note))
            continue
        # Text before the first section stays as it is; within a section it
        # waits to see whether a pair follows.
        if not any(b[0] == "heading" and b[1] > 1 for b in blocks[:i]):
            out.append(render_block(block))
        else:
            pending.append(block)
        i += 1
    flush_pending()
    body = "\n".join(out)
    return page(title, body, title_suffix), pairs


def page(title, body, suffix):
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>%s%s</title>\n<style>%s</style></head>\n<body>\n"
        '<nav><a href="index.html">All ports</a></nav>\n%s\n</body></html>\n'
        % (html.escape(re.sub(r"`", "", title)), suffix, CSS, body)
    )


def documents():
    return sorted(p for p in HERE.glob("*.md") if p.name != "README.md")


def build(out_dir):
    out_dir = out_dir.resolve()
    OUT[0] = out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    built = {}
    for md in documents():
        text = md.read_text(encoding="utf-8")
        content, pairs = render_port(text, " — gust ports")
        expected = sum(1 for line in text.split("\n") if line.strip() == "```rust")
        if pairs != expected:
            sys.exit("%s: %d pairs rendered, %d Rust blocks" % (md.name, pairs, expected))
        if "\x00" in content:
            sys.exit("%s: a placeholder of the Markdown conversion was left in the page" % md.name)
        target = out_dir / (md.stem + ".html")
        target.write_text(content, encoding="utf-8")
        built[target] = expected
    index = "".join(render_block(b) for b in parse_blocks((HERE / "README.md").read_text(encoding="utf-8")))
    (out_dir / "index.html").write_text(page("Side-by-side ports", index, " — gust"), encoding="utf-8")
    return built


# --------------------------------------------------------------------------
# The check in headless Chromium
# --------------------------------------------------------------------------

CHECK_JS = r"""
<script>
(function () {
  var root = document.documentElement, width = root.clientWidth, problems = [];
  if (root.scrollWidth > width) problems.push("page: " + root.scrollWidth + " > " + width);
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1)
      problems.push(el.tagName + " ends at " + Math.round(r.right) + " > " + width + ": " + el.textContent.slice(0, 50));
    var style = getComputedStyle(el);
    if (["PRE", "TABLE", "TD", "P", "LI", "DIV", "H1", "H2", "H3"].indexOf(el.tagName) >= 0 &&
        style.overflowX === "visible" && el.scrollWidth > el.clientWidth + 1)
      problems.push(el.tagName + " content " + el.scrollWidth + " > " + el.clientWidth + ": " + el.textContent.slice(0, 50));
  });
  var pairs = [];
  document.querySelectorAll(".pair").forEach(function (p) {
    var left = p.querySelector(".original"), right = p.querySelector(".port pre.rust");
    pairs.push({n: +p.dataset.pair, left: !!left && left.textContent.trim().length > 0,
                right: !!right && right.textContent.trim().length > 0,
                sideBySide: !!left && !!right && (width < 900 ||
                  left.getBoundingClientRect().right <= right.getBoundingClientRect().left)});
  });
  var out = document.createElement("pre");
  out.id = "check-result";
  out.textContent = JSON.stringify({width: width, pairs: pairs, problems: problems.slice(0, 20)});
  document.body.appendChild(out);
})();
</script>
"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    print("chromium is missing: installing Debian's package", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True, env=env
    )
    return shutil.which("chromium") or sys.exit("chromium is still missing")


def run_chromium(browser, profile, args, timeout=120):
    cmd = [browser] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + args
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        sys.exit("chromium failed (%d): %s" % (done.returncode, done.stderr[-2000:]))
    return done.stdout


def check(built, screenshot):
    browser = chromium()
    failures = []
    with tempfile.TemporaryDirectory(prefix="gust-ports-") as tmp:
        profile = os.path.join(tmp, "profile")
        for page_path, expected in sorted(built.items()):
            probe = Path(tmp) / page_path.name
            probe.write_text(page_path.read_text(encoding="utf-8").replace("</body>", CHECK_JS + "</body>"))
            for width in (1400, 760):
                dom = run_chromium(
                    browser,
                    profile,
                    ["--window-size=%d,1000" % width, "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()],
                )
                m = re.search(r'<pre id="check-result">(.*?)</pre>', dom, re.S)
                if not m:
                    failures.append("%s at %d px: no check result" % (page_path.name, width))
                    continue
                result = json.loads(html.unescape(m.group(1)))
                numbers = [p["n"] for p in result["pairs"]]
                if numbers != list(range(1, expected + 1)):
                    failures.append("%s at %d px: pairs %s, expected 1..%d" % (page_path.name, width, numbers, expected))
                for p in result["pairs"]:
                    if not (p["left"] and p["right"] and p["sideBySide"]):
                        failures.append("%s at %d px: pair %d incomplete: %s" % (page_path.name, width, p["n"], p))
                for problem in result["problems"]:
                    failures.append("%s at %d px: overflow: %s" % (page_path.name, width, problem))
            print("checked %s: %d pairs, at 1400 and 760 px" % (page_path.name, expected), flush=True)
        if screenshot:
            # One section of a page, shown from its top (headless Chromium's
            # screenshot does not scroll to a #fragment).
            target = Path(screenshot).resolve()
            shown = next(p for p in built if p.stem == "coroutines_user_guide_6x").read_text(encoding="utf-8")
            start = shown.index('<h2 id="interleaving-decorated">')
            end = shown.index("<h2 ", start + 1)
            title_end = shown.index("</h1>") + len("</h1>")
            section = Path(tmp) / "screenshot.html"
            section.write_text(shown[:title_end] + shown[start:end] + "</body></html>\n", encoding="utf-8")
            run_chromium(browser, profile, ["--window-size=1400,1000", "--screenshot=" + str(target), section.as_uri()])
            print("screenshot: %s" % target)
    if failures:
        sys.exit("\n".join(["the port pages failed their check:"] + failures))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "target" / "ports-html"), help="output directory")
    parser.add_argument("--check", action="store_true", help="check the pages in headless Chromium")
    parser.add_argument("--screenshot", help="with --check: write a PNG of one page here")
    args = parser.parse_args()
    built = build(Path(args.out))
    print("wrote %d pages and index.html to %s" % (len(built), args.out))
    if args.check:
        check(built, args.screenshot)


if __name__ == "__main__":
    main()
