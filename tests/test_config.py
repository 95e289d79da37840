"""Config validation: the defaults pass; every bad key or value is named before any job."""

from __future__ import annotations

import re

import pytest
import yaml

from signal_robustness.config import ConfigError, MissingDataError, config_file_problems, validate_config
from signal_robustness.train.classifier import timeseries_training_settings


def _schema_keys(schema: dict, prefix: str = "") -> list[str]:
    keys = []
    for name, sub in schema.get("properties", {}).items():
        key = f"{prefix}{name}"
        keys.append(key)
        keys.extend(_schema_keys(sub, key + "."))
    return keys


def test_default_config_is_valid(default_config, schema):
    validate_config(default_config, schema)
    settings = timeseries_training_settings(default_config["timeseries"])
    assert settings.epochs == default_config["timeseries"]["epochs"]


def test_every_schema_key_is_documented(schema, repo):
    readme = (repo / "config" / "README.md").read_text()
    documented = set(re.findall(r"`([a-z_][a-z0-9_.]*)`", readme))
    missing = [key for key in _schema_keys(schema) if key not in documented]
    assert not missing, f"config/README.md does not document {missing}"


def _problems(config, schema) -> str:
    with pytest.raises(ConfigError) as error:
        validate_config(config, schema)
    return str(error.value)


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (("timeseries", "attacks", "fgsm", "eps"), -0.1, "timeseries.attacks.fgsm.eps': -0.1"),
        (("timeseries", "attacks", "bim", "eps"), -1, "timeseries.attacks.bim.eps': -1"),
        (("timeseries", "epochs"), -5, "timeseries.epochs': -5"),
        (("timeseries", "epochs"), 2.5, "timeseries.epochs': 2.5"),
        (("seeds",), [], "seeds"),
        (("device",), "gpu", "device': 'gpu'"),
        (("timeseries", "lr_plateau", "factor"), 1.5, "timeseries.lr_plateau.factor': 1.5"),
        (("defense", "n_directions"), 0, "defense.n_directions': 0"),
        (("defense", "radius_grid"), [1.0, 0.0], "defense.radius_grid.1': 0.0"),
        (("defense", "radius_grid"), [-2.0], "defense.radius_grid.0': -2.0"),
        (("defense", "eps"), -0.05, "defense.eps': -0.05"),
        (("defense", "eps_grid"), [0.0, -0.1], "defense.eps_grid.1': -0.1"),
        (("defense", "adaptive", "eot_samples"), 0, "defense.adaptive.eot_samples': 0"),
        (("timeseries", "augment", "beta"), 0.0, "timeseries.augment.beta': 0.0"),
        (("timeseries", "augment", "eps_range"), [-0.1, 0.3], "timeseries.augment.eps_range.0': -0.1"),
        (("timeseries", "augment", "eps_range"), [0.3, 0.1], "timeseries.augment.eps_range': [0.3, 0.1]"),
        (("timeseries", "augment", "energy_fraction"), 1.0, "timeseries.augment.energy_fraction': 1.0"),
        (("timeseries", "augment", "perturb_fraction"), 0.0, "timeseries.augment.perturb_fraction': 0.0"),
        (("timeseries", "methods"), ["baseline", "mixup"], "timeseries.methods.1': 'mixup'"),
        (("audio", "datasets"), ["esc50", "librispeech"], "audio.datasets.1': 'librispeech' is not one of"),
        (("audio", "representations"), ["mfcc"], "audio.representations.0': 'mfcc' is not one of"),
        (("audio", "models"), ["resnet50"], "audio.models.0': 'resnet50' is not one of"),
        (("audio", "sample_rate"), 12345, "audio.sample_rate': 12345 is not one of"),
        (("audio", "adversarial_training", "alpha"), 1.5, "audio.adversarial_training.alpha': 1.5"),
        (("audio", "adversarial_training", "epsilon"), 0, "audio.adversarial_training.epsilon': 0"),
        (("audio", "split", "protocol"), "leave-one-out", "audio.split.protocol'"),
        (("audio", "training", "batch_norm_images"), 0, "audio.training.batch_norm_images': 0"),
        (("audio", "training", "fine_tuned_layers"), "last", "audio.training.fine_tuned_layers': 'last'"),
        (
            ("audio", "attacks", "methods", "bim_a", "params", "target_probability"),
            "high",
            "audio.attacks.methods.bim_a': bim_a target_probability must be a number in (0, 1) or null, got 'high'",
        ),
        (("robustness", "eps_fractions"), [0.5, 1.0], "robustness.eps_fractions': [0.5, 1.0] must hold 0"),
        (("robustness", "eps_fractions"), [0.0, 1.5], "robustness.eps_fractions.1': 1.5"),
        (("robustness", "zero_budget_points"), 0, "robustness.zero_budget_points': 0"),
        (("robustness", "cascade"), "yes", "robustness.cascade': 'yes'"),
        (("robustness", "timeseries", "eps"), {"l1": 0.1}, "robustness.timeseries.eps.l1' is not a known key"),
        (("robustness", "timeseries", "eps", "linf"), 0.0, "robustness.timeseries.eps.linf': 0.0"),
        (("robustness", "apgd", "steps"), 0, "robustness.apgd.steps': 0"),
        (("robustness", "seeds"), [0, 3], "robustness.seeds': [3] are not in 'seeds' [0]"),
        # Numbers a schema's "number" lets through.
        (("timeseries", "attacks", "fgsm", "eps"), float("inf"), "timeseries.attacks.fgsm.eps': inf is not a finite"),
        (("defense", "eps"), float("nan"), "defense.eps': nan is not a finite number"),
        (("timeseries", "noise_sigma"), float("inf"), "timeseries.noise_sigma': inf is not a finite number"),
        (("seeds",), [0, 2**40], "seeds.1': seed 1099511627776 is outside 0..4294967295"),
        (("defense", "defense_seed"), -1, "defense.defense_seed': seed -1 is outside"),
    ],
)
def test_bad_values_are_named(default_config, schema, path, value, expected):
    section = default_config
    for key in path[:-1]:
        section = section[key]
    section[path[-1]] = value
    assert expected in _problems(default_config, schema)


def test_unknown_keys_are_named_at_every_level(default_config, schema):
    default_config["epochs"] = 10
    default_config["timeseries"]["attacks"]["fgsm"]["epsilon"] = 0.1
    message = _problems(default_config, schema)
    assert "'epochs' is not a known key" in message
    assert "'timeseries.attacks.fgsm.epsilon' is not a known key" in message


def test_unknown_attack_name_is_named(default_config, schema):
    default_config["defense"]["attacks"]["jsma"] = {}
    assert "'defense.attacks.jsma' is not a known key" in _problems(default_config, schema)


def test_defended_seeds_must_be_trained(default_config, schema):
    default_config["seeds"] = [0, 1]
    default_config["defense"]["seeds"] = [1, 7]
    assert "defense.seeds': [7]" in _problems(default_config, schema)


def test_robust_accuracy_of_audio_models_needs_a_seed_they_were_trained_with(default_config, schema):
    default_config["seeds"] = [0, 1]
    default_config["robustness"]["seeds"] = [1]
    assert "robustness.audio': no seed is in both 'robustness.seeds' [1] and 'audio.seeds' [0]" in _problems(
        default_config, schema
    )


def test_smoothing_without_a_noise_trained_model_is_refused_not_silently_skipped(default_config, schema):
    default_config["timeseries"]["methods"] = ["baseline", "spec_den"]
    validate_config(default_config, schema)  # the Gaussian-noise-trained audio models are still certified
    default_config["audio"]["noise_training"] = None
    assert "'robustness.smoothing': no model to certify: add gaussian_noise" in _problems(default_config, schema)
    default_config["robustness"]["smoothing"] = None  # switched off: nothing to refuse
    validate_config(default_config, schema)


def test_the_benchmark_s_certified_column_must_be_certifiable(default_config, schema):
    from signal_robustness.config import max_certifiable_radius
    from signal_robustness.evaluate.smoothing import certified_radius, lower_confidence_bound

    smoothing = default_config["robustness"]["smoothing"]  # sigmas [0.25, 0.5], n 200, alpha 0.001
    default_config["benchmark"]["certified"] = {"radius": 0.25, "sigma": 0.3}
    message = _problems(default_config, schema)
    assert "'benchmark.certified.sigma': 0.3 is not certified" in message and "[0.25, 0.5]" in message
    default_config["benchmark"]["certified"]["sigma"] = None  # the smallest certified
    validate_config(default_config, schema)
    # A radius no point can reach is a column of zeros: refused, naming the largest reachable.
    reach = max_certifiable_radius(0.25, smoothing["n"], smoothing["alpha"])
    assert reach == pytest.approx(certified_radius(lower_confidence_bound(200, 200, 0.001), 0.25), rel=1e-9)
    default_config["benchmark"]["certified"]["radius"] = 0.5
    message = _problems(default_config, schema)
    assert "'benchmark.certified.radius': 0.5 can never be certified with sigma 0.25" in message
    assert f"at most {reach:.3g}" in message
    default_config["benchmark"]["certified"]["sigma"] = 0.5  # a wider noise reaches it
    validate_config(default_config, schema)
    default_config["benchmark"]["certified"] = {"radius": -1, "sigma": None}
    assert "benchmark.certified.radius" in _problems(default_config, schema)
    default_config["benchmark"]["certified"] = {"radius": 0.25, "sigma": None}
    default_config["robustness"]["smoothing"] = None  # nothing certified: refused, not left out
    assert "'benchmark.certified': no model is certified" in _problems(default_config, schema)


def test_two_names_for_one_reading_of_out_sign_grad_are_refused(default_config, schema):
    default_config["timeseries"]["methods"] = ["baseline", "out_sign_grad", "out_sign_grad_online"]
    validate_config(default_config, schema)  # the key on baseline: both readings
    default_config["timeseries"]["augment"]["out_sign_grad_model"] = "online"
    assert "both be the online reading" in _problems(default_config, schema)


def test_all_problems_are_reported_at_once(default_config, schema):
    default_config["timeseries"]["epochs"] = 0
    default_config["device"] = "tpu"
    message = _problems(default_config, schema)
    assert "timeseries.epochs" in message and "device" in message


def test_unknown_dataset_is_named(default_config, schema):
    default_config["timeseries"]["datasets"] = ["GunPoint", "GunPointt"]
    assert "GunPointt" in _problems(default_config, schema)


def test_missing_archive_dir_is_named(default_config, schema, tmp_path):
    default_config["ucr_archive_dir"] = str(tmp_path / "nowhere")
    assert "ucr_archive_dir" in _problems(default_config, schema) and "nowhere" in _problems(default_config, schema)


def test_malformed_archive_file_is_named(default_config, schema, tmp_path):
    (tmp_path / "Broken").mkdir()
    (tmp_path / "Broken" / "Broken_TRAIN.tsv").write_text("1\t0.5\tx\n2\t0.1\t0.2\n")
    (tmp_path / "Broken" / "Broken_TEST.tsv").write_text("1\t0.5\t0.3\n")
    default_config["ucr_archive_dir"] = str(tmp_path)
    default_config["timeseries"]["datasets"] = ["Broken"]
    message = _problems(default_config, schema)
    assert "Broken" in message and "non-numeric" in message


def test_local_archive_config_is_valid(default_config, schema, shared_ucr):
    default_config["ucr_archive_dir"] = str(shared_ucr)
    default_config["timeseries"]["datasets"] = ["TwoLeadECG", "Coffee", "GunPoint"]
    validate_config(default_config, schema)


def test_missing_data_is_listed_with_how_to_get_it(default_config, schema, tmp_path):
    # Present: a local archive copy, aeon's bundle, aeon's download cache. Missing: Adiac, UrbanSound8K.
    local = tmp_path / "archive" / "TwoLeadECG"
    local.mkdir(parents=True)
    for split in ("TRAIN", "TEST"):
        (local / f"TwoLeadECG_{split}.tsv").write_text("1\t0.1\t0.5\t0.2\n2\t0.9\t0.1\t0.4\n")
    cached = tmp_path / "ucr" / "CricketX"
    cached.mkdir(parents=True)
    (cached / "CricketX_TRAIN.ts").write_text("")
    default_config.update(
        missing_data="stop", ucr_archive_dir=str(tmp_path / "archive"), download_dir=str(tmp_path / "ucr")
    )
    default_config["timeseries"]["datasets"] = ["TwoLeadECG", "CricketX", "Adiac", "GunPoint"]
    default_config["audio"]["datasets"] = ["synthetic", "urbansound8k"]
    default_config["audio"]["download_dir"] = str(tmp_path / "audio")
    with pytest.raises(MissingDataError) as error:
        validate_config(default_config, schema)
    missing = error.value.problems
    assert len(missing) == 2, missing
    assert "'Adiac'" in missing[0] and str(tmp_path / "ucr" / "Adiac") in missing[0]
    assert "'urbansound8k'" in missing[1] and "audio.local_dirs.urbansound8k" in missing[1]
    message = str(error.value)
    assert "missing_data=download" in message and "download_data" in message and "'ucr_archive_dir'" in message
    # The same config downloads instead of stopping.
    default_config["missing_data"] = "download"
    validate_config(default_config, schema)


# --- audio -------------------------------------------------------------------------------


def test_audio_relations_between_keys_are_checked(default_config, schema):
    audio = default_config["audio"]
    audio["cwt"]["sample_rate"] = 44100  # above the 22050 Hz clips are resampled to
    audio["split"]["train_folds"] = 6  # of 5 folds
    audio["models"] = ["alexnet"]  # needs 63 x 63, the default images are 32 x 32
    problems = _problems(default_config, schema)
    assert "'audio.cwt.sample_rate': synthetic's CWT rate 44100 Hz exceeds 'audio.sample_rate' 22050 Hz" in problems
    assert "'audio.split.train_folds': 6 exceeds 'audio.split.cv_folds' 5" in problems
    assert "'audio.image': alexnet needs images of at least 63 x 63, got 32 x 32" in problems


def test_audio_folder_without_its_metadata_is_named(default_config, schema, tmp_path):
    default_config["audio"]["datasets"] = ["urbansound8k"]
    default_config["audio"]["local_dirs"]["urbansound8k"] = str(tmp_path)
    problems = _problems(default_config, schema)
    assert "audio.local_dirs.urbansound8k" in problems and "metadata/UrbanSound8K.csv" in problems
    default_config["audio"]["local_dirs"]["urbansound8k"] = str(tmp_path / "absent")
    assert "is not a folder" in _problems(default_config, schema)


def test_missing_pretrained_weights_are_named(default_config, schema, tmp_path):
    default_config["audio"]["pretrained_weights"] = {"resnet18": str(tmp_path / "resnet18.pth")}
    assert "'audio.pretrained_weights.resnet18'" in _problems(default_config, schema)


def test_freezing_pretrained_layers_needs_a_pretrained_model(default_config, schema, tmp_path):
    default_config["audio"]["training"]["fine_tuned_layers"] = "input_output"
    assert "every layer would learn" in _problems(default_config, schema)
    (tmp_path / "resnet18.pth").write_bytes(b"")
    default_config["audio"]["pretrained_weights"] = {"resnet18": str(tmp_path / "resnet18.pth")}
    validate_config(default_config, schema)  # one pretrained model is enough


def test_local_esc10_config_is_valid(default_config, schema, repo):
    mini = repo.parent / "shared" / "data" / "esc50-mini"
    if not (mini / "meta" / "esc50.csv").is_file():
        pytest.skip("../shared/data/esc50-mini is not present")
    default_config["audio"]["datasets"] = ["esc10"]
    default_config["audio"]["local_dirs"]["esc50"] = str(mini)
    validate_config(default_config, schema)


def test_a_split_the_data_cannot_give_is_refused_before_any_job(default_config, schema):
    default_config["audio"]["synthetic"]["clips_per_class"] = 5  # 3 development clips per class for 5 folds
    assert (
        "config key 'audio.split': synthetic: its smallest class may keep only 3 development clips, fewer than 5 folds"
        in _problems(default_config, schema)
    )


def test_an_official_test_fold_missing_from_a_local_dataset_is_named(default_config, schema, repo):
    mini = repo.parent / "shared" / "data" / "esc50-mini"
    if not (mini / "meta" / "esc50.csv").is_file():
        pytest.skip("../shared/data/esc50-mini is not present")
    default_config["audio"]["datasets"] = ["esc10"]
    default_config["audio"]["local_dirs"]["esc50"] = str(mini)
    default_config["audio"]["split"]["protocol"] = "official"  # the mini set has folds 3, 4 and 5 only
    assert "esc10: test_fold 1 is not one of the dataset's folds [3, 4, 5]" in _problems(default_config, schema)


def test_every_bad_attack_search_is_named_at_once(default_config, schema):
    methods = default_config["audio"]["attacks"]["methods"]
    methods["jsma"]["grid"] = [0.1, 1.5]  # gamma above 1
    methods["bim_a"]["grid"] = [2.0, 1.0]  # decreasing
    methods["cw"]["params"]["stepsiz"] = 0.1  # misspelt
    methods["deepfool"]["budget"] = "eps"  # DeepFool's budget is its steps
    methods["zoo"] = {"budget": "epsilon", "grid": [0.1]}  # no attack of this workflow
    problems = _problems(default_config, schema)
    assert "'audio.attacks.methods.jsma': jsma gamma must lie in (0, 1], got 1.5" in problems
    assert "'audio.attacks.methods.bim_a': bim_a: the budget grid must increase strictly" in problems
    assert "'audio.attacks.methods.cw'" in problems and "stepsiz" in problems
    assert "'audio.attacks.methods.deepfool': deepfool has no parameter 'eps'" in problems
    assert "'audio.attacks.methods.zoo': unknown attack 'zoo'" in problems


def test_a_jsma_grid_its_iteration_cap_cannot_reach_is_refused(default_config, schema, repo):
    """JSMA changes one feature per iteration (theta = 1 on [0, 1]): on 768 x 1568 images with
    540 tonnetz rows, gamma 0.001 means 2,050 features, beyond the paper's 1,000 iterations, and
    the AUC would be read at a gamma never attained. Refused, naming each representation."""
    paper = yaml.safe_load((repo / "config" / "paper.yaml").read_text())
    audio = default_config["audio"]
    audio["image"] = {
        **audio["image"],
        **{k: paper["audio"]["image"][k] for k in ("height", "width", "tonnetz_height")},
    }
    audio["representations"] = ["stft", "cwt_tonnetz"]
    audio["attacks"]["methods"]["jsma"] = paper["audio"]["attacks"]["methods"]["jsma"]
    validate_config(default_config, schema)  # the paper's grid ends within reach
    audio["attacks"]["methods"]["jsma"]["grid"] = [0.0001, 0.0005, 0.001]
    problems = _problems(default_config, schema)
    assert "gamma 0.001 changes 2,050 of the 2,050,944 features of a cwt_tonnetz image" in problems
    assert "gamma 0.001 changes 1,204 of the 1,204,224 features of a stft image" in problems
    assert "at most 0.000488 or raise max_iterations" in problems
    audio["attacks"]["methods"]["jsma"]["params"]["max_iterations"] = 2050
    validate_config(default_config, schema)


def test_no_attack_search_is_a_valid_config(default_config, schema):
    default_config["audio"]["attacks"]["methods"] = {}
    validate_config(default_config, schema)


def test_audio_defence_needs_a_seed_shared_with_the_audio_models(default_config, schema):
    default_config["seeds"] = [0, 1]
    default_config["defense"]["seeds"] = [1]
    default_config["defense"]["audio"] = {"n_test": 10, "eps": 0.03, "eps_grid": [0.0, 0.03], "radius_grid": [1.0]}
    assert "config key 'defense.audio': no seed is in both 'defense.seeds' [1] and 'audio.seeds' [0]" in _problems(
        default_config, schema
    )
    default_config["audio"]["seeds"] = [0, 1]
    validate_config(default_config, schema)


def test_attacked_seeds_must_be_trained_seeds(default_config, schema):
    default_config["seeds"] = [0, 1, 2]
    default_config["audio"]["seeds"] = [0, 1, 4]
    default_config["audio"]["attacks"]["seeds"] = [0, 2]
    message = _problems(default_config, schema)
    assert "config key 'audio.seeds': [4] are not in 'seeds' [0, 1, 2]" in message
    assert "config key 'audio.attacks.seeds': [2] are not in 'audio.seeds' [0, 1, 4]" in message


def test_an_eps_curve_with_bim_at_eps_0_is_refused_before_any_job(default_config, schema):
    default_config["timeseries"]["attacks"]["bim"]["eps"] = 0.0
    assert "'timeseries.attacks.bim.eps': 0 leaves no step-to-budget ratio" in _problems(default_config, schema)
    default_config["timeseries"]["attacks"]["eps_curve"] = None  # no curve: eps 0 is the clean accuracy
    validate_config(default_config, schema)


def test_config_files_are_read_strictly_naming_file_and_key(tmp_path):
    duplicated = tmp_path / "duplicated.yaml"
    duplicated.write_text("seeds: [0]\ntimeseries:\n  epochs: 5\n  epochs: 50\nseeds: [1]\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing but a comment\n")
    levels = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\n")  # 9**9 strings in 9 lines

    problems = config_file_problems([duplicated, empty, bomb])
    assert problems[:2] == [
        f"config file {duplicated}: key 'timeseries.epochs' is written twice (lines 3 and 4); YAML keeps the last silently",
        f"config file {duplicated}: key 'seeds' is written twice (lines 1 and 5); YAML keeps the last silently",
    ]
    assert problems[2] == f"config file {empty} is empty"
    expanded = re.fullmatch(
        rf"config file {re.escape(str(bomb))}: its anchors and aliases expand to ([\d,]+) values .*", problems[3]
    )
    assert expanded and int(expanded.group(1).replace(",", "")) > 9**9
    assert len(problems) == 4


def test_the_shipped_config_files_read_cleanly(repo):
    shipped = sorted((repo / "config").glob("*.yaml")) + [repo / ".test" / "config" / "config.yaml"]
    assert config_file_problems(shipped) == []


def test_a_duplicated_key_stops_the_workflow_before_any_job(repo, tmp_path):
    from workflow_runs import snakemake

    config = tmp_path / "mine.yaml"
    config.write_text("seeds: [0]\nseeds: [0, 1]\n")
    done = snakemake(repo, tmp_path, "-n", "--configfile", str(config), timeout=120)
    assert done.returncode != 0
    assert f"config file {config}: key 'seeds' is written twice (lines 1 and 2)" in done.stderr + done.stdout
    assert not (tmp_path / "results").exists()


def test_renamed_keys_and_values_are_refused_with_their_new_names(default_config, schema):
    # A config written for an earlier version, merged over the defaults as Snakemake merges it.
    audio = default_config["audio"]
    audio["dwt"] = {"wavelet": "cmor1.5-1.0"}
    audio["attacks"]["methods"]["nes"] = {"budget": "epsilon", "grid": [0.1]}
    audio["representations"] = ["stft", "dwt", "dwt_tonnetz"]
    problems = _problems(default_config, schema)
    assert "config key 'audio.dwt' was renamed to 'audio.cwt'" in problems
    assert "config key 'audio.attacks.methods.nes' was renamed to 'audio.attacks.methods.pia'" in problems
    assert "config key 'audio.representations': 'dwt' was renamed to 'cwt'" in problems
    assert "config key 'audio.representations': 'dwt_tonnetz' was renamed to 'cwt_tonnetz'" in problems
    assert "is not a known key" not in problems and "is not one of" not in problems


def test_an_old_config_file_stops_the_workflow_naming_the_new_key(repo, tmp_path):
    from workflow_runs import snakemake

    config = tmp_path / "old.yaml"
    config.write_text("audio:\n  representations: [stft, dwt_tonnetz]\n  dwt: {min_frequency: 60.0}\n")
    done = snakemake(repo, tmp_path, "-n", "--configfile", str(config), timeout=120)
    assert done.returncode != 0
    output = done.stderr + done.stdout
    assert "config key 'audio.dwt' was renamed to 'audio.cwt'" in output
    assert "config key 'audio.representations': 'dwt_tonnetz' was renamed to 'cwt_tonnetz'" in output
    assert not (tmp_path / "results").exists()


def test_the_config_checker_names_the_file_snakemake_does_not(repo, tmp_path):
    # Snakemake reads --configfile before the workflow: for these it names no file, or gives
    # a traceback. The checker the README points to names the file and the line.
    import subprocess
    import sys

    unparseable = tmp_path / "unparseable.yaml"
    unparseable.write_text("seeds: [0, 1\ntimeseries: {epochs: 2}\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    missing = tmp_path / "missing.yaml"
    good = repo / "config" / "paper.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "signal_robustness.config", str(unparseable), str(empty), str(missing), str(good)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"config file {unparseable}: cannot be read as YAML at line 2, column 11: ")
    assert lines[1] == f"config file {empty} is empty"
    assert lines[2] == f"config file {missing} does not exist"
    clean = subprocess.run(
        [sys.executable, "-m", "signal_robustness.config", str(good)], capture_output=True, text=True, timeout=60
    )
    assert clean.returncode == 0 and "read cleanly" in clean.stdout
