"""What a page asks a browser to load: every URL in its src/href attributes, srcset, inline styles and
stylesheets (`url(...)`, `@import`), so a test can check that none is on another origin."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
_URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset"}


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name == "srcset":
                self.urls.extend(part.split()[0] for part in value.split(",") if part.strip())
            elif name in _URL_ATTRIBUTES:
                self.urls.append(value)
            elif name == "style":
                self.urls.extend(css_references(value))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(css_references(data))


def html_references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


def css_references(css: str) -> list[str]:
    return [first or second for first, second in _CSS_URL.findall(css)]


def foreign(urls: list[str], page_url: str) -> list[str]:
    """Those of `urls` that a browser on `page_url` would fetch from another origin (data: URLs and
    fragments stay on the page)."""
    origin = urlsplit(page_url)[:2]
    return [
        url
        for url in urls
        if not url.startswith(("data:", "#")) and urlsplit(urljoin(page_url, url))[:2] != origin
    ]
