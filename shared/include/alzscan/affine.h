// alzscan/affine.h: 3-D affine maps (y = M x + t, millimetres) and a float voxel grid sampled through
// them: the arithmetic shared by registration (registration.h) and the training-space step
// (training_space.h).
//
//   alzscan::Affine a = alzscan::affine_from(volume.affine);       // voxel -> world (RAS+ mm)
//   alzscan::Vec3 world = a.apply({i, j, k});
//   alzscan::Affine back = alzscan::inverse(a);                    // world -> voxel
//   alzscan::Grid g = alzscan::grid_from(volume);                  // float copy, same affine
//   float v = alzscan::sample(g, back.apply(world));              // trilinear, 0 outside
//
// Data contract: Affine rows are world axes, m[r][c] for c < 3 the matrix and m[r][3] the offset.
// Grid voxels are float, index i + nx * (j + ny * k); vox2world maps the centre of voxel (i, j, k).
// sample() reads 0 outside the grid (the half-voxel border included), as a scanner's background.
// Only +, -, *, / and sqrt are used, so native and WebAssembly builds give the same bits.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "alzscan/nifti.h"

namespace alzscan {

using Vec3 = std::array<double, 3>;

struct Affine {
    std::array<std::array<double, 4>, 3> m{{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}};
    Vec3 apply(const Vec3& x) const {
        return {m[0][0] * x[0] + m[0][1] * x[1] + m[0][2] * x[2] + m[0][3],
                m[1][0] * x[0] + m[1][1] * x[1] + m[1][2] * x[2] + m[1][3],
                m[2][0] * x[0] + m[2][1] * x[1] + m[2][2] * x[2] + m[2][3]};
    }
};

Affine affine_from(const std::array<std::array<double, 4>, 4>& m);
Affine compose(const Affine& outer, const Affine& inner);   // x -> outer(inner(x))
Affine inverse(const Affine& a);                            // identity when singular
double determinant(const Affine& a);
// Solves the n x n system a x = b (row-major a, Gaussian elimination with partial pivoting);
// false when singular.
bool solve_linear(int n, std::vector<double> a, std::vector<double> b, std::vector<double>& x);

// The linear part as scales (lengths of the columns' polar factor) and rotation angles in degrees
// about x, y, z (R = Rz Ry Rx of the polar decomposition), for reports.
struct AffineParts {
    Vec3 scales{1, 1, 1};
    Vec3 rotation_deg{0, 0, 0};
    Vec3 translation{0, 0, 0};
};
AffineParts decompose(const Affine& a);

struct Grid {
    int nx = 0, ny = 0, nz = 0;
    Affine vox2world;
    std::vector<float> v;
    float at(int i, int j, int k) const { return v[size_t(i) + size_t(nx) * (size_t(j) + size_t(ny) * k)]; }
    size_t size() const { return v.size(); }
};

Grid grid_from(const Volume& volume);

// Block means over factor fi x fj x fk voxels (the last partial block dropped; at least one block per
// axis): a coarser grid of the same field of view, its voxel centres at the blocks' centres. From a
// volume directly (no full-size float copy), its voxels clipped at `clip`, non-finite ones as 0.
Grid downsample(const Grid& g, int fi, int fj, int fk);
Grid downsample(const Volume& v, int fi, int fj, int fk, double clip);

// Trilinear value at voxel coordinates u (0 outside); with `gradient`, its derivative along i, j, k.
float sample(const Grid& g, const Vec3& u);
float sample(const Grid& g, const Vec3& u, Vec3* gradient);
double sample(const Volume& v, const Vec3& u);   // 0 where the voxels are not finite

}  // namespace alzscan
