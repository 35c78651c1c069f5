#include "rundir/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace alzscan {
namespace {

// Closes the descriptor and removes the temporary file unless the write was committed.
struct TempFile {
    std::string path;
    int fd = -1;
    bool committed = false;
    ~TempFile() {
        if (fd >= 0) ::close(fd);
        if (!committed) std::remove(path.c_str());
    }
};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(const ByteSink&)>& produce) {
    TempFile tmp{path.string() + ".tmp"};
    tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);   // less the umask, as ofstream
    if (tmp.fd < 0)
        throw std::runtime_error(tmp.path + ": cannot create (" + errno_text() +
                                 "); hint: does the directory exist and is it writable?");
    const ByteSink sink = [&](const void* data, size_t size) {
        const char* p = static_cast<const char*>(data);
        while (size > 0) {
            const ssize_t n = ::write(tmp.fd, p, size);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw std::runtime_error(tmp.path + ": write failed (" + errno_text() + "); hint: is the disk full?");
            p += n;
            size -= static_cast<size_t>(n);
        }
    };
    try {
        produce(sink);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        // Errors from the sink already name the file.
        throw std::runtime_error(what.rfind(tmp.path, 0) == 0 ? what : tmp.path + ": write failed (" + what + ")");
    }
    if (::fsync(tmp.fd) != 0)
        throw std::runtime_error(tmp.path + ": write failed (" + errno_text() + "); hint: is the disk full?");
    ::close(tmp.fd);
    tmp.fd = -1;
    if (std::rename(tmp.path.c_str(), path.c_str()) != 0)
        throw std::runtime_error(path.string() + ": cannot rename " + tmp.path + " over it (" + errno_text() + ")");
    tmp.committed = true;
}

void write_file_atomically(const std::filesystem::path& path, const std::string& bytes) {
    write_file_atomically(path, [&](const ByteSink& sink) { sink(bytes.data(), bytes.size()); });
}

bool read_text_file(const std::filesystem::path& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return !in.bad();
}

}  // namespace alzscan
