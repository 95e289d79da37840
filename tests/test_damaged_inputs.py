"""Damaged copies of the real data in ../shared are refused, each with a message naming the file,
line or value at fault; results are written with the user's permissions and the same bytes every
time, and a damaged result is reported with its path and the remedy. The workflow-level versions
(nothing under results/, reruns after an edit) are in test_workflow_inputs.py."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile
import torch

from signal_robustness.data.audio import AudioDatasetError, clip_header_problems, load_clip, read_clip_table
from signal_robustness.data.ucr import load_ucr, load_ucr_files, suggest_ucr_name, ucr_source
from signal_robustness.errors import ArtifactError, DatasetError
from signal_robustness.io import (
    load_json,
    load_npy,
    load_npz,
    load_weights,
    read_csv,
    save_json,
    save_npz,
    save_state_dict,
)
from signal_robustness.joblog import log_to_file

# --- UCR ---------------------------------------------------------------------------------


def _rewrite_labels(path, labels):
    """Replace the label (first field) of the given 0-based rows of a UCR TSV."""
    lines = path.read_text().splitlines()
    for row, label in labels.items():
        lines[row] = label + lines[row][lines[row].index("\t") :]
    path.write_text("\n".join(lines) + "\n")


def test_one_and_one_point_zero_are_one_class(ucr_copy):
    original = load_ucr("TwoLeadECG", ucr_copy)
    train = ucr_copy / "TwoLeadECG" / "TwoLeadECG_TRAIN.tsv"
    first = {row: f"{float(line.split(chr(9))[0]):.1f}" for row, line in enumerate(train.read_text().splitlines()[:5])}
    _rewrite_labels(train, first)  # "1" -> "1.0", "2" -> "2.0" on the first five lines
    reloaded = load_ucr("TwoLeadECG", ucr_copy)
    assert list(reloaded.classes) == list(original.classes) == ["1", "2"]
    assert np.array_equal(reloaded.y_train, original.y_train) and np.array_equal(reloaded.y_test, original.y_test)


def test_labels_beyond_two_to_the_53_stay_apart(ucr_copy):
    original = load_ucr("TwoLeadECG", ucr_copy)
    big = {"1": str(2**53), "2": str(2**53 + 1)}  # one float64 for both
    for split in ("TRAIN", "TEST"):
        path = ucr_copy / "TwoLeadECG" / f"TwoLeadECG_{split}.tsv"
        lines = path.read_text().splitlines()
        _rewrite_labels(path, {row: big[line.split("\t")[0]] for row, line in enumerate(lines)})
    relabelled = load_ucr("TwoLeadECG", ucr_copy)
    assert list(relabelled.classes) == [str(2**53), str(2**53 + 1)]
    np.testing.assert_array_equal(relabelled.y_train, original.y_train)
    np.testing.assert_array_equal(relabelled.y_test, original.y_test)


def test_a_label_that_is_not_a_number_is_named_with_file_line_and_value(ucr_copy):
    train = ucr_copy / "TwoLeadECG" / "TwoLeadECG_TRAIN.tsv"
    _rewrite_labels(train, {6: "abc"})
    with pytest.raises(DatasetError) as error:
        load_ucr("TwoLeadECG", ucr_copy)
    assert str(error.value) == f"{train}, line 7: the label 'abc' is not a number (UCR labels are numbers)"


def test_a_training_split_of_one_class_is_refused_naming_the_dataset(ucr_copy):
    train = ucr_copy / "Coffee" / "Coffee_TRAIN.tsv"
    _rewrite_labels(train, {row: "0" for row in range(len(train.read_text().splitlines()))})
    with pytest.raises(
        DatasetError, match=r"UCR dataset 'Coffee': its training split holds one class \(0\); classification needs two"
    ):
        load_ucr("Coffee", ucr_copy)


def test_a_test_class_absent_from_training_is_named_in_plain_numbers(ucr_copy):
    test = ucr_copy / "TwoLeadECG" / "TwoLeadECG_TEST.tsv"
    _rewrite_labels(test, {3: "3.0"})
    with pytest.raises(DatasetError) as error:
        load_ucr("TwoLeadECG", ucr_copy)
    assert str(error.value) == "UCR dataset 'TwoLeadECG': test labels 3 never occur in training (training labels: 1, 2)"


def test_bundled_sets_are_read_from_their_files_like_archive_ones(shared_ucr, gunpoint):
    source = ucr_source("GunPoint", shared_ucr)
    from signal_robustness.data.ucr import ucr_files

    _, train, test = ucr_files("GunPoint", shared_ucr, None)
    assert source == "aeon-bundled" and train.name == "GunPoint_TRAIN.ts" and train.is_file() and test.is_file()
    again = load_ucr_files("GunPoint", train, test)
    assert np.array_equal(again.x_train, gunpoint.x_train) and list(again.classes) == ["1", "2"]


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("50words", "FiftyWords"),
        ("Gun_Point", "GunPoint"),
        ("wafer", "Wafer"),
        ("Lighting7", "Lightning7"),
        ("SonyAIBORobotSurfaceII", "SonyAIBORobotSurface2"),
        ("uWaveGestureLibrary_X", "UWaveGestureLibraryX"),
        ("TwoLeadEGC", "TwoLeadECG"),
    ],
)
def test_ucr_2015_names_and_typos_get_the_2018_name_back(typed, meant):
    assert suggest_ucr_name(typed) == meant
    with pytest.raises(DatasetError, match=f"did you mean {meant}\\?"):
        ucr_source(typed, None)


def test_a_name_like_no_ucr_set_gets_no_suggestion():
    assert suggest_ucr_name("MyOwnRecordings") is None


# --- audio -------------------------------------------------------------------------------


def test_a_clip_listed_twice_is_refused_naming_it_and_its_lines(esc50_copy):
    metadata = esc50_copy / "meta" / "esc50.csv"
    lines = metadata.read_text().splitlines()
    metadata.write_text("\n".join(lines + [lines[5]]) + "\n")
    name = lines[5].split(",")[0]
    with pytest.raises(AudioDatasetError, match=f"lists clips more than once: {name} \\(lines 6, {len(lines) + 1}\\)"):
        read_clip_table("esc10", esc50_copy)


def test_a_label_edited_into_another_class_s_id_is_refused(esc50_copy):
    metadata = esc50_copy / "meta" / "esc50.csv"
    table = pd.read_csv(metadata)
    row = table.index[table["category"] == "dog"][0]
    table.loc[row, "target"] = 10  # rain's id
    table.to_csv(metadata, index=False)
    with pytest.raises(
        AudioDatasetError, match="target 10 goes with category 'rain', 'dog' .*a label must name one class"
    ):
        read_clip_table("esc10", esc50_copy)


def _damage_clips(folder):
    """Truncated in transit, a 100-byte stub, a text file, and a clip cut to 3 s with a true header."""
    audio = sorted((folder / "audio").iterdir())
    truncated, stub, text, short = audio[0], audio[1], audio[2], audio[3]
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    stub.write_bytes(stub.read_bytes()[:100])
    text.write_text("this is not audio\n" * 20)
    samples, rate = soundfile.read(short)
    soundfile.write(short, samples[: 3 * rate], rate, subtype="PCM_16")
    return truncated, stub, text, short


def test_broken_clips_are_found_from_their_headers_each_by_name(esc50_copy):
    truncated, stub, text, short = _damage_clips(esc50_copy)
    problems = clip_header_problems("esc10", read_clip_table("esc10", esc50_copy), esc50_copy)
    assert problems == [
        f"audio file {truncated} is truncated: its header declares 5.000 s (220500 frames) but it holds 2.500 s (110239 frames)",
        f"audio file {stub} is truncated: its header declares 5.000 s (220500 frames) but it holds 0.001 s (28 frames)",
        f"cannot read audio file {text}: Format not recognised.",
        f"audio file {short} lasts 3.000 s; the dataset's clips last 5 s",
    ]
    # The job that decodes them refuses each the same way, with the decoder's reason where it has one.
    for path in (truncated, stub, text, short):
        with pytest.raises(AudioDatasetError, match=str(path)):
            load_clip(path, 22050, 5.0, min_duration=5.0)
    assert load_clip(sorted((esc50_copy / "audio").iterdir())[4], 22050, 5.0, min_duration=5.0).shape == (110250,)


def test_decoding_matches_librosa_s_loader_on_a_real_clip(esc50_copy):
    import librosa

    path = sorted((esc50_copy / "audio").iterdir())[0]
    expected = librosa.util.fix_length(librosa.load(path, sr=22050, mono=True)[0], size=5 * 22050)
    np.testing.assert_array_equal(load_clip(path, 22050, 5.0), expected)


# --- results: permissions, bytes, damage --------------------------------------------------


def _write_every_format(folder, seed=0):
    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Linear(4, 3)
    with torch.no_grad():
        model.weight.copy_(torch.randn(3, 4, generator=generator))
        model.bias.copy_(torch.randn(3, generator=generator))
    save_state_dict(folder / "model.pt", model)
    save_npz(folder / "data.npz", x=np.arange(12.0).reshape(3, 4), y=np.array([0, 1, 2]))
    save_json(folder / "metrics.json", {"accuracy": 93.5, "seed": seed})


def test_results_take_the_umask_s_permissions_and_the_same_bytes_every_time(tmp_path):
    previous = os.umask(0o022)
    try:
        _write_every_format(tmp_path / "first")
    finally:
        os.umask(previous)
    for path in (tmp_path / "first").iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path
    import time

    time.sleep(2.1)  # zip time stamps have a 2 s resolution: a later write must still match
    _write_every_format(tmp_path / "second")
    for name in ("model.pt", "data.npz", "metrics.json"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_damaged_result_names_its_path_and_the_remedy(ucr_copy, tmp_path):
    splits = load_ucr("TwoLeadECG", ucr_copy)
    save_npz(tmp_path / "data.npz", **splits.arrays())
    _write_every_format(tmp_path)
    np.save(tmp_path / "images.npy", np.zeros((4, 8), dtype=np.float32))
    (tmp_path / "clips.csv").write_bytes(b"")
    for name, reader in (
        ("data.npz", load_npz),
        ("model.pt", load_weights),
        ("metrics.json", load_json),
        ("images.npy", load_npy),
    ):
        path = tmp_path / name
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(ArtifactError) as error:
            reader(path)
        assert str(error.value).startswith(f"{path} is corrupt or truncated (")
        assert str(error.value).endswith("delete it and rerun snakemake, which makes it again.")
    with pytest.raises(ArtifactError, match="clips.csv is corrupt or truncated"):
        read_csv(tmp_path / "clips.csv")


def test_a_job_reports_refused_input_as_one_line_without_a_traceback(tmp_path):
    log = tmp_path / "job.log"
    (tmp_path / "data.npz").write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(SystemExit) as stop:
        with log_to_file(log):
            load_npz(tmp_path / "data.npz")
    message = f"error: {tmp_path / 'data.npz'} is corrupt or truncated"
    assert str(stop.value.code).startswith(message)
    assert log.read_text().startswith(message) and "Traceback" not in log.read_text()


def test_a_finished_job_ends_its_log_with_one_line_naming_what_it_wrote(tmp_path):
    log, table, folder = tmp_path / "job.log", tmp_path / "summary.csv", tmp_path / "source"
    with log_to_file(log, [table, folder, tmp_path / "never.csv"]):
        table.write_text("a,b\n1,2\n")
        folder.mkdir()
        for name in ("x.wav", "y.wav"):
            (folder / name).write_bytes(b"\0" * 1500)
    last = log.read_text().splitlines()[-1]
    assert "done in " in last
    assert f"wrote {table} (8 B); {folder} (2 files, 3.0 kB); {tmp_path / 'never.csv'} (not written)" in last


def test_weights_that_are_not_a_state_dict_or_do_not_fit_are_refused_naming_the_file(ucr_copy, tmp_path):
    import pickle

    from signal_robustness.io import load_state_dict, save_state_dict
    from signal_robustness.models import build_model

    coffee, ecg = load_ucr("Coffee", ucr_copy), load_ucr("TwoLeadECG", ucr_copy)
    weights = tmp_path / "model.pt"
    torch.manual_seed(0)
    save_state_dict(weights, build_model("resnet1d", in_channels=1, n_classes=coffee.n_classes))
    load_state_dict(weights, build_model("resnet1d", in_channels=1, n_classes=ecg.n_classes))  # same shapes: loads

    remedy = "delete it and rerun snakemake, which makes it again."
    (tmp_path / "random.pt").write_bytes(np.random.default_rng(0).bytes(4096))
    (tmp_path / "pickled.pt").write_bytes(pickle.dumps({"weight": np.arange(3)}))
    for name in ("random.pt", "pickled.pt"):
        with pytest.raises(ArtifactError) as error:
            load_state_dict(tmp_path / name, build_model("resnet1d", in_channels=1, n_classes=2))
        message = str(error.value)
        assert message.startswith(f"{tmp_path / name} is corrupt or truncated (") and message.endswith(remedy)
        assert "weights_only=False" not in message
    with pytest.raises(ArtifactError) as error:
        load_state_dict(weights, build_model("resnet1d", in_channels=1, n_classes=5))
    assert str(error.value).startswith(f"{weights} is corrupt or truncated (its weights do not fit the ")
    assert "size mismatch" in str(error.value) and str(error.value).endswith(remedy)


def test_a_rerun_job_removes_what_a_killed_one_left_half_written(tmp_path):
    import signal
    import subprocess
    import sys
    import textwrap

    output = tmp_path / "images.npy"
    writer = textwrap.dedent(
        f"""
        from signal_robustness.io import npy_writer
        with npy_writer({str(output)!r}, (64, 1024, 1024)) as images:
            images[:8] = 1.0
            print("writing", flush=True)
            import time; time.sleep(60)
        """
    )
    job = subprocess.Popen([sys.executable, "-c", writer], stdout=subprocess.PIPE, text=True)
    assert job.stdout.readline().strip() == "writing"
    job.send_signal(signal.SIGKILL)  # kill -9: no clean-up runs
    job.wait()
    leftovers = list(tmp_path.glob(".images.npy.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 256 * 1024**2
    unrelated = tmp_path / ".other.npy.0123456789ab.tmp"
    unrelated.write_bytes(b"another output's")

    with log_to_file(tmp_path / "job.log", [output]):
        pass
    assert not leftovers[0].exists() and unrelated.exists()
    assert (
        f"removed {leftovers[0]}, left by an earlier run of this job that was killed"
        in (tmp_path / "job.log").read_text()
    )


def _edit_metadata(folder, edit):
    path = folder / "meta" / "esc50.csv"
    table = pd.read_csv(path)
    edit(table)
    table.to_csv(path, index=False)
    return path


def test_an_esc10_column_of_true_and_1_keeps_every_class_and_other_values_are_named(esc50_copy):
    original = read_clip_table("esc10", esc50_copy)
    first_dog = int(pd.read_csv(esc50_copy / "meta" / "esc50.csv").query("target == 0 and esc10").index[0])

    def mixed(table):
        table["esc10"] = table["esc10"].map({True: "True", False: "False"})
        table.loc[table["target"] == 0, "esc10"] = "1"  # one class written as 1, as a spreadsheet exports it

    _edit_metadata(esc50_copy, mixed)
    assert read_clip_table("esc10", esc50_copy)["target"].tolist() == original["target"].tolist()

    path = _edit_metadata(esc50_copy, lambda table: table.__setitem__("esc10", table["esc10"].astype(object)))
    table = pd.read_csv(path)
    table.loc[first_dog, "esc10"] = "yes"
    table.to_csv(path, index=False)
    with pytest.raises(
        AudioDatasetError, match=rf"column 'esc10' of .*esc50\.csv must be True or False: line {first_dog + 2}: 'yes'"
    ):
        read_clip_table("esc10", esc50_copy)


@pytest.mark.parametrize("name", ["../../elsewhere.wav", "/etc/elsewhere.wav", "sub/clip.wav"])
def test_a_metadata_row_naming_a_path_outside_the_audio_folder_is_refused(esc50_copy, name):
    path = _edit_metadata(esc50_copy, lambda table: table.__setitem__("filename", table["filename"].astype(object)))
    table = pd.read_csv(path)
    row = int(table.index[table["esc10"]][0])
    table.loc[row, "filename"] = name
    table.to_csv(path, index=False)
    with pytest.raises(
        AudioDatasetError, match=rf"lists clips that are not plain file names: line {row + 2}: '{re.escape(name)}'"
    ):
        read_clip_table("esc10", esc50_copy)


def test_float_clips_with_nan_or_beyond_unit_range_are_refused_naming_the_file(esc50_copy):
    clips = sorted((esc50_copy / "audio").glob("*.wav"))
    samples, rate = soundfile.read(clips[0], dtype="float32")
    loud, broken = clips[0], clips[1]
    soundfile.write(loud, samples / max(np.abs(samples).max(), 1e-6) * 100.0, rate, subtype="FLOAT")
    with_nan = samples.copy()
    with_nan[1000] = np.nan
    soundfile.write(broken, with_nan, rate, subtype="FLOAT")
    with pytest.raises(
        AudioDatasetError, match=rf"{re.escape(str(loud))} holds samples up to 100; audio samples lie in \[-1, 1\]"
    ):
        load_clip(loud, 16000, 5.0, 5.0)
    with pytest.raises(AudioDatasetError, match=rf"{re.escape(str(broken))} holds non-finite samples"):
        load_clip(broken, 16000, 5.0, 5.0)


def test_a_comma_separated_or_tab_ended_ucr_file_is_named_for_what_it_is(ucr_copy):
    train = ucr_copy / "TwoLeadECG" / "TwoLeadECG_TRAIN.tsv"
    train.write_text(train.read_text().replace("\t", ","))
    with pytest.raises(DatasetError, match=r"TwoLeadECG_TRAIN\.tsv, line 1 is comma-separated; UCR files separate"):
        load_ucr("TwoLeadECG", ucr_copy)
    test = ucr_copy / "Coffee" / "Coffee_TEST.tsv"
    lines = test.read_text().splitlines()
    lines[6] += "\t"
    test.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"Coffee_TEST\.tsv, line 7 ends with a tab \(an empty last value\)"):
        load_ucr("Coffee", ucr_copy)


def test_another_run_s_weights_copied_in_place_are_refused_naming_both(ucr_copy, tmp_path):
    import shutil

    from signal_robustness.errors import ArtifactMismatchError
    from signal_robustness.io import load_state_dict, save_state_dict
    from signal_robustness.models import build_model

    runs = {
        name: tmp_path / "results" / "timeseries" / name / "baseline" / "none" / "seed0"
        for name in ("Coffee", "TwoLeadECG")
    }
    for name, folder in runs.items():
        torch.manual_seed(len(name))
        save_state_dict(folder / "model.pt", build_model("resnet1d", 1, load_ucr(name, ucr_copy).n_classes))
    # Both binary: Coffee's ResNet loads into TwoLeadECG's network without a shape error.
    shutil.copy2(runs["Coffee"] / "model.pt", runs["TwoLeadECG"] / "model.pt")
    with pytest.raises(ArtifactMismatchError) as error:
        load_state_dict(runs["TwoLeadECG"] / "model.pt", build_model("resnet1d", 1, 2))
    assert str(error.value) == (
        f"{runs['TwoLeadECG'] / 'model.pt'} holds the weights of timeseries/Coffee/baseline/none/seed0/model.pt, "
        "not the weights of timeseries/TwoLeadECG/baseline/none/seed0/model.pt: it was made for another run or "
        "copied in place. Delete it and rerun snakemake, which makes it again."
    )
    # A whole results folder moved elsewhere keeps its identities.
    shutil.copytree(tmp_path / "results", tmp_path / "moved" / "results")
    load_state_dict(
        tmp_path / "moved" / "results" / "timeseries" / "Coffee" / "baseline" / "none" / "seed0" / "model.pt",
        build_model("resnet1d", 1, 2),
    )


def test_a_dataset_nobody_may_read_is_named_before_any_job(shared_ucr, esc50_copy, repo):
    """Run as an ordinary user (root reads everything): a UCR folder and an ESC-50 metadata
    file without read permission stop validation, each named, with no traceback."""
    import shutil
    import subprocess
    import sys
    import tempfile

    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the check as an ordinary user")
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    if subprocess.run([*as_nobody, "-c", "import signal_robustness"], capture_output=True).returncode != 0:
        pytest.skip("an ordinary user cannot run this environment's Python")
    folder = Path(tempfile.mkdtemp(prefix="unreadable-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        shutil.copytree(shared_ucr / "Coffee", folder / "ucr" / "Coffee")
        shutil.copytree(esc50_copy, folder / "esc50")
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        (folder / "ucr" / "Coffee").chmod(0o000)
        (folder / "esc50" / "meta" / "esc50.csv").chmod(0o000)
        script = f"""
import yaml
from signal_robustness.config import ConfigError, load_schema, validate_config
config = yaml.safe_load(open({str(repo / "config" / "config.yaml")!r}))
config.update(ucr_archive_dir={str(folder / "ucr")!r})
config["timeseries"]["datasets"] = ["Coffee"]
config["audio"]["datasets"] = ["esc10"]
config["audio"]["local_dirs"]["esc50"] = {str(folder / "esc50")!r}
try:
    validate_config(config, load_schema({str(repo / "workflow" / "schemas" / "config.schema.yaml")!r}))
except ConfigError as error:
    print(error)
"""
        done = subprocess.run([*as_nobody, "-c", script], capture_output=True, text=True, cwd=folder)
    finally:
        subprocess.run(["chmod", "-R", "u+rwX", str(folder)], check=True)
        shutil.rmtree(folder)
    assert "Traceback" not in done.stderr, done.stderr
    assert f"{folder / 'ucr' / 'Coffee'}" in done.stdout and "cannot be read (permission denied)" in done.stdout
    assert f"{folder / 'esc50' / 'meta' / 'esc50.csv'} cannot be read (permission denied)" in done.stdout
