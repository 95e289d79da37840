"""Shared fixtures. Data under ../shared exists beside the project in development and CI,
not in a user's clone: tests that need it skip cleanly when it is absent."""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import pytest
import torch
import yaml

os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SHARED_UCR = SHARED_DATA / "ucr" / "UCRArchive_2018"
SHARED_ESC50 = SHARED_DATA / "esc50-mini"


# The longest files first (pytest --durations on the 2-core machine): `make test` hands files
# out in this order (--dist loadfile --no-loadscope-reorder), so the end-to-end run's file, as
# long as all the others together, starts at once beside the rest, and the short files fill
# the end. The order only: a stale list costs minutes, never a result.
LONGEST_FILES = (
    "test_workflow.py",
    "test_workflow_dag.py",
    "test_precision.py",
    "test_attacks.py",
    "test_workflow_inputs.py",
    "test_audio.py",
    "test_defenses.py",
    "test_autoattack.py",
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)

    items.sort(key=rank)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def paper_gpu_hours(repo):
    """bench/paper_gpu_hours.py as a module: the counting behind docs/gpu_hours.md's GPU-hours."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("paper_gpu_hours", repo / "bench" / "paper_gpu_hours.py")
    hours = importlib.util.module_from_spec(spec)
    sys.modules["paper_gpu_hours"] = hours  # its dataclass looks its module up there
    spec.loader.exec_module(hours)
    return hours


@pytest.fixture(scope="session")
def shared_ucr() -> Path:
    if not (SHARED_UCR / "TwoLeadECG").is_dir():
        pytest.skip("../shared/data/ucr is not present (a user's clone has none)")
    return SHARED_UCR


@pytest.fixture()
def ucr_copy(shared_ucr, tmp_path) -> Path:
    """A writable copy of the shared UCR archive (TwoLeadECG, Coffee), to damage."""
    copy = tmp_path / "UCRArchive_2018"
    shutil.copytree(shared_ucr, copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


@pytest.fixture()
def esc50_copy(tmp_path) -> Path:
    """A writable copy of the shared ESC-50 sample (83 real ESC-10 clips), to damage."""
    if not (SHARED_ESC50 / "meta" / "esc50.csv").is_file():
        pytest.skip("../shared/data/esc50-mini is not present (a user's clone has none)")
    copy = tmp_path / "esc50"
    shutil.copytree(SHARED_ESC50, copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


@pytest.fixture(scope="session")
def schema() -> dict:
    from signal_robustness.config import load_schema

    return load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


@pytest.fixture()
def default_config() -> dict:
    return copy.deepcopy(yaml.safe_load((REPO / "config" / "config.yaml").read_text()))


@pytest.fixture(autouse=True)
def _one_thread():
    # CI has 2 cores; one thread keeps timings stable and runs reproducible.
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def cpu() -> torch.device:
    return torch.device("cpu")


@pytest.fixture(scope="session")
def gunpoint():
    from signal_robustness.data import load_ucr

    return load_ucr("GunPoint")


def first_test_series(splits, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` test series and labels of ``splits``, checked to hold every class, so a
    test file can stay fast on part of the test set."""
    x, y = torch.from_numpy(splits.x_test[:n]), torch.from_numpy(splits.y_test[:n])
    assert len(torch.unique(y)) == splits.n_classes
    return x, y


@pytest.fixture(scope="session")
def trained_gunpoint(gunpoint, cpu):
    """A ResNet trained briefly on GunPoint: accurate enough that attacks have work to do."""
    from signal_robustness.train import TrainingSettings, fit_timeseries_classifier

    model, result = fit_timeseries_classifier(gunpoint, TrainingSettings(epochs=15), seed=0, device=cpu, progress=False)
    return model, result


@pytest.fixture(scope="session")
def quadrant_images():
    """512 8x8 images in [0, 1] whose class is the brighter of four quadrants, and their labels."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(512, 1, 8, 8, generator=generator) * 0.5
    labels = torch.randint(0, 4, (512,), generator=generator)
    for label in range(4):
        rows, cols = divmod(label, 2)
        x[labels == label, :, rows * 4 : rows * 4 + 4, cols * 4 : cols * 4 + 4] += 0.4
    return x, labels


def _fitted_mlp(x: torch.Tensor, labels: torch.Tensor) -> torch.nn.Module:
    """A small MLP fitted to 8 x 8 images of four classes (150 full-batch Adam steps, seed 0)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(model(x), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


@pytest.fixture(scope="session")
def small_network(quadrant_images):
    """A small MLP trained on ``quadrant_images``; returns it with the first 40 images and labels."""
    x, labels = quadrant_images
    model = _fitted_mlp(x, labels)
    with torch.no_grad():
        assert (model(x).argmax(1) == labels).float().mean() > 0.95
    return model, x[:40], labels[:40]


@pytest.fixture(scope="session")
def near_boundary_network():
    """The same MLP on uniform 8 x 8 images labelled by their brightest quadrant, where many
    images lie near the boundary; returns it with the first 40 images and labels."""
    x = torch.rand(200, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    labels = torch.stack([x[:, 0, r : r + 4, c : c + 4].mean((1, 2)) for r in (0, 4) for c in (0, 4)], 1).argmax(1)
    return _fitted_mlp(x, labels), x[:40], labels[:40]
