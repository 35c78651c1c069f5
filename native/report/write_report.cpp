#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "report/report.h"

namespace alzscan::report {

std::string write_file_atomically(const std::string& path, const std::string& text) {
    std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return tmp + ": cannot be created (" + std::strerror(errno) + "; is the directory writable?)";
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            return tmp + ": write failed (disk full?)";
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string err = path + ": cannot replace (" + std::strerror(errno) + ")";
        std::remove(tmp.c_str());
        return err;
    }
    return "";
}

std::string write_report(const std::vector<RunData>& runs, const std::string& out_dir,
                         const ReportOptions& options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec || !fs::is_directory(out_dir))
        return out_dir + ": cannot create the output directory (" + ec.message() + ")";
    std::string err = write_file_atomically((fs::path(out_dir) / "index.html").string(), render_html(runs, options));
    if (!err.empty()) return err;
    return write_file_atomically((fs::path(out_dir) / "summary.md").string(), render_markdown(runs, options));
}

}  // namespace alzscan::report
