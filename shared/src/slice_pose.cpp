// A 2-D slice's pose against the training slices' mean images, and its correction (see slice_pose.h).
#include "alzscan/slice_pose.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

#include <nlohmann/json.hpp>

#include "alzscan/affine.h"
#include "alzscan/resize.h"

namespace alzscan {
namespace {

using Params = std::array<double, 6>;   // M00 M01 M10 M11 t0 t1

// A square grid of gray levels at `side` pixels; pixel (x, y) covers frame fractions
// [x / side - 0.5, (x + 1) / side - 0.5).
struct Plane {
    int side = 0;
    std::vector<double> v;
};

Plane halve(const Plane& p) {
    Plane h{p.side / 2, std::vector<double>(static_cast<size_t>(p.side / 2) * (p.side / 2))};
    for (int y = 0; y < h.side; ++y)
        for (int x = 0; x < h.side; ++x) {
            const size_t i = static_cast<size_t>(2 * y) * p.side + 2 * x;
            h.v[static_cast<size_t>(y) * h.side + x] = 0.25 * (p.v[i] + p.v[i + 1] + p.v[i + p.side] + p.v[i + p.side + 1]);
        }
    return h;
}

// Bilinear value (0 outside) at frame point (fx, fy), with its gradient per frame fraction.
double sample(const Plane& p, double fx, double fy, double& gx, double& gy) {
    const double px = (fx + 0.5) * p.side - 0.5, py = (fy + 0.5) * p.side - 0.5;
    const double x0 = std::floor(px), y0 = std::floor(py);
    const double wx = px - x0, wy = py - y0;
    const int ix = static_cast<int>(x0), iy = static_cast<int>(y0);
    double v00, v10, v01, v11;
    if (ix >= 0 && iy >= 0 && ix + 1 < p.side && iy + 1 < p.side) {   // inside: no checks per corner
        const double* row = &p.v[static_cast<size_t>(iy) * p.side + ix];
        v00 = row[0], v10 = row[1], v01 = row[p.side], v11 = row[p.side + 1];
    } else {
        auto at = [&](int x, int y) {
            return (x < 0 || y < 0 || x >= p.side || y >= p.side) ? 0.0 : p.v[static_cast<size_t>(y) * p.side + x];
        };
        v00 = at(ix, iy), v10 = at(ix + 1, iy), v01 = at(ix, iy + 1), v11 = at(ix + 1, iy + 1);
    }
    gx = ((v10 - v00) * (1 - wy) + (v11 - v01) * wy) * p.side;
    gy = ((v01 - v00) * (1 - wx) + (v11 - v10) * wx) * p.side;
    return (v00 * (1 - wx) + v10 * wx) * (1 - wy) + (v01 * (1 - wx) + v11 * wx) * wy;
}

struct Fit {
    double cost = 1;   // 1 - ncc^2
    double a = 0, ncc = 0;
    bool valid = false;         // both the template and the sampled slice vary
    std::vector<double> h, g;   // J^T J and J^T r with the jacobian
};

double frame_of(int i, int side) { return (i + 0.5) / side - 0.5; }

// frame_of for every pixel index of a side, computed once per pass.
struct FrameAxis {
    std::vector<double> at;
    explicit FrameAxis(int side) : at(static_cast<size_t>(std::max(side, 0))) {
        for (int i = 0; i < side; ++i) at[i] = frame_of(i, side);
    }
};

// The slice sampled through a pose at the template's pixels: values, gradients and their means.
// Kept with its fit, so that an accepted step's normal equations need no second sampling.
struct Sampling {
    std::vector<double> val, gx, gy;
    double sm = 0, fm = 0;
};

// The intensity fit F = a S + b of template `t` by the slice sampled through p (into `out`).
Fit fit_of(const Plane& t, const Plane& s, const Params& p, Sampling& out) {
    const size_t n = t.v.size();
    out.val.resize(n), out.gx.resize(n), out.gy.resize(n);
    const FrameAxis f(t.side);
    double sm = 0, fm = 0;
    for (int y = 0, i = 0; y < t.side; ++y) {
        const double dy = f.at[y];
        for (int x = 0; x < t.side; ++x, ++i) {
            const double dx = f.at[x];
            const double sx = p[0] * dx + p[1] * dy + p[4], sy = p[2] * dx + p[3] * dy + p[5];
            out.val[i] = sample(s, sx, sy, out.gx[i], out.gy[i]);
            sm += out.val[i];
            fm += t.v[i];
        }
    }
    sm /= double(n), fm /= double(n);
    out.sm = sm, out.fm = fm;
    double sfs = 0, sss = 0, sff = 0;
    for (size_t i = 0; i < n; ++i) {
        sfs += (t.v[i] - fm) * (out.val[i] - sm);
        sss += (out.val[i] - sm) * (out.val[i] - sm);
        sff += (t.v[i] - fm) * (t.v[i] - fm);
    }
    Fit fit;
    if (!(sss > 0) || !(sff > 0)) return fit;
    fit.valid = true;
    fit.a = sfs / sss;
    fit.ncc = sfs / std::sqrt(sss * sff);
    fit.cost = 1 - fit.ncc * fit.ncc;
    return fit;
}

// The Gauss-Newton normal equations of `fit` (from fit_of's `smp`), summed in registers.
void add_normal_equations(const Plane& t, const Sampling& smp, Fit& fit) {
    double h[36] = {}, g[6] = {};
    const double b = smp.fm - fit.a * smp.sm;
    const FrameAxis f(t.side);
    for (int y = 0, i = 0; y < t.side; ++y) {
        const double dy = f.at[y];
        for (int x = 0; x < t.side; ++x, ++i) {
            const double dx = f.at[x];
            const double ax = fit.a * smp.gx[i], ay = fit.a * smp.gy[i];
            const double j[6] = {ax * dx, ax * dy, ay * dx, ay * dy, ax, ay};
            const double res = t.v[i] - fit.a * smp.val[i] - b;
            for (int r = 0; r < 6; ++r) {
                g[r] += j[r] * res;
                for (int c = r; c < 6; ++c) h[r * 6 + c] += j[r] * j[c];
            }
        }
    }
    for (int r = 0; r < 6; ++r)
        for (int c = 0; c < r; ++c) h[r * 6 + c] = h[c * 6 + r];
    fit.h.assign(h, h + 36);
    fit.g.assign(g, g + 6);
}

// A fit with its normal equations (none when it is not valid).
Fit fit_with_equations(const Plane& t, const Plane& s, const Params& p, Sampling& smp) {
    Fit fit = fit_of(t, s, p, smp);
    if (fit.valid) add_normal_equations(t, smp, fit);
    return fit;
}

// Levenberg-Marquardt from p; returns the fit at the final p.
Fit refine(const Plane& t, const Plane& s, Params& p, int max_steps) {
    Sampling cur_smp, next_smp;
    Fit cur = fit_with_equations(t, s, p, cur_smp);
    double lambda = 1e-3;
    for (int it = 0; it < max_steps && cur.a != 0; ++it) {
        std::vector<double> h = cur.h, dp;
        for (int r = 0; r < 6; ++r) h[r * 6 + r] *= 1 + lambda;
        if (!solve_linear(6, h, cur.g, dp)) break;
        Params trial = p;
        for (int r = 0; r < 6; ++r) trial[r] += dp[r];
        Fit next = fit_of(t, s, trial, next_smp);
        if (next.cost < cur.cost) {
            const bool done = cur.cost - next.cost < 1e-6 * cur.cost;
            p = trial;
            lambda = std::max(1e-7, lambda * 0.3);
            std::swap(cur_smp, next_smp);
            if (next.valid) add_normal_equations(t, cur_smp, next);
            cur = std::move(next);
            if (done) break;
        } else {
            lambda *= 10;
            if (lambda > 1e6) break;
        }
    }
    return cur;
}

// rotation (degrees), scale_x, scale_y, shear, shift_x, shift_y of M = R [sx, k sy; 0, sy] and t.
std::array<double, kPoseParams> params_of(const Params& p) {
    const double sx = std::sqrt(p[0] * p[0] + p[2] * p[2]);
    const double c = p[0] / sx, s = p[2] / sx;
    const double k_sy = c * p[1] + s * p[3], sy = -s * p[1] + c * p[3];
    return {std::atan2(s, c) * 180.0 / 3.14159265358979323846, sx, sy, k_sy / sy, p[4], p[5]};
}

struct Candidate {
    int level = 0;
    Params p{};
    Fit fit;
};

}  // namespace

int slice_level(int rank, int slices) {
    return std::clamp(rank * kPoseLevels / std::max(1, slices), 0, kPoseLevels - 1);
}

std::vector<double> pose_grid(const GrayImage& conformed) {
    auto small = resize_gray(conformed, kPoseSide, kPoseSide);
    std::vector<double> out(static_cast<size_t>(kPoseSide) * kPoseSide, 0.0);
    if (small)
        for (size_t i = 0; i < out.size(); ++i) out[i] = small->pixels[i];
    return out;
}

SlicePose estimate_pose(const GrayImage& conformed, const PoseSpec& spec) {
    SlicePose pose;
    if (!spec.enabled()) return pose;
    const Plane slice32{kPoseSide, pose_grid(conformed)};
    const Plane slice16 = halve(slice32);
    // cos and sin of 0, +-10 and +-20 degrees, written out so both builds start from the same bits.
    const double turns[5][2] = {{1, 0},
                                {0.98480775301220802, 0.17364817766693033},
                                {0.98480775301220802, -0.17364817766693033},
                                {0.93969262078590843, 0.34202014332566871},
                                {0.93969262078590843, -0.34202014332566871}};
    // The two levels that match best as the slice lies, then the turned starts against those.
    const int levels = static_cast<int>(spec.templates.size());
    std::vector<Plane> t16(levels);
    std::vector<std::pair<double, int>> as_is;
    for (int level = 0; level < levels; ++level) {
        t16[level] = halve(Plane{kPoseSide, spec.templates[level]});
        Sampling smp;
        as_is.push_back({fit_of(t16[level], slice16, Params{1, 0, 0, 1, 0, 0}, smp).cost, level});
    }
    std::stable_sort(as_is.begin(), as_is.end());
    std::vector<Candidate> coarse;
    for (size_t k = 0; k < as_is.size() && k < 2; ++k) {
        const int level = as_is[k].second;
        for (const auto& cs : turns) {
            Candidate c{level, Params{cs[0], -cs[1], cs[1], cs[0], 0, 0}, {}};
            c.fit = refine(t16[level], slice16, c.p, 10);
            coarse.push_back(std::move(c));
        }
    }
    std::stable_sort(coarse.begin(), coarse.end(),
                     [](const Candidate& a, const Candidate& b) { return a.fit.cost < b.fit.cost; });
    Candidate best;
    best.fit.cost = 2;
    for (size_t k = 0; k < coarse.size() && k < 2; ++k) {
        Candidate c = coarse[k];
        c.fit = refine(Plane{kPoseSide, spec.templates[c.level]}, slice32, c.p, 30);
        if (c.fit.cost < best.fit.cost) best = c;
    }
    if (best.fit.a == 0) return pose;
    pose.estimated = true;
    pose.level = best.level;
    pose.ncc = best.fit.ncc;
    pose.m = best.p;
    pose.params = params_of(best.p);
    return pose;
}

namespace {

// Beyond these the slice is not turned: the out-of-distribution checks judge it as it is.
constexpr double kMaxRotation = 30, kMinScale = 0.7, kMaxScale = 1.4, kMaxShear = 0.3;

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string describe(int k, double v) {
    return std::string(kPoseParamNames[k]) + " " + fixed(v, k == 0 ? 1 : 3) + (k == 0 ? " degrees" : "");
}

}  // namespace

void judge_pose(SlicePose& pose, const PoseSpec& spec) {
    pose.corrected = false;
    if (!pose.estimated) {
        pose.reason = "left as it is: no pose could be fitted (a flat slice)";
        return;
    }
    const auto& q = pose.params;
    if (pose.ncc < spec.ncc_min) {
        pose.reason = "left as it is: it matches the training slices' mean images poorly (correlation " +
                      fixed(pose.ncc, 3) + " < " + fixed(spec.ncc_min, 3) + ")";
        return;
    }
    if (std::abs(q[0]) > kMaxRotation || q[1] < kMinScale || q[1] > kMaxScale || q[2] < kMinScale ||
        q[2] > kMaxScale || std::abs(q[3]) > kMaxShear) {
        pose.reason = "left as it is: its pose is beyond what is corrected (" + describe(0, q[0]) + ", " +
                      describe(1, q[1]) + ", " + describe(2, q[2]) + ", " + describe(3, q[3]) + ")";
        return;
    }
    std::string outside;
    for (int k = 0; k < kPoseParams; ++k)
        if (q[k] < spec.low[k] || q[k] > spec.high[k])
            outside += (outside.empty() ? "" : ", ") + describe(k, q[k]) + " (training " + fixed(spec.low[k], k == 0 ? 1 : 3) +
                       ".." + fixed(spec.high[k], k == 0 ? 1 : 3) + ")";
    if (outside.empty()) {
        pose.reason = "within the training slices' poses";
        return;
    }
    pose.corrected = true;
    pose.reason = "turned into the training slices' pose: " + outside;
}

namespace {

// The image resampled over conform's crop so that the brain takes the template's pose: canvas
// point f (frame fractions) shows the image at the crop's point M f + t. Bilinear, 0 outside,
// rounded half up.
GrayImage warp_to_pose(const GrayImage& image, const ConformCrop& c, const std::array<double, 6>& m) {
    GrayImage out{c.width, c.height, std::vector<uint8_t>(static_cast<size_t>(c.width) * c.height, 0)};
    auto at = [&](int x, int y) { return (x < 0 || y < 0 || x >= image.width || y >= image.height) ? 0.0 : double(image.at(x, y)); };
    for (int y = 0; y < c.height; ++y)
        for (int x = 0; x < c.width; ++x) {
            const double fx = (x + 0.5) / c.width - 0.5, fy = (y + 0.5) / c.height - 0.5;
            const double gx = m[0] * fx + m[1] * fy + m[4], gy = m[2] * fx + m[3] * fy + m[5];
            const double px = c.x + (gx + 0.5) * c.width - 0.5, py = c.y + (gy + 0.5) * c.height - 0.5;
            const double x0 = std::floor(px), y0 = std::floor(py), wx = px - x0, wy = py - y0;
            const int ix = static_cast<int>(x0), iy = static_cast<int>(y0);
            const double v = (at(ix, iy) * (1 - wx) + at(ix + 1, iy) * wx) * (1 - wy) +
                             (at(ix, iy + 1) * (1 - wx) + at(ix + 1, iy + 1) * wx) * wy;
            out.pixels[static_cast<size_t>(y) * c.width + x] = static_cast<uint8_t>(std::clamp(std::floor(v + 0.5), 0.0, 255.0));
        }
    return out;
}

}  // namespace

Expected<GrayImage> pose_and_conform(const GrayImage& image, const ConformSpec& conform, const PoseSpec& spec,
                                     int out_width, int out_height, SlicePose* pose_out) {
    auto conformed = conform_slice(image, conform, out_width, out_height);
    if (!conformed || !spec.enabled()) return conformed;
    SlicePose pose = estimate_pose(*conformed, spec);
    judge_pose(pose, spec);
    if (pose_out) *pose_out = pose;
    if (!pose.corrected) return conformed;
    const ConformCrop crop = conform_crop(measure_brain(image), conform, out_width, out_height);
    return conform_slice(warp_to_pose(image, crop, pose.m), conform, out_width, out_height);
}

std::string slice_pose_json(const SlicePose& pose) {
    nlohmann::ordered_json j;
    j["corrected"] = pose.corrected;
    j["reason"] = pose.reason;
    j["level"] = pose.level;
    j["ncc"] = pose.ncc;
    for (int k = 0; k < kPoseParams; ++k) j[kPoseParamNames[k]] = pose.params[k];
    return j.dump();
}

}  // namespace alzscan
