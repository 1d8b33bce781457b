#!/usr/bin/python3
"""Regenerates the torchvision key lists the ResNet test compares against (Debian python3-torchvision)."""
import os

import torchvision

here = os.path.dirname(os.path.abspath(__file__))
for depth in (18, 34, 50, 101, 152):
    model = getattr(torchvision.models, f"resnet{depth}")(num_classes=10)
    with open(os.path.join(here, f"torchvision_resnet{depth}_keys.txt"), "w") as f:
        f.write(f"# torchvision {torchvision.__version__} resnet{depth}(num_classes=10).state_dict(): key dtype shape\n")
        for key, t in model.state_dict().items():
            shape = "x".join(map(str, t.shape)) or "scalar"
            f.write(f"{key} {str(t.dtype).replace('torch.', '')} {shape}\n")
