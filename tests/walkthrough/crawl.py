"""Walk a running demo site as each demo role, in Chinese and English, and write what it finds.

Run against a seeded server: ``python -m tests.walkthrough.crawl --base http://127.0.0.1:8071``. Writes
``tests/artifacts/walkthrough/report.json`` and screenshots of the pages it visits.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "artifacts" / "walkthrough"
ROLES = [
    "anonymous", "bj-industry-it", "tj-industry-it", "baic", "catl", "bj-4s", "bj-recycle", "hub", "bj-dismantle",
    "cascade-bj", "regen-tj", "assessor", "alliance", "bj-viewer", "admin",
]  # fmt: skip
PASSWORD = "demo-pass-2026"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
SKIP_PREFIXES = ("/i18n/", "/accounts/logout", "/static/", "/media/", "/api/schema", "/metrics")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
WORDY = re.compile(r"[A-Za-z]{3,}")


class PageParser(HTMLParser):
    """Links, GET forms and visible text (outside script/style) of one page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.texts: list[str] = []
        self.attr_texts: list[str] = []
        self._skip = 0
        self.nav_labels: list[str] = []
        self._in_nav_link = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            self._in_nav_link = "nav-link" in (a.get("class") or "")
        for key in ("placeholder", "title", "aria-label"):
            if a.get(key):
                self.attr_texts.append(a[key])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.attr_texts.append(a["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "textarea") and self._skip:
            self._skip -= 1
        if tag == "a":
            self._in_nav_link = False

    def handle_data(self, data):
        text = " ".join(data.split())
        if not text or self._skip:
            return
        self.texts.append(text)
        if self._in_nav_link:
            self.nav_labels.append(text)


def pattern(url: str) -> str:
    """Group URLs that differ only by ids, codes or filter values."""
    parts = urlsplit(url)
    segs = ["{}" if re.search(r"\d", s) and not s.startswith("v1") else s for s in parts.path.split("/")]
    keys = sorted(
        k if k not in ("export", "format") else f"{k}={v}"
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    keys = [k for k in keys if k != "page"] + (["page"] if "page=" in parts.query else [])
    return "/".join(segs) + ("?" + "&".join(keys) if keys else "")


def untranslated(texts: list[str]) -> list[str]:
    """Visible strings with English words and no Chinese: candidates for a missing translation."""
    found = []
    for t in texts:
        if CJK.search(t) or not WORDY.search(t):
            continue
        if re.fullmatch(r"[A-Z0-9\-_./:]+", t):  # codes, USCC, VINs
            continue
        found.append(t[:120])
    return found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8071")
    ap.add_argument("--roles", default=",".join(ROLES))
    ap.add_argument("--per-pattern", type=int, default=2)
    ap.add_argument("--max-pages", type=int, default=160)
    ap.add_argument("--shots", default="nav")  # nav | patterns | none
    args = ap.parse_args()
    base = args.base.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {"pages": [], "seen": defaultdict(list)}

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for role in args.roles.split(","):
            ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page = ctx.new_page()
            if role != "anonymous":
                page.goto(f"{base}/accounts/login/")
                page.fill("#id_username", role)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state("load")
                if "/accounts/login/" in page.url:
                    report["pages"].append({"role": role, "url": page.url, "problem": "login failed"})
                    ctx.close()
                    continue
            for lang in ("zh", "en"):
                if lang == "en":
                    page.goto(f"{base}/")
                    page.click("#lang-switch")
                    page.wait_for_load_state("load")
                    if page.locator("html").get_attribute("lang") != "en":
                        report["pages"].append(
                            {"role": role, "lang": lang, "url": "/", "problem": "switch failed"}
                        )
                crawl(page, ctx, base, role, lang, args, report)
                if lang == "en":  # back to Chinese for the next context-less run
                    page.goto(f"{base}/")
                    page.click("#lang-switch")
                    page.wait_for_load_state("load")
            ctx.close()
        browser.close()
    report["seen"] = dict(report["seen"])
    (OUT / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    summarise(report)
    return 0


def crawl(page, ctx, base, role, lang, args, report):
    page.goto(f"{base}/")
    nav = [
        urljoin(base + "/", h)
        for h in page.eval_on_selector_all(
            "#mainnav a.nav-link", "els => els.map(e => e.getAttribute('href'))"
        )
    ]
    start = [f"{base}/", *nav, f"{base}/accounts/profile/"] + (
        [f"{base}/audit/"] if role != "anonymous" else []
    )
    queue = [(u, "") for u in start]
    counts: dict[str, int] = defaultdict(int)
    visited: set[str] = set()
    shot_patterns: set[str] = set()
    while queue and len(visited) < args.max_pages:
        url, referrer = queue.pop(0)
        url = url.split("#")[0]
        if url in visited:
            continue
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != urlsplit(base).netloc:
            continue
        path = parts.path
        if path.startswith(SKIP_PREFIXES) or (path.startswith("/admin/") and path != "/admin/"):
            continue
        if path.startswith("/api/") and path != "/api/docs/":
            continue
        pat = pattern(url)
        if counts[pat] >= args.per_pattern:
            continue
        counts[pat] += 1
        visited.add(url)
        try:
            resp = ctx.request.get(url, max_redirects=5, timeout=60000)
        except Exception as exc:
            report["pages"].append({"role": role, "lang": lang, "url": url, "problem": f"fetch: {exc}"})
            continue
        ctype = resp.headers.get("content-type", "")
        entry = {"role": role, "lang": lang, "url": url[len(base):], "status": resp.status, "ctype": ctype,
                 "final": resp.url[len(base):], "nav": url in nav, "from": referrer[len(base):]}  # fmt: skip
        report["seen"][role].append(url[len(base) :])
        if "text/html" in ctype:
            body = resp.text()
            parser = PageParser()
            parser.feed(body)
            if "{{" in body.replace("{{ csrf", "") or "{%" in body:
                entry["problem_template_leak"] = True
            if lang == "zh":
                entry["untranslated"] = untranslated(parser.texts + parser.attr_texts)
            nxt = [
                urljoin(url, h)
                for h in parser.links
                if not h.startswith(("mailto:", "tel:", "javascript:", "#"))
            ]
            queue.extend((n, url) for n in nxt if n not in visited)
            shoot = args.shots != "none" and resp.status == 200 and (
                url in nav or url == f"{base}/" or (args.shots == "patterns" and lang == "zh" and pat not in shot_patterns)
            )  # fmt: skip
            if shoot:
                shot_patterns.add(pat)
                name = re.sub(r"[^A-Za-z0-9]+", "-", url[len(base) :]).strip("-") or "home"
                try:
                    page.goto(url, wait_until="load", timeout=60000)
                    page.wait_for_timeout(300)
                    shot = OUT / f"{role}-{lang}-{name[:80]}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    entry["shot"] = shot.name
                except Exception as exc:
                    entry["problem"] = f"screenshot: {exc}"
        report["pages"].append(entry)
        print(role, lang, resp.status, url[len(base) :], flush=True)


def summarise(report):
    bad = [
        p
        for p in report["pages"]
        if p.get("status", 0) >= 400 or p.get("problem") or p.get("problem_template_leak")
    ]
    print("\n== problems")
    for p in bad:
        print(
            p["role"],
            p.get("lang"),
            p.get("status"),
            p["url"],
            "from",
            p.get("from") or "-",
            p.get("problem", ""),
        )
    strings: dict[str, set[str]] = defaultdict(set)
    for p in report["pages"]:
        for s in p.get("untranslated", []):
            strings[s].add(p["url"].split("?")[0])
    print("\n== untranslated on zh pages (string -> example pages)")
    for s, urls in sorted(strings.items(), key=lambda kv: -len(kv[1])):
        print(f"{len(urls):3d}  {s!r}  {sorted(urls)[:3]}")


if __name__ == "__main__":
    sys.exit(main())
