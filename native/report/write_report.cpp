#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "report/report.h"
#include "rundir/files.h"

namespace alzscan::report {

std::string write_report(const std::vector<RunData>& runs, const std::string& out_dir,
                         const ReportOptions& options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec || !fs::is_directory(out_dir))
        return out_dir + ": cannot create the output directory (" + ec.message() + ")";
    try {
        write_file_atomically(fs::path(out_dir) / "index.html", render_html(runs, options));
        write_file_atomically(fs::path(out_dir) / "summary.md", render_markdown(runs, options));
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

std::string utc_now_text() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

}  // namespace alzscan::report
