"""Text from inputs (scenario fields, OSM tags, place names) as it goes into Markdown reports.

Any text that reaches a report is data: HTML is escaped (``<script>`` shows as text in any Markdown
viewer), Markdown's inline syntax is escaped (no link, image, emphasis or table cell can be injected)
and line breaks are folded (a text cannot start a heading or a list of its own).
"""

from __future__ import annotations

import re
from typing import Any

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MARKDOWN = re.compile(r"([\\`*_\[\]|~!{}#])")


def md(text: Any) -> str:
    """``text`` as literal Markdown text on one line: HTML and Markdown syntax escaped."""
    line = " ".join(str(text).split())
    line = _MARKDOWN.sub(r"\\\1", line)
    return "".join(_HTML.get(c, c) for c in line)
