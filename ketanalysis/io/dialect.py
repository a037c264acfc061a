"""Text files as clinics export them: encoding, BOM, delimiter, decimal mark, quoting.

:func:`read_text` decodes a CSV/TSV/TXT file, detects its dialect (or takes the one given
by ``sep=``, ``decimal=``, ``encoding=``, which always win), checks its structure and
returns the cells as text with the physical line number of each record.

Choices (issue 13):

* Encoding: a byte-order mark decides (UTF-8, UTF-16, UTF-32); otherwise strict UTF-8;
  otherwise ``charset-normalizer`` (a maintained detector, already a dependency of the
  stack) is asked whether the bytes are BOM-less UTF-16/32; anything else is read as
  Windows-1252 (a superset of the printable Latin-1 range that Excel and SPSS write in
  Western Europe), falling back on Latin-1 for bytes cp1252 leaves undefined. Guessing
  among 8-bit code pages from a short sample is unreliable, so we never do it:
  ``encoding=`` names another one.
* Delimiter and quoting: the stdlib :mod:`csv` parser (well kept, RFC 4180 quoting) parses
  the first records with each candidate delimiter (``, ; TAB |``); the one that splits
  the header into the most fields with every sampled record the same width wins.
  ``csv.Sniffer`` was not used: it misfires on decimal commas (``12,5``) in
  ``;``-separated files; ``clevercsv`` would add a compiled dependency for the same answer
  on these files.
* Decimal mark: ``,`` when numbers written ``12,5`` occur and none written ``12.5``.
* Records: :mod:`csv` in strict mode, so an unclosed quote is an error, not lost rows;
  the line numbers are those an editor shows (header = line 1, blank lines and quoted
  newlines counted).

What was found is returned as a :class:`Dialect`; the readers put ``Dialect.as_dict()`` in
the frame's ``attrs["dialect"]`` for the validation summary and the report's provenance.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..validation.issues import shorten

__all__ = ["CANDIDATE_DELIMITERS", "MAX_NAME", "Dialect", "MalformedFile", "read_text"]


#: Delimiters tried when ``sep=`` is not given.
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


_SAMPLE_RECORDS = 50


#: Longest column name accepted (longer ones are a malformed header, not a name).
MAX_NAME = 1000


# csv's default limit (128 KiB a field) would turn a long header or note into an error
_FIELD_LIMIT = 2**31 - 1


_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class MalformedFile(Exception):
    """A text file that cannot be parsed; ``check``, ``message``, ``row``, ``column``."""

    def __init__(self, check: str, message: str, row=None, column=None):
        super().__init__(message)
        self.check, self.message, self.row, self.column = check, message, row, column


@dataclass(frozen=True)
class Dialect:
    """How a text file was written, as detected (or as given)."""

    encoding: str
    bom: bool
    delimiter: str
    decimal: str
    quotechar: str
    line_ending: str
    given: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """The dialect as plain JSON-ready values."""
        return {
            "encoding": self.encoding,
            "bom": self.bom,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "quotechar": self.quotechar,
            "line_ending": self.line_ending,
            "given": list(self.given),
        }


def read_text(path: Path, *, sep=None, decimal=None, encoding=None, default_sep=","):
    """Decode, detect the dialect, parse and check the structure of a text table.

    Returns ``(header, cells, lines, dialect)``: the column names, an object array of the
    cells (records x columns, text), the physical line number of each record and the
    :class:`Dialect`. Raises :class:`MalformedFile` for an empty file, a file with a header
    only, duplicate column names, an unclosed quote or a record of the wrong width.
    """
    raw = path.read_bytes()
    given = tuple(k for k, v in (("sep", sep), ("decimal", decimal), ("encoding", encoding)) if v)
    text, enc, bom = _decode(raw, encoding)
    if not text.strip():
        raise MalformedFile(
            "empty_file",
            "cannot read the file: it is empty; expected a header line with the column names "
            "(e.g. patient_id,session,scale,score) and one line per assessment",
        )
    head = text[:65536]
    line_ending = (
        "CRLF" if "\r\n" in head else ("CR" if "\r" in head and "\n" not in head else "LF")
    )
    if sep is None:
        sep = _detect_delimiter(text, default_sep)
    elif not isinstance(sep, str) or len(sep) != 1:
        raise ValueError(f"sep must be a single character, got {sep!r}")
    fast = _parse_unquoted(text, sep)
    if fast is not None:
        header, cells, lines = fast
        header = _check_header(header)
    else:
        header, records, lines = _parse(text, sep)
        header = _check_header(header)
        cells = _check_widths(header, records, lines, sep) if records else None
    if cells is None or not len(cells):
        raise MalformedFile(
            "header_only",
            f"the file has a header line ({len(header)} columns: "
            f"{shorten(', '.join(header), 120)}) but no data rows",
        )
    if decimal is None:
        decimal = _detect_decimal(cells)
    elif decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    dialect = Dialect(enc, bom, sep, decimal, '"', line_ending, given)
    return header, cells, np.asarray(lines, dtype=np.int64), dialect


def _decode(raw: bytes, encoding):
    """(text, encoding name, had a BOM)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"encoding={encoding!r} is not a known text encoding") from None
        bom = any(raw.startswith(b) for b, _ in _BOMS)
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and raw.startswith(
            codecs.BOM_UTF8
        ):
            encoding = "utf-8-sig"
        try:
            return raw.decode(encoding), encoding, bom
        except UnicodeDecodeError as e:
            raise MalformedFile(
                "encoding",
                f"cannot decode the file with encoding={encoding!r}: byte "
                f"0x{raw[e.start]:02x} at offset {e.start} is not valid in it; "
                "leave encoding= out to detect it",
            ) from None
    for mark, name in _BOMS:
        if raw.startswith(mark):
            try:
                return raw.decode(name), name, True
            except UnicodeDecodeError as e:
                raise MalformedFile(
                    "encoding",
                    f"the file starts with a {name} byte-order mark but byte offset "
                    f"{e.start} is not valid {name}",
                ) from None
    if b"\x00" not in raw[:4096]:
        try:
            return raw.decode("utf-8"), "utf-8", False
        except UnicodeDecodeError:
            pass
    name = _wide_unicode(raw)
    if name:
        return raw.decode(name, errors="strict"), name, False
    try:
        return raw.decode("cp1252"), "cp1252", False
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1", False


def _wide_unicode(raw: bytes) -> str | None:
    """A BOM-less UTF-16/UTF-32 encoding according to charset-normalizer, else None."""
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:65536]).best()
    if best is None:
        return None
    name = best.encoding.replace("_", "-")
    if name.startswith(("utf-16", "utf-32")):
        try:
            raw.decode(name)
        except UnicodeDecodeError:
            return None
        return name
    return None


def _detect_delimiter(text: str, default: str) -> str:
    sample = text[:65536]
    if len(text) > len(sample):
        sample = sample[: sample.rfind("\n") + 1] or sample
    best, best_score = default, (False, 1)
    for d in CANDIDATE_DELIMITERS:
        rows = []
        try:
            reader = csv.reader(io.StringIO(sample, newline=""), delimiter=d)
            for rec in reader:
                if rec:
                    rows.append(len(rec))
                if len(rows) > _SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue
        if len(text) > len(sample) and len(rows) > 2:
            rows = rows[:-1]  # the last sampled record may be cut
        if not rows or rows[0] < 2:
            continue
        score = (all(n == rows[0] for n in rows), rows[0])
        if score > best_score:
            best, best_score = d, score
    return best


# a blank (or whitespace-only) line: at the start, between two line breaks, or at the end
_BLANK_LINE = re.compile(r"\A[ \t]*(?:\r\n|\r|\n)|(?:\r\n|\r|\n)[ \t]*(?:\r\n|\r|\n)")


def _parse_unquoted(text: str, sep: str):
    """The common case, vectorised: no quote, no blank line, every line the header's width.

    Returns ``(header, cells, lines)`` or None, when the general parser (:func:`_parse`)
    must decide (quotes, blank lines, records of another width). Without quotes and blank
    lines every physical line is a record, so record i is on line i + 1.
    """
    if '"' in text or _BLANK_LINE.search(text):
        return None
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            quoting=csv.QUOTE_NONE,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return None  # a line wider than the header
    n, width = table.shape
    # no line is wider (pandas would have refused it), so equal totals mean equal widths
    if text.count(sep) != n * (width - 1):
        return None
    cells = table.to_numpy(dtype=object)
    return list(cells[0]), cells[1:], np.arange(2, n + 1)


def _parse(text: str, sep: str):
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', strict=True)
    records, lines = [], []
    prev = 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue  # a blank line, counted in the line numbers
            records.append(rec)
            lines.append(start)
    except csv.Error as e:
        line = prev + 1
        if "end of data" in str(e) or "EOF" in str(e):
            msg = (
                'a quote (") opened in this record is never closed, so '
                "every line after it would be read as one field; remove the stray quote "
                'or double it ("") inside a quoted field'
            )
        else:
            msg = (
                f"malformed quoting ({shorten(e, 100)}); a quoted field must be followed "
                "by the delimiter or the end of the line"
            )
        raise MalformedFile("unbalanced_quote", msg, row=line) from None
    if not records:
        return [], [], []
    return records[0], records[1:], lines[1:]


def _check_header(header: list[str]) -> list[str]:
    names = [h.strip() for h in header]
    names = [n if n else f"Unnamed: {i}" for i, n in enumerate(names)]
    long = [i for i, n in enumerate(names) if len(n) > MAX_NAME]
    if long:
        raise MalformedFile(
            "long_column_name",
            f"header field {long[0] + 1} is a column name of {len(names[long[0]]):,} "
            f"characters ({shorten(names[long[0]], 40)!r}); column names are at most "
            f"{MAX_NAME:,} characters: is line 1 really the header, and is the delimiter "
            "one of , ; tab | (else pass sep=)?",
            row=1,
        )
    s = pd.Series(names)
    dup = s[s.duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        where = [int(i) + 1 for i in dup.index[dup == first]]
        raise MalformedFile(
            "duplicate_column",
            f"column {shorten(first)!r} appears {len(where)} times in the header (fields "
            f"{', '.join(map(str, where[:10]))}); every column needs a distinct name",
            row=1,
            column=shorten(first),
        )
    return names


def _check_widths(header, records, lines, sep):
    width = len(header)
    counts = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
    if (counts != width).any():
        # trailing delimiters (every extra field empty) are harmless
        over = counts > width
        for i in np.flatnonzero(over):
            if not any(f.strip() for f in records[i][width:]):
                records[i] = records[i][:width]
                counts[i] = width
    bad = np.flatnonzero(counts != width)
    if len(bad):
        i = bad[0]
        more = f" ({len(bad) - 1} more such record(s))" if len(bad) > 1 else ""
        start = lines[i]
        end = lines[i + 1] - 1 if i + 1 < len(lines) else None
        span = "" if end in (None, start) else f"the record on lines {start}-{end} has "
        raise MalformedFile(
            "ragged_row",
            f"{span}{counts[i]} field(s) where the header has {width} "
            f"({_NAMES.get(sep, repr(sep))}-separated){more}; a stray quote or a "
            f"delimiter inside an unquoted value shifts the columns",
            row=int(start),
        )
    return np.array(records, dtype=object).reshape(len(records), width)


_COMMA_NUMBER = r"[+-]?\d+,\d+(?:[eE][+-]?\d+)?"
_DOT_NUMBER = r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?"


def _detect_decimal(cells: np.ndarray) -> str:
    sample = pd.Series(cells[:1000].ravel(), dtype=object).astype(str).str.strip()
    if sample.str.fullmatch(_DOT_NUMBER).any():
        return "."
    comma = sample[sample.str.fullmatch(_COMMA_NUMBER)]
    if not len(comma):
        return "."
    # "1,234" could be a thousand and two hundred: only "12,5", "0,25", "3,1416" decide
    if not comma.str.fullmatch(r"[+-]?(?:0,\d+|\d+,(?:\d{1,2}|\d{4,}))(?:[eE][+-]?\d+)?").any():
        raise MalformedFile(
            "ambiguous_decimal",
            f"numbers such as {shorten(comma.iloc[0], 20)!r} could have a decimal comma or a "
            "thousands separator; pass decimal=',' (decimal comma) or decimal='.'",
        )
    return ","
