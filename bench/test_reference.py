"""Fast checks of the Python reference (ctest: bench_python_reference; < 30 s on one thread).

    /usr/bin/python3 bench/test_reference.py

Expectations are independent of the code under test: torchvision's published parameter counts
(adjusted for 1 input channel and 4 classes), parameter counts of `small` summed by hand from
its contract, hand-made confusion matrices, and invariants of the augmentation and the split.
"""
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alz_data import stratified_split  # noqa: E402
from recipe_search import augment, metrics  # noqa: E402
from reference_small import count_parameters, make_model  # noqa: E402

torch.set_num_threads(1)


def small_params_by_hand():
    conv = lambda cin, cout, k: cin * cout * k * k  # noqa: E731
    bn = lambda c: 2 * c  # noqa: E731
    total = conv(1, 32, 3) + bn(32)
    for cin, cout in ((32, 32), (32, 64), (64, 128), (128, 256)):
        total += conv(cin, cout, 3) + bn(cout) + conv(cout, cout, 3) + bn(cout)
        if cin != cout:
            total += conv(cin, cout, 1) + bn(cout)
    return total + 256 * 4 + 4


class ReferenceModels(unittest.TestCase):
    def test_small_matches_contract(self):
        net = make_model("small")
        self.assertEqual(count_parameters(net), small_params_by_hand())
        self.assertEqual(tuple(net(torch.zeros(3, 1, 128, 128)).shape), (3, 4))
        names = [k for k in net.state_dict() if not k.endswith("num_batches_tracked")]
        for name in ("backbone.stem.0.weight", "backbone.stem.1.running_mean",
                     "backbone.layer1.conv1.weight", "backbone.layer2.downsample.0.weight",
                     "backbone.layer4.bn2.bias", "head.fc.weight"):
            self.assertIn(name, names)
        self.assertNotIn("backbone.layer1.downsample.0.weight", names)  # 32->32 stride 1: identity

    def test_small_init(self):
        torch.manual_seed(0)
        net = make_model("small")
        w = net.backbone.layer4.conv2.weight  # kaiming fan_out relu: std = sqrt(2 / (256*9))
        self.assertAlmostEqual(float(w.std()), (2 / (256 * 9)) ** 0.5, delta=0.03 * (2 / (256 * 9)) ** 0.5)
        self.assertTrue(torch.all(net.backbone.layer4.bn2.weight == 1))
        self.assertTrue(torch.all(net.backbone.layer4.bn2.bias == 0))

    def test_efficientnet_b2_matches_torchvision_count(self):
        # torchvision efficientnet_b2: 9,109,994 parameters (3 channels, 1000 classes).
        # 1 input channel: first conv 3*32*9 -> 1*32*9 (-576); 4 classes: 1408*1000+1000 -> 1408*4+4.
        expected = 9_109_994 - 576 - (1408 * 1000 + 1000) + (1408 * 4 + 4)
        net = make_model("efficientnet_b2")
        self.assertEqual(count_parameters(net), expected)
        net.eval()
        self.assertEqual(tuple(net(torch.zeros(1, 1, 64, 64)).shape), (1, 4))


class RecipePieces(unittest.TestCase):
    def test_metrics_hand_computed(self):
        y = np.array([0, 0, 1, 2, 2, 2, 3, 3])
        p = np.array([0, 1, 1, 2, 2, 3, 3, 0])
        m = metrics(y, p)
        # recalls 1/2, 1, 2/3, 1/2; precisions 1/2, 1/2, 1, 1/2
        self.assertAlmostEqual(m["balanced_accuracy"], (0.5 + 1 + 2 / 3 + 0.5) / 4)
        f1 = [0.5, 2 * 0.5 * 1 / 1.5, 2 * 1 * (2 / 3) / (5 / 3), 0.5]
        self.assertAlmostEqual(m["macro_f1"], sum(f1) / 4)
        self.assertAlmostEqual(m["accuracy"], 5 / 8)

    def test_augment_identity_and_ranges(self):
        g = torch.Generator().manual_seed(0)
        x = torch.rand(4, 1, 16, 16, generator=g)
        same = augment(x, g, crop_scale=1.0, rotation=0, hflip=0.0, brightness=0, contrast=0)
        self.assertTrue(torch.allclose(same, x, atol=1e-6))
        flipped = augment(x, g, crop_scale=1.0, rotation=0, hflip=1.0, brightness=0, contrast=0)
        self.assertTrue(torch.allclose(flipped, x.flip(-1), atol=1e-6))
        strong = augment(x, g, crop_scale=0.8, rotation=15, hflip=0.5, brightness=0.3, contrast=0.3)
        self.assertTrue(float(strong.min()) >= 0 and float(strong.max()) <= 1)

    def test_grouped_split_keeps_groups_whole_and_stratified(self):
        labels = np.repeat([0, 1, 2, 3], [100, 8, 200, 160])
        groups = np.concatenate([np.arange(100) // 10, 100 + np.arange(8) // 4,
                                 200 + np.arange(200) // 10, 400 + np.arange(160) // 10])
        tr, va = stratified_split(labels, 0.2, 3, groups)
        self.assertEqual(len(np.intersect1d(tr, va)), 0)
        self.assertEqual(len(tr) + len(va), len(labels))
        self.assertFalse(set(groups[tr]) & set(groups[va][labels[va] != 1]))  # whole groups
        # whole groups of 10 are drawn until the quota round(0.2 n) is met: 20, 40, 32 -> 40
        for c, expected in ((0, 20), (2, 40), (3, 40)):
            self.assertEqual(np.sum(labels[va] == c), expected)
        self.assertEqual(np.sum(labels[va] == 1), 2)  # 2 groups < 5: random fallback, 20 % of 8


if __name__ == "__main__":
    unittest.main(verbosity=1)
