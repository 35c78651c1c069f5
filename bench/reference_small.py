"""PyTorch mirrors of alzscan's native models, for benchmarks and recipe search.

Mirrors native/models exactly in structure, names and init, so the same recipe means the same
thing on both sides and images/s compare like for like:

    from reference_small import make_model
    net = make_model("small")                  # 1,128,128 gray -> 4 logits
    net = make_model("efficientnet_b2")        # torchvision's EfficientNet-B2, 1 input channel
    logits = net(torch.zeros(8, 1, 128, 128))  # 8,4

Module names follow the C++ Classifier: "backbone" (small: stem.0/stem.1, layer1..layer4 each ONE
BasicBlock with conv1, bn1, conv2, bn2, downsample.0/.1) and "head" (the linear head: head.fc).
`small` (the contract shared with the models helper): stem conv3x3/2 (1->32, no bias) + BN + ReLU;
four torchvision BasicBlocks 32->32/1, 32->64/2, 64->128/2, 128->256/2; global average pool ->
256 features -> head. Kaiming-normal (fan_out, relu) conv init, BN weight 1 / bias 0.
`width` scales every channel count of `small` (32 -> 32*width ...) for the recipe search only;
width=1 is the contract.
"""
import math
from functools import partial

import torch
from torch import nn


def _conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = _conv3x3(cin, cout, stride)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(cout, cout)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class SmallBackbone(nn.Module):
    def __init__(self, in_channels=1, width=1.0):
        super().__init__()
        c = [max(8, int(round(v * width))) for v in (32, 64, 128, 256)]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c[0], 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(c[0]), nn.ReLU(inplace=True))
        self.layer1 = BasicBlock(c[0], c[0], 1)  # one block per layer: names layer1.conv1 ...
        self.layer2 = BasicBlock(c[0], c[1], 2)
        self.layer3 = BasicBlock(c[1], c[2], 2)
        self.layer4 = BasicBlock(c[2], c[3], 2)
        self.out_channels = c[3]
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def feature_maps(self, x):
        return self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))

    def forward(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool2d(self.feature_maps(x), 1), 1)


# ---- EfficientNet-B2, written from torchvision.models.efficientnet (v0.14) by hand ----------

def _make_divisible(v, divisor=8, min_value=None):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class ConvNormAct(nn.Sequential):
    """torchvision.ops.Conv2dNormActivation: conv (no bias) + BN [+ activation]."""

    def __init__(self, cin, cout, kernel=3, stride=1, groups=1, activation=nn.SiLU):
        layers = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        if activation is not None:
            layers.append(activation(inplace=True))
        super().__init__(*layers)


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, squeeze):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.SiLU(inplace=True)
        self.scale_activation = nn.Sigmoid()

    def forward(self, x):
        s = self.fc2(self.activation(self.fc1(self.avgpool(x))))
        return self.scale_activation(s) * x


def stochastic_depth_row(x, p, training):
    if not training or p == 0.0:
        return x
    survival = 1.0 - p
    noise = torch.empty([x.shape[0]] + [1] * (x.ndim - 1), dtype=x.dtype, device=x.device)
    noise.bernoulli_(survival)
    if survival > 0.0:
        noise.div_(survival)
    return x * noise


class MBConv(nn.Module):
    def __init__(self, expand_ratio, kernel, stride, cin, cout, sd_prob):
        super().__init__()
        self.use_res_connect = stride == 1 and cin == cout
        expanded = _make_divisible(cin * expand_ratio, 8)
        layers = []
        if expanded != cin:
            layers.append(ConvNormAct(cin, expanded, 1))
        layers.append(ConvNormAct(expanded, expanded, kernel, stride, groups=expanded))
        layers.append(SqueezeExcitation(expanded, max(1, cin // 4)))
        layers.append(ConvNormAct(expanded, cout, 1, activation=None))
        self.block = nn.Sequential(*layers)
        self.sd_prob = sd_prob

    def forward(self, x):
        out = self.block(x)
        if self.use_res_connect:
            out = stochastic_depth_row(out, self.sd_prob, self.training) + x
        return out


class EfficientNetBackbone(nn.Module):
    # (expand_ratio, kernel, stride, in, out, layers) for B0; B2 scales width 1.1, depth 1.2.
    B0 = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
          (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]

    def __init__(self, in_channels=1, width_mult=1.1, depth_mult=1.2, stochastic_depth=0.2):
        super().__init__()
        ch = partial(lambda c: _make_divisible(c * width_mult, 8))
        setting = [(e, k, s, ch(i), ch(o), int(math.ceil(n * depth_mult))) for e, k, s, i, o, n in self.B0]
        features = [ConvNormAct(in_channels, setting[0][3], 3, 2)]
        total = sum(n for *_, n in setting)
        block_id = 0
        for e, k, s, cin, cout, n in setting:
            stage = []
            for i in range(n):
                stage.append(MBConv(e, k, s if i == 0 else 1, cin if i == 0 else cout, cout,
                                    stochastic_depth * block_id / total))
                block_id += 1
            features.append(nn.Sequential(*stage))
        last_in = setting[-1][4]
        features.append(ConvNormAct(last_in, 4 * last_in, 1))
        self.features = nn.Sequential(*features)
        self.out_channels = 4 * last_in
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)


class LinearHead(nn.Module):
    """The C++ `linear` head (head.fc); dropout > 0 adds one before it (EfficientNet's 0.3)."""

    def __init__(self, features, num_classes, dropout=0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(features, num_classes)

    def forward(self, x):
        return self.fc(self.dropout(x))


class Classifier(nn.Module):
    def __init__(self, backbone, num_classes=4, dropout=0.0):
        super().__init__()
        self.backbone = backbone
        self.head = LinearHead(backbone.out_channels, num_classes, dropout)

    def forward(self, x):
        return self.head(self.backbone(x))


def make_model(arch="small", num_classes=4, in_channels=1, width=1.0, dropout=None):
    if arch == "small":
        return Classifier(SmallBackbone(in_channels, width), num_classes, dropout or 0.0)
    if arch == "efficientnet_b2":
        net = Classifier(EfficientNetBackbone(in_channels), num_classes, 0.3 if dropout is None else dropout)
        r = 1.0 / math.sqrt(num_classes)  # torchvision's classifier init
        nn.init.uniform_(net.head.fc.weight, -r, r)
        nn.init.zeros_(net.head.fc.bias)
        return net
    raise ValueError(f"unknown arch '{arch}' (expected small or efficientnet_b2)")


def count_parameters(net):
    return sum(p.numel() for p in net.parameters())


def compare_with_checkpoint(arch, path):
    """Names and shapes of an alzscan checkpoint's state_dict vs this mirror; returns problems."""
    cpp = torch.jit.load(path).__getattr__("state_dict")  # native/models/checkpoint.h: "state_dict" entry
    cpp = {k: tuple(v.shape) for k, v in cpp.items()}
    py = {k: tuple(v.shape) for k, v in make_model(arch).state_dict().items()}
    problems = [f"only in {path}: {k}" for k in sorted(set(cpp) - set(py))]
    problems += [f"only in the Python {arch}: {k}" for k in sorted(set(py) - set(cpp))]
    problems += [f"{k}: {cpp[k]} vs {py[k]}" for k in sorted(set(cpp) & set(py)) if cpp[k] != py[k]]
    return len(py), problems


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":  # --compare ARCH CHECKPOINT
        n, problems = compare_with_checkpoint(sys.argv[2], sys.argv[3])
        if problems:
            print(f"NOT the same model as {sys.argv[3]}:", *problems[:20], sep="\n  ")
            sys.exit(1)
        print(f"same model: {n} state_dict tensors, names and shapes identical to {sys.argv[3]}")
        sys.exit(0)
    for arch in ("small", "efficientnet_b2"):
        net = make_model(arch)
        print(arch, count_parameters(net), tuple(net(torch.zeros(2, 1, 128, 128)).shape))
