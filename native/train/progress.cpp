#include "train/progress.h"

#include <algorithm>

namespace alzscan {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), enabled_(enabled),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double ProgressBar::seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(int64_t done, double loss) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    const double elapsed = seconds();
    const double rate = elapsed > 0 ? done / elapsed : 0;
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    const int width = 24;
    const int filled = static_cast<int>(width * std::min<int64_t>(done, total_) / total_);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld  %.0f img/s  ETA %3.0fs", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), rate, eta);
    if (loss >= 0) std::fprintf(stderr, "  loss %.4f", loss);
    std::fprintf(stderr, "   ");
    std::fflush(stderr);
}

void ProgressBar::finish() {
    if (enabled_ && drawn_) std::fprintf(stderr, "\r%*s\r", 100, "");
    drawn_ = false;
}

void print_class_report(std::FILE* to, const Metrics& m, const std::vector<std::string>& names,
                        const std::string& title) {
    size_t w = 5;
    for (const auto& n : names) w = std::max(w, n.size());
    const int iw = static_cast<int>(w);
    std::fprintf(to, "%s: %lld images\n", title.c_str(), static_cast<long long>(m.count));
    std::fprintf(to, "  %-*s  precision  recall  (95%% CI)         f1      support\n", iw, "class");
    for (int c = 0; c < m.num_classes && c < static_cast<int>(m.per_class.size()); ++c) {
        const ClassMetrics& pc = m.per_class[c];
        std::fprintf(to, "  %-*s  %9.4f  %6.4f  (%.3f-%.3f)  %7.4f  %7lld\n", iw,
                     c < static_cast<int>(names.size()) ? names[c].c_str() : "?", pc.precision, pc.recall,
                     pc.recall_ci.low, pc.recall_ci.high, pc.f1, static_cast<long long>(pc.support));
    }
    std::fprintf(to, "  accuracy %.4f  balanced accuracy %.4f  macro-F1 %.4f  weighted-F1 %.4f  ECE %.4f  log-loss %.4f\n",
                 m.accuracy, m.balanced_accuracy, m.macro_f1, m.weighted_f1, m.ece, m.log_loss);
    std::fprintf(to, "  confusion (rows: true, columns: predicted)\n  %-*s", iw, "");
    for (int c = 0; c < m.num_classes; ++c) std::fprintf(to, " %6.6s", c < static_cast<int>(names.size()) ? names[c].c_str() : "?");
    std::fprintf(to, "\n");
    for (int t = 0; t < m.num_classes && t < static_cast<int>(m.confusion.size()); ++t) {
        std::fprintf(to, "  %-*s", iw, t < static_cast<int>(names.size()) ? names[t].c_str() : "?");
        for (int p = 0; p < m.num_classes; ++p) std::fprintf(to, " %6lld", static_cast<long long>(m.confusion[t][p]));
        std::fprintf(to, "\n");
    }
}

}  // namespace alzscan
