#include "export/sha256.h"

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace alzscan {

std::string sha256_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open to hash it");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return sha256_hex(bytes.data(), bytes.size());
}

}  // namespace alzscan
