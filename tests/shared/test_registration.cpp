// registration.h, training_space.h, affine.h, otsu.h: hand-worked cases of the arithmetic, then the
// real thing on Colin27 (Debian's mricron-data): registered back from random affines, the macaque
// and an inverted contrast refused, bad volumes named.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "alzscan/affine.h"
#include "alzscan/otsu.h"
#include "alzscan/registration.h"
#include "alzscan/training_space.h"
#include "reference_volumes.h"

using namespace alzscan;
using namespace alzscan::test;

namespace {

double distance(const Vec3& a, const Vec3& b) {
    return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

// Mean distance between two template -> subject maps over the template's brain (2 mm labels).
double mean_displacement(const Affine& a, const Affine& b, const Reference& ref) {
    double sum = 0;
    size_t n = 0;
    const Grid& l = ref.labels;
    for (int k = 0; k < l.nz; ++k)
        for (int j = 0; j < l.ny; ++j)
            for (int i = 0; i < l.nx; ++i) {
                if (l.at(i, j, k) < 1) continue;
                const Vec3 x = l.vox2world.apply({double(i), double(j), double(k)});
                sum += distance(a.apply(x), b.apply(x));
                ++n;
            }
    return sum / double(n);
}

// The rotation angle (degrees) of the orthogonal part of a map's linear part.
double rotation_angle(const Affine& a) {
    const AffineParts p = decompose(a);
    Affine r = a;
    for (int row = 0; row < 3; ++row)
        for (int c = 0; c < 3; ++c) r.m[row][c] = a.m[row][c] / p.scales[c];
    const double trace = r.m[0][0] + r.m[1][1] + r.m[2][2];
    return std::acos(std::max(-1.0, std::min(1.0, (trace - 1) / 2))) * 180 / 3.14159265358979323846;
}

Volume filled(int n, double spacing, double value) {
    Volume v;
    v.nx = v.ny = v.nz = n;
    v.spacing = {spacing, spacing, spacing};
    v.affine = {{{spacing, 0, 0, 0}, {0, spacing, 0, 0}, {0, 0, spacing, 0}, {0, 0, 0, 1}}};
    v.datatype = "float32";
    v.voxels.assign(size_t(n) * n * n, value);
    return v;
}

const Colin27& need_colin27() {
    const Colin27& c = colin27();
    EXPECT_TRUE(c.error.empty()) << c.error;
    return c;
}

}  // namespace

TEST(Affine, ComposeInverseAndDecomposeByHand) {
    const Affine a{{{{2, 0, 0, 10}, {0, 3, 0, -4}, {0, 0, 0.5, 1}}}};
    const Vec3 y = a.apply({1, 2, 3});
    EXPECT_DOUBLE_EQ(y[0], 12);
    EXPECT_DOUBLE_EQ(y[1], 2);
    EXPECT_DOUBLE_EQ(y[2], 2.5);
    const Vec3 back = inverse(a).apply(y);
    EXPECT_NEAR(back[0], 1, 1e-12);
    EXPECT_NEAR(back[1], 2, 1e-12);
    EXPECT_NEAR(back[2], 3, 1e-12);
    EXPECT_DOUBLE_EQ(determinant(a), 3);
    const AffineParts p = decompose(compose(rigid_scale(0, 0, 30, 1.2, {1, 2, 3}), Affine{}));
    EXPECT_NEAR(p.scales[0], 1.2, 1e-9);
    EXPECT_NEAR(p.scales[2], 1.2, 1e-9);
    EXPECT_NEAR(p.rotation_deg[2], 30, 1e-9);
    EXPECT_NEAR(p.rotation_deg[0], 0, 1e-9);
    EXPECT_DOUBLE_EQ(p.translation[1], 2);
}

TEST(Affine, TrilinearIsExactOnALinearRampAndZeroOutside) {
    Grid g;
    g.nx = 4, g.ny = 3, g.nz = 2;
    for (int k = 0; k < 2; ++k)
        for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 4; ++i) g.v.push_back(float(1 + 2 * i + 3 * j + 5 * k));
    Vec3 grad;
    EXPECT_FLOAT_EQ(sample(g, {1.25, 0.5, 0.5}, &grad), 1 + 2.5f + 1.5f + 2.5f);
    EXPECT_DOUBLE_EQ(grad[0], 2);
    EXPECT_DOUBLE_EQ(grad[1], 3);
    EXPECT_DOUBLE_EQ(grad[2], 5);
    EXPECT_FLOAT_EQ(sample(g, {3, 2, 1}), 1 + 6 + 6 + 5);   // the last voxel itself
    EXPECT_EQ(sample(g, {-0.1, 0, 0}), 0.0f);
    EXPECT_EQ(sample(g, {0, 0, 1.01}), 0.0f);
}

TEST(Affine, DownsampleAveragesBlocksAndCentresThem) {
    Grid g;
    g.nx = 4, g.ny = 2, g.nz = 2;
    for (int n = 0; n < 16; ++n) g.v.push_back(float(n));
    const Grid d = downsample(g, 2, 2, 2);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_FLOAT_EQ(d.v[0], (0 + 1 + 4 + 5 + 8 + 9 + 12 + 13) / 8.0f);
    EXPECT_FLOAT_EQ(d.v[1], (2 + 3 + 6 + 7 + 10 + 11 + 14 + 15) / 8.0f);
    const Vec3 c = d.vox2world.apply({1, 0, 0});   // block 1 spans voxels 2..3: centre 2.5
    EXPECT_DOUBLE_EQ(c[0], 2.5);
    EXPECT_DOUBLE_EQ(c[1], 0.5);
}

TEST(Otsu, ThreeLevelsAreSplitBetweenThem) {
    std::vector<float> v;
    for (int i = 0; i < 300; ++i) v.push_back(10 + i % 5);    // 10..14
    for (int i = 0; i < 500; ++i) v.push_back(100 + i % 7);   // 100..106
    for (int i = 0; i < 400; ++i) v.push_back(200 + i % 3);   // 200..202
    const std::array<double, 2> t = otsu3(v);
    EXPECT_GT(t[0], 14);
    EXPECT_LE(t[0], 100);
    EXPECT_GT(t[1], 106);
    EXPECT_LE(t[1], 200);
}

TEST(Registration, BadVolumesAreNamed) {
    const Colin27& c = need_colin27();
    ASSERT_TRUE(c.error.empty());
    auto empty = register_affine(filled(64, 3, 0), c.reference);
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().find("no foreground"), std::string::npos) << empty.error();
    Volume one = filled(64, 1, 100);
    one.nz = 1;
    one.voxels.resize(64 * 64);
    auto single = register_affine(one, c.reference);
    ASSERT_FALSE(single);
    EXPECT_NE(single.error().find("a single slice"), std::string::npos) << single.error();
    auto huge = register_affine(filled(64, 10, 100), c.reference);
    ASSERT_FALSE(huge);
    EXPECT_NE(huge.error().find("field of view is 640 mm"), std::string::npos) << huge.error();
    auto cube = to_training_space(filled(64, 3, 100), c.reference, ConformSpec{});
    ASSERT_FALSE(cube);   // a uniform block correlates with nothing
    EXPECT_NE(cube.error().find("registration"), std::string::npos) << cube.error();
}

// The acceptance test of the issue: Colin27, with and without skull, moved by 8 random affines
// (rotations up to 20 degrees about each axis, scale 0.85..1.15, shifts up to 20 mm), is found
// again within 1.5 mm mean displacement over the brain and 2 degrees of the unmoved registration.
TEST(Registration, Colin27ComesBackFromRandomAffines) {
    const Colin27& c = need_colin27();
    ASSERT_TRUE(c.error.empty());
    std::mt19937 rng(2026);
    auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * (rng() / 4294967296.0); };
    for (const Volume* subject : {&c.head, &c.brain}) {
        auto base = register_affine(*subject, c.reference);
        ASSERT_TRUE(base) << base.error();
        EXPECT_GT(base->ncc, 0.95);
        for (int n = 0; n < 8; ++n) {
            const Affine world = rigid_scale(uniform(-20, 20), uniform(-20, 20), uniform(-20, 20), uniform(0.85, 1.15),
                                             {uniform(-20, 20), uniform(-20, 20), uniform(-20, 20)});
            auto reg = register_affine(moved(*subject, world), c.reference);
            ASSERT_TRUE(reg) << reg.error();
            const Affine truth = compose(world, base->template_to_subject);
            const double mm = mean_displacement(reg->template_to_subject, truth, c.reference);
            const double deg = rotation_angle(compose(inverse(truth), reg->template_to_subject));
            std::printf("%s affine %d: %.3f mm, %.3f deg, correlation %.4f (%s)\n", subject == &c.head ? "ch2" : "ch2bet",
                        n, mm, deg, reg->ncc, reg->start.c_str());
            EXPECT_LE(mm, 1.5) << "affine " << n;
            EXPECT_LE(deg, 2.0) << "affine " << n;
        }
    }
}

TEST(TrainingSpace, Colin27WithAndWithoutSkullGiveTheSameBrain) {
    const Colin27& c = need_colin27();
    ASSERT_TRUE(c.error.empty());
    auto head = to_training_space(c.head, c.reference, ConformSpec{});
    auto brain = to_training_space(c.brain, c.reference, ConformSpec{});
    ASSERT_TRUE(head) << head.error();
    ASSERT_TRUE(brain) << brain.error();
    EXPECT_EQ(head->registration.template_used, "head");
    EXPECT_EQ(brain->registration.template_used, "brain");
    ASSERT_EQ(head->slab.images.size(), 32u);
    EXPECT_EQ(head->slab.slices, brain->slab.slices);
    // Same person, same grid: the extracted brains overlap (Dice over the band's masks).
    size_t both = 0, either = 0;
    for (size_t s = 0; s < 32; ++s)
        for (size_t n = 0; n < head->slab.images[s].pixels.size(); ++n) {
            const bool a = head->slab.images[s].pixels[n] > 0, b = brain->slab.images[s].pixels[n] > 0;
            both += a && b, either += a || b;
        }
    const double dice = 2.0 * both / double(both + either);
    std::printf("Dice of the extracted brains (ch2 vs ch2bet): %.4f\n", dice);
    EXPECT_GT(dice, 0.95);
    EXPECT_GT(head->tissue[2], head->tissue[1]);   // T1: WM > GM > CSF
    EXPECT_GT(head->tissue[1], head->tissue[0]);
}

// Hand-built headers: the longest voxel side over kThickVoxelMm, named by the world axis its
// column of the affine runs along most (the voxel order and obliquity do not matter).
TEST(TrainingSpace, ThickSlicesAreNamedByTheWorldAxisTheyRunAlong) {
    auto volume = [](std::array<double, 3> spacing, std::array<std::array<double, 3>, 3> columns) {
        Volume v;
        v.nx = v.ny = v.nz = 10;
        v.spacing = spacing;
        for (int a = 0; a < 3; ++a)
            for (int w = 0; w < 3; ++w) v.affine[w][a] = columns[a][w] * spacing[a];
        v.affine[3][3] = 1;
        return v;
    };
    const std::array<double, 3> r{1, 0, 0}, a{0, 1, 0}, s{0, 0, 1}, l{-1, 0, 0}, i{0, 0, -1};
    EXPECT_EQ(thick_voxel_note(volume({1, 1, 1}, {r, a, s})), "");
    EXPECT_EQ(thick_voxel_note(volume({1, 1, 2}, {r, a, s})), "") << "exactly 2 mm is not over the limit";
    EXPECT_EQ(thick_voxel_note(volume({4, 1, 1}, {r, a, s})),
              "its voxels are 4.0 x 1.0 x 1.0 mm: thick slices, 4.0 mm left-right; the model's 1 mm slices are "
              "interpolated across them, each averaging tissue over 4.0 mm left-right (the training slices come "
              "from 1 mm volumes)");
    // LIA storage: the second voxel axis runs inferior, so its 3 mm are up-down.
    EXPECT_NE(thick_voxel_note(volume({1, 3, 1}, {l, i, a})).find(": thick slices, 3.0 mm up-down;"), std::string::npos);
    // Tilted 20 degrees about left-right: the third axis still runs mostly superior.
    const double t = 20 * M_PI / 180;
    EXPECT_NE(thick_voxel_note(volume({1, 1, 5}, {r, {0, std::cos(t), std::sin(t)}, {0, -std::sin(t), std::cos(t)}}))
                  .find("5.0 mm up-down;"), std::string::npos);
    // Two thick sides: the longer one is named.
    EXPECT_NE(thick_voxel_note(volume({3, 1, 6}, {r, s, a})).find("6.0 mm front-back;"), std::string::npos);
}

// Colin27's brain stored as 4 mm sagittal slices (every 4 voxels along left-right averaged): the
// before/after picture's own slice keeps the head's proportions, 45 voxels of 4 mm drawn 180 px
// wide beside its 217 rows of 1 mm, and the scan's notes name the thick slices.
TEST(TrainingSpace, ThickSlicesKeepTheHeadsProportionsInThePicture) {
    const Colin27& c = need_colin27();
    ASSERT_TRUE(c.error.empty());
    ASSERT_EQ(c.brain.nx, 181);
    ASSERT_EQ(c.brain.ny, 217);
    Volume thick = c.brain;
    thick.nx = c.brain.nx / 4;
    thick.voxels.assign(size_t(thick.nx) * thick.ny * thick.nz, 0.0);
    for (int k = 0; k < thick.nz; ++k)
        for (int j = 0; j < thick.ny; ++j)
            for (int i = 0; i < thick.nx; ++i) {
                double sum = 0;
                for (int d = 0; d < 4; ++d) sum += c.brain.at(4 * i + d, j, k);
                thick.voxels[size_t(i) + size_t(thick.nx) * (j + size_t(thick.ny) * k)] = sum / 4;
            }
    thick.spacing[0] *= 4;
    for (int w = 0; w < 3; ++w) {
        thick.affine[w][3] += c.brain.affine[w][0] * 1.5;   // the first block's centre
        thick.affine[w][0] *= 4;
    }
    auto s = to_training_space(thick, c.reference, ConformSpec{});
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->input.width, 180);
    EXPECT_EQ(s->input.height, 217);
    auto scan = scan_slices(thick, &c.reference, ConformSpec{});
    ASSERT_TRUE(scan) << scan.error();
    ASSERT_EQ(scan->notes.size(), 1u);
    EXPECT_NE(scan->notes[0].find("4.0 x 1.0 x 1.0 mm: thick slices, 4.0 mm left-right"), std::string::npos) << scan->notes[0];
    auto plain = scan_slices(c.brain, &c.reference, ConformSpec{});
    ASSERT_TRUE(plain) << plain.error();
    EXPECT_TRUE(plain->notes.empty());
    EXPECT_EQ(plain->space.input.width, 181);
}

TEST(TrainingSpace, TheMacaqueIsRefusedAsNotAHumanHead) {
    const Colin27& c = need_colin27();
    ASSERT_TRUE(c.error.empty());
    std::string error;
    std::vector<uint8_t> bytes = read_volume_bytes(std::string(ALZSCAN_REFERENCE_DIR) + "/inia19-t1-brain.nii.gz", error);
    ASSERT_TRUE(error.empty()) << error;
    auto v = decode_nifti(bytes.data(), bytes.size());
    ASSERT_TRUE(v) << v.error();
    auto s = to_training_space(*v, c.reference, ConformSpec{});
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().find("not an adult human head"), std::string::npos) << s.error();
}

TEST(TrainingSpace, AnInvertedTissueOrderIsRefusedForItsContrast) {
    const Colin27& c = need_colin27();
    ASSERT_TRUE(c.error.empty());
    Volume inverted = c.brain;   // inside the brain: bright <-> dark (CSF brightest, as in T2)
    for (double& x : inverted.voxels)
        if (x > 0) x = 256 - x;
    auto s = to_training_space(inverted, c.reference, ConformSpec{});
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().find("contrast is not T1"), std::string::npos) << s.error();
}

// The stepped run the app draws progress from: the progress never goes back, moves on most steps,
// is 1 only once done; a step after that changes nothing, and the result is register_affine's.
TEST(Registration, AStepwiseRunReportsRisingProgressAndEndsAsOneCall) {
    const Colin27& c = need_colin27();
    ASSERT_TRUE(c.error.empty());
    const Volume subject = moved(c.head, rigid_scale(12, -8, 5, 1.05, {6, -4, 10}));
    auto run = RegistrationRun::start(subject, c.reference);
    ASSERT_TRUE(run) << run.error();
    EXPECT_EQ(run->progress(), 0.0);
    int steps = 0, moved_on = 0;
    double last = 0;
    while (!run->done() && steps < 1000) {
        run->step();
        ++steps;
        const double p = run->progress();
        EXPECT_GE(p, last) << "step " << steps;
        EXPECT_EQ(p == 1.0, run->done()) << "step " << steps;
        moved_on += p > last;
        last = p;
    }
    // 6 to 12 starts (3 shifts, with and without the principal axes, 2 templates), then per level
    // (8, 4, 2 mm) a step to begin it, one per iteration (at most 20, 20, 10) and one to end it.
    EXPECT_GE(steps, 6 + 3 * 2);
    EXPECT_LE(steps, 12 + 3 * 2 + 50);
    EXPECT_GE(moved_on, steps - 6) << "steps that moved the bar, of " << steps;
    const Registration stepped = run->result();
    run->step();
    const Registration after = run->result();
    auto whole = register_affine(subject, c.reference);
    ASSERT_TRUE(whole) << whole.error();
    for (const Registration* r : {&stepped, &after}) {
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 4; ++j) EXPECT_EQ(r->template_to_subject.m[i][j], whole->template_to_subject.m[i][j]);
        EXPECT_EQ(r->ncc, whole->ncc);
        EXPECT_EQ(r->iterations, whole->iterations);
        EXPECT_EQ(r->start, whole->start);
    }
    auto bad = RegistrationRun::start(filled(64, 10, 100), c.reference);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("field of view is 640 mm"), std::string::npos) << bad.error();
}
