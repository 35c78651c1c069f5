// One checkpoint classifying slices (see predictor.h).
#include "commands/predictor.h"

#include "alzscan/atrophy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "alzscan/calibration.h"
#include "alzscan/preprocess.h"
#include "commands/dicom_files.h"
#include "commands/volume_file.h"
#include "train/calibrate.h"
#include "train/evaluate.h"

namespace alzscan::cmd {
namespace {

// The largest file predict reads: far above any slice, far below what would exhaust memory.
constexpr int64_t kMaxFileBytes = int64_t{256} << 20;

}  // namespace

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

Predictor load_predictor(const std::string& checkpoint, const std::string& device) {
    Predictor p;
    p.model = load_model(checkpoint);
    p.device = resolve_device(device);
    p.temperature = temperature_of(p.model.meta);
    auto ood = parse_ood_spec(p.model.meta.dump());
    if (!ood) throw std::runtime_error(checkpoint + ": " + ood.error());
    p.ood = std::move(ood).value();
    auto atrophy = parse_atrophy_reference(p.model.meta.dump());
    if (!atrophy) throw std::runtime_error(checkpoint + ": " + atrophy.error());
    p.atrophy = std::move(atrophy).value();
    p.model.net->to(p.device);
    p.model.net->eval();
    return p;
}

namespace {

// The prepared slices' rows in one forward pass -> their results, in order (no Grad-CAM).
std::vector<SliceResult> forward_batch(std::vector<GrayImage> images, Predictor& p) {
    const int64_t n = static_cast<int64_t>(images.size()), hw = int64_t(p.model.spec.width) * p.model.spec.height;
    std::vector<float> input(static_cast<size_t>(n * hw));
    for (int64_t i = 0; i < n; ++i) normalise_into(images[i], p.model.spec, input.data() + i * hw);
    const torch::Tensor x =
        torch::from_blob(input.data(), {n, 1, p.model.spec.height, p.model.spec.width}, torch::kFloat32).to(p.device);
    torch::NoGradGuard no_grad;
    const torch::Tensor pooled = p.model.net->pool(p.model.net->feature_maps(x));
    const torch::Tensor logits = p.model.net->logits_of(pooled).to(torch::kFloat32).cpu().contiguous();
    const torch::Tensor features = pooled.to(torch::kFloat32).cpu().contiguous();
    const int64_t c = logits.size(1), f = features.size(1);
    std::vector<SliceResult> out(images.size());
    for (int64_t i = 0; i < n; ++i) {
        const float* l = logits.data_ptr<float>() + i * c;
        const float* feat = features.data_ptr<float>() + i * f;
        SliceResult& r = out[static_cast<size_t>(i)];
        r.probs = softmax_rows(std::vector<float>(l, l + c), static_cast<int>(c), p.temperature);
        r.ood = assess_slice(p.ood, measure_input(images[i], p.ood), feat, static_cast<size_t>(f));
        r.tissue = measure_tissue(images[i]);
        r.prepared = std::move(images[i]);
    }
    return out;
}

}  // namespace

SliceResult classify_prepared(GrayImage prepared, Predictor& p) {
    if (p.cam_dir.empty()) {   // a batch of one
        std::vector<GrayImage> one;
        one.push_back(std::move(prepared));
        return std::move(forward_batch(std::move(one), p).front());
    }
    SliceResult r;
    std::vector<float> input(static_cast<size_t>(p.model.spec.width) * p.model.spec.height);
    normalise_into(prepared, p.model.spec, input.data());
    const torch::Tensor x =
        torch::from_blob(input.data(), {1, 1, p.model.spec.height, p.model.spec.width}, torch::kFloat32).to(p.device);
    r.cam = grad_cam(p.model.net, x);
    r.probs = softmax_rows(r.cam.logits, static_cast<int>(r.cam.logits.size()), p.temperature);
    r.ood = assess_slice(p.ood, measure_input(prepared, p.ood), r.cam.features.data(), r.cam.features.size());
    r.tissue = measure_tissue(prepared);
    r.prepared = std::move(prepared);
    return r;
}

SliceResult failed(std::string error) {
    SliceResult r;
    r.error = std::move(error);
    return r;
}


namespace {

// A prepared single slice (or its preparation's error) classified, with its pose step's record.
SliceResult classify_posed(Expected<GrayImage> prepared, SlicePose pose, Predictor& p) {
    if (!prepared) return failed(prepared.error());
    try {
        SliceResult r = classify_prepared(std::move(prepared).value(), p);
        r.pose = std::move(pose);
        return r;
    } catch (const std::exception& e) {   // one file's failure never ends the batch
        return failed(std::string("classification failed (") + e.what() + ")");
    }
}

}  // namespace

std::vector<SliceResult> classify_batch(std::vector<PreparedSlice> slices, Predictor& p) {
    std::vector<SliceResult> out(slices.size());
    std::vector<size_t> rows;
    std::vector<GrayImage> images;
    for (size_t i = 0; i < slices.size(); ++i) {
        if (!slices[i].image) out[i] = failed(slices[i].image.error());
        else if (!p.cam_dir.empty()) out[i] = classify_posed(std::move(slices[i].image), slices[i].pose, p);
        else rows.push_back(i), images.push_back(std::move(slices[i].image).value());
    }
    if (rows.empty()) return out;
    try {
        std::vector<SliceResult> done = forward_batch(std::move(images), p);
        for (size_t k = 0; k < rows.size(); ++k) out[rows[k]] = std::move(done[k]);
    } catch (const std::exception& e) {   // the batch's failure is each of its slices' message
        for (size_t i : rows) out[i] = failed(std::string("classification failed (") + e.what() + ")");
    }
    for (size_t i : rows)
        if (out[i].error.empty()) out[i].pose = std::move(slices[i].pose);
    return out;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

namespace {

// classify_batch with its time as t's inference_ms (t may be null).
std::vector<SliceResult> classify_batch_timed(std::vector<PreparedSlice> slices, Predictor& p, ScanTimings* t) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<SliceResult> out = classify_batch(std::move(slices), p);
    if (t) t->inference_ms = ms_since(t0);
    return out;
}

}  // namespace

std::vector<SliceResult> classify_files(const std::vector<std::string>& files, Predictor& p, ScanTimings* t) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<PreparedSlice> slices;
    for (const std::string& file : files) {
        std::vector<uint8_t> bytes;
        std::string error;
        SlicePose pose;
        if (!read_file(file, bytes, error)) {
            slices.push_back({make_error(error), pose});
            continue;
        }
        auto prepared = prepare_image(bytes.data(), bytes.size(), p.model.spec, {}, &pose);   // fills pose first
        slices.push_back({std::move(prepared), std::move(pose)});
    }
    if (t) t->preprocess_ms = ms_since(t0);
    return classify_batch_timed(std::move(slices), p, t);
}

// A registered volume's slices skip the 2-D pose step; a thin stack's are 2-D slices and get it.
std::vector<SliceResult> classify_slab(const std::vector<GrayImage>& images, bool registered, Predictor& p, ScanTimings* t) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<PreparedSlice> slices;
    for (const GrayImage& image : images) {
        SlicePose pose;
        auto prepared = registered ? prepare_gray(image, p.model.spec) : prepare_slice(image, p.model.spec, &pose);
        slices.push_back({std::move(prepared), std::move(pose)});
    }
    if (t) t->preprocess_ms = ms_since(t0);
    return classify_batch_timed(std::move(slices), p, t);
}

// One file, one 2-D slice, one volume slice: a batch of one (classify_files, classify_slab).
SliceResult classify_file(const std::string& file, Predictor& p) { return std::move(classify_files({file}, p).front()); }

SliceResult classify_slice(const GrayImage& image, Predictor& p) { return std::move(classify_slab({image}, false, p).front()); }

SliceResult classify_gray(const GrayImage& image, Predictor& p) { return std::move(classify_slab({image}, true, p).front()); }

// The registration reference from p.reference_dir, read once.
const Reference* load_reference(Predictor& p, std::string& error) {
    if (p.reference) return p.reference.get();
    std::optional<Volume> parts[2];
    const char* names[2] = {"ch2.nii.gz", "ch2bet.nii.gz"};
    for (int i = 0; i < 2; ++i) {
        const std::string path = (std::filesystem::path(p.reference_dir) / names[i]).string();
        std::vector<uint8_t> bytes;
        if (!read_file(path, bytes, error) || !(parts[i] = read_volume(bytes, error))) {
            error = "the registration reference " + path + ": " + error + " (hint: make setup installs mricron-data; --reference DIR)";
            return nullptr;
        }
    }
    auto ref = make_reference(std::move(*parts[0]), std::move(*parts[1]));
    if (!ref) {
        error = "the registration reference in " + p.reference_dir + ": " + ref.error();
        return nullptr;
    }
    p.reference = std::make_shared<const Reference>(std::move(ref).value());
    return p.reference.get();
}

std::optional<ScanSlices> read_scan(const std::string& file, Predictor& p, std::string& error, ScanTimings* t) {
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<Volume> vol = read_volume_file(file, read_file, error);
    if (t) t->read_ms = ms_since(t0);
    if (!vol) return std::nullopt;
    return scan_of_volume(*vol, p, error, t);
}

std::optional<ScanSlices> read_dicom_scan(const std::vector<std::string>& paths, int series, Predictor& p,
                                          std::string& error, ScanTimings* t) {
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<Volume> vol = read_dicom_volume(paths, series, read_file, error);
    if (t) t->read_ms = ms_since(t0);
    if (!vol) return std::nullopt;
    return scan_of_volume(*vol, p, error, t);
}

// A head volume is registered, then brought into the training space with that registration:
// scan_slices would register it itself, to the same bytes; apart, each stage has its own time.
std::optional<ScanSlices> scan_of_volume(const Volume& volume, Predictor& p, std::string& error, ScanTimings* t) {
    ScanTimings own;
    if (!t) t = &own;
    const Reference* ref = nullptr;
    std::optional<Registration> reg;
    if (is_head_volume(volume)) {
        auto t0 = std::chrono::steady_clock::now();
        if (!(ref = load_reference(p, error))) return std::nullopt;
        t->template_ms = ms_since(t0);
        t0 = std::chrono::steady_clock::now();
        auto r = register_affine(volume, *ref);
        t->registration_ms = ms_since(t0);
        if (!r) {
            error = r.error();
            return std::nullopt;
        }
        reg = std::move(r).value();
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto s = scan_slices(volume, ref, p.model.spec.conform, reg ? &*reg : nullptr);
    t->slab_ms = ms_since(t0);
    if (!s) {
        error = s.error();
        return std::nullopt;
    }
    return std::move(s).value();
}

}  // namespace alzscan::cmd
