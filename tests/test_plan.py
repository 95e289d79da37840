"""What a configuration runs: the models, run paths and evaluations a Plan gives, on small configs."""

from __future__ import annotations

import copy

import pytest

from signal_robustness.plan import AUDIO_NOISE_TRAINING, Plan, branches_of, runs_of_branch
from signal_robustness.runs import parse_run


@pytest.fixture()
def config(default_config):
    config = copy.deepcopy(default_config)
    config["seeds"] = [0, 1, 2]
    config["timeseries"].update(
        datasets=["Coffee", "GunPoint"],
        methods=["baseline", "fawaz", "gaussian_noise", "spec_den"],
        feat_sim=[False, True],
    )
    config["audio"].update(
        datasets=["synthetic"], seeds=[2, 0], representations=["stft", "cwt_tonnetz"], models=["resnet18", "alexnet"]
    )
    config["audio"]["adversarial_training"]["variants"] = [False, True]
    config["audio"]["noise_training"] = {"sigma": 0.25, "models": ["resnet18"]}
    config["defense"].update(seeds=[1, 2], models="baseline", audio=None)
    config["robustness"].update(seeds=[2], models="all")
    return config


def test_every_time_series_variant_is_trained_once_per_dataset_and_seed(config):
    plan = Plan(config)
    # The three baselines without Feat-Sim, the augmentation with and without it.
    assert plan.timeseries_variants() == [
        ("baseline", "none"),
        ("fawaz", "none"),
        ("gaussian_noise", "none"),
        ("spec_den", "none"),
        ("spec_den", "feat_sim"),
    ]
    paths = plan.timeseries_run_paths()
    assert len(paths) == len(set(paths)) == 2 * 5 * 3
    assert (
        paths[0] == "timeseries/Coffee/baseline/none/seed0"
        and paths[-1] == "timeseries/GunPoint/spec_den/feat_sim/seed2"
    )


def test_the_baseline_is_trained_even_when_methods_omit_it(config):
    config["timeseries"]["methods"] = ["spec_den"]
    assert {parse_run(run)["method"] for run in Plan(config).timeseries_run_paths()} == {"baseline", "spec_den"}


def test_audio_runs_cover_every_combination_in_the_config_s_order(config):
    runs = Plan(config).audio_runs()
    assert len(runs) == 1 * 2 * 2 * 2 * 2
    assert runs[:3] == [
        "audio/synthetic/stft/resnet18/original/seed2",
        "audio/synthetic/stft/resnet18/original/seed0",
        "audio/synthetic/stft/resnet18/adversarial/seed2",
    ]


def test_evaluations_cover_their_own_seeds_and_models(config):
    plan = Plan(config)
    defended = plan.defended_runs()
    assert branches_of(defended) == ["timeseries"]  # defense.audio is null
    assert {parse_run(run)["method"] for run in defended} == {"baseline"}
    assert sorted({int(parse_run(run)["seed"]) for run in defended}) == [1, 2]

    robust = plan.robustness_runs()
    assert set(branches_of(robust)) == {"timeseries", "audio"}
    series = runs_of_branch(robust, "timeseries")
    assert len(series) == 2 * 5 and {parse_run(run)["seed"] for run in series} == {"2"}  # models: all
    # Audio models exist for seeds 2 and 0 only; robustness asks for seed 2.
    assert {parse_run(run)["seed"] for run in runs_of_branch(robust, "audio")} == {"2"}


def test_smoothing_certifies_only_the_noise_trained_models_of_its_seeds(config):
    plan = Plan(config)
    smoothed = plan.smoothed_runs()
    assert {parse_run(run).get("method") for run in runs_of_branch(smoothed, "timeseries")} == {"gaussian_noise"}
    audio = runs_of_branch(smoothed, "audio")
    assert {(parse_run(run)["model"], parse_run(run)["training"]) for run in audio} == {
        ("resnet18", AUDIO_NOISE_TRAINING)
    }
    assert plan.smoothing_datasets() == [("timeseries", "Coffee"), ("timeseries", "GunPoint"), ("audio", "synthetic")]
    assert plan.smoothed_runs("timeseries", "Coffee") == ["timeseries/Coffee/gaussian_noise/none/seed2"]
    # Post-averaging's side of the figure: the same dataset's defended baselines.
    assert plan.post_averaging_l2_runs("timeseries", "Coffee") == [
        "timeseries/Coffee/baseline/none/seed1",
        "timeseries/Coffee/baseline/none/seed2",
    ]
    config["robustness"]["smoothing"] = None
    assert Plan(config).smoothed_runs() == [] and Plan(config).smoothing_datasets() == []


def test_each_stage_asks_for_the_tables_and_figures_its_config_implies(config):
    plan = Plan(config)
    series = plan.timeseries_targets()
    assert "results/timeseries/figures/augmentation_examples.png" in series  # spec_den is configured
    assert {
        "results/timeseries/figures/latent_pca_Coffee.png",
        "results/timeseries/figures/latent_pca_GunPoint.png",
    } <= set(series)
    assert [p for p in series if "fawaz_comparison" in p] == [
        f"results/timeseries/tables/fawaz_comparison.{ext}" for ext in ("csv", "md", "tex", "html")
    ]
    assert {p.split("/")[2] for p in plan.defense_targets()} == {"timeseries"}  # defense.audio is null
    robustness = plan.robustness_targets()
    assert "results/robustness/audio/tables/autoattack.md" in robustness
    assert "results/robustness/audio/certified/synthetic.png" in robustness
    assert plan.results_targets() == series + plan.audio_targets() + plan.defense_targets() + robustness

    config["timeseries"]["methods"] = ["baseline"]
    config["timeseries"]["attacks"]["eps_curve"] = None
    config["audio"]["attacks"]["methods"] = {}
    config["robustness"]["smoothing"] = None
    plain = Plan(config)
    assert not any(
        "augmentation_examples" in p or "latent_pca" in p or "accuracy_vs_eps" in p for p in plain.timeseries_targets()
    )
    assert not any(p.startswith("results/attacks/") for p in plain.audio_targets())
    assert not any("/certified/" in p for p in plain.robustness_targets())


def test_loading_a_model_reads_its_data_weights_and_for_audio_every_fold(config):
    plan = Plan(config)
    assert plan.model_inputs("timeseries/Coffee/baseline/none/seed1") == {
        "data": "results/timeseries/Coffee/data.npz",
        "model": "results/timeseries/Coffee/baseline/none/seed1/model.pt",
    }
    config["audio"]["split"]["train_folds"] = 2
    run = "audio/synthetic/cwt_tonnetz/resnet18/original/seed2"
    inputs = Plan(config).model_inputs(run)
    assert inputs["cwt"] == "results/audio/synthetic/features/cwt.npy" and "stft" not in inputs
    assert inputs["tonnetz"] == "results/audio/synthetic/features/tonnetz.npy"
    assert inputs["split"] == "results/audio/synthetic/splits/seed2.csv"
    assert inputs["models"] == [f"results/{run}/fold{k}/model.pt" for k in (0, 1)]
    assert inputs["metrics"] == f"results/{run}/metrics.json"


def test_defence_and_evaluation_files_follow_their_models(config):
    plan = Plan(config)
    settings = plan.defense_settings()
    assert settings["audio"] is None  # defense.audio is null
    assert config["defense"]["eps"] in settings["timeseries"]["eps_grid"]
    assert settings["timeseries"]["eps_grid"] == sorted(settings["timeseries"]["eps_grid"])
    assert (
        plan.defense_files("timeseries", "adaptive.csv")[0]
        == "results/defense/timeseries/Coffee/baseline/none/seed1/adaptive.csv"
    )
    config["robustness"]["audio"] = {"eps": {"linf": 0.03, "l2": 1.0}}
    records = Plan(config).robustness_records("audio")
    assert {norm for _, _, norm in records} == {"linf", "l2"}
    assert all(path == f"results/robustness/{run}/{norm}.csv" for path, run, norm in records)


def test_time_series_jobs_read_what_their_method_needs(config):
    plan = Plan(config)
    assert plan.training_recipe("fawaz") == {**plan.training_recipe("baseline"), **config["timeseries"]["fawaz_recipe"]}
    assert plan.training_inputs("Coffee", "baseline", 0) == {"data": "results/timeseries/Coffee/data.npz"}
    assert (
        plan.training_inputs("Coffee", "spec_den", 0)["augmented"] == "results/timeseries/Coffee/aug/spec_den/seed0.npz"
    )
    spec_den, in_sign = (
        plan.augmentation_inputs("Coffee", "spec_den", 1),
        plan.augmentation_inputs("Coffee", "in_sign_grad", 1),
    )
    assert set(spec_den) == {"data"}  # the spectral method needs no ODENet
    assert in_sign["odenet"] == "results/timeseries/Coffee/odenet/seed1.pt"
    assert plan.variant_files("model.pt")[-1] == "results/timeseries/{dataset}/spec_den/feat_sim/seed{seed}/model.pt"
    # Out-Sign-Grad's fixed reading reads the trained baseline; the online one, the network being trained.
    config["timeseries"]["methods"] = ["baseline", "spec_den", "out_sign_grad", "out_sign_grad_online"]
    plan = Plan(config)
    fixed, online = (plan.augmentation_inputs("Coffee", m, 1) for m in ("out_sign_grad", "out_sign_grad_online"))
    assert fixed["classifier"] == "results/timeseries/Coffee/baseline/none/seed1/model.pt"
    assert set(online) == {"data", "odenet"}
    assert plan.fixed_copy_methods() == ["spec_den", "out_sign_grad"]  # Figure 3 shows made copies only
    config["timeseries"]["augment"]["out_sign_grad_model"] = "online"
    plan = Plan(config)
    assert "classifier" not in plan.augmentation_inputs("Coffee", "out_sign_grad", 1)
    assert plan.fixed_copy_methods() == ["spec_den"]


def test_audio_jobs_read_their_weights_and_figure_1_its_searches(config):
    config["audio"]["pretrained_weights"] = {"resnet18": "imagenet", "alexnet": None}
    config["audio"]["attacks"]["seeds"] = [2]
    config["audio"]["attacks"]["methods"] = {"cw": {"budget": "steps", "grid": [5]}}
    plan = Plan(config)
    assert plan.pretrained_targets() == ["resources/pretrained/resnet18_imagenet.pt"]
    assert plan.audio_training_inputs("synthetic", "stft", "alexnet", 2).get("weights") is None
    assert (
        plan.audio_training_inputs("synthetic", "stft", "resnet18", 2)["weights"]
        == "resources/pretrained/resnet18_imagenet.pt"
    )
    searches = plan.audio_attack_searches()
    assert (
        len(searches) == 2 * 2 * 2 and searches[0] == "results/attacks/synthetic/stft/resnet18/original/seed2/cw.json"
    )
    figure = plan.audio_figure_searches()
    assert figure["cwt_tonnetz/cw/npz"] == "results/attacks/synthetic/cwt_tonnetz/resnet18/original/seed2/cw.npz"
