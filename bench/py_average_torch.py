#!/usr/bin/python3
"""Python baseline (a): torch.load each .pt + torch.optim.swa_utils.AveragedModel, torch.save."""
import sys

import torch
import torchvision
from torch.optim.swa_utils import AveragedModel

out, inputs = sys.argv[1], sys.argv[2:]
torch.set_num_threads(2)
model = torchvision.models.resnet50(num_classes=10)
swa = AveragedModel(model, use_buffers=True)
for path in inputs:
    model.load_state_dict(torch.load(path))
    swa.update_parameters(model)
torch.save(dict(swa.module.state_dict()), out)
