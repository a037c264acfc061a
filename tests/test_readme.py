"""The README's example runs as written, and its two commands come first."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```\n(.*?)```", README, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in first_block.splitlines() if ln.strip()]
    assert commands == ["make demo", "make test"]


def test_readme_python_example_runs(monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks, "README has no python example"
    assert len(blocks[0].strip().splitlines()) <= 12  # the short notebook example
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert os.getcwd() == str(ROOT)


def test_readme_example_gives_per_scale_remission(monkeypatch):
    """PHQ-9 remission uses PHQ-9's own threshold (<= 4), MADRS its own (<= 10): hand count."""
    import pandas as pd

    import ketanalysis as ka

    monkeypatch.chdir(ROOT)
    frame = ka.read_scores("data/sample/cohort_long.csv")
    out = ka.derive(ka.validate(frame), criteria=ka.criteria.scale_defaults())
    raw = pd.read_csv(ROOT / "data/sample/cohort_long.csv")
    for scale, label, cut in (("MADRS", "MADRS", 10), ("PHQ9", "PHQ-9", 4)):
        rows = raw[raw["scale"].isin([scale, label])]
        post = rows[rows["session"] > 0]
        expected = int(post.loc[post["score"] <= cut, "patient_id"].nunique())
        got = int(out.patients.loc[out.patients["scale"] == scale, "ever_remission"].sum())
        assert got == expected, (scale, got, expected)
    assert "ever_remission" in out.patients
    with pytest.raises(ValueError, match="do not fit PHQ9"):
        ka.derive(ka.validate(frame), criteria=ka.criteria.scale_defaults("MADRS"))
