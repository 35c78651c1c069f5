// summary.md: the page's tables as GitHub Markdown.
#include <sstream>

#include "report/report.h"
#include "report/report_format.h"
#include "report/report_tables.h"

namespace alzscan::report {

std::string render_markdown(const std::vector<RunData>& runs, const ReportOptions& options) {
    std::ostringstream o;
    o << "# " << options.title << "\n\n";
    if (!options.generated_at.empty()) o << "Generated " << options.generated_at << " by " << options.generator << ".\n\n";
    o << final_description(runs) << " Best value per column in **bold**.\n";
    for (const Table& t : build_tables(runs)) {
        o << "\n## " << t.title << "\n\n";
        if (!t.note.empty()) o << t.note << "\n\n";
        o << "|";
        for (const std::string& h : t.header) o << ' ' << markdown_escape(h) << " |";
        o << "\n|";
        for (size_t i = 0; i < t.header.size(); ++i) {
            bool numeric = !t.rows.empty() && i < t.rows[0].size() && t.rows[0][i].numeric;
            o << (numeric ? " ---: |" : " --- |");
        }
        o << "\n";
        for (const auto& row : t.rows) {
            o << "|";
            for (const Cell& c : row)
                o << ' ' << (c.best ? "**" : "") << markdown_escape(c.text) << (c.best ? "**" : "") << " |";
            o << "\n";
        }
    }
    return o.str();
}

}  // namespace alzscan::report
