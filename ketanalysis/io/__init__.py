"""Readers: files and frames in, the canonical long frame out (see docs/architecture.md).

Scores come from long files of every common format, wide files and REDCap exports; calendar
dates become study days. Readers never drop a row: what validation will exclude is
announced, and :func:`ketanalysis.validate` audits it.
"""

from .scores import from_wide, read_redcap, read_scores, to_relative_days

__all__ = ["from_wide", "read_redcap", "read_scores", "to_relative_days"]
