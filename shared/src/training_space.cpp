// A volume into the training space: register, check, bias, contrast, extract, levels, slab
// (see training_space.h).
#include "alzscan/training_space.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "alzscan/otsu.h"
#include "alzscan/resize.h"

namespace alzscan {
namespace {

std::string fmt(const char* f, double a, double b = 0, double c = 0) {
    char buf[256];
    std::snprintf(buf, sizeof buf, f, a, b, c);
    return buf;
}

double median_of(std::vector<float> v) {
    if (v.empty()) return 0;
    const size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + mid, v.end());
    return v[mid];
}

// The 10 terms of a quadratic polynomial in x, y, z (mm, centred and scaled to about +-1).
constexpr int kTerms = 10;
std::array<double, kTerms> terms(const Vec3& x) {
    const double a = x[0] / 100, b = (x[1] + 20) / 100, c = (x[2] - 10) / 100;
    return {1, a, b, c, a * a, b * b, c * c, a * b, a * c, b * c};
}

struct Bias {
    std::array<double, kTerms> coef{1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    double at(const Vec3& x) const {
        const auto t = terms(x);
        double s = 0;
        for (int k = 0; k < kTerms; ++k) s += coef[k] * t[k];
        return std::min(2.0, std::max(0.5, s));
    }
};

// Least squares of values ~ polynomial(points), Gaussian elimination on the normal equations.
bool fit_polynomial(const std::vector<Vec3>& x, const std::vector<float>& v, std::array<double, kTerms>& coef) {
    double a[kTerms][kTerms + 1] = {};
    for (size_t n = 0; n < x.size(); ++n) {
        const auto t = terms(x[n]);
        for (int r = 0; r < kTerms; ++r) {
            for (int c = r; c < kTerms; ++c) a[r][c] += t[r] * t[c];
            a[r][kTerms] += t[r] * v[n];
        }
    }
    for (int r = 0; r < kTerms; ++r)   // t[r] t[c] == t[c] t[r]: the lower half sums the same products
        for (int c = 0; c < r; ++c) a[r][c] = a[c][r];
    for (int c = 0; c < kTerms; ++c) {
        int p = c;
        for (int r = c + 1; r < kTerms; ++r)
            if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
        if (!(std::abs(a[p][c]) > 1e-9)) return false;
        for (int k = 0; k <= kTerms; ++k) std::swap(a[p][k], a[c][k]);
        for (int r = 0; r < kTerms; ++r) {
            if (r == c) continue;
            const double f = a[r][c] / a[c][c];
            for (int k = c; k <= kTerms; ++k) a[r][k] -= f * a[c][k];
        }
    }
    for (int r = 0; r < kTerms; ++r) coef[r] = a[r][kTerms] / a[r][r];
    return true;
}

// The subject sampled at the template's labelled 2 mm voxels.
struct TissueSamples {
    std::vector<Vec3> x;          // template world mm
    std::vector<float> v;         // subject value there
    std::vector<uint8_t> label;   // 1 CSF, 2 GM, 3 WM
};

TissueSamples tissue_samples(const Volume& sub, const Affine& template_to_voxel, const Reference& ref) {
    TissueSamples s;
    const Grid& l = ref.labels;
    for (int k = 0; k < l.nz; ++k)
        for (int j = 0; j < l.ny; ++j)
            for (int i = 0; i < l.nx; ++i) {
                const float lab = l.at(i, j, k);
                if (lab < 1) continue;
                const Vec3 x = l.vox2world.apply({double(i), double(j), double(k)});
                s.x.push_back(x);
                s.v.push_back(static_cast<float>(sample(sub, template_to_voxel.apply(x))));
                s.label.push_back(static_cast<uint8_t>(lab));
            }
    return s;
}

// Two rounds: white matter = template WM the subject's own Otsu calls bright; fit; divide.
Bias fit_bias(const TissueSamples& s) {
    Bias bias;
    for (int round = 0; round < 2; ++round) {
        std::vector<float> corrected(s.v.size());
        for (size_t n = 0; n < s.v.size(); ++n) corrected[n] = static_cast<float>(s.v[n] / bias.at(s.x[n]));
        const double bright = otsu3(corrected)[1];
        std::vector<Vec3> x;
        std::vector<float> v;
        for (size_t n = 0; n < s.v.size(); ++n)
            if (s.label[n] == 3 && corrected[n] >= bright) x.push_back(s.x[n]), v.push_back(s.v[n]);
        if (x.size() < 100) break;
        double mean = 0;
        for (float f : v) mean += f;
        mean /= double(v.size());
        for (float& f : v) f = static_cast<float>(f / mean);
        std::array<double, kTerms> coef;
        if (!fit_polynomial(x, v, coef)) break;
        bias.coef = coef;
    }
    return bias;
}

// A slice whose pixels are sx x sy mm, resized so that each is as long as the shorter side: a thick
// slice's axis is stretched, and the picture keeps the head's proportions (capped at 8192 px).
GrayImage square_pixels(GrayImage image, double sx, double sy) {
    if (!(sx > 0) || !(sy > 0) || std::abs(sx - sy) <= 1e-3 * std::max(sx, sy)) return image;
    const double unit = std::min(sx, sy);
    const int w = std::clamp(static_cast<int>(std::lround(image.width * sx / unit)), 1, 8192);
    const int h = std::clamp(static_cast<int>(std::lround(image.height * sy / unit)), 1, 8192);
    auto resized = resize_gray(image, w, h);
    return resized ? std::move(resized).value() : image;
}

// The subject's own stored axial slice nearest the band's middle (before/after picture): the plane
// of its voxel axis closest to superior through that point, in the training orientation.
void input_slice(const Volume& subject, const Registration& reg, const Reference& ref, TrainingSpace& out) {
    const int kmid = (ref.band_first + ref.band_last) / 2;
    const Vec3 world = reg.template_to_subject.apply(ref.brain1.vox2world.apply({ref.brain1.nx / 2.0, ref.brain1.ny / 2.0, double(kmid)}));
    const Vec3 u = inverse(affine_from(subject.affine)).apply(world);
    int axis = 2;
    double best = -1;
    for (int a = 0; a < 3; ++a) {
        const double c = subject.spacing[a] > 0 ? std::abs(subject.affine[2][a]) / subject.spacing[a] : 0;
        if (c > best) best = c, axis = a;
    }
    const int dims[3] = {subject.nx, subject.ny, subject.nz};
    const int at = std::max(0, std::min(dims[axis] - 1, static_cast<int>(std::lround(u[axis]))));
    Volume plane;   // that one plane as a volume of the same geometry, then turned like any volume
    plane.nx = axis == 0 ? 1 : subject.nx, plane.ny = axis == 1 ? 1 : subject.ny, plane.nz = axis == 2 ? 1 : subject.nz;
    plane.spacing = subject.spacing;
    plane.affine = subject.affine;
    for (int w = 0; w < 3; ++w) plane.affine[w][3] += subject.affine[w][axis] * at;
    plane.datatype = subject.datatype;
    plane.voxels.reserve(size_t(plane.nx) * plane.ny * plane.nz);
    for (int k = 0; k < plane.nz; ++k)
        for (int j = 0; j < plane.ny; ++j)
            for (int i = 0; i < plane.nx; ++i)
                plane.voxels.push_back(subject.at(axis == 0 ? at : i, axis == 1 ? at : j, axis == 2 ? at : k));
    const Volume lps = to_training_orientation(plane);
    out.input_slice = at;
    out.input = square_pixels(GrayImage{lps.nx, lps.ny, volume_gray(lps)}, lps.spacing[0], lps.spacing[1]);
}

// Brain voxels of the template's slice k within the 5 x 5 window around each pixel (0 outside the
// grid), counted along rows then columns: 10 additions a pixel instead of 25 lookups.
std::vector<uint8_t> brain_counts(const Reference& ref, int k) {
    const Grid& b = ref.brain1;
    const int w = b.nx, h = b.ny;
    std::vector<uint8_t> rows(size_t(w) * h, 0), count(size_t(w) * h, 0);
    for (int j = 0; j < h; ++j)
        for (int i = 0; i < w; ++i) {
            int n = 0;
            for (int x = std::max(0, i - 2); x <= std::min(w - 1, i + 2); ++x) n += b.at(x, j, k) > 0;
            rows[size_t(j) * w + i] = static_cast<uint8_t>(n);
        }
    for (int j = 0; j < h; ++j)
        for (int i = 0; i < w; ++i) {
            int n = 0;
            for (int y = std::max(0, j - 2); y <= std::min(h - 1, j + 2); ++y) n += rows[size_t(y) * w + i];
            count[size_t(j) * w + i] = static_cast<uint8_t>(n);
        }
    return count;
}

// The brain mask of one band slice (step 5 of training_space.h): inside the template's brain with
// its 2-voxel margin, or next to it and brighter than the CSF/grey midpoint.
std::vector<uint8_t> slice_mask(const std::vector<uint8_t>& counts, const std::vector<float>& values, double csf_gm) {
    std::vector<uint8_t> mask(counts.size(), 0);
    for (size_t n = 0; n < mask.size(); ++n) mask[n] = counts[n] == 25 || (counts[n] > 0 && values[n] >= csf_gm);
    return mask;
}

// Piecewise-linear map from the subject's brain percentiles onto the spec's levels (step 6).
struct LevelMap {
    std::vector<double> from, to;
    double at(double v) const {
        if (v <= from.front()) return std::max(0.0, to.front() + (v - from.front()) * slope(0));
        for (size_t s = 0; s + 1 < from.size(); ++s)
            if (v <= from[s + 1]) return to[s] + (v - from[s]) * slope(s);
        return to.back() + (v - from.back()) * slope(from.size() - 2);
    }
    double slope(size_t s) const { return from[s + 1] > from[s] ? (to[s + 1] - to[s]) / (from[s + 1] - from[s]) : 0.0; }
};

LevelMap level_map(std::vector<float> brain, const ConformSpec& spec) {
    LevelMap m;
    // The value at percentile q's rank, as a full sort would place it: selected within the part on
    // its side of the last rank placed (the quantiles come in ascending order).
    size_t placed = 0;
    auto pct = [&](int q) {
        const size_t r = std::min(brain.size() - 1, size_t(q * (brain.size() - 1) / 100.0 + 0.5));
        if (r >= placed) std::nth_element(brain.begin() + placed, brain.begin() + r, brain.end()), placed = r;
        else std::nth_element(brain.begin(), brain.begin() + r, brain.begin() + placed);
        return double(brain[r]);
    };
    if (spec.levels.size() == size_t(kLevelCount)) {
        for (int q = 0; q < kLevelCount; ++q) m.from.push_back(pct(kLevelQuantiles[q])), m.to.push_back(spec.levels[q]);
    } else {
        m.from = {pct(1), pct(99)};
        m.to = {double(spec.low), double(spec.high)};
    }
    for (size_t s = 1; s < m.from.size(); ++s) m.from[s] = std::max(m.from[s], m.from[s - 1]);
    return m;
}

// The training slices' frame: OASIS's 176 x 208 mm atlas slice (centred on the template's grid),
// resized to kTrainingSide square pixels as the dataset's were (aspect not kept).
GrayImage atlas_frame(const GrayImage& img) {
    GrayImage cut{kAtlasWidthMm, kAtlasHeightMm, std::vector<uint8_t>(size_t(kAtlasWidthMm) * kAtlasHeightMm, 0)};
    const int x0 = (img.width - kAtlasWidthMm) / 2, y0 = (img.height - kAtlasHeightMm) / 2;
    for (int y = 0; y < kAtlasHeightMm; ++y)
        for (int x = 0; x < kAtlasWidthMm; ++x) {
            const int sx = x + x0, sy = y + y0;
            if (sx >= 0 && sy >= 0 && sx < img.width && sy < img.height)
                cut.pixels[size_t(y) * kAtlasWidthMm + x] = img.at(sx, sy);
        }
    return resize_gray(cut, kTrainingSide, kTrainingSide).value();   // both sides > 0: never an error
}

Expected<Registration> checked_registration(const Volume& sub, const Reference& ref, const Registration* registered,
                                            AffineParts& parts) {
    auto reg = registered ? Expected<Registration>(*registered) : register_affine(sub, ref);
    if (!reg) return reg;
    if (!(std::abs(reg->ncc) >= kMinRegistrationNcc))
        return make_error(fmt("the registration to the template failed: correlation %.2f (at least %.2f); is this a "
                              "brain MRI volume?", reg->ncc, kMinRegistrationNcc));
    parts = decompose(reg->template_to_subject);
    for (double s : parts.scales)
        if (!(s >= kMinScale && s <= kMaxScale))
            return make_error(fmt("not an adult human head: fitting it to the template needs a scale of %.2f "
                                  "(%.2f..%.2f allowed)", s, kMinScale, kMaxScale));
    return reg;
}

}  // namespace

Expected<TrainingSpace> to_training_space(const Volume& subject, const Reference& ref, const ConformSpec& spec,
                                          const Registration* registered) {
    const Volume& sub = subject;
    TrainingSpace out;
    auto reg = checked_registration(sub, ref, registered, out.parts);
    if (!reg) return make_error(reg.error());
    out.registration = *reg;
    const Affine to_voxel = compose(inverse(affine_from(sub.affine)), reg->template_to_subject);
    const TissueSamples ts = tissue_samples(sub, to_voxel, ref);
    const Bias bias = fit_bias(ts);
    std::vector<double> bias_at(ts.x.size());
    for (size_t n = 0; n < ts.x.size(); ++n) bias_at[n] = bias.at(ts.x[n]);
    std::array<std::vector<float>, 3> by_label;
    for (size_t n = 0; n < ts.v.size(); ++n) by_label[ts.label[n] - 1].push_back(static_cast<float>(ts.v[n] / bias_at[n]));
    for (int c = 0; c < 3; ++c) out.tissue[c] = median_of(by_label[c]);
    const double csf = out.tissue[0], gm = out.tissue[1], wm = out.tissue[2];
    if (!(reg->intensity_slope > 0 && wm > gm * kT1Ratio && gm > csf * kT1Ratio))
        return make_error(fmt("its contrast is not T1: in the registered brain, white matter %.3g, grey matter %.3g, "
                              "CSF %.3g (T1 needs white > grey > CSF); T2, FLAIR, PD and CT volumes are not classified",
                              wm, gm, csf));
    double bmin = INFINITY, bmax = 0;
    for (double at : bias_at) bmin = std::min(bmin, at), bmax = std::max(bmax, at);
    out.bias_range = bmax / bmin;

    // The band on the template's 1 mm grid: corrected values, mask, then levels over all masked voxels.
    const Grid& b = ref.brain1;
    const double csf_gm = 0.5 * (csf + gm);
    const size_t plane = size_t(b.nx) * b.ny;
    std::vector<std::vector<float>> values(32, std::vector<float>(plane));
    std::vector<std::vector<uint8_t>> masks(32);
    std::vector<float> brain;
    for (int s = 0; s < 32; ++s) {
        const int k = ref.band[s];
        const std::vector<uint8_t> counts = brain_counts(ref, k);
        // Only voxels near the template's brain can be in the mask: only those are sampled.
        for (int j = 0; j < b.ny; ++j)
            for (int i = 0; i < b.nx; ++i) {
                if (!counts[size_t(j) * b.nx + i]) continue;
                const Vec3 x = b.vox2world.apply({double(i), double(j), double(k)});
                values[s][size_t(j) * b.nx + i] = static_cast<float>(sample(sub, to_voxel.apply(x)) / bias.at(x));
            }
        masks[s] = slice_mask(counts, values[s], csf_gm);
        for (size_t n = 0; n < plane; ++n)
            if (masks[s][n]) brain.push_back(values[s][n]);
    }
    if (brain.size() < 1000) return make_error("no brain found in the registered volume's band");
    const LevelMap map = level_map(brain, spec);
    for (int s = 0; s < 32; ++s) {
        GrayImage img{b.nx, b.ny, std::vector<uint8_t>(plane, 0)};
        for (size_t n = 0; n < plane; ++n)
            if (masks[s][n]) img.pixels[n] = static_cast<uint8_t>(std::lround(std::min(255.0, std::max(0.0, map.at(values[s][n])))));
        out.slab.images.push_back(atlas_frame(img));
        out.slab.slices.push_back(ref.band[s]);
    }
    out.slab.brain_first = ref.band_first, out.slab.brain_last = ref.band_last;
    const AffineParts& p = out.parts;
    out.slab.how = "registered to the template (" + reg->template_used + ", correlation " + fmt("%.3f", reg->ncc) +
                   fmt("; scales %.2f %.2f %.2f", p.scales[0], p.scales[1], p.scales[2]) +
                   fmt(", rotations %.1f %.1f %.1f deg", p.rotation_deg[0], p.rotation_deg[1], p.rotation_deg[2]) +
                   "): 32 axial slices " + std::to_string(ref.band_first) + ".." + std::to_string(ref.band_last) +
                   " of its 1 mm grid, the training stacks' band; brain extracted, bias-corrected, levels mapped";
    input_slice(subject, *reg, ref, out);
    return out;
}

std::string thick_voxel_note(const Volume& v) {
    int axis = -1;
    for (int a = 0; a < 3; ++a)
        if (v.spacing[a] > kThickVoxelMm && (axis < 0 || v.spacing[a] > v.spacing[axis])) axis = a;
    if (axis < 0) return "";
    int world = 0;   // the world axis the voxel axis runs along most
    for (int w = 1; w < 3; ++w)
        if (std::abs(v.affine[w][axis]) > std::abs(v.affine[world][axis])) world = w;
    const char* along[3] = {"left-right", "front-back", "up-down"};
    const std::string across = fmt("%.1f mm ", v.spacing[axis]) + along[world];
    return fmt("its voxels are %.1f x %.1f x %.1f mm: thick slices, ", v.spacing[0], v.spacing[1], v.spacing[2]) + across +
           "; the model's 1 mm slices are interpolated across them, each averaging tissue over " + across +
           " (the training slices come from 1 mm volumes)";
}

bool is_head_volume(const Volume& v) {
    const int dims[3] = {v.nx, v.ny, v.nz};
    int axis = 2;
    double best = -1;
    for (int a = 0; a < 3; ++a) {
        const double c = v.spacing[a] > 0 ? std::abs(v.affine[2][a]) / v.spacing[a] : 0;
        if (c > best) best = c, axis = a;
    }
    return dims[axis] > kSlabSlices || dims[axis] * v.spacing[axis] >= kMinHeadExtentMm;
}

Expected<ScanSlices> scan_slices(const Volume& volume, const Reference* ref, const ConformSpec& spec,
                                 const Registration* registered) {
    ScanSlices out;
    out.notes = volume.notes;
    if (!is_head_volume(volume)) {
        auto slab = axial_slab(to_training_orientation(volume));
        if (!slab) return make_error(slab.error());
        out.slab = std::move(slab).value();
        return out;
    }
    if (!ref) return make_error("the registration reference (Colin27 from mricron-data) is not loaded: a head volume cannot be brought into the training space without it");
    auto space = to_training_space(volume, *ref, spec, registered);
    if (!space) return make_error(space.error());
    out.registered = true;
    if (const std::string note = thick_voxel_note(volume); !note.empty()) out.notes.push_back(note);
    out.space = std::move(space).value();
    out.slab = std::move(out.space.slab);
    out.space.slab = Slab{};
    return out;
}

std::string registration_json(const TrainingSpace& s) {
    // Dividing by a power of ten gives the double nearest the decimal (0.9923, not 0.9923000000000001).
    auto round = [](double x, double per_unit) { return std::round(x * per_unit) / per_unit; };
    auto vec = [&](const Vec3& v, double per) { return nlohmann::json{round(v[0], per), round(v[1], per), round(v[2], per)}; };
    const Registration& r = s.registration;
    const nlohmann::ordered_json j = {
        {"template", r.template_used}, {"correlation", round(r.ncc, 1e4)}, {"start", r.start}, {"iterations", r.iterations},
        {"scales", vec(s.parts.scales, 1e4)}, {"rotation_deg", vec(s.parts.rotation_deg, 1e2)},
        {"translation_mm", vec(s.parts.translation, 1e2)},
        {"tissue", {{"csf", round(s.tissue[0], 1e3)}, {"gm", round(s.tissue[1], 1e3)}, {"wm", round(s.tissue[2], 1e3)}}},
        {"bias_range", round(s.bias_range, 1e3)}, {"input_slice", s.input_slice}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

GrayImage before_after(const GrayImage& input, const std::vector<GrayImage>& slices) {
    constexpr int kGap = 8;
    const int h = slices.empty() ? input.height : slices.front().height;
    std::vector<GrayImage> parts{input};
    parts.insert(parts.end(), slices.begin(), slices.end());
    int width = 0;
    for (GrayImage& g : parts) {
        const int w = std::max(1, static_cast<int>(std::lround(double(g.width) * h / std::max(1, g.height))));
        if (g.width != w || g.height != h) {
            auto scaled = resize_gray(g, w, h);
            g = scaled ? std::move(scaled).value() : GrayImage{w, h, std::vector<uint8_t>(size_t(w) * h, 0)};
        }
        width += w + kGap;
    }
    GrayImage out{width - kGap, h, std::vector<uint8_t>(size_t(width - kGap) * h, 0)};
    int x0 = 0;
    for (const GrayImage& g : parts) {
        for (int y = 0; y < h; ++y) std::copy_n(&g.pixels[size_t(y) * g.width], g.width, &out.pixels[size_t(y) * out.width + x0]);
        x0 += g.width + kGap;
    }
    return out;
}

}  // namespace alzscan
