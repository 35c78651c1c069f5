// native/train/progress.h: console output of train/eval.
//
//   alzscan::ProgressBar bar("epoch 3/20", total_images, /*enabled=*/isatty(2));
//   bar.update(done_images, running_loss);       // redraws at most 10 times a second, on stderr
//   bar.finish();
//   alzscan::print_class_report(stdout, metrics, class_names, "test (kaggle split)");
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "alzscan/metrics.h"

namespace alzscan {

class ProgressBar {
public:
    ProgressBar(std::string label, int64_t total, bool enabled);
    // done: items finished so far; loss < 0: not shown.
    void update(int64_t done, double loss = -1.0);
    void finish();
    double seconds() const;

private:
    std::string label_;
    int64_t total_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

// Per-class precision/recall (Wilson 95 % interval)/F1/support, the summary metrics and the
// confusion matrix (rows: true class, columns: predicted).
void print_class_report(std::FILE* to, const Metrics& m, const std::vector<std::string>& class_names,
                        const std::string& title);

}  // namespace alzscan
