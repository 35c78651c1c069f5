// alzscan predict: classify image files and scans (slice stacks, NIfTI volumes) with a checkpoint,
// exactly as the browser would.
#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <png.h>

#include "alzscan/atrophy.h"
#include "alzscan/cam.h"
#include "alzscan/image_decode.h"
#include "alzscan/ood.h"
#include "alzscan/resize.h"
#include "alzscan/verdict.h"
#include "cli/common_options.h"
#include "commands/commands.h"
#include "commands/dicom_files.h"
#include "commands/predictor.h"
#include "commands/volume_file.h"
#include "rundir/files.h"

namespace alzscan::cmd {
namespace {

// A JSON string for any bytes: invalid UTF-8 (a file name from another system) becomes U+FFFD.
std::string json_string(const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_string_array(const std::vector<std::string>& v) {
    return nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A file name for the terminal: control bytes (newline, escape sequences) shown as \xNN.
std::string printable(const std::string& s) {
    std::string out;
    char buf[8];
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string format_probabilities(const std::vector<float>& p) {
    std::string s = "[";
    char buf[32];
    for (size_t i = 0; i < p.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(p[i]));
        s += (i ? "," : "") + std::string(buf);
    }
    return s + "]";
}

int argmax(const std::vector<float>& p) { return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()); }

// A PNG written atomically (temporary file + rename). Throws runtime_error naming the path.
void write_png(const std::string& path, int width, int height, uint32_t format, const uint8_t* pixels, const char* what,
               const char* option) {
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = static_cast<png_uint_32>(width);
    image.height = static_cast<png_uint_32>(height);
    image.format = format;
    const std::string tmp = path + ".tmp";
    if (!png_image_write_to_file(&image, tmp.c_str(), 0, pixels, 0, nullptr) || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot write " + what + " (" + image.message + "); check " + option);
    }
}

// DIR/<file name>[.slice N].cam.png: the predicted class's map over the slice as the model saw it
// (shared/cam.h cam_picture). Throws runtime_error naming the path.
void write_cam_png(const std::string& dir, const std::string& file, int slice, const SliceResult& r) {
    const size_t hw = static_cast<size_t>(r.cam.height * r.cam.width);
    const CamPicture pic = cam_picture(r.prepared, r.cam.maps.data() + static_cast<size_t>(argmax(r.probs)) * hw,
                                       static_cast<int>(r.cam.width), static_cast<int>(r.cam.height), 0.5);
    std::filesystem::create_directories(dir);
    const std::string name = std::filesystem::path(file).filename().string() +
                             (slice >= 0 ? ".slice" + std::to_string(slice) : "") + ".cam.png";
    write_png((std::filesystem::path(dir) / name).string(), pic.width, pic.height, PNG_FORMAT_RGBA, pic.rgba.data(),
              "the activation map", "--cam DIR");
}

// DIR/<file name>.registration.png: a registered volume's own slice beside 4 of the model's slices
// (shared/ before_after), the picture of what registration, extraction and the levels did.
void write_registration_png(const std::string& dir, const std::string& file, const ScanSlices& scan) {
    const std::vector<GrayImage>& s = scan.slab.images;
    const GrayImage picture = before_after(scan.space.input, {s[0], s[s.size() / 3], s[2 * s.size() / 3], s.back()});
    std::filesystem::create_directories(dir);
    const std::string name = std::filesystem::path(file).filename().string() + ".registration.png";
    write_png((std::filesystem::path(dir) / name).string(), picture.width, picture.height, PNG_FORMAT_GRAY,
              picture.pixels.data(), "the registration picture", "--show DIR");
}

// --json's "timings" of a scan (predictor.h ScanTimings; the app's classifyScan names them alike).
std::string timings_json(const ScanTimings& t) {
    char text[360];
    std::snprintf(text, sizeof text,
                  "{\"read_ms\":%.1f,\"template_ms\":%.1f,\"registration_ms\":%.1f,\"slab_ms\":%.1f,"
                  "\"preprocess_ms\":%.1f,\"inference_ms\":%.1f,\"aggregate_ms\":%.1f,\"total_ms\":%.1f}",
                  t.read_ms, t.template_ms, t.registration_ms, t.slab_ms, t.preprocess_ms, t.inference_ms,
                  t.aggregate_ms, t.total_ms);
    return text;
}

// The scan's atrophy (shared/ atrophy.h) from its slices' tissue measures and poses.
ScanAtrophy scan_atrophy(const std::vector<SliceResult>& slices, const AtrophyReference& ref) {
    std::vector<TissueMeasures> tissues;
    std::vector<SlicePose> poses;
    for (const SliceResult& r : slices) tissues.push_back(r.tissue), poses.push_back(r.pose);
    return atrophy_of_stack(tissues, poses, ref);
}

struct Printer {
    bool json = false;
    bool with_ood = false;
    std::vector<std::string> classes;
    std::string classes_json;
    AtrophyReference atrophy;
    std::string show_dir;   // --show: a scan's atrophy chart goes to DIR/<file>.atrophy.svg
    bool stack = false;     // --scan: files are slices of one scan, not each a scan of one slice

    // " label ... " members: a flagged input has no class (label null, index -1), its probabilities kept.
    std::string verdict_members(const std::vector<float>& probs, const OodVerdict& ood) const {
        const int best = verdict_index(probs, ood);
        std::string s = best < 0 ? "\"label\":null,\"index\":-1" :
                                   "\"label\":" + json_string(classes[best]) + ",\"index\":" + std::to_string(best);
        s += ",\"probabilities\":" + format_probabilities(probs) + ",\"classes\":" + classes_json;
        if (with_ood) s += ",\"ood\":" + ood_verdict_json(ood);
        return s;
    }

    std::string cam_member(const GradCam& g) const {
        if (g.classes == 0) return "";
        return ",\"cam\":{\"height\":" + std::to_string(g.height) + ",\"width\":" + std::to_string(g.width) +
               ",\"maps\":" + format_probabilities(g.maps) + "}";
    }

    void text_line(const std::string& name, const std::vector<float>& probs, const OodVerdict& ood) const {
        const int best = verdict_index(probs, ood);
        if (best < 0)
            std::printf("%s: not classified: %s (out-of-distribution score %.2f > 1)", name.c_str(), ood.reason.c_str(), ood.score);
        else
            std::printf("%s: %s (%.1f%%)", name.c_str(), classes[best].c_str(), 100.0 * probs[best]);
        for (size_t c = 0; c < probs.size(); ++c) std::printf("  %s %.4f", classes[c].c_str(), probs[c]);
        std::printf("\n");
    }

    // One slice: file (and the volume's slice index when slice >= 0), or its error. A lone file is a
    // scan of one slice: it gets the atrophy evidence too, at the position its pose step matched.
    void slice(const std::string& file, int slice, const SliceResult& r) const {
        const std::string where = slice >= 0 ? ",\"slice\":" + std::to_string(slice) : "";
        const std::string name = printable(file) + (slice >= 0 ? " slice " + std::to_string(slice) : "");
        const bool alone = slice < 0 && !stack;
        const ScanAtrophy lone = alone && r.error.empty() ? scan_atrophy({r}, atrophy) : ScanAtrophy{};
        if (!r.error.empty()) {
            if (json)
                std::printf("{\"file\":%s%s,\"error\":%s}\n", json_string(file).c_str(), where.c_str(), json_string(r.error).c_str());
            else
                std::fprintf(stderr, "%s: %s\n", name.c_str(), r.error.c_str());
        } else if (json) {
            std::printf("{\"file\":%s%s,%s%s%s,\"tissue\":%s%s}\n", json_string(file).c_str(), where.c_str(),
                        verdict_members(r.probs, r.ood).c_str(), cam_member(r.cam).c_str(),
                        r.pose.estimated ? (",\"pose\":" + slice_pose_json(r.pose)).c_str() : "",
                        tissue_json(r.tissue).c_str(),
                        alone ? (",\"atrophy\":" + scan_atrophy_json(lone, atrophy)).c_str() : "");
        } else {
            text_line(name, r.probs, r.ood);
            if (r.pose.corrected) std::printf("  pose: %s\n", r.pose.reason.c_str());
            if (alone && atrophy.enabled()) std::printf("  atrophy: %s\n", atrophy_sentence(lone, atrophy).c_str());
        }
        if (alone && r.error.empty() && atrophy.enabled() && !show_dir.empty()) write_atrophy_svg(file, lone);
        std::fflush(stdout);
    }

    // DIR/<file name>.atrophy.svg: the scan's CSF fraction by position over the training people's bands.
    void write_atrophy_svg(const std::string& file, const ScanAtrophy& a) const {
        const std::string name = std::filesystem::path(file).filename().string() + ".atrophy.svg";
        try {
            std::filesystem::create_directories(show_dir);
            write_file_atomically(std::filesystem::path(show_dir) / name, atrophy_chart_svg(atrophy_chart(atrophy, &a), 720, 380));
        } catch (const std::exception& e) {   // the verdict still prints; the picture's failure is named
            std::fprintf(stderr, "alzscan predict: --show %s: %s (hint: a writable folder)\n", show_dir.c_str(), e.what());
        }
    }

    // The scan's verdict (shared/ verdict.h scan_verdict: aggregate_slices over its slices'
    // probabilities, as the cross-validation's people; flagged when more than a quarter of its slices are).
    // `t` is the scan's timings up to here; the verdict's own time is added as aggregate_ms.
    void scan(const std::string& file, const std::vector<SliceResult>& slices, const std::string& how,
              const std::vector<std::string>& notes, ScanTimings t, const std::string& registration = "") const {
        const auto a0 = std::chrono::steady_clock::now();
        std::vector<float> flat;
        std::vector<OodVerdict> oods;
        for (const SliceResult& r : slices) {
            flat.insert(flat.end(), r.probs.begin(), r.probs.end());
            oods.push_back(r.ood);
        }
        const ScanVerdict v = scan_verdict(flat.data(), slices.size(), classes.size(), oods);
        const ScanAtrophy scan_a = scan_atrophy(slices, atrophy);
        t.aggregate_ms = ms_since(a0);
        t.total_ms += t.aggregate_ms;
        if (atrophy.enabled() && !show_dir.empty()) write_atrophy_svg(file, scan_a);
        if (json) {
            std::printf("{\"file\":%s,\"scan\":{%s,\"slices\":%zu,\"how\":%s,\"notes\":%s%s%s,\"atrophy\":%s,"
                        "\"timings\":%s}}\n",
                        json_string(file).c_str(), verdict_members(v.probabilities, v.ood).c_str(), slices.size(),
                        json_string(how).c_str(), json_string_array(notes).c_str(),
                        registration.empty() ? "" : ",\"registration\":", registration.c_str(),
                        scan_atrophy_json(scan_a, atrophy).c_str(), timings_json(t).c_str());
        } else {
            text_line(printable(file) + ": scan of " + std::to_string(slices.size()) + " slices", v.probabilities, v.ood);
            std::printf("  (%s)\n", how.c_str());
            if (atrophy.enabled()) std::printf("  atrophy: %s\n", atrophy_sentence(scan_a, atrophy).c_str());
            for (const std::string& n : notes) std::printf("  note: %s\n", n.c_str());
        }
        std::fflush(stdout);
    }
};

// DIR/<file name>.pose.png when the pose step turned a file (shared/ slice_pose.h): the file beside the
// slice the model got, at the file's height. A failure becomes the slice's error.
void show_pose(const std::string& dir, const std::string& file, SliceResult& r) {
    if (dir.empty() || !r.error.empty() || !r.pose.corrected) return;
    std::vector<uint8_t> bytes;
    std::string error;
    auto input = read_file(file, bytes, error) ? decode_gray(bytes.data(), bytes.size()) : Expected<GrayImage>(make_error(error));
    if (!input) {
        r.error = file + ": " + input.error();
        return;
    }
    auto model = resize_gray(r.prepared, input->height * r.prepared.width / std::max(1, r.prepared.height), input->height);
    const GrayImage picture = before_after(*input, {model ? *model : r.prepared});
    try {
        std::filesystem::create_directories(dir);
        const std::string name = std::filesystem::path(file).filename().string() + ".pose.png";
        write_png((std::filesystem::path(dir) / name).string(), picture.width, picture.height, PNG_FORMAT_GRAY,
                  picture.pixels.data(), "the pose picture", "--show DIR");
    } catch (const std::exception& e) {
        r.error = e.what();
    }
}

// Each slice printed (and its overlay written), the classified ones collected; returns the failures.
int run_slices(const std::string& file, const std::vector<int>& indices,
               const std::function<SliceResult(size_t)>& classify, Predictor& p, const Printer& out,
               std::vector<SliceResult>& done) {
    int failures = 0;
    for (size_t i = 0; i < indices.size(); ++i) {
        SliceResult r = classify(i);
        if (r.error.empty() && !p.cam_dir.empty()) {
            try {
                write_cam_png(p.cam_dir, file, indices[i], r);
            } catch (const std::exception& e) {
                r.error = e.what();
            }
        }
        out.slice(file, indices[i], r);
        if (r.error.empty()) done.push_back(std::move(r));
        else ++failures;
    }
    return failures;
}

// A volume: its axial slab, each slice classified, then the verdict. Returns the failures.
// `scan` is read_scan's or read_dicom_scan's answer for `file`, `error` its reason when empty; `t`
// their timings, the scan begun at t0.
int predict_volume(const std::string& file, const std::optional<ScanSlices>& scan, const std::string& error,
                   Predictor& p, const Printer& out, const std::string& show_dir, ScanTimings t,
                   std::chrono::steady_clock::time_point t0) {
    if (!scan) {
        out.slice(file, -1, failed(error));
        return 1;
    }
    const Slab& slab = scan->slab;
    if (scan->registered && !show_dir.empty()) {
        try {
            write_registration_png(show_dir, file, *scan);
        } catch (const std::exception& e) {
            out.slice(file, -1, failed(e.what()));
            return 1;
        }
    }
    std::vector<SliceResult> done, results = classify_slab(slab.images, scan->registered, p, &t);
    const int failures = run_slices(file, slab.slices, [&](size_t i) { return std::move(results[i]); }, p, out, done);
    if (done.empty()) return failures + 1;
    t.total_ms = ms_since(t0);
    out.scan(file, done, slab.how, scan->notes, t, scan->registered ? registration_json(scan->space) : "");
    return failures;
}

// The image files of a directory, by name: one person's stack in slice order.
std::vector<std::string> directory_images(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        std::string ext = entry.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        if (entry.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// --series N: a listing number, 1 or more.
bool parse_series(const std::string& text, int& series) {
    char* end = nullptr;
    const long v = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v < 1 || v > 1000000) return false;
    series = static_cast<int>(v);
    return true;
}

}  // namespace

int predict(int argc, char** argv) {
    CliArgs args("alzscan predict", "classify image files with a checkpoint (prints class and probabilities); "
                                    "a volume (.nii/.nii.gz, .mgh/.mgz, an Analyze .hdr/.img pair, a DICOM folder or .dcm "
                                    "files), or with --scan all the files given, is one scan with one verdict");
    args.option("checkpoint", "", "checkpoint written by `alzscan train` (best.pt, last.pt) or models/default/checkpoint.pt", true);
    args.flag("json", "one JSON object per file (or slice) and line: file, label, index, probabilities, classes, tissue "
                      "(a file: pose; a lone file: atrophy); then per scan {\"file\", \"scan\": {label, probabilities, "
                      "slices, how, notes[, registration], atrophy}}");
    args.option("cam", "", "also compute Grad-CAM (LibTorch autograd) for every slice: DIR/<file>.cam.png shows the "
                           "predicted class's map over the slice; --json adds every class's map (scaled to max 1)");
    args.flag("scan", "the slice files and directories (their PNG/JPEG files by name) given are one person's stack, in "
                      "that order: each slice, then the scan's verdict (the mean of slice log-probabilities)");
    args.option("show", "", "for a registered volume, write DIR/<file>.registration.png: its own axial slice beside 4 "
                            "of the slices the model gets (what registration, extraction and the level map did); for "
                            "a file the pose step turned, DIR/<file>.pose.png: the file beside the slice the model gets; "
                            "for a scan (with a model that has an atrophy reference), DIR/<file>.atrophy.svg: its CSF fraction by slice position over the training "
                            "people's bands");
    args.option("reference", ALZSCAN_REFERENCE_DIR, "folder holding the registration template (ch2.nii.gz with skull, "
                                                    "ch2bet.nii.gz its brain: Colin27 from Debian's mricron-data)");
    args.option("series", "", "a DICOM folder or .dcm files holding several series: the series to classify, by its "
                              "number in the listing the error prints (by default the only series, or the one T1)");
    add_device_option(args, "cpu");
    args.positional("FILE", "image files (PNG, JPEG) or volumes: NIfTI (.nii, .nii.gz), FreeSurfer (.mgh, .mgz) or "
                            "Analyze 7.5 (.hdr or .img, the other file of the pair beside it), DICOM (a folder, with or without --scan, "
                            "or .dcm files: one scan together); with --scan, directories of slice files", 1);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;

    Predictor p;
    try {
        p = load_predictor(args.get("checkpoint"), args.get("device"));
        p.cam_dir = args.get("cam");
        p.reference_dir = args.get("reference");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan predict: %s\n", e.what());
        return 1;
    }
    torch::set_num_threads(1);
    const Printer out{args.is_set("json"), p.ood.enabled, p.model.spec.class_names,
                      json_string_array(p.model.spec.class_names), p.atrophy, args.get("show"), args.is_set("scan")};
    const bool as_scan = args.is_set("scan");

    int series = 0;
    if (args.is_set("series") && !parse_series(args.get("series"), series)) {
        std::fprintf(stderr, "alzscan predict: --series %s: expected a series number from the listing (1, 2, ...)\n",
                     args.get("series").c_str());
        return 2;
    }
    int failures = 0;
    std::vector<std::string> stack, dicom_files;
    for (const std::string& arg : args.positionals()) {
        std::string error;
        if (is_volume_path(arg)) {
            const auto t0 = std::chrono::steady_clock::now();
            ScanTimings t;
            const std::optional<ScanSlices> scan = read_scan(arg, p, error, &t);
            failures += predict_volume(arg, scan, error, p, out, args.get("show"), t, t0);
        } else if (is_dicom_path(arg) && !std::filesystem::is_directory(arg)) {
            dicom_files.push_back(arg);
        } else if (holds_dicom(arg)) {
            const auto t0 = std::chrono::steady_clock::now();
            ScanTimings t;
            const std::optional<ScanSlices> scan = read_dicom_scan({arg}, series, p, error, &t);
            failures += predict_volume(arg, scan, error, p, out, args.get("show"), t, t0);
        } else if (as_scan && std::filesystem::is_directory(arg)) {
            const std::vector<std::string> files = directory_images(arg);
            if (files.empty()) out.slice(arg, -1, failed("no PNG or JPEG files in this directory")), ++failures;
            stack.insert(stack.end(), files.begin(), files.end());
        } else if (as_scan) {
            stack.push_back(arg);
        } else {
            std::vector<SliceResult> done;
            failures += run_slices(arg, {-1}, [&](size_t) {
                SliceResult r = classify_file(arg, p);
                show_pose(args.get("show"), arg, r);
                return r;
            }, p, out, done);
        }
    }
    if (!dicom_files.empty()) {   // the .dcm files given: one set of files, one series of them
        std::string error;
        const auto t0 = std::chrono::steady_clock::now();
        ScanTimings t;
        const std::optional<ScanSlices> scan = read_dicom_scan(dicom_files, series, p, error, &t);
        failures += predict_volume(dicom_files.front(), scan, error, p, out, args.get("show"), t, t0);
    }
    if (!stack.empty()) {
        const auto c0 = std::chrono::steady_clock::now();
        ScanTimings t;
        std::vector<SliceResult> done, results = classify_files(stack, p, &t);
        for (size_t i = 0; i < stack.size(); ++i)
            failures += run_slices(stack[i], {-1}, [&](size_t) {
                show_pose(args.get("show"), stack[i], results[i]);
                return std::move(results[i]);
            }, p, out, done);
        t.total_ms = ms_since(c0);
        if (!done.empty())
            out.scan(stack.front(), done, "a stack of " + std::to_string(stack.size()) + " slice files, in the order given",
                     {}, t);
    }
    return failures ? 1 : 0;
}

}  // namespace alzscan::cmd
