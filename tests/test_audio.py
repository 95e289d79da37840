"""The audio branch's package code: loaders (real ESC-50 clips when ../shared is present,
the synthetic set always), splits, pitch shift, representations, models, FGSM adversarial
training and Table I."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from conftest import SHARED_DATA

from signal_robustness.augment.pitch import pitch_shift, pitch_versions, semitones
from signal_robustness.data.audio import (
    AudioDatasetError,
    audio_split,
    class_names,
    iter_clips,
    load_clip,
    random_split_problems,
    read_clip_table,
)
from signal_robustness.data.synthetic_audio import SYNTHETIC_CLASSES, write_synthetic_sound_set
from signal_robustness.device import seed_everything
from signal_robustness.evaluate.counting import PassCounter
from signal_robustness.features import (
    IMAGE_STORAGE,
    REPRESENTATIONS,
    RepresentationSettings,
    base_representation,
    compose_representation,
    cwt_frequencies,
    cwt_image,
    encode_images,
    fill_representation,
    stft_frequencies,
    stft_image,
    tonnetz_image,
)
from signal_robustness.models import AUDIO_MODELS, MIN_IMAGE_SIDE, build_model
from signal_robustness.report.audio import table1, table1_layout
from signal_robustness.train.audio import fold_arrays, select_fold
from signal_robustness.train.classifier import (
    TrainingSettings,
    audio_training_settings,
    batch_norm_positions,
    recompute_batch_norm,
    train_classifier,
)
from signal_robustness.train.losses import FGSMAdversarialLoss

ESC50_MINI = SHARED_DATA / "esc50-mini"
SAMPLE_RATE = 22050


@pytest.fixture(scope="session")
def esc50_mini():
    if not (ESC50_MINI / "meta" / "esc50.csv").is_file():
        pytest.skip("../shared/data/esc50-mini is not present (a user's clone has none)")
    return ESC50_MINI


@pytest.fixture(scope="module")
def synthetic_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    write_synthetic_sound_set(folder, clips_per_class=8, sample_rate=SAMPLE_RATE, duration=0.5, seed=0)
    return folder


def tone(frequency: float, seconds: float = 1.0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


# --- loaders -----------------------------------------------------------------------------


def test_esc10_table_lists_the_real_clips_with_contiguous_labels(esc50_mini):
    table = read_clip_table("esc10", esc50_mini)
    metadata = pd.read_csv(esc50_mini / "meta" / "esc50.csv")
    assert len(table) == len(metadata) == 83
    assert sorted(table["label"].unique()) == list(range(10))
    # Labels follow ESC-50's own class ids: the lowest target is label 0.
    assert class_names(table)[0] == metadata.sort_values("target")["category"].iloc[0]
    assert (table["path"] == "audio/" + metadata["filename"]).all()


def test_real_clip_loads_as_five_seconds_mono_at_the_requested_rate(esc50_mini):
    table = read_clip_table("esc10", esc50_mini)
    clip = load_clip(esc50_mini / table["path"][0], 16000, 5.0)
    assert clip.shape == (80000,) and clip.dtype == np.float32
    assert np.isfinite(clip).all() and np.abs(clip).max() > 1e-3


def test_real_clips_give_finite_images_in_the_unit_range(esc50_mini):
    table = read_clip_table("esc10", esc50_mini)
    settings = RepresentationSettings(height=32, width=24, tonnetz_height=6, cwt_sample_rate=16000)
    clip = next(iter_clips(table.iloc[:1], esc50_mini, SAMPLE_RATE, 5.0, progress=False))
    for name in ("stft", "cwt", "tonnetz"):
        image = base_representation(name, clip, SAMPLE_RATE, settings)
        assert image.shape == ((6 if name == "tonnetz" else 32), 24)
        assert np.isfinite(image).all() and 0 <= image.min() and image.max() <= 1
        assert image.std() > 0.01  # a real sound is not a flat image


def test_missing_metadata_is_named(tmp_path):
    with pytest.raises(AudioDatasetError, match="meta/esc50.csv"):
        read_clip_table("esc50", tmp_path)


def test_listed_but_absent_clip_is_named(synthetic_set, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(synthetic_set, copy)
    removed = sorted((copy / "audio").iterdir())[3]
    removed.unlink()
    with pytest.raises(AudioDatasetError, match=removed.name):
        read_clip_table("synthetic", copy)


def test_metadata_without_the_layout_columns_is_refused(tmp_path):
    (tmp_path / "meta").mkdir()
    (tmp_path / "meta" / "esc50.csv").write_text("name,label\na.wav,1\n")
    with pytest.raises(AudioDatasetError, match="lacks the columns"):
        read_clip_table("esc50", tmp_path)


def test_corrupt_and_silent_clips_are_refused_with_their_name(tmp_path):
    import soundfile

    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00not really a wave file")
    with pytest.raises(AudioDatasetError, match="corrupt.wav"):
        load_clip(corrupt, SAMPLE_RATE, 1.0)
    silent = tmp_path / "silent.wav"
    soundfile.write(silent, np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    with pytest.raises(AudioDatasetError, match="silent.wav.*silent"):
        load_clip(silent, SAMPLE_RATE, 1.0)


def test_synthetic_set_is_read_by_the_real_loader_and_is_reproducible(synthetic_set, tmp_path):
    table = read_clip_table("synthetic", synthetic_set)
    assert len(table) == 8 * len(SYNTHETIC_CLASSES)
    assert class_names(table) == list(SYNTHETIC_CLASSES)
    assert table.groupby("label").size().eq(8).all()
    assert sorted(table["fold"].unique()) == [1, 2, 3, 4, 5]
    again = tmp_path / "again"
    write_synthetic_sound_set(again, clips_per_class=8, sample_rate=SAMPLE_RATE, duration=0.5, seed=0)
    first = load_clip(synthetic_set / table["path"][5], SAMPLE_RATE, 0.5)
    assert np.array_equal(first, load_clip(again / table["path"][5], SAMPLE_RATE, 0.5))


def test_synthetic_tone_class_is_a_tone(synthetic_set):
    table = read_clip_table("synthetic", synthetic_set)
    clip = load_clip(synthetic_set / table[table["category"] == "tone"]["path"].iloc[0], SAMPLE_RATE, 0.5)
    spectrum = np.abs(np.fft.rfft(clip))
    # One frequency holds most of the energy.
    peak = spectrum.argmax()
    assert (spectrum[max(0, peak - 3) : peak + 4] ** 2).sum() > 0.8 * (spectrum**2).sum()


# --- split -------------------------------------------------------------------------------


def _table(n_per_class: int = 10, n_classes: int = 4, folds: int = 5) -> pd.DataFrame:
    labels = np.repeat(np.arange(n_classes), n_per_class)
    return pd.DataFrame({"label": labels, "fold": np.arange(len(labels)) % folds + 1})


def test_random_split_is_stratified_seeded_and_partitions_the_development_set():
    table = _table()
    split = audio_split(table, "random", seed=3, test_fraction=0.3, cv_folds=5)
    test = split[split["role"] == "test"]
    assert len(test) == 12 and (test["cv_fold"] == -1).all()
    assert table.loc[test["clip"], "label"].value_counts().eq(3).all()  # 30 % of each class
    development = split[split["role"] == "development"]
    assert sorted(development["cv_fold"].unique()) == [0, 1, 2, 3, 4]
    assert development.groupby("cv_fold").size().tolist() == [6, 6, 6, 5, 5]
    assert split.equals(audio_split(table, "random", seed=3))
    assert not split.equals(audio_split(table, "random", seed=4))


def test_official_split_holds_out_the_test_fold_and_uses_the_others_as_folds():
    table = _table()
    split = audio_split(table, "official", seed=0, test_fold=2)
    assert (split["role"] == "test").sum() == 8
    assert set(table.loc[split["role"] == "test", "fold"]) == {2}
    assert sorted(split.loc[split["role"] == "development", "cv_fold"].unique()) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="test_fold 9"):
        audio_split(table, "official", seed=0, test_fold=9)


@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_random_split_problems_agree_with_scikit_learns_draws():
    """The check before any job predicts, from class sizes alone, what scikit-learn's draws do for every seed."""
    rng = np.random.default_rng(0)
    verdicts = {"refused": 0, "accepted": 0}
    for _ in range(300):
        counts = rng.integers(1, 12, size=rng.integers(2, 6))
        table = pd.DataFrame({"label": np.repeat(np.arange(len(counts)), counts)})
        test_fraction, cv_folds = float(rng.choice([0.1, 0.2, 0.3, 0.5])), int(rng.integers(2, 6))
        problems = random_split_problems(table["label"].value_counts().to_dict(), test_fraction, cv_folds)
        verdicts["refused" if problems else "accepted"] += 1
        for seed in range(3):
            try:
                split = audio_split(table, "random", seed, test_fraction, cv_folds)
            except ValueError:
                assert problems, (counts, test_fraction, cv_folds)  # scikit-learn refused: so did the check
                continue
            if not problems:  # accepted: every development fold holds every class, whatever the seed
                development = split[split["role"] == "development"]
                classes_per_fold = development.assign(label=table["label"].to_numpy()[development["clip"]])
                assert (classes_per_fold.groupby("cv_fold")["label"].nunique() == len(counts)).all()
    assert min(verdicts.values()) > 30  # both verdicts were exercised


# --- pitch shift -------------------------------------------------------------------------


def test_pitch_shift_keeps_duration_and_moves_a_tone_by_the_scale():
    clip = tone(800.0)
    frequencies = stft_frequencies(SAMPLE_RATE, 2048)
    for scale in (0.75, 1.5):
        shifted = pitch_shift(clip, SAMPLE_RATE, scale)
        assert shifted.shape == clip.shape
        peak = frequencies[stft_image(shifted, SAMPLE_RATE).mean(axis=1).argmax()]
        assert peak == pytest.approx(800.0 * scale, abs=2 * SAMPLE_RATE / 2048)
    assert semitones(2.0) == pytest.approx(12.0) and semitones(0.75) == pytest.approx(-4.98, abs=0.01)
    versions = pitch_versions(clip, SAMPLE_RATE, (0.9, 1.15))
    assert versions.shape == (3, len(clip)) and np.array_equal(versions[0], clip)


# --- representations ---------------------------------------------------------------------


@pytest.mark.parametrize("frequency", [300.0, 1000.0, 3000.0])
def test_pure_tone_peaks_at_its_frequency_in_stft_and_cwt(frequency):
    clip = tone(frequency)
    stft = stft_image(clip, SAMPLE_RATE)
    stft_peak = stft_frequencies(SAMPLE_RATE, 2048)[stft.mean(axis=1).argmax()]
    assert stft_peak == pytest.approx(frequency, abs=SAMPLE_RATE / 2048)
    bins = 64
    cwt = cwt_image(clip, SAMPLE_RATE, n_bins=bins, n_frames=16, min_frequency=50.0)
    grid = cwt_frequencies(SAMPLE_RATE, bins, 50.0)
    ratio = grid[1] / grid[0]
    # Within one geometric bin of the tone.
    assert abs(np.log(grid[cwt.mean(axis=1).argmax()] / frequency)) <= np.log(ratio)


def test_tonnetz_has_six_rows_in_the_unit_range():
    image = tonnetz_image(tone(440.0), SAMPLE_RATE)
    assert image.shape[0] == 6
    assert 0 <= image.min() and image.max() <= 1


def test_stacked_representations_append_tonnetz_below_the_spectrogram():
    settings = RepresentationSettings(height=16, width=12, tonnetz_height=4, cwt_sample_rate=8000)
    clip = tone(660.0)
    bases = {name: base_representation(name, clip, SAMPLE_RATE, settings) for name in ("stft", "cwt", "tonnetz")}
    for name, parts in REPRESENTATIONS.items():
        image = compose_representation(name, bases)
        assert image.shape == (settings.image_height(name), 12)
        assert np.array_equal(image[:16], bases[parts[0]])
        if len(parts) == 2:
            assert np.array_equal(image[16:], bases["tonnetz"])


# --- models ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AUDIO_MODELS)
def test_every_audio_model_runs_forward_and_backward_on_its_smallest_and_a_stacked_image(name):
    side = max(32, MIN_IMAGE_SIDE[name])
    model = build_model(name, in_channels=1, n_classes=7)
    for height in (MIN_IMAGE_SIDE[name], side + 8):  # the smallest allowed; a taller stacked image
        inputs = torch.rand(2, 1, height, side, requires_grad=True)
        logits = model(inputs)
        assert logits.shape == (2, 7)
        logits.sum().backward()
        assert inputs.grad is not None and torch.isfinite(inputs.grad).all()


def test_resnet56_is_he_et_al_s_cifar_network():
    model = build_model("resnet56", in_channels=3, n_classes=10)
    weighted = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(weighted) == 56  # 6n + 2 with n = 9
    assert 0.84e6 < sum(p.numel() for p in model.parameters()) < 0.86e6  # "0.85M" in the paper
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 10)


def test_pretrained_weights_are_loaded_then_adapted(tmp_path):
    from signal_robustness.models.torchvision_compat import import_torchvision_models

    original = import_torchvision_models().resnet18(weights=None)
    torch.save(original.state_dict(), tmp_path / "resnet18.pt")
    model = build_model("resnet18", in_channels=1, n_classes=4, weights_path=tmp_path / "resnet18.pt")
    assert torch.equal(model.conv1.weight, original.conv1.weight.sum(dim=1, keepdim=True))
    grey = torch.rand(1, 1, 32, 32)  # a grey image meets the adapted filter as the RGB one
    assert torch.allclose(model.conv1(grey), original.conv1(grey.expand(1, 3, 32, 32)), atol=1e-5)
    assert torch.equal(model.layer3[0].conv1.weight, original.layer3[0].conv1.weight)
    assert model.fc.out_features == 4
    with pytest.raises(ValueError, match="pretrained weights"):
        build_model("resnet56", 1, 4, weights_path=tmp_path / "resnet18.pt")


@pytest.mark.parametrize("fine_tuned_layers", ["input_output", "all"])
def test_input_output_fine_tuning_learns_the_first_and_last_layers_only(tmp_path, cpu, fine_tuned_layers):
    from torch.utils.flop_counter import FlopCounterMode

    from signal_robustness.models.torchvision_compat import import_torchvision_models
    from signal_robustness.train.audio import FoldArrays, fit_audio_classifier

    torch.save(import_torchvision_models().resnet18(weights=None).state_dict(), tmp_path / "resnet18.pt")
    pretrained = build_model("resnet18", 1, 3, weights_path=tmp_path / "resnet18.pt")
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(24, 1, 32, 32, generator=generator)
    labels = torch.arange(24) % 3
    arrays = FoldArrays(images[:16], labels[:16], images[16:], labels[16:])
    section = {"epochs": 2, "batch_size": 8, "learning_rate": 1e-2, "weight_decay": 1e-4}
    section |= {"early_stopping_patience": 5, "batch_norm_images": None}
    model, _ = fit_audio_classifier(
        "resnet18",
        arrays,
        3,
        audio_training_settings(section),
        seed=0,
        device=cpu,
        weights_path=tmp_path / "resnet18.pt",
        progress=False,
        fine_tuned_layers=fine_tuned_layers,
    )
    kept = {name for name, weight in model.named_parameters() if torch.equal(weight, pretrained.get_parameter(name))}
    if fine_tuned_layers == "all":
        assert not kept
    else:
        learnt = {name for name, _ in model.named_parameters()} - kept
        assert learnt == {"conv1.weight", "fc.weight", "fc.bias"}
    # The statistics follow the data either way: the first convolution feeding them has learnt.
    assert not torch.equal(model.bn1.running_mean, pretrained.bn1.running_mean)
    # Without weight gradients below the last layer a training step costs two forward passes, not three.
    model.train()
    with FlopCounterMode(display=False) as step:
        F.cross_entropy(model(images[:2]), labels[:2]).backward()
    with FlopCounterMode(display=False) as forward, torch.no_grad():
        model(images[:2])
    expected = 2.0 if fine_tuned_layers == "input_output" else 3.0
    assert step.get_total_flops() / forward.get_total_flops() == pytest.approx(expected, abs=0.05)
    with pytest.raises(ValueError, match="fine_tuned_layers"):
        fit_audio_classifier("resnet18", arrays, 3, audio_training_settings(section), 0, cpu, fine_tuned_layers="last")


# --- training ----------------------------------------------------------------------------


def test_early_stopping_keeps_the_best_validation_epoch_and_stops_after_patience(cpu):
    seed_everything(0)
    x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 3, (64,))
    x_val, y_val = torch.randn(32, 1, 8, 8), torch.randint(0, 3, (32,))  # noise: no real progress possible
    model = build_model("resnet56", 1, 3)
    settings = TrainingSettings(epochs=40, batch_size=16, learning_rate=1e-2, early_stopping_patience=3)
    result = train_classifier(
        model, (x, y), settings, seed_everything(0), cpu, progress=False, validation=(x_val, y_val)
    )
    losses = [row["validation_loss"] for row in result.history]
    assert result.best_epoch == int(np.argmin(losses))
    assert result.stopped_early and len(result.history) == result.best_epoch + 4
    from signal_robustness.train.classifier import evaluate_loss_accuracy

    assert evaluate_loss_accuracy(model, x_val, y_val, cpu)[0] == pytest.approx(losses[result.best_epoch], rel=1e-5)


def test_recomputed_batch_norm_statistics_are_the_data_s():
    layer = torch.nn.BatchNorm1d(3)
    data = torch.randn(100, 3) * torch.tensor([1.0, 2.0, 3.0]) + torch.tensor([5.0, -1.0, 0.0])
    recompute_batch_norm(torch.nn.Sequential(layer), data, torch.device("cpu"), batch_size=100)
    assert torch.allclose(layer.running_mean, data.mean(dim=0), atol=1e-5)
    assert torch.allclose(layer.running_var, data.var(dim=0), atol=1e-4)
    assert layer.momentum == 0.1 and not layer.training


def test_batch_norm_statistics_from_a_capped_subset_are_the_subset_s_and_close_to_the_whole_s():
    # PreciseBN's reading: a fixed, evenly spaced subset of the training inputs, batch by batch.
    data = torch.randn(10_000, 3) * torch.tensor([1.0, 2.0, 3.0]) + torch.tensor([5.0, -1.0, 0.0])
    positions = batch_norm_positions(len(data), 2_000)
    assert len(positions) == 2_000 and positions[0] == 0 and positions[-1] == len(data) - 1
    assert len(set(positions.tolist())) == 2_000 and batch_norm_positions(len(data), 10_000) is None
    layer = torch.nn.BatchNorm1d(3)
    counted = PassCounter(torch.nn.Sequential(layer))
    # Batches of equal size: BatchNorm's cumulative average weighs every batch alike.
    recompute_batch_norm(counted, data, torch.device("cpu"), batch_size=250, positions=positions)
    assert counted.forward_samples == 2_000
    torch.testing.assert_close(layer.running_mean, data[positions].mean(dim=0), atol=1e-5, rtol=0)
    # Within four standard errors of the whole set's mean.
    assert ((layer.running_mean - data.mean(dim=0)).abs() < 4 * data.std(dim=0) / 2_000**0.5).all()
    with pytest.raises(ValueError, match="batch_norm_inputs"):
        TrainingSettings(epochs=1, batch_norm_inputs=0)
    # audio.training.batch_norm_images is the cap the audio training runs with.
    section = {"epochs": 2, "batch_size": 10, "learning_rate": 1e-3, "weight_decay": 0.0}
    section |= {"early_stopping_patience": 1, "batch_norm_images": 30}
    assert audio_training_settings(section).batch_norm_inputs == 30
    # A job's threads but the one that drives the device read ahead, two at least.
    assert [audio_training_settings(section, threads=n).read_ahead for n in (1, 3, 8)] == [2, 2, 7]
    # Training reads the subset after every epoch: 100 training inputs and 30 for the statistics.
    torch.manual_seed(0)
    network = PassCounter(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)))
    settings = TrainingSettings(epochs=2, batch_size=10, precise_batch_norm=True, batch_norm_inputs=30)
    inputs, labels = data[:100], (data[:100, 0] > 5).long()
    train_classifier(
        network, [inputs, labels], settings, torch.Generator().manual_seed(0), torch.device("cpu"), progress=False
    )
    assert network.forward_samples == 2 * (100 + 30)


def test_fgsm_loss_matches_eq_14_at_both_ends_of_alpha():
    seed_everything(0)
    model = build_model("resnet56", 1, 3).eval()
    x, y = torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 2, 0])
    pure = FGSMAdversarialLoss(epsilon=0.05, alpha=0.0)
    adversarial, _ = pure.adversarial_examples(model, x, y)
    assert (adversarial - x).abs().max() <= 0.05 + 1e-6
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    assert pure(model, (x, y)).item() == pytest.approx(F.cross_entropy(model(adversarial), y).item(), rel=1e-5)
    clean_only = FGSMAdversarialLoss(epsilon=0.05, alpha=1.0)(model, (x, y))
    assert clean_only.item() == pytest.approx(F.cross_entropy(model(x), y).item(), rel=1e-5)
    with pytest.raises(ValueError, match="alpha"):
        FGSMAdversarialLoss(epsilon=0.05, alpha=1.5)


def _fgsm_loss_on(model, inputs: torch.Tensor, labels: torch.Tensor, epsilon: float) -> float:
    model.eval()
    adversarial, _ = FGSMAdversarialLoss(epsilon, 0.0).adversarial_examples(model, inputs, labels)
    with torch.no_grad():
        return F.cross_entropy(model(adversarial), labels).item()


def test_fgsm_adversarial_training_lowers_the_loss_on_adversarial_examples(synthetic_set, cpu):
    table = read_clip_table("synthetic", synthetic_set)
    settings = RepresentationSettings(height=16, width=16, tonnetz_height=4, cwt_sample_rate=8000)
    clips = np.stack(list(iter_clips(table, synthetic_set, SAMPLE_RATE, 0.5, progress=False)))
    images = torch.from_numpy(np.stack([[base_representation("stft", clip, SAMPLE_RATE, settings)] for clip in clips]))
    labels = torch.from_numpy(table["label"].to_numpy())
    training = TrainingSettings(epochs=16, batch_size=8, learning_rate=1e-3, precise_batch_norm=True)
    epsilon = 0.05
    losses = {"standard": [], "adversarial": []}
    # Three seeds: on 40 clips one training run's FGSM loss varies by a factor of three with the
    # seed and the CPU's kernels; the mean over seeds does not.
    for seed in (0, 1, 2):
        for name, loss in (("standard", {}), ("adversarial", {"loss_fn": FGSMAdversarialLoss(epsilon, 0.0)})):
            seed_everything(seed)  # the initial weights too, whatever ran before in this process
            model = build_model("resnet18", 1, len(SYNTHETIC_CLASSES))
            train_classifier(model, (images, labels), training, seed_everything(seed), cpu, progress=False, **loss)
            losses[name].append(_fgsm_loss_on(model, images, labels, epsilon))
    # The same seeds, data and epochs: only the loss differs.
    assert np.mean(losses["adversarial"]) < 0.8 * np.mean(losses["standard"]), losses


def test_fold_arrays_train_on_every_version_and_validate_on_originals():
    table = _table(n_per_class=6, n_classes=2)
    split = audio_split(table, "random", seed=0, test_fraction=0.25, cv_folds=2)
    images = np.random.default_rng(0).random((len(table), 3, 4, 5)).astype(np.float32)  # 3 versions per clip
    arrays = fold_arrays({"stft": images}, "stft", table, split, fold=1)
    train_clips = split[(split["role"] == "development") & (split["cv_fold"] == 0)]["clip"].to_numpy()
    assert len(arrays.x_train) == 3 * len(train_clips)
    assert torch.equal(arrays.x_train[:3][:, 0], torch.from_numpy(images[train_clips[0]]))
    validation_clips = split[split["cv_fold"] == 1]["clip"].to_numpy()
    assert torch.equal(arrays.x_validation[:][:, 0], torch.from_numpy(images[validation_clips, 0]))
    with pytest.raises(ValueError, match="fold 7"):
        fold_arrays({"stft": images}, "stft", table, split, fold=7)


def test_select_fold_takes_the_best_validation_accuracy():
    assert select_fold({0: 80.0, 1: 92.5, 2: 92.5, 3: 10.0}) == 1
    with pytest.raises(ValueError):
        select_fold({})


# --- Table I -----------------------------------------------------------------------------


def test_table1_drop_is_original_minus_adversarial_per_seed_beside_the_paper(repo):
    rows = []
    for seed, (original, adversarial) in enumerate([(80.0, 70.0), (84.0, 78.0)]):
        for flag, accuracy in ((False, original), (True, adversarial)):
            rows.append(
                {
                    "dataset": "esc50",
                    "representation": "cwt",
                    "model": "resnet56",
                    "adversarial_training": flag,
                    "seed": seed,
                    "accuracy": accuracy,
                }
            )
    published = pd.read_csv(repo / "config" / "published" / "sallo2020_audio.csv")
    tidy = table1(pd.DataFrame(rows), published)
    cell = tidy[(tidy["dataset"] == "esc50") & (tidy["representation"] == "cwt") & (tidy["model"] == "resnet56")]
    accuracy = cell[cell["metric"] == "accuracy"].iloc[0]
    drop = cell[cell["metric"] == "accuracy_drop"].iloc[0]
    assert accuracy["ours_mean"] == pytest.approx(82.0) and accuracy["n_seeds"] == 2
    assert drop["ours_mean"] == pytest.approx(8.0) and drop["ours_std"] == pytest.approx(np.std([10.0, 6.0], ddof=1))
    assert accuracy["published"] == pytest.approx(71.56) and drop["published"] == pytest.approx(11.09)
    assert accuracy["difference"] == pytest.approx(82.0 - 71.56)
    # The paper's other cells are listed, marked as not run.
    assert len(tidy) == 2 * 4 * 6 * 2
    layout = table1_layout(tidy)
    assert layout.loc[("ESC-50", "DWT"), ("ResNet-56", "ours")] == "82.0 ± 2.8 (8.0 ± 2.8)"
    assert layout.loc[("ESC-50", "DWT"), ("ResNet-56", "paper")] == "71.56 (11.09)"
    assert layout.loc[("UrbanSound8K", "STFT"), ("VGG-16", "ours")] == "not run"


def test_a_download_failing_its_checksums_is_refused_with_the_file(monkeypatch, tmp_path):
    import soundata

    from signal_robustness.data.audio import download_audio_dataset

    class CorruptDownload:
        def download(self):
            pass

        def validate(self, verbose=False):
            missing = {"metadata": {}, "clips": {}}
            invalid = {"metadata": {}, "clips": {"1-100032-A-0": [str(tmp_path / "audio" / "1-100032-A-0.wav")]}}
            return missing, invalid

    seen = {}

    def initialize(name, data_home):
        seen.update(name=name, data_home=data_home)
        return CorruptDownload()

    monkeypatch.setattr(soundata, "initialize", initialize)
    with pytest.raises(AudioDatasetError, match="checksum mismatch .*1-100032-A-0.wav"):
        download_audio_dataset("esc10", tmp_path)
    assert seen == {"name": "esc50", "data_home": str(tmp_path)}  # ESC-10 comes with ESC-50
    with pytest.raises(AudioDatasetError, match="generated"):
        download_audio_dataset("synthetic", tmp_path)


def test_representations_computed_in_parallel_equal_the_serial_ones():
    rng = np.random.default_rng(0)
    waveforms = (0.1 * rng.standard_normal((5, 2, 4000))).astype(np.float32)
    settings = RepresentationSettings(height=8, width=8, tonnetz_height=4, cwt_sample_rate=8000)
    serial, parallel = (np.zeros((5, 2, 8, 8), dtype=np.float32) for _ in range(2))
    fill_representation("cwt", waveforms, 16000, settings, serial, workers=1, progress=False)
    fill_representation("cwt", waveforms, 16000, settings, parallel, workers=2, progress=False)
    assert np.array_equal(serial, parallel) and serial.std() > 0


def test_compact_storage_of_real_clips_stays_within_its_rounding_error(esc50_mini):
    """float16 and uint8 images of real clips, read back through the training reader, differ
    from float32 by at most half a step of their grid, and take a half and a quarter of the space."""
    from signal_robustness.train.audio import RepresentationImages

    table = read_clip_table("esc10", esc50_mini)
    clips = np.stack(list(iter_clips(table.iloc[:3], esc50_mini, SAMPLE_RATE, 5.0, progress=False)))[:, None]
    settings = RepresentationSettings(height=48, width=64, tonnetz_height=12)
    stored = {}
    for storage in IMAGE_STORAGE:
        bases = {}
        for name in ("stft", "tonnetz"):
            rows = 12 if name == "tonnetz" else 48
            bases[name] = np.zeros((3, 1, rows, 64), dtype=storage)
            fill_representation(name, clips, SAMPLE_RATE, settings, bases[name], progress=False)
        stored[storage] = bases
    read = {storage: RepresentationImages(bases, "stft_tonnetz", np.arange(3))[:] for storage, bases in stored.items()}
    exact = read["float32"]
    assert exact.std() > 0.05 and read["uint8"].dtype == read["float16"].dtype == torch.float32
    for storage, bound, share in (("float16", 2.0**-12, 2), ("uint8", 0.5 / 255, 4)):
        error = (read[storage] - exact).abs()
        # A real bound, not a vacuous one: most values do move, by less than half a step.
        assert 0 < float(error.max()) <= bound + 1e-7, storage
        assert float((error > 0).float().mean()) > 0.5, storage
        assert float(read[storage].min()) >= 0 and float(read[storage].max()) <= 1
        assert stored["float32"]["stft"].nbytes == share * stored[storage]["stft"].nbytes
    # uint8 rounding of continuous levels: an error spread evenly over half a step either way.
    rms = float((read["uint8"] - exact).pow(2).mean().sqrt())
    assert rms == pytest.approx(1 / (255 * 12**0.5), rel=0.2)
    with pytest.raises(ValueError, match="storage"):
        RepresentationSettings(height=48, width=64, tonnetz_height=12, storage="int8")
    with pytest.raises(ValueError, match="int8"):
        encode_images(exact.numpy(), "int8")


def test_stored_images_decode_to_what_they_encode():
    """Every uint8 level decodes to float32 k / 255 as numpy divides it, float16 exactly; the
    stored read and its decoding give what indexing gives, bases stored in two types too."""
    from signal_robustness.features import decode_images
    from signal_robustness.train.audio import RepresentationImages

    levels = np.arange(256, dtype=np.uint8)
    assert np.array_equal(decode_images(torch.from_numpy(levels)).numpy(), levels.astype(np.float32) / np.float32(255))
    halves = np.random.default_rng(0).random(1000).astype(np.float16)
    assert np.array_equal(decode_images(torch.from_numpy(halves)).numpy(), halves.astype(np.float32))
    rng = np.random.default_rng(2)
    for storage in IMAGE_STORAGE:
        bases = {
            name: encode_images(rng.random((5, 2, rows, 7)), storage) for name, rows in (("stft", 6), ("tonnetz", 2))
        }
        images = RepresentationImages(bases, "stft_tonnetz", np.array([3, 1, 4]), range(2))
        index = torch.tensor([5, 0, 2])
        stored = images.stored(index)
        assert stored.dtype == getattr(torch, storage) and stored.shape == (3, 1, 8, 7)
        assert torch.equal(images.decode(stored), images[index]) and images[index].dtype == torch.float32
        clips, versions = np.array([4, 3, 1]), np.array([1, 0, 0])
        composed = np.concatenate([bases["stft"][clips, versions], bases["tonnetz"][clips, versions]], axis=-2)
        assert np.array_equal(stored.numpy()[:, 0], composed)
    # Bases stored in two types are each decoded before stacking: uint8 levels are no float16 values.
    mixed = {
        "stft": encode_images(rng.random((5, 2, 6, 7)), "uint8"),
        "tonnetz": encode_images(rng.random((5, 2, 2, 7)), "float16"),
    }
    images = RepresentationImages(mixed, "stft_tonnetz", np.arange(5))
    parts = [decode_images(torch.from_numpy(mixed[name][:, 0])).numpy() for name in ("stft", "tonnetz")]
    assert images.stored(torch.arange(5)).dtype == torch.float32
    assert np.array_equal(images[:].numpy()[:, 0], np.concatenate(parts, axis=-2))


def test_images_read_on_indexing_train_exactly_like_an_in_memory_tensor(cpu):
    from signal_robustness.train.audio import RepresentationImages

    rng = np.random.default_rng(1)
    bases = {"cwt": rng.random((6, 3, 8, 8), dtype=np.float32), "tonnetz": rng.random((6, 3, 2, 8), dtype=np.float32)}
    lazy = RepresentationImages(bases, "cwt_tonnetz", np.array([4, 0, 2]), range(3))
    assert lazy.shape == (9, 1, 10, 8) and len(lazy) == 9
    expected = torch.from_numpy(
        np.concatenate([bases["cwt"][[4, 0, 2]], bases["tonnetz"][[4, 0, 2]]], axis=-2)
    ).reshape(9, 1, 10, 8)
    assert torch.equal(lazy[:], expected)
    assert torch.equal(lazy[torch.tensor([5, 1])], expected[[5, 1]])
    assert torch.equal(lazy[4], expected[4:5])
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 0, 0, 0])
    settings = TrainingSettings(epochs=2, batch_size=4, precise_batch_norm=True)
    weights = []
    for inputs in (lazy, expected.clone()):
        seed_everything(0)
        model = build_model("resnet56", 1, 2)
        train_classifier(model, (inputs, labels), settings, seed_everything(0), cpu, progress=False)
        weights.append(model.state_dict())
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def test_table1_markdown_keeps_one_column_per_cell_with_stacked_representations(repo):
    from signal_robustness.report.tables import render_layout

    rows = [
        {
            "dataset": "synthetic",
            "representation": "cwt_tonnetz",
            "model": "resnet56",
            "adversarial_training": flag,
            "seed": 0,
            "accuracy": accuracy,
        }
        for flag, accuracy in ((False, 90.0), (True, 80.0))
    ]
    published = pd.read_csv(repo / "config" / "published" / "sallo2020_audio.csv")
    markdown = render_layout(table1_layout(table1(pd.DataFrame(rows), published)), "caption")["markdown"]
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    widths = {len(line.replace("\\|", "").split("|")) for line in lines}
    assert len(widths) == 1  # every row has as many cells as the header
    assert "DWT \\| Tonnetz" in markdown and "90.0 (10.0)" in markdown


def test_a_shrunk_stft_keeps_a_tone_bright():
    # 1025 bins shrink to 32 rows: the tone's row averages power, so it stays near the top level.
    image = stft_image(tone(2000.0), SAMPLE_RATE, size=(32, 16))
    row = int(round(2000.0 / (SAMPLE_RATE / 2) * 32 - 0.5))
    assert image.shape == (32, 16)
    assert image[row - 1 : row + 2].max() > 0.75
    assert np.median(image) < 0.3


def test_a_fine_tuned_state_dict_loads_into_the_plain_architecture(tmp_path):
    # evaluate_audio rebuilds every model without pretrained weights and loads its state dict.
    from signal_robustness.models.torchvision_compat import import_torchvision_models

    torch.save(
        import_torchvision_models().googlenet(weights=None, aux_logits=True, init_weights=True).state_dict(),
        tmp_path / "g.pt",
    )
    fine_tuned = build_model("googlenet", 1, 5, weights_path=tmp_path / "g.pt")
    plain = build_model("googlenet", 1, 5)
    plain.load_state_dict(fine_tuned.state_dict())
    x = torch.rand(2, 1, 32, 32)
    assert torch.equal(plain.eval()(x), fine_tuned.eval()(x))


def test_imagenet_weights_come_from_torchvision_s_registry_with_their_hash_checked(monkeypatch, tmp_path):
    import sys

    from signal_robustness.errors import InputError
    from signal_robustness.models.vision import download_imagenet_weights, imagenet_weights

    weights = imagenet_weights("resnet18")
    assert weights.url.startswith("https://download.pytorch.org/models/resnet18-")
    with pytest.raises(InputError, match="resnet56"):
        imagenet_weights("resnet56")
    seen = {}

    def load_state_dict_from_url(
        url, model_dir=None, map_location=None, progress=True, check_hash=False, file_name=None, weights_only=False
    ):
        seen.update(url=url, check_hash=check_hash)
        return {"fc.weight": torch.ones(2, 2)}

    # torchvision's registry downloads through this function (no network in tests).
    monkeypatch.setattr(sys.modules["torchvision.models._api"], "load_state_dict_from_url", load_state_dict_from_url)
    download_imagenet_weights("resnet18", tmp_path / "resnet18_imagenet.pt")
    assert seen == {"url": weights.url, "check_hash": True}
    assert torch.equal(torch.load(tmp_path / "resnet18_imagenet.pt", weights_only=True)["fc.weight"], torch.ones(2, 2))
