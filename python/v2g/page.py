"""The HTML pages (`report`, `compare`, `sweep-report`): one Jinja2 environment over the
templates in python/v2g/templates/, autoescaped, and the table model the pages fill.

Python computes what a page shows (tables as Table/Row/Cell, figures as data-URI images); the
templates say how it reads: the layout, the prose around it, the CSS and the load handler the
browser tests read back (templates/render_check.js). Every page is self-contained: images
are embedded, CSS and script inline, nothing fetched.
"""

import base64
import dataclasses
import os
from typing import List, Optional, Union

import jinja2
from markupsafe import Markup, escape

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


@dataclasses.dataclass
class Cell:
    """One <td>: its text (escaped), class (name, text, span), column span, and a definition
    shown under the text (a metric's meaning)."""
    text: object
    cls: Optional[str] = None
    colspan: int = 1
    definition: Optional[str] = None


@dataclasses.dataclass
class Row:
    cells: List[Cell]
    cls: Optional[str] = None  # "bound": the DP bound's row, set apart


@dataclasses.dataclass
class Table:
    """A table with an id the tests find it by; the first name_columns columns are names (left
    aligned). Wrapped in a div that scrolls sideways should it be wider than the page."""
    id: str
    header: Optional[List[str]]
    rows: List[Row]
    name_columns: int = 1


@dataclasses.dataclass
class Image:
    alt: str
    src: str  # a data: URI


@dataclasses.dataclass
class Figure:
    title: str
    images: List[Image]


def cell(value, cls=None, colspan=1, definition=None):
    return Cell(value, cls, colspan, definition)


def table(header, rows, table_id, name_columns=1):
    """rows: lists of cells, or Rows."""
    return Table(table_id, None if header is None else [str(h) for h in header],
                 [r if isinstance(r, Row) else Row(list(r)) for r in rows], name_columns)


def image(path, alt):
    """A PNG file as an embedded image."""
    with open(path, "rb") as f:
        return Image(str(alt), "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii"))


def figure(paths, title):
    """The PNGs of a figure function's output as one Figure; None when it drew none."""
    images = [image(p, title) for p in paths if p.endswith(".png")]
    return Figure(title, images) if images else None


def _wbr(text):
    # <wbr> after underscores: long metric names may break there rather than widen a table.
    return Markup(str(escape(text)).replace("_", "_<wbr>"))


_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)
_ENV.filters["wbr"] = _wbr


def render(template, **context):
    """The page `template` (a file in templates/) filled with `context`."""
    return _ENV.get_template(template).render(**context)


def write(path, text):
    """Writes the page whole or not at all (a temporary file renamed over it)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
