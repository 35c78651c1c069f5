// alzscan predict: classify image files with a checkpoint, exactly as the browser would.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "alzscan/preprocess.h"
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

// The model's probabilities for one file, or empty with `error` set (unreadable, undecodable).
std::vector<float> classify_file(const std::string& file, LoadedModel& model, torch::Device device, std::string& error) {
    std::vector<uint8_t> bytes;
    if (!read_file(file, bytes, error)) return {};
    auto pre = preprocess_bytes(bytes.data(), bytes.size(), model.spec);
    if (!pre) {
        error = pre.error();
        return {};
    }
    std::vector<float> input = std::move(pre).value();
    torch::Tensor x =
        torch::from_blob(input.data(), {1, 1, model.spec.height, model.spec.width}, torch::kFloat32).to(device);
    torch::Tensor p = torch::softmax(model.net->forward(x).to(torch::kFloat32), 1).to(torch::kCPU).contiguous();
    return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
}

}  // namespace

int predict(int argc, char** argv) {
    CliArgs args("alzscan predict", "classify image files with a checkpoint (prints class and probabilities)");
    args.option("checkpoint", "", "checkpoint written by `alzscan train` (best.pt, last.pt) or models/default/checkpoint.pt", true);
    args.flag("json", "one JSON object per file and line: file, label, index, probabilities, classes");
    add_device_option(args, "cpu");
    args.positional("FILE", "image files (PNG, JPEG, BMP, GIF)", 1);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    const bool json = args.is_set("json");

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
    const std::vector<std::string>& classes = model.spec.class_names;
    const std::string classes_json = json_string_array(classes);

    int failures = 0;
    for (const std::string& file : args.positionals()) {
        std::string error;
        std::vector<float> probs;
        try {
            probs = classify_file(file, model, device, error);
        } catch (const std::exception& e) {   // one file's failure never ends the batch
            error = std::string("classification failed (") + e.what() + ")";
        }
        if (!error.empty()) {
            ++failures;
            if (json)
                std::printf("{\"file\":%s,\"error\":%s}\n", json_string(file).c_str(), json_string(error).c_str());
            else
                std::fprintf(stderr, "%s: %s\n", printable(file).c_str(), error.c_str());
            std::fflush(stdout);
            continue;
        }
        int best = 0;
        for (int c = 1; c < static_cast<int>(probs.size()); ++c)
            if (probs[c] > probs[best]) best = c;
        if (json) {
            std::printf("{\"file\":%s,\"label\":%s,\"index\":%d,\"probabilities\":%s,\"classes\":%s}\n",
                        json_string(file).c_str(), json_string(classes[best]).c_str(), best,
                        format_probabilities(probs).c_str(), classes_json.c_str());
        } else {
            std::printf("%s: %s (%.1f%%)", printable(file).c_str(), classes[best].c_str(), 100.0 * probs[best]);
            for (size_t c = 0; c < probs.size(); ++c) std::printf("  %s %.4f", classes[c].c_str(), probs[c]);
            std::printf("\n");
        }
        std::fflush(stdout);
    }
    return failures ? 1 : 0;
}

}  // namespace alzscan::cmd
