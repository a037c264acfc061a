"""A tiny report writer on top of :mod:`ketanalysis.report.output`, for the kill tests in
tests/test_output.py.

``python tests/output_driver.py OUT_DIR VERSION`` writes a three-file "report" of
``VERSION`` (``a.txt``, ``sub/b.txt``, ``sub/deep/c.txt``, then ``provenance.json`` with
the manifest and ``timings.json``) through ``stage(..., overwrite=True)``, with a
:func:`checkpoint` after each write as the report builder has, so that
``KETANALYSIS_TEST_EXIT_AT=k`` ends it at any file operation. It loads output.py by
path (the module needs only the standard library), so a run takes milliseconds instead
of the second that importing pandas and matplotlib costs. Prints the number of
checkpoints passed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

OUTPUT_PY = Path(__file__).resolve().parents[1] / "ketanalysis" / "report" / "output.py"
FILES = ("a.txt", "sub/b.txt", "sub/deep/c.txt")


def load_output():
    spec = importlib.util.spec_from_file_location("ketanalysis_output_driven", OUTPUT_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_report(output, out_dir: Path, version: int) -> int:
    with output.stage(out_dir, overwrite=True) as staging:
        for rel in FILES:
            p = staging.path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f"{rel} of version {version}\n" * (1 + version % 3))
            output.checkpoint()
        prov = {
            "generator": "ketanalysis report",
            "version": version,
            "files": output.manifest_files(staging.path),
        }
        (staging.path / "provenance.json").write_text(json.dumps(prov, sort_keys=True))
        output.checkpoint()
        (staging.path / "timings.json").write_text(json.dumps({"total_seconds": 0.1}))
        output.checkpoint()
        staging.commit()
    return output._steps[0]


if __name__ == "__main__":
    steps = write_report(load_output(), Path(sys.argv[1]), int(sys.argv[2]))
    print(steps)
