"""Does a page fit the window? Checks run in the browser on the rendered page (R-PUBLIC: pages fit a 1366-pixel
screen and a phone): the document is no wider than the window, and every navigation entry, the language switch,
the user's name and log-out can be brought into view (on a phone after opening the collapsed menu)."""

from __future__ import annotations

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

# Top-level entries of the navigation bar and the controls beside them.
NAV_ENTRIES = "#mainnav > ul > li > a, #lang-switch, #nav-user, #nav-logout, #nav-login"

OVERFLOW_JS = """() => {
  const width = window.innerWidth, doc = document.documentElement;
  if (doc.scrollWidth <= width) return {scrollWidth: doc.scrollWidth, width, wide: []};
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-responsive, .overflow-auto'))
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined
          ? '.' + String(e.className).trim().split(/\\s+/).join('.') : ''))
    .slice(0, 5);
  return {scrollWidth: doc.scrollWidth, width, wide};
}"""

NAV_JS = """(selector) => [...document.querySelectorAll(selector)].map(e => {
  e.scrollIntoView({block: 'nearest', inline: 'nearest'});
  const r = e.getBoundingClientRect(), style = getComputedStyle(e);
  const shown = r.width > 0 && r.height > 0 && style.visibility !== 'hidden';
  const inside = r.left >= -1 && r.right <= window.innerWidth + 1 && r.top >= -1 && r.bottom <= window.innerHeight + 1;
  return {label: (e.innerText || e.id).trim().slice(0, 40), ok: shown && inside,
          box: [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)]};
})"""


def problems(page, *, where: str, navigation: bool = True) -> list[str]:
    """What does not fit on the page now shown; with ``navigation``, also the navigation entries, after
    opening the collapsed menu where there is one."""
    found = []
    fit = page.evaluate(OVERFLOW_JS)
    if fit["scrollWidth"] > fit["width"]:
        found.append(f"{where}: {fit['scrollWidth']} px wide in a {fit['width']} px window ({fit['wide']})")
    if not navigation:
        return found
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#mainnav.show:not(.collapsing)", timeout=5000)
    entries = page.evaluate(NAV_JS, NAV_ENTRIES)
    if not entries:
        found.append(f"{where}: no navigation entries found")
    found += [
        f"{where}: navigation entry {e['label']!r} out of view at {e['box']}" for e in entries if not e["ok"]
    ]
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#mainnav:not(.show):not(.collapsing)", state="attached", timeout=5000)
    return found
