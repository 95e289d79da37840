"""A summary is read only when complete: cut-off rows, lost rows and emptied cells are refused.

pandas reads a row cut mid-way as a row with empty cells, and a table built from it shows
"not run" where a number belongs; these tests cut a real summary each way.
"""

from __future__ import annotations

import pandas as pd
import pytest

from signal_robustness.errors import ArtifactError
from signal_robustness.io import read_csv, save_csv
from signal_robustness.report.summaries import read_summary
from signal_robustness.report.tables import SUMMARY_COLUMNS
from signal_robustness.runs import run_identity, run_path

RUNS = [
    run_path("timeseries", dataset=dataset, method=method, regulariser="none", seed=seed)
    for dataset in ("Coffee", "TwoLeadECG")
    for method in ("baseline", "spec_den")
    for seed in (0, 1)
]


@pytest.fixture()
def summary(tmp_path):
    rows = [
        {**run_identity(run), "clean_acc": 90.0 + i, "fgsm_acc": 40.0 + i, "bim_acc": 10.0 + i}
        for i, run in enumerate(RUNS)
    ]
    path = tmp_path / "summary.csv"
    save_csv(path, pd.DataFrame(rows)[SUMMARY_COLUMNS])
    return path


def test_a_complete_summary_reads_back_as_written(summary):
    frame = read_summary(summary, RUNS, SUMMARY_COLUMNS)
    assert len(frame) == len(RUNS) and frame["clean_acc"].tolist() == [90.0 + i for i in range(len(RUNS))]


def test_a_summary_cut_mid_row_is_refused(summary):
    text = summary.read_text()
    summary.write_text(text[: text.rindex(",") - 2])  # inside the last row's bim_acc, no newline
    with pytest.raises(
        ArtifactError, match=r"summary\.csv is corrupt or truncated \(its last line ends without a newline"
    ):
        read_summary(summary, RUNS, SUMMARY_COLUMNS)


def test_a_row_with_fewer_fields_than_the_header_is_refused_naming_its_line(summary):
    lines = summary.read_text().splitlines()
    lines[3] = ",".join(lines[3].split(",")[:4])
    summary.write_text("\n".join(lines) + "\n")
    with pytest.raises(ArtifactError, match="line 4 has 4 fields, the header 7"):
        read_csv(summary)


def test_a_summary_that_lost_whole_rows_names_the_runs_it_lacks(summary):
    lines = summary.read_text().splitlines()
    summary.write_text("\n".join(lines[:-2]) + "\n")  # cut at a row boundary: pandas sees nothing wrong
    with pytest.raises(
        ArtifactError,
        match=r"incomplete: no row for timeseries/TwoLeadECG/spec_den/none/seed0, timeseries/TwoLeadECG/spec_den/none/seed1",
    ):
        read_summary(summary, RUNS, SUMMARY_COLUMNS)


def test_an_emptied_required_cell_is_named_by_column_and_line(summary):
    frame = pd.read_csv(summary)
    frame.loc[1, "clean_acc"] = None
    save_csv(summary, frame)
    with pytest.raises(ArtifactError, match="incomplete: column clean_acc is empty on line 3"):
        read_summary(summary, RUNS, SUMMARY_COLUMNS)
    # A column the reader does not require may be empty.
    assert len(read_summary(summary, RUNS, ["fgsm_acc"])) == len(RUNS)


def test_a_metrics_file_must_name_the_run_its_path_names(tmp_path):
    from signal_robustness.errors import ArtifactMismatchError
    from signal_robustness.io import save_json
    from signal_robustness.report.tables import collect_runs

    paths = []
    for i, run in enumerate(RUNS[:4]):
        path = tmp_path / "results" / run / "metrics.json"
        path.parent.mkdir(parents=True)
        save_json(path, {**run_identity(run), "clean_acc": 90.0 + i, "fgsm_acc": 40.0, "bim_acc": 10.0})
        paths.append(path)
    assert collect_runs(paths)["clean_acc"].tolist() == [90.0, 91.0, 92.0, 93.0]

    # Another seed's metrics copied in place: the table would show one model twice.
    paths[1].write_bytes(paths[0].read_bytes())
    with pytest.raises(
        ArtifactMismatchError, match=r"metrics\.json holds the metrics of .*'seed': 0.*, not the metrics of .*'seed': 1"
    ):
        collect_runs(paths)
    # A file rewritten by hand with one number in it.
    save_json(paths[1], {"clean_acc": 99.9})
    with pytest.raises(
        ArtifactError,
        match=r"seed1/metrics\.json is corrupt or truncated \(no dataset, method, feat_sim, seed, fgsm_acc, bim_acc\)",
    ):
        collect_runs(paths)
