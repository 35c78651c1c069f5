// alzscan predict: classify image files and scans (slice stacks, NIfTI volumes) with a checkpoint,
// exactly as the browser would.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "alzscan/aggregate.h"
#include "alzscan/preprocess.h"
#include "alzscan/scan.h"
#include "commands/volume_file.h"
#include "cli/common_options.h"
#include "commands/commands.h"
#include "models/checkpoint.h"
#include "train/evaluate.h"

namespace alzscan::cmd {
namespace {

// The largest file predict reads: far above any slice, far below what would exhaust memory.
constexpr int64_t kMaxFileBytes = int64_t{256} << 20;

// Reads a regular file whole, its size checked (fstat) before a byte is read. False + a
// one-line reason for directories, devices, FIFOs, huge or unreadable files.
bool read_file(const std::string& path, std::vector<uint8_t>& bytes, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        error = std::string("cannot open file (") + std::strerror(errno) + ")";
        return false;
    }
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        error = std::string("cannot stat file (") + std::strerror(errno) + ")";
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        error = "is a directory; hint: give the image files inside it";
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        error = "not a regular file (a device, FIFO or socket); hint: give an image file";
        return false;
    }
    if (st.st_size > kMaxFileBytes) {
        error = std::to_string(st.st_size) + " bytes: over the " + std::to_string(kMaxFileBytes >> 20) +
                " MiB limit for one image file";
        return false;
    }
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = std::string("read failed (") + std::strerror(errno) + ")";
            return false;
        }
        if (n == 0) break;   // shrank while reading: decode what is there (truncation is reported)
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    return true;
}

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

std::vector<float> run_model(std::vector<float> input, LoadedModel& model, torch::Device device) {
    torch::Tensor x =
        torch::from_blob(input.data(), {1, 1, model.spec.height, model.spec.width}, torch::kFloat32).to(device);
    torch::Tensor p = torch::softmax(model.net->forward(x).to(torch::kFloat32), 1).to(torch::kCPU).contiguous();
    return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
}

// The model's probabilities for one file, or empty with `error` set (unreadable, undecodable).
std::vector<float> classify_file(const std::string& file, LoadedModel& model, torch::Device device, std::string& error) {
    std::vector<uint8_t> bytes;
    if (!read_file(file, bytes, error)) return {};
    auto pre = preprocess_bytes(bytes.data(), bytes.size(), model.spec);
    if (!pre) {
        error = pre.error();
        return {};
    }
    return run_model(std::move(pre).value(), model, device);
}

// One volume slice (scan.h) through the same preprocessing as a decoded file.
std::vector<float> classify_gray(const GrayImage& image, LoadedModel& model, torch::Device device, std::string& error) {
    auto prepared = prepare_gray(image, model.spec);
    if (!prepared) {
        error = prepared.error();
        return {};
    }
    std::vector<float> input(static_cast<size_t>(model.spec.width) * model.spec.height);
    normalise_into(*prepared, model.spec, input.data());
    return run_model(std::move(input), model, device);
}

struct Printer {
    bool json = false;
    std::vector<std::string> classes;
    std::string classes_json;

    static int argmax(const std::vector<float>& p) { return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()); }

    // One slice: file (and the volume's slice index when slice >= 0), or its error.
    void slice(const std::string& file, int slice, const std::vector<float>& probs, const std::string& error) const {
        const std::string where = slice >= 0 ? ",\"slice\":" + std::to_string(slice) : "";
        const std::string name = printable(file) + (slice >= 0 ? " slice " + std::to_string(slice) : "");
        if (!error.empty()) {
            if (json)
                std::printf("{\"file\":%s%s,\"error\":%s}\n", json_string(file).c_str(), where.c_str(), json_string(error).c_str());
            else
                std::fprintf(stderr, "%s: %s\n", name.c_str(), error.c_str());
        } else if (json) {
            const int best = argmax(probs);
            std::printf("{\"file\":%s%s,\"label\":%s,\"index\":%d,\"probabilities\":%s,\"classes\":%s}\n",
                        json_string(file).c_str(), where.c_str(), json_string(classes[best]).c_str(), best,
                        format_probabilities(probs).c_str(), classes_json.c_str());
        } else {
            const int best = argmax(probs);
            std::printf("%s: %s (%.1f%%)", name.c_str(), classes[best].c_str(), 100.0 * probs[best]);
            for (size_t c = 0; c < probs.size(); ++c) std::printf("  %s %.4f", classes[c].c_str(), probs[c]);
            std::printf("\n");
        }
        std::fflush(stdout);
    }

    // The scan's verdict: aggregate_slices over its slices' probabilities, as the cross-validation's people.
    void scan(const std::string& file, const std::vector<std::vector<float>>& slices, const std::string& how,
              const std::vector<std::string>& notes) const {
        std::vector<float> flat;
        for (const auto& p : slices) flat.insert(flat.end(), p.begin(), p.end());
        const std::vector<float> verdict = aggregate_slices(flat.data(), slices.size(), classes.size());
        const int best = argmax(verdict);
        if (json) {
            std::printf("{\"file\":%s,\"scan\":{\"label\":%s,\"index\":%d,\"probabilities\":%s,\"slices\":%zu,\"classes\":%s,"
                        "\"how\":%s,\"notes\":%s}}\n",
                        json_string(file).c_str(), json_string(classes[best]).c_str(), best,
                        format_probabilities(verdict).c_str(), slices.size(), classes_json.c_str(),
                        json_string(how).c_str(), json_string_array(notes).c_str());
        } else {
            std::printf("%s: scan of %zu slices: %s (%.1f%%)", printable(file).c_str(), slices.size(),
                        classes[best].c_str(), 100.0 * verdict[best]);
            for (size_t c = 0; c < verdict.size(); ++c) std::printf("  %s %.4f", classes[c].c_str(), verdict[c]);
            std::printf("\n  (%s)\n", how.c_str());
            for (const std::string& n : notes) std::printf("  note: %s\n", n.c_str());
        }
        std::fflush(stdout);
    }
};

// A volume: its axial slab, each slice classified, then the verdict. Returns the failures.
int predict_volume(const std::string& file, LoadedModel& model, torch::Device device, const Printer& out) {
    std::vector<uint8_t> bytes;
    std::string error;
    std::optional<Slab> slab;
    std::vector<std::string> notes;
    if (read_file(file, bytes, error)) {
        if (std::optional<Volume> vol = read_volume(bytes, error)) {
            const Volume lps = to_training_orientation(*vol);
            notes = lps.notes;
            auto s = axial_slab(lps);
            if (s) slab = std::move(s).value();
            else error = s.error();
        }
    }
    if (!slab) {
        out.slice(file, -1, {}, error);
        return 1;
    }
    std::vector<std::vector<float>> probs;
    int failures = 0;
    for (size_t s = 0; s < slab->images.size(); ++s) {
        std::string e;
        std::vector<float> p = classify_gray(slab->images[s], model, device, e);
        out.slice(file, slab->slices[s], p, e);
        if (e.empty()) probs.push_back(std::move(p));
        else ++failures;
    }
    if (probs.empty()) return failures + 1;
    out.scan(file, probs, slab->how, notes);
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

}  // namespace

int predict(int argc, char** argv) {
    CliArgs args("alzscan predict", "classify image files with a checkpoint (prints class and probabilities); "
                                    "a .nii/.nii.gz volume, or with --scan all the files given, is one scan with one verdict");
    args.option("checkpoint", "", "checkpoint written by `alzscan train` (best.pt, last.pt) or models/default/checkpoint.pt", true);
    args.flag("json", "one JSON object per file (or slice) and line: file, label, index, probabilities, classes; then "
                      "per scan {\"file\", \"scan\": {label, probabilities, slices, how, notes}}");
    args.flag("scan", "the slice files and directories (their PNG/JPEG files by name) given are one person's stack, in "
                      "that order: each slice, then the scan's verdict (the mean of slice log-probabilities)");
    add_device_option(args, "cpu");
    args.positional("FILE", "image files (PNG, JPEG) or NIfTI volumes (.nii, .nii.gz); with --scan, directories", 1);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;

    LoadedModel model;
    torch::Device device(torch::kCPU);
    try {
        model = load_model(args.get("checkpoint"));
        device = resolve_device(args.get("device"));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan predict: %s\n", e.what());
        return 1;
    }
    torch::set_num_threads(1);
    model.net->to(device);
    model.net->eval();
    torch::NoGradGuard no_grad;
    const Printer out{args.is_set("json"), model.spec.class_names, json_string_array(model.spec.class_names)};
    const bool as_scan = args.is_set("scan");

    int failures = 0;
    std::vector<std::string> stack;
    for (const std::string& arg : args.positionals()) {
        if (is_volume_path(arg)) {
            failures += predict_volume(arg, model, device, out);
        } else if (as_scan && std::filesystem::is_directory(arg)) {
            const std::vector<std::string> files = directory_images(arg);
            if (files.empty()) out.slice(arg, -1, {}, "no PNG or JPEG files in this directory"), ++failures;
            stack.insert(stack.end(), files.begin(), files.end());
        } else if (as_scan) {
            stack.push_back(arg);
        } else {
            std::string error;
            std::vector<float> probs;
            try {
                probs = classify_file(arg, model, device, error);
            } catch (const std::exception& e) {   // one file's failure never ends the batch
                error = std::string("classification failed (") + e.what() + ")";
            }
            out.slice(arg, -1, probs, error);
            failures += error.empty() ? 0 : 1;
        }
    }
    if (!stack.empty()) {
        std::vector<std::vector<float>> probs;
        for (const std::string& file : stack) {
            std::string error;
            std::vector<float> p = classify_file(file, model, device, error);
            out.slice(file, -1, p, error);
            if (error.empty()) probs.push_back(std::move(p));
            else ++failures;
        }
        if (!probs.empty())
            out.scan(stack.front(), probs, "a stack of " + std::to_string(stack.size()) + " slice files, in the order given",
                     {});
    }
    return failures ? 1 : 0;
}

}  // namespace alzscan::cmd
