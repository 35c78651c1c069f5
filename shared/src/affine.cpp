// Affine maps, the float grid and trilinear sampling (see affine.h).
#include "alzscan/affine.h"

#include <algorithm>
#include <cmath>

namespace alzscan {

Affine affine_from(const std::array<std::array<double, 4>, 4>& m) {
    Affine a;
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) a.m[r][c] = m[r][c];
    return a;
}

Affine compose(const Affine& o, const Affine& in) {
    Affine a;
    for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 4; ++c) {
            double s = c == 3 ? o.m[r][3] : 0.0;
            for (int k = 0; k < 3; ++k) s += o.m[r][k] * in.m[k][c];
            a.m[r][c] = s;
        }
    }
    return a;
}

double determinant(const Affine& a) {
    const auto& m = a.m;
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

Affine inverse(const Affine& a) {
    const double d = determinant(a);
    if (!(std::abs(d) > 1e-300)) return Affine{};
    const auto& m = a.m;
    Affine r;
    r.m[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / d;
    r.m[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / d;
    r.m[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / d;
    r.m[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / d;
    r.m[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / d;
    r.m[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / d;
    r.m[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / d;
    r.m[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / d;
    r.m[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / d;
    for (int i = 0; i < 3; ++i)
        r.m[i][3] = -(r.m[i][0] * m[0][3] + r.m[i][1] * m[1][3] + r.m[i][2] * m[2][3]);
    return r;
}

AffineParts decompose(const Affine& a) {
    AffineParts p;
    for (int r = 0; r < 3; ++r) p.translation[r] = a.m[r][3];
    // Polar decomposition M = R S by averaging with the inverse transpose until R is orthogonal.
    Affine rot;
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) rot.m[r][c] = a.m[r][c], rot.m[r][3] = 0;
    for (int it = 0; it < 30; ++it) {
        const Affine inv = inverse(rot);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) rot.m[r][c] = 0.5 * (rot.m[r][c] + inv.m[c][r]);
    }
    // S = R^T M: its diagonal are the scales along the template's axes.
    for (int c = 0; c < 3; ++c) {
        double s = 0;
        for (int k = 0; k < 3; ++k) s += rot.m[k][c] * a.m[k][c];
        p.scales[c] = s;
    }
    const double kDeg = 180.0 / 3.14159265358979323846;
    const auto& R = rot.m;
    p.rotation_deg[1] = std::asin(std::max(-1.0, std::min(1.0, -R[2][0]))) * kDeg;
    p.rotation_deg[0] = std::atan2(R[2][1], R[2][2]) * kDeg;
    p.rotation_deg[2] = std::atan2(R[1][0], R[0][0]) * kDeg;
    return p;
}

Grid grid_from(const Volume& volume) {
    Grid g;
    g.nx = volume.nx, g.ny = volume.ny, g.nz = volume.nz;
    g.vox2world = affine_from(volume.affine);
    g.v.assign(volume.voxels.begin(), volume.voxels.end());
    for (float& x : g.v)
        if (!std::isfinite(x)) x = 0;
    return g;
}

Grid downsample(const Grid& g, int fi, int fj, int fk) {
    Grid d;
    d.nx = std::max(1, g.nx / fi), d.ny = std::max(1, g.ny / fj), d.nz = std::max(1, g.nz / fk);
    fi = std::min(fi, g.nx), fj = std::min(fj, g.ny), fk = std::min(fk, g.nz);
    const Affine scale{{{{double(fi), 0, 0, 0.5 * (fi - 1)}, {0, double(fj), 0, 0.5 * (fj - 1)},
                         {0, 0, double(fk), 0.5 * (fk - 1)}}}};
    d.vox2world = compose(g.vox2world, scale);
    d.v.assign(size_t(d.nx) * d.ny * d.nz, 0.0f);
    const double inv = 1.0 / (double(fi) * fj * fk);
    std::vector<double> row(d.nx);
    for (int k = 0; k < d.nz; ++k)
        for (int j = 0; j < d.ny; ++j) {
            std::fill(row.begin(), row.end(), 0.0);
            for (int kk = k * fk; kk < (k + 1) * fk; ++kk)
                for (int jj = j * fj; jj < (j + 1) * fj; ++jj) {
                    const float* src = &g.v[size_t(g.nx) * (size_t(jj) + size_t(g.ny) * kk)];
                    for (int i = 0; i < d.nx; ++i)
                        for (int ii = i * fi; ii < (i + 1) * fi; ++ii) row[i] += src[ii];
                }
            float* dst = &d.v[size_t(d.nx) * (size_t(j) + size_t(d.ny) * k)];
            for (int i = 0; i < d.nx; ++i) dst[i] = static_cast<float>(row[i] * inv);
        }
    return d;
}

float sample(const Grid& g, const Vec3& u, Vec3* gradient) {
    if (gradient) *gradient = {0, 0, 0};
    if (!(u[0] >= 0 && u[1] >= 0 && u[2] >= 0 && u[0] <= g.nx - 1 && u[1] <= g.ny - 1 && u[2] <= g.nz - 1)) return 0;
    const int i = std::min(static_cast<int>(u[0]), std::max(0, g.nx - 2));
    const int j = std::min(static_cast<int>(u[1]), std::max(0, g.ny - 2));
    const int k = std::min(static_cast<int>(u[2]), std::max(0, g.nz - 2));
    const double fx = u[0] - i, fy = u[1] - j, fz = u[2] - k;
    const int di = g.nx > 1 ? 1 : 0;
    const size_t sj = g.ny > 1 ? size_t(g.nx) : 0, sk = g.nz > 1 ? size_t(g.nx) * g.ny : 0;
    const float* p = &g.v[size_t(i) + size_t(g.nx) * (size_t(j) + size_t(g.ny) * k)];
    const double c000 = p[0], c100 = p[di], c010 = p[sj], c110 = p[sj + di];
    const double c001 = p[sk], c101 = p[sk + di], c011 = p[sk + sj], c111 = p[sk + sj + di];
    const double c00 = c000 + (c100 - c000) * fx, c10 = c010 + (c110 - c010) * fx;
    const double c01 = c001 + (c101 - c001) * fx, c11 = c011 + (c111 - c011) * fx;
    const double c0 = c00 + (c10 - c00) * fy, c1 = c01 + (c11 - c01) * fy;
    if (gradient) {
        const double dx0 = (c100 - c000) + ((c110 - c010) - (c100 - c000)) * fy;
        const double dx1 = (c101 - c001) + ((c111 - c011) - (c101 - c001)) * fy;
        (*gradient)[0] = dx0 + (dx1 - dx0) * fz;
        (*gradient)[1] = (c10 - c00) + ((c11 - c01) - (c10 - c00)) * fz;
        (*gradient)[2] = c1 - c0;
    }
    return static_cast<float>(c0 + (c1 - c0) * fz);
}

float sample(const Grid& g, const Vec3& u) { return sample(g, u, nullptr); }

}  // namespace alzscan
