"""Rule choose_radius: model.pt + training data -> radius.json."""

import torch

from signal_robustness.defenses.evaluation import choose_radius
from signal_robustness.io import save_json
from signal_robustness.runtime import log_to_file, select_device, set_threads
from signal_robustness.train import load_trained_run

with log_to_file(snakemake.log[0]) as log:
    set_threads(snakemake.threads)
    device = select_device(snakemake.params.device)
    splits, model = load_trained_run(snakemake.wildcards.dataset, snakemake.input.data, snakemake.input.model)
    choice = choose_radius(
        model, torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train), snakemake.params.n_directions,
        snakemake.params.radius_grid, snakemake.params.max_clean_drop, snakemake.params.defense_seed, device,
    )
    log.info("selected r = %s (within tolerance: %s)", choice["selected_radius"], choice["within_tolerance"])
    save_json(snakemake.output[0], choice)
