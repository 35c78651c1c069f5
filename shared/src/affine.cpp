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

namespace {

Affine volume_affine(const Volume& v) { return affine_from(v.affine); }

// Block means of any voxel array (float grid or double volume), values clipped at `clip`;
// non-finite voxels count as 0.
template <class T>
Grid block_means(const T* src, int nx, int ny, int nz, const Affine& vox2world, int fi, int fj, int fk, double clip) {
    Grid d;
    d.nx = std::max(1, nx / fi), d.ny = std::max(1, ny / fj), d.nz = std::max(1, nz / fk);
    fi = std::min(fi, nx), fj = std::min(fj, ny), fk = std::min(fk, nz);
    const Affine scale{{{{double(fi), 0, 0, 0.5 * (fi - 1)}, {0, double(fj), 0, 0.5 * (fj - 1)},
                         {0, 0, double(fk), 0.5 * (fk - 1)}}}};
    d.vox2world = compose(vox2world, scale);
    d.v.assign(size_t(d.nx) * d.ny * d.nz, 0.0f);
    const double inv = 1.0 / (double(fi) * fj * fk);
    std::vector<double> row(d.nx);
    for (int k = 0; k < d.nz; ++k)
        for (int j = 0; j < d.ny; ++j) {
            std::fill(row.begin(), row.end(), 0.0);
            for (int kk = k * fk; kk < (k + 1) * fk; ++kk)
                for (int jj = j * fj; jj < (j + 1) * fj; ++jj) {
                    const T* line = &src[size_t(nx) * (size_t(jj) + size_t(ny) * kk)];
                    for (int i = 0; i < d.nx; ++i)
                        for (int ii = i * fi; ii < (i + 1) * fi; ++ii) {
                            const double x = line[ii];
                            row[i] += std::isfinite(x) ? std::min(x, clip) : 0.0;
                        }
                }
            float* dst = &d.v[size_t(d.nx) * (size_t(j) + size_t(d.ny) * k)];
            for (int i = 0; i < d.nx; ++i) dst[i] = static_cast<float>(row[i] * inv);
        }
    return d;
}

// Trilinear value (and optionally gradient) of any voxel array at voxel coordinates u; 0 outside.
template <class T>
double trilinear(const T* v, int nx, int ny, int nz, const Vec3& u, Vec3* gradient) {
    if (gradient) *gradient = {0, 0, 0};
    if (!(u[0] >= 0 && u[1] >= 0 && u[2] >= 0 && u[0] <= nx - 1 && u[1] <= ny - 1 && u[2] <= nz - 1)) return 0;
    const int i = std::min(static_cast<int>(u[0]), std::max(0, nx - 2));
    const int j = std::min(static_cast<int>(u[1]), std::max(0, ny - 2));
    const int k = std::min(static_cast<int>(u[2]), std::max(0, nz - 2));
    const double fx = u[0] - i, fy = u[1] - j, fz = u[2] - k;
    const int di = nx > 1 ? 1 : 0;
    const size_t sj = ny > 1 ? size_t(nx) : 0, sk = nz > 1 ? size_t(nx) * ny : 0;
    const T* p = &v[size_t(i) + size_t(nx) * (size_t(j) + size_t(ny) * k)];
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
    return c0 + (c1 - c0) * fz;
}

}  // namespace

Grid downsample(const Grid& g, int fi, int fj, int fk) {
    return block_means(g.v.data(), g.nx, g.ny, g.nz, g.vox2world, fi, fj, fk, INFINITY);
}

Grid downsample(const Volume& v, int fi, int fj, int fk, double clip) {
    return block_means(v.voxels.data(), v.nx, v.ny, v.nz, volume_affine(v), fi, fj, fk, clip);
}

float sample(const Grid& g, const Vec3& u, Vec3* gradient) {
    return static_cast<float>(trilinear(g.v.data(), g.nx, g.ny, g.nz, u, gradient));
}

double sample(const Volume& v, const Vec3& u) {
    const double x = trilinear(v.voxels.data(), v.nx, v.ny, v.nz, u, nullptr);
    return std::isfinite(x) ? x : 0.0;
}

float sample(const Grid& g, const Vec3& u) { return sample(g, u, nullptr); }

bool solve_linear(int n, std::vector<double> a, std::vector<double> b, std::vector<double>& x) {
    for (int c = 0; c < n; ++c) {
        int p = c;
        for (int r = c + 1; r < n; ++r)
            if (std::abs(a[r * n + c]) > std::abs(a[p * n + c])) p = r;
        if (!(std::abs(a[p * n + c]) > 1e-300)) return false;
        if (p != c) {
            for (int k = 0; k < n; ++k) std::swap(a[p * n + k], a[c * n + k]);
            std::swap(b[p], b[c]);
        }
        for (int r = c + 1; r < n; ++r) {
            const double f = a[r * n + c] / a[c * n + c];
            for (int k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
            b[r] -= f * b[c];
        }
    }
    x.assign(n, 0.0);
    for (int r = n - 1; r >= 0; --r) {
        double s = b[r];
        for (int k = r + 1; k < n; ++k) s -= a[r * n + k] * x[k];
        x[r] = s / a[r * n + r];
    }
    return true;
}

}  // namespace alzscan
