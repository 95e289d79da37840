"""Rule latent_pca_figure: test series through each trained model -> PCA panels (Figures 5/6)."""

from pathlib import Path

import torch

from signal_robustness.io import save_figure
from signal_robustness.joblog import log_to_file
from signal_robustness.report.figures import latent_pca
from signal_robustness.train import load_trained_run

dataset = snakemake.wildcards.dataset
with log_to_file(snakemake.log[0], snakemake.output):
    embeddings, labels = {}, None
    for path in snakemake.input.models:
        splits, model = load_trained_run(dataset, snakemake.input.data, path)
        run = Path(path).parent  # .../{method}/{regulariser}/seed{seed}
        name = run.parent.parent.name + (" + FS" if run.parent.name == "feat_sim" else "")
        with torch.no_grad():
            embeddings[name] = model.embed(torch.from_numpy(splits.x_test)).numpy()
        labels = splits.y_test
    save_figure(
        snakemake.output[0], latent_pca(embeddings, labels, f"{dataset}: PCA of the pooled features of the test series")
    )
