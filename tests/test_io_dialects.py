"""Text dialects, encodings, structural checks and reader errors (issue 13, items 2, 3, 7, 8).

Every file here is written by the test itself (synthetic, a few lines as clinics export
them), byte for byte, into ``tmp_path``. Each "seen" case of the issue has its own test;
the hypothesis property writes one canonical frame in generated dialects and reads it back.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ketanalysis as ka

HEADER = "patient_id,session,scale,score"


def write(tmp_path: Path, name: str, content, encoding="utf-8") -> Path:
    path = tmp_path / name
    data = content if isinstance(content, bytes) else content.encode(encoding)
    path.write_bytes(data)
    return path


def read(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ka.DataWarning)
        return ka.read_scores(path, **kwargs)


def data_error(path, **kwargs) -> ka.DataError:
    with pytest.raises(ka.DataError) as info:
        read(path, **kwargs)
    err = info.value
    assert str(path) in str(err).splitlines()[0]  # the message names the file
    return err


def checks(err: ka.DataError) -> set:
    return set(err.report.errors["check"])


# --- dialects and encodings ------------------------------------------------------------


def test_semicolon_file_with_decimal_commas(tmp_path):
    path = write(
        tmp_path,
        "eu.csv",
        "patient_id;session;scale;score\nK1;0;MADRS;30,5\nK1;1;MADRS;12,5\nK2;0;MADRS;28\n",
    )
    frame = read(path)
    assert frame["score"].tolist() == [30.5, 12.5, 28.0]
    assert frame["session"].tolist() == [0, 1, 0]
    d = frame.attrs["dialect"]
    assert (d["delimiter"], d["decimal"], d["encoding"], d["bom"]) == (";", ",", "utf-8", False)
    assert d["given"] == []


def test_utf8_bom_on_txt(tmp_path):
    path = write(
        tmp_path,
        "bom.txt",
        b"\xef\xbb\xbf" + b"patient_id\tsession\tscale\tscore\n"
        b"K1\t0\tMADRS\t30\nK1\t1\tMADRS\t12\n",
    )
    frame = read(path)
    assert frame["patient_id"].tolist() == ["K1", "K1"]
    assert frame.attrs["dialect"]["bom"] is True
    assert frame.attrs["dialect"]["encoding"] == "utf-8-sig"
    assert frame.attrs["dialect"]["delimiter"] == "\t"


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252", "utf-16", "utf-16-le"])
def test_latin1_and_utf16_files(tmp_path, encoding):
    text = f"{HEADER},site\r\nK1,0,MADRS,30,Zürich\r\nK1,1,MADRS,12,Malmö\r\n"
    frame = read(write(tmp_path, "enc.csv", text, encoding))
    assert frame["site"].tolist() == ["Zürich", "Malmö"]
    assert frame["score"].tolist() == [30.0, 12.0]
    assert frame.attrs["dialect"]["line_ending"] == "CRLF"


def test_explicit_sep_decimal_encoding_are_honoured(tmp_path):
    text = "patient_id;session;scale;score;site\nK1;0;MADRS;30,5;Genève\n"
    path = write(tmp_path, "eu.csv", text, "latin-1")
    frame = read(path, sep=";", decimal=",", encoding="latin-1")
    assert frame["score"].tolist() == [30.5]
    assert frame["site"].tolist() == ["Genève"]
    assert frame.attrs["dialect"]["given"] == ["sep", "decimal", "encoding"]
    # a given value wins over detection, even when it is wrong for the file
    err = data_error(path, decimal=".")
    assert "score_type" in checks(err) or "not a number" in str(err)
    err = data_error(path, sep=",")  # "30,5" splits in two under sep=","
    assert checks(err) == {"ragged_row"}
    assert "header has 1" in str(err)


def test_thousands_or_decimal_comma_is_not_guessed(tmp_path):
    path = write(tmp_path, "t.csv", f'{HEADER},dose_mg\nK1,0,MADRS,30,"1,250"\n')
    err = data_error(path)
    assert checks(err) == {"ambiguous_decimal"}
    assert read(path, decimal=",")["dose_mg"].tolist() == [1.25]


def test_dialect_in_validation_summary(tmp_path):
    path = write(tmp_path, "eu.csv", "patient_id;session;scale;score\nK1;0;MADRS;30,5\n")
    summary = ka.validate(read(path)).summary()
    assert "read as: utf-8, delimiter semicolon, decimal ',', LF" in summary


# --- structural checks -----------------------------------------------------------------


def test_stray_quote_is_an_error_naming_its_line(tmp_path):
    path = write(
        tmp_path,
        "stray.csv",
        f'{HEADER}\nK1,0,MADRS,30\nK1,1,MADRS,"12\nK1,2,MADRS,10\nK2,0,MADRS,20\n',
    )
    err = data_error(path)
    assert checks(err) == {"unbalanced_quote"}
    assert err.report.errors["row"].tolist() == [3]
    assert "never closed" in str(err)


def test_quote_closed_later_joins_lines_and_is_a_ragged_record(tmp_path):
    path = write(
        tmp_path,
        "joined.csv",
        f'{HEADER}\nK1,0,"MADRS\nK1",1,MADRS,12\nK2,0,MADRS,20\n',
    )
    err = data_error(path)
    assert checks(err) == {"ragged_row"}
    assert err.report.errors["row"].tolist() == [2]
    assert "lines 2-3" in str(err)


def test_ragged_rows(tmp_path):
    path = write(tmp_path, "ragged.csv", f"{HEADER}\nK1,0,MADRS,30\nK1,1,MADRS\nK1,2,MADRS,3,4\n")
    err = data_error(path)
    assert checks(err) == {"ragged_row"}
    assert err.report.errors["row"].tolist() == [3]
    assert "3 field(s) where the header has 4" in str(err)
    assert "1 more" in str(err)


def test_trailing_delimiters_are_harmless(tmp_path):
    frame = read(write(tmp_path, "trail.csv", f"{HEADER}\nK1,0,MADRS,30,\nK1,1,MADRS,12,\n"))
    assert frame["score"].tolist() == [30.0, 12.0]


def test_duplicate_header_is_an_error(tmp_path):
    path = write(tmp_path, "dup.csv", f"{HEADER},score\nK1,0,MADRS,30,1\nK1,1,MADRS,12,2\n")
    err = data_error(path)
    assert checks(err) == {"duplicate_column"}
    row = err.report.errors.iloc[0]
    assert (row["row"], row["column"]) == (1, "score")


def test_duplicate_header_in_excel(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "dup.xlsx"
    pd.DataFrame([["K1", 0, "MADRS", 30, 1]]).to_excel(
        path, index=False, header=["patient_id", "session", "scale", "score", "score"]
    )
    err = data_error(path)
    assert checks(err) == {"duplicate_column"}


def test_boolean_scores_are_refused(tmp_path):
    path = write(tmp_path, "bool.csv", f"{HEADER}\nK1,0,MADRS,True\nK1,1,MADRS,False\n")
    err = data_error(path)
    assert err.report.errors["row"].tolist() == [2, 3]
    assert set(err.report.errors["column"]) == {"score"}
    frame = pd.DataFrame(
        {"patient_id": ["K1", "K1"], "session": [0, 1], "scale": "MADRS", "score": [True, False]}
    )
    with pytest.raises(ka.DataError) as info:
        read(frame)
    assert set(info.value.report.errors["column"]) == {"score"}


def test_blank_lines_and_quoted_newlines_count_in_row_numbers(tmp_path):
    # line 1 header, 2 K1/0, 3 blank, 4-5 a quoted newline in the note, 6 the bad score
    path = write(
        tmp_path,
        "lines.csv",
        f'{HEADER},note\nK1,0,MADRS,30,\n\nK1,1,MADRS,12,"two\nlines"\nK1,2,MADRS,99,\n',
    )
    err = data_error(path)
    assert err.report.errors["row"].tolist() == [6]
    frame = read(path, validate=False)
    assert frame["source_row"].tolist() == [2, 4, 6]
    assert frame["note"].tolist()[1] == "two\nlines"


@pytest.mark.parametrize("value", ["1e20", "inf", "-inf"])
def test_huge_or_infinite_session(tmp_path, value):
    path = write(tmp_path, "s.csv", f"{HEADER}\nK1,0,MADRS,30\nK1,{value},MADRS,12\n")
    err = data_error(path)
    assert checks(err) == {"session_range"}
    assert err.report.errors["row"].tolist() == [3]


def test_infinite_score(tmp_path):
    err = data_error(write(tmp_path, "s.csv", f"{HEADER}\nK1,0,MADRS,30\nK1,1,MADRS,inf\n"))
    assert err.report.errors["row"].tolist() == [3]
    assert err.report.errors["column"].tolist() == ["score"]


def test_long_header_gives_a_bounded_message(tmp_path):
    path = write(tmp_path, "wide.csv", "x" * 2_000_000 + ",session\n1,2\n")
    err = data_error(path)
    assert checks(err) == {"long_column_name"}
    assert len(str(err)) < 1_000
    assert len(err.report.summary()) < 2_000


def test_long_messages_are_cut():
    from ketanalysis.validation.issues import Issues, format_issues

    issues = Issues()
    issues.add_one("error", "x", "c" * 10_000, "m" * 1_000_000, row=2)
    text = format_issues(issues.frame(), "f.csv", 20, "problem")
    assert len(text) < 2_100  # the heading and one line of at most 1,000 characters
    assert "more characters" in text


# --- unreadable files ------------------------------------------------------------------


def test_empty_file(tmp_path):
    err = data_error(write(tmp_path, "empty.csv", ""))
    assert checks(err) == {"empty_file"}
    err = data_error(write(tmp_path, "blank.csv", "\n\n  \n"))
    assert checks(err) == {"empty_file"}


def test_header_only_file(tmp_path):
    err = data_error(write(tmp_path, "header.csv", HEADER + "\n"))
    assert checks(err) == {"header_only"}
    assert "no data rows" in str(err)


def test_corrupt_xlsx(tmp_path):
    pytest.importorskip("openpyxl")
    err = data_error(write(tmp_path, "bad.xlsx", b"PK\x03\x04 not really a workbook"))
    assert checks(err) == {"unreadable"}
    assert "cannot read the file: expected an Excel workbook" in str(err)


def test_truncated_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    good = tmp_path / "good.parquet"
    pd.DataFrame(
        {"patient_id": ["K1"], "session": [0], "scale": "MADRS", "score": [30.0]}
    ).to_parquet(good)
    data = good.read_bytes()
    err = data_error(write(tmp_path, "cut.parquet", data[: len(data) // 2]))
    assert checks(err) == {"unreadable"}
    assert "cannot read the file: expected a Parquet file" in str(err)


def test_undecodable_with_given_encoding(tmp_path):
    path = write(tmp_path, "u.csv", f"{HEADER},site\nK1,0,MADRS,30,Zürich\n", "latin-1")
    err = data_error(path, encoding="utf-8")
    assert checks(err) == {"encoding"}


# --- other frames ----------------------------------------------------------------------


def _frame():
    return pd.DataFrame(
        {"patient_id": ["K1", "K1"], "session": [0, 1], "scale": "MADRS", "score": [30.0, 12.0]}
    )


def test_pyarrow_table_is_accepted():
    pa = pytest.importorskip("pyarrow")
    frame = read(pa.Table.from_pandas(_frame()))
    assert frame["score"].tolist() == [30.0, 12.0]
    assert frame["source_row"].tolist() == [1, 2]


class _Interchange:
    """A stranger frame: implements only ``__dataframe__`` (as polars does)."""

    def __init__(self, df):
        self._df = df

    def __dataframe__(self, nan_as_null=False, allow_copy=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' own __dataframe__ is deprecated
            return self._df.__dataframe__(nan_as_null=nan_as_null, allow_copy=allow_copy)


class _ArrowStream:
    """A stranger frame: implements only the Arrow PyCapsule stream interface."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


def test_dataframe_interchange_object_is_accepted():
    frame = read(_Interchange(_frame()))
    assert frame["patient_id"].tolist() == ["K1", "K1"]
    assert frame["score"].tolist() == [30.0, 12.0]


def test_arrow_stream_object_is_accepted():
    pa = pytest.importorskip("pyarrow")
    frame = read(_ArrowStream(pa.Table.from_pandas(_frame())))
    assert frame["score"].tolist() == [30.0, 12.0]


def test_other_objects_are_refused_with_one_line():
    with pytest.raises(TypeError) as info:
        ka.read_scores([1, 2, 3])
    assert "\n" not in str(info.value)
    assert "DataFrame" in str(info.value)


# --- the property: any dialect round-trips ----------------------------------------------

SITES = ["Zürich", "Malmö", "São Paulo", "Köln, Süd", "Genève; Nord", 'Dr "Ö" clinic', "Oslo"]


@st.composite
def canonical_frames(draw):
    n = draw(st.integers(1, 4))
    sessions = draw(st.integers(1, 3))
    rows = []
    for p in range(n):
        site = draw(st.sampled_from(SITES))
        for s in range(sessions):
            half = draw(st.integers(0, 120))
            rows.append((f"K{p + 1:03d}", s, "MADRS", half / 2, site))
    return pd.DataFrame(rows, columns=["patient_id", "session", "scale", "score", "site"])


@settings(max_examples=40)
@given(
    frame=canonical_frames(),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    decimal=st.sampled_from([".", ","]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_any_dialect_round_trips(tmp_path_factory, frame, sep, decimal, quoting, encoding, newline):
    path = tmp_path_factory.mktemp("dialect") / "written.csv"
    text = frame.to_csv(
        sep=sep, decimal=decimal, quoting=quoting, index=False, lineterminator=newline
    )
    path.write_bytes(text.encode(encoding))
    loaded = read(path)
    expected = read(frame)
    pd.testing.assert_frame_equal(
        loaded.drop(columns="source_row"), expected.drop(columns="source_row")
    )
    assert loaded["source_row"].tolist() == list(range(2, 2 + len(frame)))
    d = loaded.attrs["dialect"]
    assert d["delimiter"] == sep
    assert d["decimal"] == decimal
    assert d["bom"] is (encoding in ("utf-8-sig", "utf-16"))
    assert d["line_ending"] == ("CRLF" if newline == "\r\n" else "LF")
    json.dumps(d)  # provenance-ready
    assert np.isfinite(loaded["score"]).all()


def test_dialect_in_report_provenance(tmp_path):
    """A European export of the sample cohort: the report reads it and records how."""
    from ketanalysis.config import parse_config
    from ketanalysis.report import build

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "cohort_long.csv"
    frame = pd.read_csv(sample)
    path = tmp_path / "cohort_eu.csv"
    path.write_bytes(
        frame.to_csv(sep=";", decimal=",", index=False, lineterminator="\r\n").encode("cp1252")
    )
    config = parse_config(
        '[figures]\ninclude = ["trajectory"]\n[output]\nfigure_formats = ["svg"]\n'
        'table_formats = ["csv"]'
    )
    build(path, tmp_path / "r", config, quiet=True)
    prov = json.loads((tmp_path / "r" / "provenance.json").read_text())
    dialect = prov["inputs"][0]["dialect"]
    assert (dialect["delimiter"], dialect["decimal"], dialect["line_ending"]) == (";", ",", "CRLF")


def test_header_only_xlsx_and_empty_parquet(tmp_path):
    pytest.importorskip("openpyxl")
    pytest.importorskip("pyarrow")
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in HEADER.split(",")})
    empty.to_excel(tmp_path / "h.xlsx", index=False)
    assert checks(data_error(tmp_path / "h.xlsx")) == {"header_only"}
    empty.astype(str).to_parquet(tmp_path / "h.parquet")
    assert checks(data_error(tmp_path / "h.parquet")) == {"header_only"}


def test_excel_true_false_scores_are_refused(tmp_path):
    pytest.importorskip("openpyxl")
    frame = pd.DataFrame(
        {"patient_id": ["K1", "K1"], "session": [0, 1], "scale": "MADRS", "score": [True, False]}
    )
    frame.to_excel(tmp_path / "b.xlsx", index=False)
    err = data_error(tmp_path / "b.xlsx")
    assert err.report.errors["row"].tolist() == [2, 3]
    assert set(err.report.errors["column"]) == {"score"}


def test_fast_and_general_parsers_agree(tmp_path):
    """The same rows with and without a quoted field take both paths: same frame."""
    plain = f"{HEADER},site\nK1,0,MADRS,30,Oslo\nK1,1,MADRS,12,Bergen\n"
    quoted = plain.replace("Bergen", '"Bergen"')
    a = read(write(tmp_path, "a.csv", plain))
    b = read(write(tmp_path, "b.csv", quoted))
    pd.testing.assert_frame_equal(a, b)


def test_the_wide_reader_records_the_dialect(tmp_path):
    """from_wide keeps how the file was read (read_redcap passes it on the same way)."""
    text = "patient_id;madrs.s0;madrs.s1\nP1;30;12,5\nP2;28;14\n"
    path = tmp_path / "wide_eu.csv"
    path.write_bytes(text.encode("cp1252"))
    frame = ka.from_wide(path, sessions=r"(?P<scale>madrs)\.s(?P<session>\d+)")
    assert frame.attrs["dialect"]["delimiter"] == ";"
    assert frame.attrs["dialect"]["decimal"] == ","
    assert ka.validate(frame).dialect["delimiter"] == ";"
    assert sorted(frame["score"]) == [12.5, 14.0, 28.0, 30.0]
