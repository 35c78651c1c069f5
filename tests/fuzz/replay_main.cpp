// replay_<target> PATH...: runs a fuzz target's LLVMFuzzerTestOneInput once on every file given,
// and on every file in each folder given (not recursive), under the sanitizer build
// (tests/sanitize). A sanitizer finding aborts the run; a missing path fails it (CI=true) or
// skips it (exit 77) elsewhere, like the data tests.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    const char* ci = std::getenv("CI");
    const bool in_ci = ci != nullptr && std::strcmp(ci, "true") == 0;
    int files = 0;
    for (int i = 1; i < argc; ++i) {
        const fs::path path = argv[i];
        if (!fs::exists(path)) {
            std::fprintf(stderr, "replay: %s is missing%s\n", path.c_str(),
                         in_ci ? " (CI=true: this is a FAILURE)" : "; skipping the replay");
            return in_ci ? 1 : 77;
        }
        std::vector<fs::path> inputs;
        if (fs::is_directory(path)) {
            for (const auto& e : fs::directory_iterator(path))
                if (e.is_regular_file() && e.path().filename().string()[0] != '.' &&
                    e.path().extension() != ".md")
                    inputs.push_back(e.path());
        } else {
            inputs.push_back(path);
        }
        for (const auto& in : inputs) {
            std::ifstream f(in, std::ios::binary);
            const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
            LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
            ++files;
        }
    }
    std::printf("replay: %d inputs, no sanitizer finding\n", files);
    return files > 0 ? 0 : 1;
}
