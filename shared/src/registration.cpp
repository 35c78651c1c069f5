// Affine registration to the reference template (see registration.h).
#include "alzscan/registration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "alzscan/otsu.h"
#include "alzscan/scan.h"

namespace alzscan {
namespace {

Vec3 spacing_of(const Affine& a) {
    Vec3 s;
    for (int c = 0; c < 3; ++c) s[c] = std::sqrt(a.m[0][c] * a.m[0][c] + a.m[1][c] * a.m[1][c] + a.m[2][c] * a.m[2][c]);
    return s;
}

// The value at quantile q of a strided subsample of the positive finite voxels (0 when none).
template <class T>
double positive_quantile(const std::vector<T>& v, double q) {
    const size_t stride = std::max<size_t>(1, v.size() / 400000);
    std::vector<double> pos;
    for (size_t n = 0; n < v.size(); n += stride)
        if (v[n] > 0 && std::isfinite(double(v[n]))) pos.push_back(v[n]);
    if (pos.empty()) return 0;
    const size_t at = std::min(pos.size() - 1, static_cast<size_t>(q * (pos.size() - 1) + 0.5));
    std::nth_element(pos.begin(), pos.begin() + at, pos.end());
    return pos[at];
}

// Integer block factors that bring voxels of spacing s closest to mm.
std::array<int, 3> factors(const Vec3& s, double mm) {
    std::array<int, 3> f;
    for (int a = 0; a < 3; ++a) f[a] = std::max(1, static_cast<int>(std::lround(mm / s[a])));
    return f;
}

Grid downsample_to(const Grid& g, double mm) {
    const std::array<int, 3> f = factors(spacing_of(g.vox2world), mm);
    return downsample(g, f[0], f[1], f[2]);
}

// Voxels (indices) of `g` within `radius` voxels (a cube) of a voxel above `threshold`.
std::vector<size_t> dilated_foreground(const Grid& g, double threshold, int radius) {
    std::vector<uint8_t> in(g.size(), 0);
    for (int k = 0; k < g.nz; ++k)
        for (int j = 0; j < g.ny; ++j)
            for (int i = 0; i < g.nx; ++i) {
                if (!(g.at(i, j, k) > threshold)) continue;
                for (int c = std::max(0, k - radius); c <= std::min(g.nz - 1, k + radius); ++c)
                    for (int b = std::max(0, j - radius); b <= std::min(g.ny - 1, j + radius); ++b)
                        for (int a = std::max(0, i - radius); a <= std::min(g.nx - 1, i + radius); ++a)
                            in[size_t(a) + size_t(g.nx) * (size_t(b) + size_t(g.ny) * c)] = 1;
            }
    std::vector<size_t> out;
    for (size_t n = 0; n < in.size(); ++n)
        if (in[n]) out.push_back(n);
    return out;
}

Vec3 world_of(const Grid& g, size_t n) {
    const int i = static_cast<int>(n % g.nx), j = static_cast<int>((n / g.nx) % g.ny), k = static_cast<int>(n / (size_t(g.nx) * g.ny));
    return g.vox2world.apply({double(i), double(j), double(k)});
}

// Centre of mass and second central moments (world mm) of the voxels above `threshold`.
struct Moments {
    Vec3 centre{0, 0, 0};
    double cov[3][3] = {};
    double count = 0;
};
Moments moments_of(const Grid& g, double threshold) {
    Moments m;
    double s[3] = {0, 0, 0}, ss[3][3] = {};
    for (size_t n = 0; n < g.size(); ++n) {
        if (!(g.v[n] > threshold)) continue;
        const Vec3 x = world_of(g, n);
        m.count += 1;
        for (int a = 0; a < 3; ++a) {
            s[a] += x[a];
            for (int b = 0; b < 3; ++b) ss[a][b] += x[a] * x[b];
        }
    }
    if (m.count == 0) return m;
    for (int a = 0; a < 3; ++a) m.centre[a] = s[a] / m.count;
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) m.cov[a][b] = ss[a][b] / m.count - m.centre[a] * m.centre[b];
    return m;
}

// Eigenvectors (columns of v, eigenvalues descending) of a symmetric 3x3 matrix, by Jacobi sweeps.
void eigen_sym3(const double in[3][3], double v[3][3], double w[3]) {
    double a[3][3];
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) a[r][c] = in[r][c], v[r][c] = r == c;
    for (int sweep = 0; sweep < 50; ++sweep) {
        const double off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
        if (off < 1e-18) break;
        for (int p = 0; p < 2; ++p)
            for (int q = p + 1; q < 3; ++q) {
                if (a[p][q] == 0) continue;
                const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
                const double c = 1 / std::sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < 3; ++k) {   // A = J^T A J
                    const double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq, a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; ++k) {
                    const double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk, a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; ++k) {
                    const double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - s * vkq, v[k][q] = s * vkp + c * vkq;
                }
            }
    }
    int order[3] = {0, 1, 2};
    std::sort(order, order + 3, [&](int x, int y) { return a[x][x] > a[y][y]; });
    double vv[3][3];
    for (int c = 0; c < 3; ++c) {
        w[c] = a[order[c]][order[c]];
        for (int r = 0; r < 3; ++r) vv[r][c] = v[r][order[c]];
    }
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) v[r][c] = vv[r][c];
}

// The rotation taking the template's principal axes onto the subject's, each subject axis signed
// to agree with its template axis (a head's axes have no sign of their own); identity when the
// angle would exceed 45 degrees (a nearly spherical head's axes are not to be trusted further).
Affine principal_rotation(const Moments& subject, const Moments& tmpl) {
    double vs[3][3], vt[3][3], ws[3], wt[3];
    eigen_sym3(subject.cov, vs, ws);
    eigen_sym3(tmpl.cov, vt, wt);
    for (int c = 0; c < 3; ++c) {
        double d = 0;
        for (int r = 0; r < 3; ++r) d += vs[r][c] * vt[r][c];
        if (d < 0)
            for (int r = 0; r < 3; ++r) vs[r][c] = -vs[r][c];
    }
    Affine rot;
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) {
            double s = 0;
            for (int k = 0; k < 3; ++k) s += vs[r][k] * vt[c][k];
            rot.m[r][c] = s;
        }
    if (determinant(rot) < 0 || rot.m[0][0] + rot.m[1][1] + rot.m[2][2] < 1 + 2 * 0.7071) return Affine{};
    return rot;
}

// One pyramid level's template samples: world positions (centred on `centre`) and values.
struct Samples {
    std::vector<Vec3> d;   // x - centre
    std::vector<float> f;
    double f_mean = 0, f_ss = 0;
};

Samples samples_of(const Grid& tmpl, const std::vector<size_t>& voxels, const Vec3& centre) {
    Samples s;
    s.d.reserve(voxels.size());
    s.f.reserve(voxels.size());
    for (size_t n : voxels) {
        const Vec3 x = world_of(tmpl, n);
        s.d.push_back({x[0] - centre[0], x[1] - centre[1], x[2] - centre[2]});
        s.f.push_back(tmpl.v[n]);
        s.f_mean += tmpl.v[n];
    }
    if (!s.f.empty()) s.f_mean /= double(s.f.size());
    for (float f : s.f) s.f_ss += (f - s.f_mean) * (f - s.f_mean);
    return s;
}

// Parameters p: M row-major (0..8), t (9..11); y = M d + t.
using Params = std::array<double, 12>;

Affine affine_of(const Params& p, const Vec3& centre) {
    Affine a;
    for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) a.m[r][c] = p[r * 3 + c];
        a.m[r][3] = p[9 + r] - (p[r * 3] * centre[0] + p[r * 3 + 1] * centre[1] + p[r * 3 + 2] * centre[2]);
    }
    return a;
}

struct Fit {
    double cost = 1;   // 1 - ncc^2
    double a = 0, ncc = 0;
    std::vector<double> h, g;   // J^T J and J^T r with the jacobian
};

// The intensity fit and cost of parameters p; with `jacobian`, the normal equations too.
Fit evaluate(const Samples& s, const Grid& sub, const Affine& world2vox, const Params& p, bool jacobian) {
    const size_t n = s.f.size();
    std::vector<float> val(n);
    std::vector<Vec3> grad(jacobian ? n : 0);
    double sm = 0, sfs = 0, sss = 0;
    for (size_t i = 0; i < n; ++i) {
        const Vec3& d = s.d[i];
        const Vec3 y{p[0] * d[0] + p[1] * d[1] + p[2] * d[2] + p[9], p[3] * d[0] + p[4] * d[1] + p[5] * d[2] + p[10],
                     p[6] * d[0] + p[7] * d[1] + p[8] * d[2] + p[11]};
        val[i] = jacobian ? sample(sub, world2vox.apply(y), &grad[i]) : sample(sub, world2vox.apply(y));
        sm += val[i];
    }
    Fit fit;
    if (n == 0) return fit;
    sm /= double(n);
    for (size_t i = 0; i < n; ++i) {
        const double ds = val[i] - sm;
        sfs += (s.f[i] - s.f_mean) * ds;
        sss += ds * ds;
    }
    if (!(sss > 0) || !(s.f_ss > 0)) return fit;
    fit.a = sfs / sss;
    fit.ncc = sfs / std::sqrt(sss * s.f_ss);
    fit.cost = 1 - fit.ncc * fit.ncc;
    if (!jacobian) return fit;
    fit.h.assign(144, 0.0);
    fit.g.assign(12, 0.0);
    const double b = s.f_mean - fit.a * sm;
    double j[12];
    for (size_t i = 0; i < n; ++i) {
        const Vec3& gu = grad[i];
        double gy[3];
        for (int r = 0; r < 3; ++r)
            gy[r] = fit.a * (world2vox.m[0][r] * gu[0] + world2vox.m[1][r] * gu[1] + world2vox.m[2][r] * gu[2]);
        for (int r = 0; r < 3; ++r) {
            j[r * 3] = gy[r] * s.d[i][0], j[r * 3 + 1] = gy[r] * s.d[i][1], j[r * 3 + 2] = gy[r] * s.d[i][2];
            j[9 + r] = gy[r];
        }
        const double res = s.f[i] - fit.a * val[i] - b;
        for (int r = 0; r < 12; ++r) {
            fit.g[r] += j[r] * res;
            for (int c = r; c < 12; ++c) fit.h[r * 12 + c] += j[r] * j[c];
        }
    }
    for (int r = 0; r < 12; ++r)
        for (int c = 0; c < r; ++c) fit.h[r * 12 + c] = fit.h[c * 12 + r];
    fit.h.shrink_to_fit();
    return fit;
}

// Levenberg-Marquardt on one level, an iteration per call of iterate() (so a run can report
// progress within a level); refine() runs it to the end.
struct Level {
    const Samples* s = nullptr;
    const Grid* sub = nullptr;
    const Affine* world2vox = nullptr;
    int max_steps = 0, it = 0;
    double lambda = 1e-3;
    bool over = false;
    Fit cur;

    Level() = default;
    Level(const Samples& samples, const Grid& subject, const Affine& w2v, const Params& p, int max)
        : s(&samples), sub(&subject), world2vox(&w2v), max_steps(max), cur(evaluate(samples, subject, w2v, p, true)) {}

    // One iteration from p (p moves when it improves the cost); false once the level is over.
    bool iterate(Params& p, int& steps) {
        if (over || it >= max_steps || cur.a == 0) return !(over = true);
        ++it;
        std::vector<double> h = cur.h, dp;
        for (int r = 0; r < 12; ++r) h[r * 12 + r] *= 1 + lambda;
        if (!solve_linear(12, h, cur.g, dp)) return !(over = true);
        Params trial = p;
        for (int r = 0; r < 12; ++r) trial[r] += dp[r];
        const Fit next = evaluate(*s, *sub, *world2vox, trial, false);
        if (next.cost < cur.cost) {
            const bool done = cur.cost - next.cost < 1e-5 * cur.cost;
            p = trial;
            ++steps;
            lambda = std::max(1e-7, lambda * 0.3);
            cur = evaluate(*s, *sub, *world2vox, p, !done);
            if (done) over = true;
        } else {
            lambda *= 8;
            if (lambda > 1e4) over = true;
        }
        return !over;
    }
    double done_share() const { return over ? 1.0 : double(it) / max_steps; }
    // The fit at the final p (without jacobian).
    Fit final_fit(const Params& p) const { return evaluate(*s, *sub, *world2vox, p, false); }
};

Fit refine(const Samples& s, const Grid& sub, const Affine& world2vox, Params& p, int max_steps, int& steps) {
    Level level(s, sub, world2vox, p, max_steps);
    while (level.iterate(p, steps)) {}
    return level.final_fit(p);
}

// The subject's pyramid at about 2, 4 and 8 mm, its brightest 0.5 % clipped (vessels and fat
// would otherwise dominate the correlation).
std::array<Grid, 3> subject_pyramid(const Volume& subject) {
    const double top = positive_quantile(subject.voxels, 0.995);
    const std::array<int, 3> f = factors(spacing_of(affine_from(subject.affine)), 2.0);
    std::array<Grid, 3> out;
    out[0] = downsample(subject, f[0], f[1], f[2], top > 0 ? top : INFINITY);
    out[1] = downsample_to(out[0], 4.0);
    out[2] = downsample_to(out[1], 8.0);
    return out;
}

struct Start {
    int tmpl = 0;   // 0 head, 1 brain
    Affine rotation;
    double shift = 0;
};

bool is_identity(const Affine& a) {
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            if (a.m[r][c] != (r == c ? 1.0 : 0.0)) return false;
    return true;
}

std::string start_name(const Start& s) {
    char b[96];
    std::snprintf(b, sizeof b, "centre of mass%s %+.0f mm superior", is_identity(s.rotation) ? "" : " and principal axes", s.shift);
    return b;
}

}  // namespace

Expected<Reference> make_reference(Volume head, Volume brain) {
    if (head.nx != brain.nx || head.ny != brain.ny || head.nz != brain.nz)
        return make_error("the reference head and brain volumes differ in size (" + std::to_string(head.nx) + "x" +
                          std::to_string(head.ny) + "x" + std::to_string(head.nz) + " vs " + std::to_string(brain.nx) +
                          "x" + std::to_string(brain.ny) + "x" + std::to_string(brain.nz) + ")");
    // Each volume is turned and reduced, then freed, before the next: the head is kept only at 2 mm
    // and coarser, so at most one turned 1 mm copy is held at a time (a WASM heap never shrinks).
    brain = to_training_orientation(brain);
    auto slab = axial_slab(brain);
    if (!slab) return make_error("the reference brain: " + slab.error());
    if (slab->slices.size() != 32) return make_error("the reference brain has too few axial slices for the band");
    Reference ref;
    ref.brain1 = grid_from(brain);
    brain = Volume{};
    head = to_training_orientation(head);
    ref.head[0] = downsample(head, 2, 2, 2, INFINITY);
    head = Volume{};
    ref.brain[0] = downsample(ref.brain1, 2, 2, 2);
    for (int l = 1; l < 3; ++l) {
        ref.head[l] = downsample(ref.head[l - 1], 2, 2, 2);
        ref.brain[l] = downsample(ref.brain[l - 1], 2, 2, 2);
    }
    // Tissue labels at 2 mm: only voxels whose whole 2 mm block is brain, so the skull's edge is no class.
    Grid inside = ref.brain1;
    for (float& x : inside.v) x = x > 0 ? 1.0f : 0.0f;
    inside = downsample(inside, 2, 2, 2);
    std::vector<float> values;
    for (size_t n = 0; n < inside.size(); ++n)
        if (inside.v[n] >= 1.0f) values.push_back(ref.brain[0].v[n]);
    const std::array<double, 2> t = otsu3(values);
    ref.labels = inside;
    for (size_t n = 0; n < inside.size(); ++n) {
        const float x = ref.brain[0].v[n];
        ref.labels.v[n] = inside.v[n] < 1.0f ? 0.0f : x < t[0] ? 1.0f : x < t[1] ? 2.0f : 3.0f;
    }
    std::copy(slab->slices.begin(), slab->slices.end(), ref.band.begin());
    ref.band_first = slab->slices.front(), ref.band_last = slab->slices.back();
    return ref;
}

// What a run holds between steps: the subject's pyramid, both templates' samples, the starts.
struct RegistrationRun::State {
    const Reference* ref = nullptr;
    std::array<Grid, 3> sub;
    std::array<Affine, 3> world2vox;
    Moments sm;
    std::array<Moments, 2> tm;
    std::array<std::array<Samples, 3>, 2> samples;
    std::vector<Start> starts;
    size_t next_start = 0;
    int level = 2;             // the refinement level under way once every start is tried
    Level current;             // its iterations so far (s == nullptr: not begun)
    Registration best;
    Params best_p{};
    double best_cost = 2;
    int best_t = 0, steps = 0;
    Fit fit;
};

namespace {

// "" or why the volume cannot be registered.
std::string check_subject(const Volume& subject) {
    const int dims[3] = {subject.nx, subject.ny, subject.nz};
    for (int a = 0; a < 3; ++a)
        if (dims[a] < 8)
            return "the volume is " + std::to_string(subject.nx) + "x" + std::to_string(subject.ny) + "x" +
                   std::to_string(subject.nz) + " voxels: " + (dims[a] == 1 ? "a single slice" : "too thin") +
                   " cannot be registered to a head (at least 8 voxels along each axis)";
    if (subject.voxels.size() != size_t(subject.nx) * subject.ny * subject.nz)
        return "the volume holds " + std::to_string(subject.voxels.size()) + " voxels, not its size's";
    const Vec3 sp = spacing_of(affine_from(subject.affine));
    for (int a = 0; a < 3; ++a) {
        const double fov = sp[a] * dims[a];
        if (!(fov <= kMaxFieldOfViewMm) || !(sp[a] > 0)) {
            char b[160];
            std::snprintf(b, sizeof b, "the volume's field of view is %.0f mm along axis %d: not a head (at most %.0f mm)",
                          fov, a, kMaxFieldOfViewMm);
            return b;
        }
    }
    return "";
}

// Both templates' moments and samples per level: every voxel at 8 mm; at 4 and 2 mm the dilated
// foreground, every other voxel at 2 mm (the correlation's optimum stays, the cost halves).
void template_samples(RegistrationRun::State& st) {
    const std::array<const std::array<Grid, 3>*, 2> tmpl{&st.ref->head, &st.ref->brain};
    for (int t = 0; t < 2; ++t) {
        const std::array<Grid, 3>& g = *tmpl[t];
        const double top = positive_quantile(g[1].v, 0.99);
        st.tm[t] = moments_of(g[1], 0.2 * top);
        for (int l = 0; l < 3; ++l) {
            std::vector<size_t> vox;
            if (l == 2) {
                for (size_t n = 0; n < g[l].size(); ++n) vox.push_back(n);
            } else {
                vox = dilated_foreground(g[l], 0.05 * top, 2);
                if (l == 0)
                    for (size_t n = 0; 2 * n < vox.size(); ++n) vox[n] = vox[2 * n];
                if (l == 0) vox.resize((vox.size() + 1) / 2);
            }
            st.samples[t][l] = samples_of(g[l], vox, st.tm[t].centre);
        }
    }
}

}  // namespace

RegistrationRun::RegistrationRun() = default;
RegistrationRun::RegistrationRun(RegistrationRun&&) noexcept = default;
RegistrationRun& RegistrationRun::operator=(RegistrationRun&&) noexcept = default;
RegistrationRun::~RegistrationRun() = default;

Expected<RegistrationRun> RegistrationRun::start(const Volume& subject, const Reference& ref) {
    if (std::string why = check_subject(subject); !why.empty()) return make_error(why);
    RegistrationRun run;
    run.state_ = std::make_unique<State>();
    State& st = *run.state_;
    st.ref = &ref;
    st.sub = subject_pyramid(subject);
    for (int l = 0; l < 3; ++l) st.world2vox[l] = inverse(st.sub[l].vox2world);
    const double sub_top = positive_quantile(st.sub[1].v, 0.99);
    st.sm = moments_of(st.sub[1], 0.2 * sub_top);
    if (st.sm.count == 0 || !(sub_top > 0)) return make_error("no foreground in the volume (every voxel is 0 or below)");
    template_samples(st);
    // Coarse level from every start; the best goes on to 4 and 2 mm.
    for (int t = 0; t < 2; ++t) {
        std::vector<Affine> rotations{Affine{}};
        const Affine pa = principal_rotation(st.sm, st.tm[t]);
        if (!is_identity(pa)) rotations.push_back(pa);
        for (const Affine& rot : rotations)
            for (double shift : {0.0, 25.0, -25.0}) st.starts.push_back({t, rot, shift});
    }
    return run;
}

bool RegistrationRun::done() const { return !state_ || state_->level < 0; }

void RegistrationRun::step() {
    if (done()) return;
    State& st = *state_;
    if (st.next_start < st.starts.size()) {
        const Start& s = st.starts[st.next_start++];
        Params p{};
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) p[r * 3 + c] = s.rotation.m[r][c];
        for (int r = 0; r < 3; ++r) p[9 + r] = st.sm.centre[r] + (r == 2 ? s.shift : 0.0);
        const Fit f = refine(st.samples[s.tmpl][2], st.sub[2], st.world2vox[2], p, 12, st.steps);
        if (f.cost < st.best_cost) st.best_cost = f.cost, st.best_p = p, st.best_t = s.tmpl, st.best.start = start_name(s);
        return;
    }
    const int l = st.level;
    if (!st.current.s) {
        st.current = Level(st.samples[st.best_t][l], st.sub[l], st.world2vox[l], st.best_p, l ? 20 : 10);
        return;
    }
    if (st.current.iterate(st.best_p, st.steps)) return;
    st.fit = st.current.final_fit(st.best_p);
    st.current = Level{};
    --st.level;
}

double RegistrationRun::progress() const {
    if (done()) return 1;
    // Weights from the steps' measured costs on a 1 mm head: a start at 8 mm ~1, the 8 mm level ~1,
    // 4 mm ~4, 2 mm ~15; within a level, its iterations so far over its most.
    const State& st = *state_;
    const double levels[3] = {15, 4, 1}, total = double(st.starts.size()) + levels[0] + levels[1] + levels[2];
    double spent = double(st.next_start);
    for (int l = 2; l > st.level; --l) spent += levels[l];
    if (st.current.s) spent += levels[st.level] * st.current.done_share();
    return std::min(spent / total, 0.999);
}

Registration RegistrationRun::result() const {
    if (!done() || !state_) return {};
    const State& st = *state_;
    Registration r = st.best;
    r.template_to_subject = affine_of(st.best_p, st.tm[st.best_t].centre);
    r.ncc = st.fit.ncc;
    r.intensity_slope = st.fit.a;
    r.template_used = st.best_t == 0 ? "head" : "brain";
    r.iterations = st.steps;
    return r;
}

Expected<Registration> register_affine(const Volume& subject, const Reference& ref) {
    auto run = RegistrationRun::start(subject, ref);
    if (!run) return make_error(run.error());
    while (!run->done()) run->step();
    return run->result();
}

}  // namespace alzscan
