// Temperature scaling and calibration numbers (contract in calibration.h).
#include "alzscan/calibration.h"

#include <algorithm>
#include <cmath>

#include "alzscan/metrics.h"

namespace alzscan {
namespace {

constexpr double kFloor = 1e-12;
constexpr int kBins = 15;

size_t rows_of(const std::vector<int>& labels, const std::vector<float>& values, int num_classes) {
    if (num_classes <= 0) return 0;
    return std::min(labels.size(), values.size() / static_cast<size_t>(num_classes));
}

}  // namespace

std::vector<float> softmax_rows(const std::vector<float>& logits, int num_classes, double temperature) {
    std::vector<float> out(logits.size());
    if (num_classes <= 0 || !(temperature > 0)) return out;
    const size_t C = static_cast<size_t>(num_classes);
    for (size_t r = 0; r + C <= logits.size(); r += C) {
        double top = logits[r];
        for (size_t c = 1; c < C; ++c) top = std::max(top, static_cast<double>(logits[r + c]));
        double sum = 0;
        for (size_t c = 0; c < C; ++c) sum += std::exp((logits[r + c] - top) / temperature);
        for (size_t c = 0; c < C; ++c)
            out[r + c] = static_cast<float>(std::exp((logits[r + c] - top) / temperature) / sum);
    }
    return out;
}

std::vector<float> log_probabilities(const std::vector<float>& probabilities) {
    std::vector<float> out(probabilities.size());
    for (size_t i = 0; i < probabilities.size(); ++i)
        out[i] = static_cast<float>(std::log(std::max(static_cast<double>(probabilities[i]), kFloor)));
    return out;
}

double mean_nll(const std::vector<int>& labels, const std::vector<float>& logits, int num_classes,
                double temperature) {
    const size_t rows = rows_of(labels, logits, num_classes);
    const size_t C = static_cast<size_t>(std::max(num_classes, 0));
    double total = 0;
    int64_t n = 0;
    for (size_t i = 0; i < rows; ++i) {
        const int y = labels[i];
        if (y < 0 || y >= num_classes) continue;
        const float* z = logits.data() + i * C;
        double top = z[0];
        for (size_t c = 1; c < C; ++c) top = std::max(top, static_cast<double>(z[c]));
        double sum = 0;
        for (size_t c = 0; c < C; ++c) sum += std::exp((z[c] - top) / temperature);
        total += -((z[y] - top) / temperature - std::log(sum));
        ++n;
    }
    return n ? total / static_cast<double>(n) : 0.0;
}

double fit_temperature(const std::vector<int>& labels, const std::vector<float>& logits, int num_classes) {
    if (rows_of(labels, logits, num_classes) == 0) return 1.0;
    // The NLL is convex in 1/t, so it is unimodal in ln t: a golden-section search finds the minimum.
    const double phi = (std::sqrt(5.0) - 1) / 2;
    double a = std::log(0.05), b = std::log(20.0);
    double c = b - phi * (b - a), d = a + phi * (b - a);
    double fc = mean_nll(labels, logits, num_classes, std::exp(c));
    double fd = mean_nll(labels, logits, num_classes, std::exp(d));
    while (b - a > 1e-7) {
        if (fc <= fd) {
            b = d; d = c; fd = fc;
            c = b - phi * (b - a);
            fc = mean_nll(labels, logits, num_classes, std::exp(c));
        } else {
            a = c; c = d; fc = fd;
            d = a + phi * (b - a);
            fd = mean_nll(labels, logits, num_classes, std::exp(d));
        }
    }
    return std::exp((a + b) / 2);
}

CalibrationStats calibration_stats(const std::vector<int>& labels, const std::vector<float>& probabilities,
                                   int num_classes) {
    CalibrationStats s;
    s.bins.assign(kBins, ReliabilityBin{});
    const size_t rows = rows_of(labels, probabilities, num_classes);
    const size_t C = static_cast<size_t>(std::max(num_classes, 0));
    for (size_t i = 0; i < rows; ++i) {
        const int y = labels[i];
        if (y < 0 || y >= num_classes) continue;
        const float* p = probabilities.data() + i * C;
        size_t pred = 0;
        for (size_t c = 1; c < C; ++c)
            if (p[c] > p[pred]) pred = c;   // first max wins, as in metrics.h
        double brier = 0;
        for (size_t c = 0; c < C; ++c) {
            const double e = p[c] - (static_cast<int>(c) == y ? 1.0 : 0.0);
            brier += e * e;
        }
        s.brier += brier;
        s.nll += -std::log(std::max(static_cast<double>(p[y]), kFloor));
        const double conf = p[pred];
        int b = static_cast<int>(std::ceil(conf * kBins)) - 1;
        b = std::clamp(b, 0, kBins - 1);
        while (b > 0 && conf <= double(b) / kBins) --b;
        while (b < kBins - 1 && conf > double(b + 1) / kBins) ++b;
        ReliabilityBin& bin = s.bins[static_cast<size_t>(b)];
        ++bin.count;
        bin.confidence += conf;
        bin.accuracy += static_cast<int>(pred) == y ? 1.0 : 0.0;
        ++s.count;
    }
    if (s.count == 0) return s;
    s.brier /= static_cast<double>(s.count);
    s.nll /= static_cast<double>(s.count);
    for (ReliabilityBin& bin : s.bins)
        if (bin.count) {
            bin.confidence /= static_cast<double>(bin.count);
            bin.accuracy /= static_cast<double>(bin.count);
        }
    s.ece = expected_calibration_error(labels, probabilities, num_classes, kBins);
    return s;
}

}  // namespace alzscan
