// DICOM files -> series -> Volume (see alzscan/dicom.h). GDCM stays behind dicom_file.h; this
// file orders the frames and checks that they form one regular volume.
#include "alzscan/dicom.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "dicom_file.h"

namespace alzscan {
namespace {

using dicom::FileHeader;
using dicom::FrameGeometry;
using Vec3 = std::array<double, 3>;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

Vec3 cross(const Vec3& a, const Vec3& b) {
    return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

bool names_t1(std::string d) {
    std::transform(d.begin(), d.end(), d.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* word : {"t1", "mprage", "mp-rage", "mp_rage", "spgr", "bravo", "tfe", "uni"})
        if (d.find(word) != std::string::npos) return true;
    return false;
}

// One frame of the series: where it comes from and where it lies.
struct Frame {
    size_t file = 0;   // index into the series' files
    int index = 0;     // frame within that file
    FrameGeometry geometry;
    double along = 0;  // position along the slice normal
};

// The frames of the series' files, each with its geometry, after the size checks.
Expected<std::vector<Frame>> gather_frames(const std::vector<DicomInput>& files, const DicomSeries& series,
                                           std::vector<FileHeader>& headers, std::vector<std::string>& notes) {
    headers.clear();
    std::vector<Frame> frames;
    int64_t voxels = 0;
    for (size_t f = 0; f < series.files.size(); ++f) {
        const DicomInput& in = files[series.files[f]];
        headers.push_back(dicom::read_header(in.data, in.size));
        const FileHeader& h = headers.back();
        if (!h.is_image) return make_error(in.name + ": " + h.reason);
        if (h.rows != headers[0].rows || h.columns != headers[0].columns)
            return make_error(in.name + ": " + std::to_string(h.columns) + "x" + std::to_string(h.rows) +
                              " pixels where the series' first file has " + std::to_string(headers[0].columns) + "x" +
                              std::to_string(headers[0].rows) + ": not one volume; choose another series");
        // The uncompressed pixel bytes a file declares cannot exceed what it holds (compressed
        // ones, by more than 1000:1): a huge NumberOfFrames is refused before anything is decoded.
        const double declared = double(h.rows) * h.columns * h.frames * std::max(1, h.bits_allocated / 8);
        if (declared > double(in.size) * (h.encapsulated ? 1000.0 : 1.0))
            return make_error(in.name + ": declares " + std::to_string(h.frames) + " frame(s) of " +
                              std::to_string(h.columns) + "x" + std::to_string(h.rows) + " pixels (" +
                              num(declared) + " bytes) but the file has " + std::to_string(in.size) +
                              " bytes: a damaged or truncated file");
        voxels += int64_t(h.rows) * h.columns * h.frames;
        if (voxels > kMaxVoxels)
            return make_error(in.name + ": the series holds more than " + std::to_string(kMaxVoxels) +
                              " voxels (512^3): too large a volume (NumberOfFrames " + std::to_string(h.frames) + ")");
        if (h.geometry.size() == 1 && h.frames > 1) {
            // A multi-frame file without per-frame positions: its frames follow one another along
            // the normal, SpacingBetweenSlices (else SliceThickness) apart.
            const double gap = h.slice_gap > 0 ? h.slice_gap : 1.0;
            notes.push_back(in.name + ": no per-frame positions; frames taken in file order, " + num(gap) + " mm apart");
            const auto& o = h.geometry[0].orientation;
            const Vec3 n = cross({o[0], o[1], o[2]}, {o[3], o[4], o[5]});
            for (int k = 0; k < h.frames; ++k) {
                Frame fr{f, k, h.geometry[0], 0};
                for (int a = 0; a < 3; ++a) fr.geometry.position[a] += k * gap * n[a];
                fr.geometry.has_position = true;
                frames.push_back(fr);
            }
        } else {
            for (int k = 0; k < h.frames; ++k) frames.push_back(Frame{f, k, h.geometry[size_t(k)], 0});
        }
    }
    return frames;
}

// Sorts the frames along the slice normal and checks one orientation, one pixel spacing, no two
// at one position and even gaps. Returns the normal.
Expected<Vec3> order_frames(std::vector<Frame>& frames, const std::vector<DicomInput>& files,
                            const DicomSeries& series, std::vector<std::string>& notes) {
    const FrameGeometry& g0 = frames[0].geometry;
    auto where = [&](const Frame& f) {
        return files[series.files[f.file]].name + (frames.size() > series.files.size() ? " frame " + std::to_string(f.index + 1) : "");
    };
    for (const Frame& f : frames) {
        for (int i = 0; i < 6; ++i)
            if (std::abs(f.geometry.orientation[i] - g0.orientation[i]) > 1e-4)
                return make_error(where(f) + ": its ImageOrientationPatient differs from the first slice's (mixed "
                                  "orientations: several series or a localizer together); choose one series");
        for (int i = 0; i < 2; ++i)
            if (std::abs(f.geometry.pixel_spacing[i] - g0.pixel_spacing[i]) > 1e-4 * g0.pixel_spacing[i])
                return make_error(where(f) + ": PixelSpacing " + num(f.geometry.pixel_spacing[0]) + "\\" +
                                  num(f.geometry.pixel_spacing[1]) + " differs from the first slice's; not one volume");
    }
    if (!g0.has_orientation) notes.push_back("no ImageOrientationPatient: axial slices assumed");
    if (!g0.has_spacing) notes.push_back("no PixelSpacing: 1 mm pixels assumed");
    const auto& o = g0.orientation;
    const Vec3 normal = cross({o[0], o[1], o[2]}, {o[3], o[4], o[5]});
    if (frames.size() == 1) return normal;
    for (const Frame& f : frames)
        if (!f.geometry.has_position)
            return make_error(where(f) + ": no ImagePositionPatient, so the slices cannot be ordered; "
                              "export the series with its geometry (or as NIfTI)");
    for (Frame& f : frames) f.along = dot(f.geometry.position, normal);
    std::stable_sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) { return a.along < b.along; });
    const double mean = (frames.back().along - frames.front().along) / double(frames.size() - 1);
    // Duplicates first: one extra file also makes the gaps uneven, and its cause is the clearer message.
    for (size_t k = 1; k < frames.size(); ++k)
        if (frames[k].along - frames[k - 1].along < 1e-3)
            return make_error(where(frames[k]) + " and " + where(frames[k - 1]) + " lie at one position (" +
                              num(frames[k].along) + " mm along the normal): duplicate files, or several echoes or "
                              "times in one series; keep one file per position");
    for (size_t k = 1; k < frames.size(); ++k) {
        const double gap = frames[k].along - frames[k - 1].along;
        if (std::abs(gap - mean) > 0.01 * mean + 0.01)
            return make_error("uneven slice gaps: " + num(gap) + " mm between " + where(frames[k - 1]) + " and " +
                              where(frames[k]) + " where the mean gap is " + num(mean) +
                              " mm (a missing or extra slice?); check that the series is complete");
    }
    return normal;
}

}  // namespace

DicomListing list_dicom_series(const std::vector<DicomInput>& files) {
    DicomListing out;
    std::map<std::string, size_t> by_uid;
    for (size_t i = 0; i < files.size(); ++i) {
        const FileHeader h = dicom::read_header(files[i].data, files[i].size);
        if (!h.is_image) {
            if (out.skipped++ == 0) out.first_skip_reason = files[i].name + ": " + h.reason;
            continue;
        }
        auto [it, fresh] = by_uid.emplace(h.series_uid, out.series.size());
        if (fresh) {
            DicomSeries s;
            s.uid = h.series_uid;
            s.number = h.series_number;
            s.description = h.description;
            s.study_description = h.study_description;
            s.modality = h.modality;
            s.rows = h.rows;
            s.columns = h.columns;
            if (!h.geometry.empty() && h.geometry[0].has_spacing) s.pixel_spacing = h.geometry[0].pixel_spacing;
            out.series.push_back(s);
        }
        DicomSeries& s = out.series[it->second];
        s.frames += h.frames;
        s.files.push_back(i);
    }
    std::stable_sort(out.series.begin(), out.series.end(), [](const DicomSeries& a, const DicomSeries& b) {
        return a.number != b.number ? a.number < b.number : a.uid < b.uid;
    });
    return out;
}

std::string describe_dicom_series(const DicomListing& listing, size_t index) {
    const DicomSeries& s = listing.series[index];
    std::string line = std::to_string(index + 1) + ": '" + s.description + "'";
    if (!s.study_description.empty()) line += " (study '" + s.study_description + "')";
    if (!s.modality.empty()) line += " " + s.modality;
    if (s.number >= 0) line += " series #" + std::to_string(s.number);
    line += ", " + std::to_string(s.frames) + (s.frames == 1 ? " slice " : " slices ") + std::to_string(s.columns) +
            "x" + std::to_string(s.rows);
    if (s.pixel_spacing[0] > 0) line += ", " + num(s.pixel_spacing[1]) + "x" + num(s.pixel_spacing[0]) + " mm";
    return line;
}

Expected<size_t> choose_dicom_series(const DicomListing& listing, int requested) {
    const size_t n = listing.series.size();
    if (n == 0)
        return make_error("no DICOM image among these files" +
                          (listing.first_skip_reason.empty() ? std::string() : " (" + listing.first_skip_reason + ")") +
                          "; give the folder of a DICOM series, or its files");
    if (requested > 0) {
        if (size_t(requested) <= n) return size_t(requested - 1);
        return make_error("--series " + std::to_string(requested) + ": there are " + std::to_string(n) +
                          " series (1 to " + std::to_string(n) + ")");
    }
    if (n == 1) return size_t(0);
    std::vector<size_t> t1;
    for (size_t i = 0; i < n; ++i)
        if (listing.series[i].frames > 32 && names_t1(listing.series[i].description)) t1.push_back(i);
    if (t1.size() == 1) return t1[0];
    std::string all;
    for (size_t i = 0; i < n; ++i) all += (i ? "; " : "") + describe_dicom_series(listing, i);
    return make_error(std::to_string(n) + " series in these files" +
                      (t1.empty() ? std::string(", none named as a T1 (") : ", several named as a T1 (") + all +
                      "); choose one with --series N");
}

Expected<Volume> read_dicom_series(const std::vector<DicomInput>& files, const DicomSeries& series) {
    if (series.files.empty()) return make_error("an empty DICOM series");
    Volume v;
    std::vector<FileHeader> headers;
    auto gathered = gather_frames(files, series, headers, v.notes);
    if (!gathered) return make_error(gathered.error());
    std::vector<Frame> frames = std::move(gathered).value();
    auto normal = order_frames(frames, files, series, v.notes);
    if (!normal) return make_error(normal.error());
    const FileHeader& h0 = headers[0];
    v.nx = h0.columns;
    v.ny = h0.rows;
    v.nz = int(frames.size());
    v.nifti_version = 0;
    v.affine_source = "dicom";
    const size_t plane = size_t(v.nx) * v.ny;
    v.voxels.assign(plane * v.nz, 0.0);
    // Each file decoded once; its frames go to their sorted places.
    std::vector<std::vector<size_t>> slot(series.files.size());
    for (size_t k = 0; k < frames.size(); ++k) {
        auto& s = slot[frames[k].file];
        if (s.size() <= size_t(frames[k].index)) s.resize(frames[k].index + 1);
        s[frames[k].index] = k;
    }
    for (size_t f = 0; f < series.files.size(); ++f) {
        const DicomInput& in = files[series.files[f]];
        std::vector<double> values;
        std::string datatype, error;
        if (!dicom::read_frames(in.data, in.size, headers[f], values, datatype, error))
            return make_error(in.name + ": " + error);
        if (v.datatype.empty()) v.datatype = datatype;
        for (size_t index = 0; index < slot[f].size(); ++index) {
            const size_t k = slot[f][index];
            const FrameGeometry& g = frames[k].geometry;
            const double* src = values.data() + index * plane;
            double* dst = v.voxels.data() + k * plane;
            for (size_t p = 0; p < plane; ++p) dst[p] = src[p] * g.slope + g.intercept;
        }
    }
    // LPS affine from the first and last positions, then to RAS+ (x and y negated).
    const FrameGeometry& first = frames.front().geometry;
    const auto& o = first.orientation;
    const Vec3 row{o[0], o[1], o[2]}, col{o[3], o[4], o[5]};
    Vec3 step;
    if (frames.size() > 1) {
        for (int a = 0; a < 3; ++a)
            step[a] = (frames.back().geometry.position[a] - first.position[a]) / double(frames.size() - 1);
    } else {
        const double gap = h0.slice_gap > 0 ? h0.slice_gap : 1.0;
        if (h0.slice_gap <= 0) v.notes.push_back("one slice without SliceThickness: 1 mm thick assumed");
        for (int a = 0; a < 3; ++a) step[a] = gap * (*normal)[a];
    }
    for (int a = 0; a < 3; ++a) {
        const double sign = a < 2 ? -1.0 : 1.0;
        v.affine[a] = {sign * row[a] * first.pixel_spacing[1], sign * col[a] * first.pixel_spacing[0], sign * step[a],
                       sign * first.position[a]};
    }
    v.affine[3] = {0, 0, 0, 1};
    v.spacing = {first.pixel_spacing[1], first.pixel_spacing[0], std::sqrt(dot(step, step))};
    std::string what = "DICOM series";
    if (!series.description.empty()) what += " '" + series.description + "'";
    if (!series.study_description.empty()) what += " of study '" + series.study_description + "'";
    v.notes.insert(v.notes.begin(), what + ": " + std::to_string(v.nz) + (v.nz == 1 ? " slice" : " slices"));
    return average_large_volume(std::move(v));   // as the file readers do for more than 256^3 voxels
}

}  // namespace alzscan
