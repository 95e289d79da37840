"""Rule fetch_imagenet_weights: torchvision's ImageNet weights of one model -> resources/pretrained/{model}_imagenet.pt."""

from signal_robustness.joblog import log_to_file
from signal_robustness.models.vision import download_imagenet_weights, imagenet_weights

with log_to_file(snakemake.log[0], snakemake.output) as log:
    model = snakemake.wildcards.model
    download_imagenet_weights(model, snakemake.output[0])
    log.info("%s: %s, hash checked, saved to %s", model, imagenet_weights(model).url, snakemake.output[0])
