"""The tests marked ``slow``: more than a few seconds each on 2 cores.

Measured with ``pytest --durations=60``; ``tests/conftest.py`` marks them, so
``make test-fast`` (``pytest -m "not slow"``) leaves them out while ``make test`` and CI run
everything. Kept as a list of node ids, not as markers in the test files, so that a test
file needs no edit to be listed; ``tests/test_suite.py`` checks that every entry still
names a test.
"""

from __future__ import annotations

#: Slow tests by node id: a test function (all its parameters), one parametrisation
#: (``name[id`` as a prefix), or a whole module (``path.py``). The notebooks are marked
#: in tests/test_notebooks.py.
SLOW: tuple[str, ...] = (
    # report builds (the module fixtures build whole reports)
    "tests/test_report.py::test_report_tree",
    "tests/test_report.py::test_two_runs_give_byte_identical_trees",
    "tests/test_report.py::test_table_csv_matches_stats",
    "tests/test_report.py::test_html_is_self_contained",
    "tests/test_report.py::test_html_sections_and_methods",
    "tests/test_report.py::test_provenance",
    "tests/test_report.py::test_safety_section_in_the_sample_report",
    "tests/test_report.py::test_safety_tables_equal_the_derivation_and_stats",
    "tests/test_report.py::test_strict_privacy_in_the_safety_tables",
    "tests/test_report.py::test_safety_limits_from_the_config",
    "tests/test_report.py::test_a_report_without_safety_files_has_no_safety_section",
    "tests/test_report.py::test_strict_privacy_leaves_no_small_count",
    "tests/test_report.py::test_strict_privacy_leaves_out_individual_figures",
    "tests/test_report.py::test_arms_give_mmrm_and_comparisons",
    "tests/test_report.py::test_figures_only_fits_the_mmrm_for_the_lsmeans_figure",
    "tests/test_report.py::test_output_directory_is_refused_unless_overwrite",
    "tests/test_report.py::test_large_cohorts_sample_individual_figures",
    # strict-privacy reports scanned for disclosure (whole builds)
    "tests/test_disclosure_reports.py",
    "tests/test_output.py::test_kills_during_a_real_report_build",
    "tests/test_injection.py::test_hostile_labels_appear_verbatim_and_harmless",
    # the command line end to end
    "tests/test_cli.py::test_report_end_to_end_on_the_sample",
    "tests/test_cli.py::test_figures_command",
    "tests/test_cli.py::test_report_and_figures_read_as_validate_does",
    # power and sample-size simulations
    "tests/test_power.py::test_sample_size_against_closed_form",
    # big hypothesis runs
    "tests/test_properties.py::test_row_order_does_not_change_the_issues",
    "tests/test_properties.py::test_valid_frames_pass",
    "tests/test_properties.py::test_no_row_is_lost_without_an_audit_entry",
    "tests/test_derive_reference.py::test_random_frames_and_definitions",
    "tests/test_outcomes_properties.py::test_a_patients_results_do_not_depend_on_other_patients",
    "tests/test_outcomes_properties.py::test_permuting_input_rows_changes_nothing",
    "tests/test_outcomes_properties.py::test_relapse_never_precedes_entry",
    # figures written in every format at 600 dpi, or in fresh processes
    "tests/test_plots_safety.py::test_save_figure",
    "tests/test_plots_change.py::test_save_figure",
    "tests/test_plots_style.py::test_file_hash_is_stable_across_processes",
    "tests/test_plots_backends.py::test_figures_command_under_every_backend",
    "tests/test_io.py::test_round_trip_every_format[.xlsx",
    # 213 validations of the identifier corpus
    "tests/test_identifiers.py::test_corpus_recall_and_false_positives",
)


def is_slow(nodeid: str, slow: tuple[str, ...] = SLOW) -> bool:
    """Whether ``nodeid`` is one of ``slow`` (a function, a parametrisation or a module)."""
    for entry in slow:
        if entry.endswith(".py"):
            if nodeid.startswith(entry + "::"):
                return True
        elif "[" in entry:
            if nodeid.startswith(entry):
                return True
        elif nodeid == entry or nodeid.startswith(entry + "["):
            return True
    return False
