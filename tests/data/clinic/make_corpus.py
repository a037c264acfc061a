"""Write the clinic-export acceptance corpus (issue 13) deterministically.

Synthetic data only. Run: python tests/data/clinic/make_corpus.py [OUT_DIR] (default: this folder)
Each case NAME writes the file, NAME.expect.toml and, for ok cases, NAME.expected.csv
(written from the frame generated here, never read back through ketanalysis).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
OUT = HERE  # where main() writes (an argument: tests regenerate into a tmp dir)
COLS = ["patient_id", "session", "scale", "score"]


STAMP = (2024, 1, 1, 0, 0, 0)  # every file's embedded write time, so reruns are byte-identical


def fixed_xlsx(path: Path) -> None:
    """Rewrite an openpyxl workbook with fixed zip entry times and document dates."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED  # a ZipInfo's default is stored
            z.writestr(info, data)


def fixed_stat(path: Path) -> None:
    """Overwrite the creation time pyreadstat writes into a .sav or .dta header."""
    data = path.read_bytes()
    if path.suffix == ".sav":  # header: date "dd Mon yy" at 92, time "hh:mm:ss" at 101
        data = data[:92] + b"01 Jan 2400:00:00" + data[109:]
    else:  # Stata 118: <timestamp>\x11dd Mon yyyy hh:mm</timestamp>
        data = re.sub(
            rb"<timestamp>\x11.{17}</timestamp>",
            b"<timestamp>\x1101 Jan 2024 00:00</timestamp>",
            data,
            count=1,
            flags=re.S,
        )
    path.write_bytes(data)


def base(n_pat=4, sessions=(0, 1, 2, 3), scale="MADRS", seed=13):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n_pat):
        start = int(rng.integers(25, 40))
        for s in sessions:
            rows.append(
                (f"P{p + 1:03d}", s, scale, max(0, start - 5 * s - int(rng.integers(0, 3))))
            )
    return pd.DataFrame(rows, columns=COLS)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def sidecar(name, **meta):
    lines = [f"# expectation for {name} (written by make_corpus.py)"]
    for k, v in meta.items():
        lines.append(f"{k} = {toml_value(v)}")
    (OUT / f"{name}.expect.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def ok(
    name,
    fname,
    frame,
    *,
    reader="read_scores",
    read_kwargs=None,
    cli_args=None,
    rows_read=None,
    rows_audited=0,
    aux_files=(),
):
    frame = frame.sort_values(["patient_id", "scale", "session"]).reset_index(drop=True)
    frame[COLS].to_csv(OUT / f"{name}.expected.csv", index=False, lineterminator="\n")
    rows_read = len(frame) + rows_audited if rows_read is None else rows_read
    sidecar(
        name,
        kind="ok",
        file=fname,
        reader=reader,
        read_kwargs=read_kwargs or {},
        cli_args=cli_args or [],
        rows_read=rows_read,
        rows_kept=len(frame),
        rows_audited=rows_audited,
        expected=f"{name}.expected.csv",
        **({"aux_files": list(aux_files)} if aux_files else {}),
    )


def err(
    name, fname, contains, *, reader="read_scores", read_kwargs=None, cli_args=None, exit_code=1
):
    sidecar(
        name,
        kind="error",
        file=fname,
        reader=reader,
        read_kwargs=read_kwargs or {},
        cli_args=cli_args or [],
        message_contains=[fname, *contains],
        exit_code=exit_code,
    )


def wb(name, data: bytes):
    (OUT / name).write_bytes(data)


def csv_text(frame, sep=",", decimal="."):
    return frame.to_csv(index=False, sep=sep, decimal=decimal, lineterminator="\n")


def main(out: Path = HERE) -> None:
    """Write the corpus into ``out`` (default: this folder), removing its other files."""
    global OUT
    OUT = Path(out)
    OUT.mkdir(parents=True, exist_ok=True)
    for p in OUT.iterdir():
        if p.name not in {"make_corpus.py", "README.md"}:
            p.unlink()
    f = base()
    # 1 plain reference
    wb("plain.csv", csv_text(f).encode())
    ok("plain", "plain.csv", f)
    # 2 European ; + decimal comma (fractional scores from prorating clinics)
    fe = f.copy()
    fe["score"] = fe["score"] + 0.5
    wb("european.csv", csv_text(fe, ";", ",").encode())
    ok("european", "european.csv", fe)
    # 3 explicit sep given
    wb("european_sep.csv", csv_text(fe, ";", ",").encode())
    ok(
        "european_sep",
        "european_sep.csv",
        fe,
        read_kwargs={"sep": ";", "decimal": ","},
        cli_args=[],
    )
    # 4/5 BOM csv / txt
    wb("bom.csv", b"\xef\xbb\xbf" + csv_text(f).encode())
    ok("bom", "bom.csv", f)
    wb("bom.txt", b"\xef\xbb\xbf" + csv_text(f, "\t").encode())
    ok("bom_txt", "bom.txt", f)
    # 6/7 latin-1, cp1252 with accented site
    fl = f.copy()
    fl["site"] = np.where(np.arange(len(f)) % 2, "Créteil", "Besançon")
    wb("latin1.csv", csv_text(fl, ";").encode("latin-1"))
    ok("latin1", "latin1.csv", fl)
    fc = fl.copy()
    fc["site"] = np.where(np.arange(len(f)) % 2, "Créteil", "Saint–Étienne")  # en dash: cp1252 only
    wb("cp1252.csv", csv_text(fc, ";").encode("cp1252"))
    ok("cp1252", "cp1252.csv", fc)
    # 8 UTF-16 LE BOM tab (Excel "Unicode text")
    wb(
        "unicode_text.txt",
        b"\xff\xfe" + csv_text(fl, "\t").replace("\n", "\r\n").encode("utf-16-le"),
    )
    ok("utf16", "unicode_text.txt", fl)
    # 9 CRLF
    wb("crlf.csv", csv_text(f).replace("\n", "\r\n").encode())
    ok("crlf", "crlf.csv", f)
    # 10 tsv
    wb("tabs.tsv", csv_text(f, "\t").encode())
    ok("tsv", "tabs.tsv", f)
    # 11 Excel wide with text visit labels
    labels = {"MADRS_baseline": 0, "MADRS_wk1": 1, "MADRS_wk2": 2, "MADRS_wk4": 3}
    w = f.pivot(index="patient_id", columns="session", values="score")
    w.columns = list(labels)
    w = w.reset_index()
    w.to_excel(OUT / "wide_text_visits.xlsx", index=False)
    fixed_xlsx(OUT / "wide_text_visits.xlsx")
    ok(
        "wide_text_visits",
        "wide_text_visits.xlsx",
        f,
        reader="from_wide",
        read_kwargs={"sessions": labels, "scale": "MADRS"},
        cli_args=[
            "--wide-sessions",
            r"(?P<scale>MADRS)_(?P<session>baseline|wk\d)",
            "--wide-session-labels",
            "baseline=0",
            "wk1=1",
            "wk2=2",
            "wk4=3",
        ],
    )
    # 12 Excel long with a second sheet
    with pd.ExcelWriter(OUT / "long_two_sheets.xlsx") as x:
        f.to_excel(x, sheet_name="scores", index=False)
        pd.DataFrame({"note": ["exported by clinic"]}).to_excel(x, sheet_name="info", index=False)
    fixed_xlsx(OUT / "long_two_sheets.xlsx")
    ok("long_two_sheets", "long_two_sheets.xlsx", f)
    # 13 REDCap flat export
    red = pd.DataFrame(
        {
            "record_id": ["1", "1", "1", "2", "2", "3"],
            "redcap_event_name": [
                "baseline_arm_1",
                "week_1_arm_1",
                "baseline_arm_1",
                "baseline_arm_1",
                "week_1_arm_1",
                "baseline_arm_1",
            ],
            "redcap_repeat_instrument": ["", "", "adverse_events", "", "", ""],
            "redcap_repeat_instance": ["", "", "1", "", "", ""],
            "madrs_total": ["30", "18", "", "28", "20", ""],
            "madrs_10": ["4", "2", "", "3", "2", ""],
            "ae_term": ["", "", "nausea", "", "", ""],
            "side_effects___1": ["0", "1", "", "1", "0", ""],
            "side_effects___2": ["0", "0", "", "0", "1", ""],
            "madrs_complete": ["2", "2", "", "2", "2", "0"],
        }
    )
    wb("redcap_flat.csv", red.to_csv(index=False, lineterminator="\n").encode())
    events = {"baseline_arm_1": 0, "week_1_arm_1": 1}
    wb("redcap_flat.events.json", (json.dumps(events, indent=2) + "\n").encode())
    rf = pd.DataFrame(
        {
            "patient_id": ["1", "1", "2", "2"],
            "session": [0, 1, 0, 1],
            "scale": "MADRS",
            "score": [30, 18, 28, 20],
        }
    )
    ok(
        "redcap_flat",
        "redcap_flat.csv",
        rf,
        reader="read_redcap",
        read_kwargs={
            "events": events,
            "scale": "MADRS",
        },
        cli_args=["--redcap-events", "redcap_flat.events.json", "--scale", "MADRS"],
        aux_files=["redcap_flat.events.json"],
        rows_read=5,
        rows_audited=1,
    )
    # 14 SPSS with value labels on sex; 15 Stata
    import pyreadstat

    fs = f.copy()
    fs["sex"] = np.where(np.arange(len(f)) % 2, 2.0, 1.0)
    pyreadstat.write_sav(
        fs,
        str(OUT / "spss_labels.sav"),
        variable_value_labels={"sex": {1.0: "female", 2.0: "male"}},
    )
    fixed_stat(OUT / "spss_labels.sav")
    ok("spss_labels", "spss_labels.sav", f)
    pyreadstat.write_dta(f, str(OUT / "stata.dta"))
    fixed_stat(OUT / "stata.dta")
    ok("stata", "stata.dta", f)
    # 16 parquet ok
    f.to_parquet(OUT / "plain.parquet", index=False)
    ok("parquet", "plain.parquet", f)
    # 17 blank lines in the middle
    t = csv_text(f).split("\n")
    wb("blank_lines.csv", "\n".join(t[:4] + ["", ""] + t[4:]).encode())
    ok("blank_lines", "blank_lines.csv", f)
    # 18 quoted newline in comment -> row numbers after it; comment is free text
    fq = f.copy()
    fq["comment"] = ""
    fq.loc[2, "comment"] = "dose\nchanged"
    fq.loc[6, "score"] = 99
    wb("quoted_newline.csv", csv_text(fq).encode())
    err("quoted_newline", "quoted_newline.csv", ["score", "row 9"])
    # 19 duplicate header
    fd = f.copy()
    fd["score2"] = fd["score"] + 1
    wb("dup_header.csv", csv_text(fd).replace("score2", "score").encode())
    err("dup_header", "dup_header.csv", ["score", "appears 2 times", "fields 4, 5"])
    # 20 stray unbalanced quote
    t = csv_text(f).split("\n")
    t[3] = t[3].replace("P00", '"P00', 1)
    wb("stray_quote.csv", "\n".join(t).encode())
    err("stray_quote", "stray_quote.csv", ["row 4", "quote"])
    # 21 ragged
    t = csv_text(f).split("\n")
    t[5] = t[5] + ",extra"
    wb("ragged.csv", "\n".join(t).encode())
    err("ragged", "ragged.csv", ["row 6"])
    # 22 boolean scores
    t = csv_text(f).split("\n")
    t[2] = t[2].rsplit(",", 1)[0] + ",True"
    t[3] = t[3].rsplit(",", 1)[0] + ",False"
    wb("boolean_scores.csv", "\n".join(t).encode())
    err("boolean_scores", "boolean_scores.csv", ["score", "row 3"])
    # 23 mixed type
    t = csv_text(f).split("\n")
    t[4] = t[4].rsplit(",", 1)[0] + ",twelve"
    wb("mixed_score.csv", "\n".join(t).encode())
    err("mixed_score", "mixed_score.csv", ["score", "row 5", "twelve"])
    # 24/25 huge / inf session
    for nm, val, r in [("huge_session", "1e20", 3), ("inf_session", "inf", 4)]:
        t = csv_text(f).split("\n")
        parts = t[r - 1].split(",")
        parts[1] = val
        t[r - 1] = ",".join(parts)
        wb(f"{nm}.csv", "\n".join(t).encode())
        err(nm, f"{nm}.csv", ["session", f"row {r}"])
    # 26/27/28 nan/-inf/negative/above max
    for nm, val, r in [
        ("neginf_score", "-inf", 5),
        ("negative_score", "-3", 6),
        ("above_max", "61", 7),
        ("nan_text_score", "NaN", 8),
    ]:
        t = csv_text(f).split("\n")
        t[r - 1] = t[r - 1].rsplit(",", 1)[0] + "," + val
        wb(f"{nm}.csv", "\n".join(t).encode())
        if nm == "nan_text_score":
            kept = f.drop(index=r - 2)
            ok(nm, f"{nm}.csv", kept, rows_audited=1)
        else:
            err(nm, f"{nm}.csv", ["score", f"row {r}"])
    # 30 empty / header only
    wb("empty.csv", b"")
    err("empty", "empty.csv", ["empty"])
    wb("header_only.csv", b"patient_id,session,scale,score\n")
    err("header_only", "header_only.csv", ["no data rows"])
    # 32 corrupt xlsx, truncated parquet, unknown ext
    wb("corrupt.xlsx", bytes(np.random.default_rng(1).integers(0, 256, 600, dtype=np.uint8)))
    err("corrupt_xlsx", "corrupt.xlsx", ["xlsx"])
    buf = io.BytesIO()
    f.to_parquet(buf, index=False)
    wb("truncated.parquet", buf.getvalue()[: len(buf.getvalue()) // 2])
    err("truncated_parquet", "truncated.parquet", ["parquet"])
    wb("scores.foo", csv_text(f).encode())
    err("unknown_ext", "scores.foo", [".foo"], exit_code=1)
    # 35 no scale column
    wb("no_scale.csv", csv_text(f.drop(columns="scale")).encode())
    ok("no_scale", "no_scale.csv", f, read_kwargs={"scale": "MADRS"}, cli_args=["--scale", "MADRS"])
    err("no_scale_missing", "no_scale.csv", ["scale"])
    # 37 leading zeros
    fz = f.copy()
    fz["patient_id"] = fz["patient_id"].str.replace("P", "")
    wb("leading_zeros.csv", csv_text(fz).encode())
    ok("leading_zeros", "leading_zeros.csv", fz)
    # 38 decimal comma with quoted fields
    fqd = fe.copy()
    fqd["site"] = "Lyon; Est"
    wb(
        "european_quoted.csv",
        fqd.to_csv(index=False, sep=";", decimal=",", quoting=1, lineterminator="\n").encode(),
    )
    ok("european_quoted", "european_quoted.csv", fqd)
    # 39 trailing empty columns
    t = csv_text(f, ";").split("\n")
    wb("trailing_semicolons.csv", "\n".join(x + ";;;" if x else x for x in t).encode())
    ok("trailing_semicolons", "trailing_semicolons.csv", f)
    # 40 header spaces/case
    t = csv_text(f).split("\n")
    t[0] = "Patient ID, Session ,Scale,SCORE"
    wb("header_spaces.csv", "\n".join(t).encode())
    # headers are not renamed by guess: refused naming the columns present (--columns maps them)
    err("header_spaces", "header_spaces.csv", ["patient_id", "columns present: Patient ID"])
    cols = {"Patient ID": "patient_id", "Session": "session", "Scale": "scale", "SCORE": "score"}
    ok(
        "header_spaces_columns",
        "header_spaces.csv",
        f,
        read_kwargs={"columns": cols},
        cli_args=["--columns", *(f"{k}={v}" for k, v in cols.items())],
    )
    # 41 missing codes NA and . -> audited; -99 -> out of range DataError
    t = csv_text(f).split("\n")
    t[2] = t[2].rsplit(",", 1)[0] + ",NA"
    t[3] = t[3].rsplit(",", 1)[0] + ",."
    wb("missing_codes.csv", "\n".join(t).encode())
    ok("missing_codes", "missing_codes.csv", f.drop(index=[1, 2]), rows_audited=2)
    t = csv_text(f).split("\n")
    t[2] = t[2].rsplit(",", 1)[0] + ",-99"
    wb("minus99.csv", "\n".join(t).encode())
    err("minus99", "minus99.csv", ["score", "row 3", "-99"])
    # 43 duplicate assessment rows
    t = csv_text(f).split("\n")
    wb("duplicates.csv", "\n".join(t[:3] + [t[2]] + t[3:]).encode())
    # identical duplicate rows are kept once and audited (docs/architecture.md §3)
    ok("duplicates", "duplicates.csv", f, rows_audited=1)
    # 44 visit date column
    fv = f.copy()
    fv["visit_date"] = (
        pd.Timestamp("2024-03-01") + pd.to_timedelta(fv["session"] * 7, "D")
    ).dt.strftime("%Y-%m-%d")
    wb("visit_dates.csv", csv_text(fv).encode())
    err("visit_dates", "visit_dates.csv", ["visit_date"])
    # 45 large fine file
    big = base(n_pat=1250, seed=7)
    wb("large.csv", csv_text(big).encode())
    ok("large", "large.csv", big)
    # 46 PHQ-9 mixed scales
    mix = pd.concat([f, base(scale="PHQ9", seed=3).assign(score=lambda d: d.score // 2)])
    wb("two_scales.csv", csv_text(mix).encode())
    ok("two_scales", "two_scales.csv", mix)


if __name__ == "__main__":
    import sys

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
