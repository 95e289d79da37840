"""What storing images as float16 or uint8 costs in accuracy of the stored values, at the paper's size.

    python bench/bench_image_storage.py [--data ../shared/data/esc50-mini] [--clips 8] [--cwt]

Computes each base representation of the first ESC-10 clips at 768 x 1568 (tonnetz 540 rows),
stores it in every ``audio.image.storage`` type, reads it back as the training reader does, and
prints per type: bytes per image, the largest and the RMS difference from float32, and the L2
norm of the difference per image (to set beside the attacks' L2 budgets). ``--cwt`` adds the
CWT images, about 5 CPU-s each.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from signal_robustness.data.audio import iter_clips, read_clip_table
from signal_robustness.features import IMAGE_STORAGE, RepresentationSettings, fill_representation
from signal_robustness.features.representations import decode_images

SAMPLE_RATE = 22050


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/esc50-mini"))
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--cwt", action="store_true")
    args = parser.parse_args()
    table = read_clip_table("esc10", args.data).iloc[: args.clips]
    clips = np.stack(list(iter_clips(table, args.data, SAMPLE_RATE, 5.0, progress=False)))[:, None]
    settings = RepresentationSettings(height=768, width=1568, tonnetz_height=540, cwt_sample_rate=16000)
    rows = []
    for name in ("stft", "tonnetz", *(("cwt",) if args.cwt else ())):
        height = settings.tonnetz_height if name == "tonnetz" else settings.height
        exact = np.zeros((len(clips), 1, height, settings.width), dtype=np.float32)
        fill_representation(name, clips, SAMPLE_RATE, settings, exact, progress=False)
        for storage in IMAGE_STORAGE[1:]:
            stored = np.zeros_like(exact, dtype=storage)
            fill_representation(name, clips, SAMPLE_RATE, settings, stored, progress=False)
            error = (decode_images(torch.from_numpy(stored)).numpy() - exact).reshape(len(clips), -1).astype(np.float64)
            rows.append(
                {
                    "image": name,
                    "storage": storage,
                    "MB per image": stored[0, 0].nbytes / 1e6,
                    "float32 MB": exact[0, 0].nbytes / 1e6,
                    "max |error|": np.abs(error).max(),
                    "RMS error": np.sqrt((error**2).mean()),
                    "L2 of error per image (mean)": np.linalg.norm(error, axis=1).mean(),
                }
            )
    print(f"{len(clips)} ESC-10 clips of {args.data}, {settings.height} x {settings.width}")
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g"))


if __name__ == "__main__":
    main()
