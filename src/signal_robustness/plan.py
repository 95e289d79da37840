"""Which trained models a configuration implies, and their run paths, for both branches.

The rule files ask a ``Plan`` which models to train, evaluate, defend and certify; it reads
only the config mapping (no files, no torch, no Snakemake), so what a config runs is tested
here on small configs (tests/test_plan.py) rather than by dry runs. Run paths are
``signal_robustness.runs``'s: ``timeseries/<dataset>/<method>/<regulariser>/seed<seed>`` and
``audio/<dataset>/<representation>/<model>/<training>/seed<seed>``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signal_robustness.catalog import (
    BASELINE_METHODS,
    NEEDS_ODENET,
    PRETRAINED_DIR,
    REPRESENTATIONS,
    SMOOTHED_METHODS,
    augments_online,
    needs_classifier,
)
from signal_robustness.runs import parse_run, run_path

# The training path of the audio models of audio.noise_training (trained and certified only).
AUDIO_NOISE_TRAINING = "gaussian_noise"


def branches_of(runs: Iterable[str]) -> list[str]:
    """The branches of ``runs`` (run paths), in order of first appearance."""
    return list(dict.fromkeys(parse_run(run)["branch"] for run in runs))


def runs_of_branch(runs: Iterable[str], branch: str) -> list[str]:
    return [run for run in runs if parse_run(run)["branch"] == branch]


@dataclass(frozen=True)
class Plan:
    """The models of one validated configuration (``config.validate_config``)."""

    config: Mapping[str, Any]

    # --- time series (sarkar2020) ---
    def timeseries_runs(self) -> list[dict[str, Any]]:
        """(dataset, method, regulariser, seed) of every configured classifier: the baseline
        (and Fawaz's and the Gaussian-noise one, if configured), and each augmentation method
        without and/or with Feat-Sim."""
        series = self.config["timeseries"]
        regularisers = ["feat_sim" if flag else "none" for flag in series["feat_sim"]]
        baselines = ["baseline"] + [m for m in series["methods"] if m in BASELINE_METHODS and m != "baseline"]
        variants = [(m, "none") for m in baselines] + [
            (m, r) for m in series["methods"] if m not in BASELINE_METHODS for r in regularisers
        ]
        return [
            dict(dataset=d, method=m, regulariser=r, seed=s)
            for d in series["datasets"]
            for m, r in variants
            for s in self.config["seeds"]
        ]

    def timeseries_variants(self) -> list[tuple[str, str]]:
        """(method, regulariser) of every configured classifier of a dataset and seed."""
        return list(dict.fromkeys((run["method"], run["regulariser"]) for run in self.timeseries_runs()))

    def timeseries_run_paths(self) -> list[str]:
        return [run_path("timeseries", **run) for run in self.timeseries_runs()]

    def variant_files(self, name: str) -> list[str]:
        """``name`` in the folder of every classifier of a dataset and seed, as templates
        with ``{dataset}`` and ``{seed}`` left for the rule's wildcards."""
        return [
            f"results/timeseries/{{dataset}}/{method}/{regulariser}/seed{{seed}}/{name}"
            for method, regulariser in self.timeseries_variants()
        ]

    def training_recipe(self, method: str) -> dict[str, Any]:
        """The training settings of a method: sarkar2020's, or Fawaz et al.'s Adam for ``fawaz``."""
        series = self.config["timeseries"]
        recipe = {
            key: series[key] for key in ("epochs", "batch_size_cap", "learning_rate", "weight_decay", "lr_plateau")
        }
        if method == "fawaz":
            recipe.update(series["fawaz_recipe"])
        return recipe

    def training_inputs(self, dataset: str, method: str, seed: int | str) -> dict[str, str]:
        """data.npz, and for an augmentation method its augmented series."""
        inputs = {"data": f"results/timeseries/{dataset}/data.npz"}
        if method not in BASELINE_METHODS:
            inputs["augmented"] = f"results/timeseries/{dataset}/aug/{method}/seed{seed}.npz"
        return inputs

    def augmentation_inputs(self, dataset: str, method: str, seed: int | str) -> dict[str, str]:
        """What a method's augmentation reads: the data, the ODENet, the baseline classifier."""
        inputs = {"data": f"results/timeseries/{dataset}/data.npz"}
        if method in NEEDS_ODENET:
            inputs["odenet"] = f"results/timeseries/{dataset}/odenet/seed{seed}.pt"
        if needs_classifier(method, self.config["timeseries"]["augment"]):
            inputs["classifier"] = f"results/timeseries/{dataset}/baseline/none/seed{seed}/model.pt"
        return inputs

    # --- audio (sallo2020) ---
    def audio_trainings(self) -> list[str]:
        """Path names of the training regimes (summary column ``adversarial_training``)."""
        return [
            "adversarial" if flag else "original" for flag in self.config["audio"]["adversarial_training"]["variants"]
        ]

    def audio_runs(
        self,
        seeds: Sequence[int] | None = None,
        models: Sequence[str] | None = None,
        trainings: Sequence[str] | None = None,
    ) -> list[str]:
        """Run paths of audio models: every dataset and representation, by default every
        model, training and seed of ``audio``; ``seeds`` are kept in the order audio.seeds gives."""
        audio = self.config["audio"]
        seeds = [s for s in audio["seeds"] if seeds is None or s in seeds]
        combinations = itertools.product(
            audio["datasets"],
            audio["representations"],
            audio["models"] if models is None else models,
            self.audio_trainings() if trainings is None else trainings,
            seeds,
        )
        return [
            run_path("audio", dataset=d, representation=r, model=m, training=t, seed=s)
            for d, r, m, t, s in combinations
        ]

    def pretrained_weights(self, model: str) -> str | None:
        """The weights file ``model`` starts from: a path from audio.pretrained_weights, the
        file download_pretrained saves for 'imagenet', or None (random weights)."""
        value = self.config["audio"]["pretrained_weights"].get(model)
        return f"{PRETRAINED_DIR}/{model}_imagenet.pt" if value == "imagenet" else value

    def pretrained_targets(self) -> list[str]:
        """The ImageNet weights the configuration asks for: what `download_pretrained` fetches."""
        audio = self.config["audio"]
        return [
            self.pretrained_weights(model)
            for model, value in audio["pretrained_weights"].items()
            if value == "imagenet" and model in audio["models"]
        ]

    def audio_training_inputs(self, dataset: str, representation: str, model: str, seed: int | str) -> dict[str, str]:
        """Clips, split and images; and the pretrained weights a model starts from, if any."""
        inputs = self.audio_image_inputs(dataset, representation, seed)
        weights = self.pretrained_weights(model)
        if weights is not None:
            inputs["weights"] = weights
        return inputs

    def audio_attack_searches(self) -> list[str]:
        """The budget search of every attack on every model of audio.attacks.seeds (section VI)."""
        attacks = list(self.config["audio"]["attacks"]["methods"])
        return [
            f"results/attacks/{run.removeprefix('audio/')}/{attack}.json"
            for run in self.audio_runs(seeds=self.config["audio"]["attacks"]["seeds"])
            for attack in attacks
        ]

    def audio_figure_run(self) -> dict[str, Any]:
        """The model whose adversarial examples Figure 1 shows: the first dataset and model,
        original training where there is one, the first attacked seed."""
        audio, trainings = self.config["audio"], self.audio_trainings()
        return dict(
            dataset=audio["datasets"][0],
            model=audio["models"][0],
            training="original" if "original" in trainings else trainings[0],
            seed=audio["attacks"]["seeds"][0],
        )

    def audio_figure_searches(self) -> dict[str, str]:
        """Figure 1's inputs, keyed '<representation>/<attack>/<npz|json>'."""
        run = self.audio_figure_run()
        folder = (
            f"results/attacks/{run['dataset']}/{{representation}}/{run['model']}/{run['training']}/seed{run['seed']}"
        )
        return {
            f"{representation}/{attack}/{kind}": f"{folder.format(representation=representation)}/{attack}.{kind}"
            for representation in self.config["audio"]["representations"]
            for attack in self.config["audio"]["attacks"]["methods"]
            for kind in ("npz", "json")
        }

    # --- evaluations of trained models ---
    def trained_runs(self, seeds: Iterable[int], models: str, with_audio: bool) -> list[str]:
        """Run paths an evaluation covers: of ``seeds``, the time-series baselines (or, with
        ``models`` all, every method) and, ``with_audio``, every audio model."""
        seeds = set(seeds)
        runs = [
            run_path("timeseries", **run)
            for run in self.timeseries_runs()
            if run["seed"] in seeds and (models == "all" or run["method"] == "baseline")
        ]
        return runs + (self.audio_runs(sorted(seeds)) if with_audio else [])

    def defended_runs(self) -> list[str]:
        """The models post-averaging defends (defense.seeds, defense.models, defense.audio)."""
        defense = self.config["defense"]
        return self.trained_runs(defense["seeds"], defense["models"], bool(defense["audio"]))

    def robustness_runs(self) -> list[str]:
        """The models the AutoAttack-grade evaluation attacks (robustness.seeds, .models, .audio)."""
        robustness = self.config["robustness"]
        return self.trained_runs(robustness["seeds"], robustness["models"], bool(robustness["audio"]))

    def smoothed_runs(self, branch: str | None = None, dataset: str | None = None) -> list[str]:
        """The models randomized smoothing certifies, of robustness.seeds: the time-series
        Gaussian-noise models and the audio models of audio.noise_training."""
        robustness = self.config["robustness"]
        if robustness["smoothing"] is None:
            return []
        runs = [
            run_path("timeseries", **run)
            for run in self.timeseries_runs()
            if run["method"] in SMOOTHED_METHODS and run["seed"] in robustness["seeds"]
        ]
        noise_training = self.config["audio"]["noise_training"]
        if noise_training:
            runs += self.audio_runs(robustness["seeds"], noise_training["models"], [AUDIO_NOISE_TRAINING])
        return [
            run
            for run in runs
            if branch in (None, parse_run(run)["branch"]) and dataset in (None, parse_run(run)["dataset"])
        ]

    def smoothing_datasets(self) -> list[tuple[str, str]]:
        """(branch, dataset) of each certified-accuracy table and figure."""
        return list(
            dict.fromkeys((parse_run(run)["branch"], parse_run(run)["dataset"]) for run in self.smoothed_runs())
        )

    def post_averaging_l2_runs(self, branch: str, dataset: str) -> list[str]:
        """The defended models of ``dataset`` trained without noise (time-series baselines,
        audio original training of a noise-trained architecture): the networks smoothing's
        noise-trained models are, defended at test time instead, for the certified figure."""
        noise_models = (self.config["audio"]["noise_training"] or {}).get("models", [])
        chosen = []
        for run in runs_of_branch(self.defended_runs(), branch):
            fields = parse_run(run)
            if fields["dataset"] != dataset:
                continue
            if fields.get("method") == "baseline" or (
                fields.get("training") == "original" and fields["model"] in noise_models
            ):
                chosen.append(run)
        return chosen

    # --- what loading a trained model reads ---
    def audio_folds(self) -> list[int]:
        return list(range(self.config["audio"]["split"]["train_folds"]))

    def audio_image_inputs(self, dataset: str, representation: str, seed: int | str) -> dict[str, str]:
        """Clips, split and the base images of an audio model's representation."""
        inputs = {
            "clips": f"results/audio/{dataset}/clips.csv",
            "split": f"results/audio/{dataset}/splits/seed{seed}.csv",
        }
        for base in REPRESENTATIONS[representation]:
            inputs[base] = f"results/audio/{dataset}/features/{base}.npy"
        return inputs

    def model_inputs(self, run: str) -> dict[str, Any]:
        """What loading the trained model ``run`` names reads (``evaluate.trained_runs.load_run``):
        a time-series model and its data; an audio model's images, fold models, their
        training.json and the run's metrics.json (which fold was selected)."""
        fields = parse_run(run)
        if fields["branch"] == "timeseries":
            return {"data": f"results/timeseries/{fields['dataset']}/data.npz", "model": f"results/{run}/model.pt"}
        folds = self.audio_folds()
        return {
            **self.audio_image_inputs(fields["dataset"], fields["representation"], fields["seed"]),
            "models": [f"results/{run}/fold{fold}/model.pt" for fold in folds],
            "trainings": [f"results/{run}/fold{fold}/training.json" for fold in folds],
            "metrics": f"results/{run}/metrics.json",
        }

    # --- post-averaging and the AutoAttack-grade evaluation: files per model ---
    def defense_settings(self) -> dict[str, dict[str, Any] | None]:
        """Per branch, the budgets, grids and subsample sizes post-averaging uses (None for
        audio unless defense.audio is set); the sweeps' eps grid holds the tables' eps."""
        defense, audio = self.config["defense"], self.config["defense"]["audio"]

        def grid(settings: Mapping[str, Any]) -> list[float]:
            return sorted(set(settings["eps_grid"]) | {settings["eps"]})

        return {
            "timeseries": dict(
                eps=defense["eps"],
                eps_grid=grid(defense),
                n_test=defense["n_test"],
                n_train=None,  # r is chosen on every training series
                radius_grid=defense["radius_grid"],
                batch_size=self.config["timeseries"]["attack_batch_size"],
            ),
            "audio": (
                dict(
                    eps=audio["eps"],
                    eps_grid=grid(audio),
                    n_test=audio["n_test"],
                    n_train=audio["n_test"],  # r is chosen on as many training images
                    radius_grid=audio["radius_grid"],
                    batch_size=self.config["audio"]["attacks"]["batch_size"],
                )
                if audio
                else None
            ),
        }

    def defense_files(self, branch: str, name: str) -> list[str]:
        """``name`` in the defence folder of every defended model of ``branch``."""
        return [f"results/defense/{run}/{name}" for run in runs_of_branch(self.defended_runs(), branch)]

    def robustness_budgets(self, branch: str) -> dict[str, float]:
        """Norm -> budget of the evaluations of ``branch``'s models (robustness.<branch>.eps)."""
        robustness = self.config["robustness"]
        settings = robustness["timeseries"] if branch == "timeseries" else robustness["audio"]
        return dict(settings["eps"]) if settings else {}

    def robustness_records(self, branch: str) -> list[tuple[str, str, str]]:
        """(records file, run path, norm) of every AutoAttack-grade evaluation of ``branch``."""
        return [
            (f"results/robustness/{run}/{norm}.csv", run, norm)
            for run in runs_of_branch(self.robustness_runs(), branch)
            for norm in self.robustness_budgets(branch)
        ]

    # --- targets: the tables and figures of each stage ---
    def augmentation_methods(self) -> list[str]:
        """The configured time-series methods that are not baselines."""
        return [m for m in self.config["timeseries"]["methods"] if m not in BASELINE_METHODS]

    def fixed_copy_methods(self) -> list[str]:
        """The augmentation methods whose copies are made before training (Figure 3 shows them):
        Out-Sign-Grad read online makes its copies while training."""
        augment = self.config["timeseries"]["augment"]
        return [m for m in self.augmentation_methods() if not augments_online(m, augment)]

    def timeseries_targets(self) -> list[str]:
        """sarkar2020 and the Fawaz comparison: summary, tables and figures (target `timeseries`)."""
        series = self.config["timeseries"]
        figures = []
        if self.augmentation_methods():  # Figures 3, 5 and 6 show augmentations
            figures = ["results/timeseries/figures/augmentation_examples.png"] + [
                f"results/timeseries/figures/latent_pca_{dataset}.png" for dataset in series["datasets"]
            ]
        eps_curve = (
            ["results/timeseries/tables/accuracy_vs_eps.csv", "results/timeseries/figures/accuracy_vs_eps.png"]
            if series["attacks"]["eps_curve"]
            else []
        )
        return [
            *figures,
            "results/timeseries/summary.csv",
            *_tables("results/timeseries/tables/fawaz_comparison"),
            "results/timeseries/figures/clean_vs_adversarial.png",
            "results/timeseries/figures/training_curves.png",
            *(f"results/timeseries/tables/{table}.md" for table in ("table1", "table2", "table3")),
            *eps_curve,
        ]

    def audio_targets(self) -> list[str]:
        """sallo2020: Table I and the representations figure; Tables II-III and the attack
        figures where attacks are configured (target `audio`)."""
        attacks = []
        if self.config["audio"]["attacks"]["methods"]:
            attacks = [
                "results/attacks/summary.csv",
                "results/attacks/searches.csv",
                *_tables("results/attacks/tables/table2"),
                *_tables("results/attacks/tables/table3"),
                "results/attacks/figures/adversarial_examples.png",
                "results/attacks/figures/fooling_rate.png",
            ]
        return [
            *attacks,
            "results/audio/summary.csv",
            *_tables("results/audio/tables/table1"),
            "results/audio/figures/representations.png",
        ]

    def defense_targets(self) -> list[str]:
        """lin2019 on every branch with defended models (target `defense`)."""
        return [
            path
            for branch in branches_of(self.defended_runs())
            for path in [
                f"results/defense/{branch}/summary.csv",
                *_tables(f"results/defense/{branch}/tables/table1"),
                *_tables(f"results/defense/{branch}/tables/table2"),
                f"results/defense/{branch}/tables/adaptive_checks.csv",
                f"results/defense/{branch}/figures/radius_sweep.png",
                f"results/defense/{branch}/figures/eps_sweep.png",
            ]
        ]

    def robustness_targets(self) -> list[str]:
        """The AutoAttack-grade summary, table and checks of each branch, and each dataset's
        certified accuracy beside post-averaging's (target `robustness`)."""
        evaluated = [
            path
            for branch in branches_of(self.robustness_runs())
            for path in [
                f"results/robustness/{branch}/summary.csv",
                *_tables(f"results/robustness/{branch}/tables/autoattack"),
                f"results/robustness/{branch}/tables/checks.csv",
            ]
        ]
        certified = [
            f"results/robustness/{branch}/certified/{dataset}.{ext}"
            for branch, dataset in self.smoothing_datasets()
            for ext in ("csv", "png")
        ]
        return evaluated + certified

    def benchmark_robustness_runs(self) -> list[str]:
        """The time-series models AutoAttack-grade evaluation runs on (their worst case is the
        benchmark's ``worst`` column; with ``robustness.models: baseline`` only the baselines')."""
        return runs_of_branch(self.robustness_runs(), "timeseries")

    def benchmark_certified(self) -> dict[str, float] | None:
        """The certified column's radius and sigma (a null sigma is the smallest certified),
        or None where there is no such column."""
        certified, smoothing = self.config["benchmark"]["certified"], self.config["robustness"]["smoothing"]
        if not certified or not smoothing:
            return None
        sigma = min(smoothing["sigmas"]) if certified["sigma"] is None else certified["sigma"]
        return {"radius": float(certified["radius"]), "sigma": float(sigma)}

    def benchmark_certificates(self) -> list[str]:
        """The certificates the benchmark's certified column reads (benchmark.certified): the
        smoothed time-series models'."""
        if self.benchmark_certified() is None:
            return []
        return [f"results/robustness/{run}/certificates.csv" for run in self.smoothed_runs("timeseries")]

    def benchmark_unbounded(self) -> list[str]:
        """The unbounded-budget checks of the models the benchmark evaluates (Carlini et al.)."""
        return [f"results/robustness/{run}/unbounded.json" for run in self.benchmark_robustness_runs()]

    def benchmark_targets(self) -> list[str]:
        """The UCR benchmark's leaderboard, per-set table, checks and figures (target
        `ucr_benchmark`), from every configured time-series classifier."""
        folder = "results/benchmark"
        return [
            *_tables(f"{folder}/leaderboard"),
            *_tables(f"{folder}/per_dataset"),
            *_tables(f"{folder}/fawaz"),
            f"{folder}/fawaz_published_checks.csv",
            f"{folder}/conclusions.csv",
            f"{folder}/cd_clean.png",
            f"{folder}/cd_worst.png",
            f"{folder}/clean_vs_worst.png",
        ]

    def results_targets(self) -> list[str]:
        """Every table and figure of the configured stages (the provenance record hashes them)."""
        return self.timeseries_targets() + self.audio_targets() + self.defense_targets() + self.robustness_targets()


TABLE_FORMATS = ("csv", "md", "tex", "html")


def _tables(stem: str) -> list[str]:
    """A table in every format ``report.tables.write_table`` writes."""
    return [f"{stem}.{extension}" for extension in TABLE_FORMATS]
