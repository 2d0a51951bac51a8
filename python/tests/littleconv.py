"""LittleConv in PyTorch, written from Loupe's description (Sources/Train/Models/Architecture.swift).

Stage i is ``features.{4i}`` conv 3×3 (no bias) → ``features.{4i+1}`` BatchNorm → ``features.{4i+2}`` ReLU
(in place, as PyTorch code usually has it) → ``features.{4i+3}`` max-pool 2; then ``avgpool`` (global
average), optional ``dropout``, ``fc``. The names are Loupe's, so a Loupe checkpoint loads with
``strict=True`` and ``loupe_torch`` dumps have Loupe's layer names.
"""

import torch.nn as nn


class LittleConv(nn.Module):
    def __init__(self, num_classes, in_channels=3, channels=(32, 64, 128, 256), dropout=0.0):
        super().__init__()
        layers, cin = [], in_channels
        for c in channels:
            layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.MaxPool2d(2, 2)]
            cin = c
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        if dropout > 0:
            self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)
        if hasattr(self, "dropout"):
            x = self.dropout(x)
        return self.fc(x)
