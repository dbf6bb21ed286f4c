"""Input text made safe for each place it is shown: HTML, JavaScript, PDF, CSV, terminal.

Client, worker, provider, address, area, service, skill and note text comes from CSV
files anyone in an office can edit. It is escaped here, once, at the edge where it is
rendered; nothing else in the package builds markup from input text by hand.

Braces are escaped in HTML and JavaScript too. folium (through branca) turns the output
of each map element's script back into a Jinja template and renders it a second time,
so ``{{ ... }}`` or ``{% ... %}`` in a client's name would otherwise be evaluated (and a
crafted name could run Python on the planning machine). With ``{`` and ``}`` encoded,
no template delimiter can reach Jinja, whatever the text.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from xml.sax.saxutils import escape as _xml_escape

__all__ = ["csv_cell", "html_text", "js_string", "pdf_text", "terminal_text"]

_BRACES_HTML = {ord("{"): "&#123;", ord("}"): "&#125;"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def html_text(value: object) -> str:
    """Text for HTML content or a quoted attribute: ``& < > " '`` and braces as entities.

    ``None`` becomes the empty string.
    """
    text = "" if value is None else str(value)
    return html.escape(text, quote=True).translate(_BRACES_HTML)


def js_string(text: str) -> str:
    r"""A JavaScript string literal safe inside an HTML ``<script>`` block and in Jinja.

    ``<``, ``>``, ``&`` and braces are written as ``\uXXXX`` escapes, so the literal
    cannot close the script block or open a template tag; the browser reads the same text.
    """
    return (json.dumps(text, ensure_ascii=True)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("{", "\\u007b").replace("}", "\\u007d"))


def pdf_text(value: object) -> str:
    """Text for reportlab's ``Paragraph`` mini-markup (XML-escaped, quotes included)."""
    text = "" if value is None else str(value)
    return _xml_escape(_printable(text), {'"': "&quot;", "'": "&#39;"})


def csv_cell(value: object) -> object:
    """A cell for a CSV a spreadsheet may open: text that starts a formula is quoted.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
    with ``'`` (OWASP's advice against formula injection), except plain numbers such as
    ``-3.07``. Numbers and ``None`` pass through unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def terminal_text(value: object) -> str:
    """Text for a terminal: control characters (escape sequences among them) removed.

    Newlines and tabs become spaces, so one message stays one line.
    """
    text = "" if value is None else str(value)
    return _printable(text.replace("\n", " ").replace("\t", " ").replace("\r", " "))


#: Bidirectional embedding, override and isolate controls: they can reorder what is shown.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable(text: str) -> str:
    # Cc: C0/C1 controls (ESC starts terminal escape sequences).
    return "".join(ch for ch in text if ch in "\n\t"
                   or (unicodedata.category(ch) != "Cc" and ch not in _BIDI))
