// native/commands/predictor.h: one checkpoint classifying slices the way the browser does: shared/
// preprocessing, softmax(logits / its calibration temperature), the out-of-distribution checks of
// its meta (shared/ood.h) and, when asked, Grad-CAM (models/grad_cam.h). Used by `alzscan predict`
// and `alzscan ood`.
//
//   alzscan::cmd::Predictor p = alzscan::cmd::load_predictor("models/default/checkpoint.pt", "cpu");
//   alzscan::cmd::SliceResult r = alzscan::cmd::classify_file("slice.jpg", p);
//   if (r.error.empty() && !r.ood.flag) use(r.probs);   // probs in the checkpoint's class order
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "alzscan/gray_image.h"
#include "alzscan/ood.h"
#include "alzscan/scan.h"
#include "alzscan/slice_pose.h"
#include "alzscan/atrophy.h"
#include "alzscan/training_space.h"
#include "models/checkpoint.h"
#include "models/grad_cam.h"

namespace alzscan::cmd {

// The checkpoint and what it knows about itself: its temperature and out-of-distribution checks.
struct Predictor {
    LoadedModel model;
    torch::Device device{torch::kCPU};
    double temperature = 1.0;
    AtrophyReference atrophy;   // the training people's CSF fractions (model meta "atrophy"); may be disabled
    OodSpec ood;
    std::string cam_dir;   // non-empty: Grad-CAM for every slice (predict writes the overlays here)
    std::string reference_dir = ALZSCAN_REFERENCE_DIR;   // ch2.nii.gz + ch2bet.nii.gz (registration.h)
    std::shared_ptr<const Reference> reference;          // read at the first head volume
};

// Where a scan's time went (ms), named as the app's classifyScan timings (web/README.md): read (the
// volume's files read and decoded; 0 for a stack of files), template (the registration template,
// read at the first head volume), registration, slab (extraction, bias, levels and the slab's
// slices), preprocess (the slices' preparation: a file's decode and pose step, a slab slice's
// conform), inference (the batched forward pass, the out-of-distribution checks and Grad-CAM),
// aggregate (the verdict: aggregation, its checks and atrophy), total (all of it).
struct ScanTimings {
    double read_ms = 0, template_ms = 0, registration_ms = 0, slab_ms = 0, preprocess_ms = 0, inference_ms = 0,
           aggregate_ms = 0, total_ms = 0;
};
// Milliseconds since t0 (steady clock), for ScanTimings.
double ms_since(std::chrono::steady_clock::time_point t0);

struct SliceResult {
    std::vector<float> probs;   // calibrated
    OodVerdict ood;
    GradCam cam;                // classes == 0 without cam_dir
    GrayImage prepared;         // what the model saw
    SlicePose pose;             // a file's pose step (slice_pose.h); estimated == false without one
    TissueMeasures tissue;      // of the prepared slice (tissue.h)
    std::string error;
};

// Throws std::runtime_error naming the checkpoint (unreadable, bad calibration or ood meta).
Predictor load_predictor(const std::string& checkpoint, const std::string& device);

// Reads a regular file whole, its size checked before a byte is read. False + a one-line reason for
// directories, devices, FIFOs, huge or unreadable files.
bool read_file(const std::string& path, std::vector<uint8_t>& bytes, std::string& error);

SliceResult classify_prepared(GrayImage prepared, Predictor& p);
SliceResult failed(std::string error);

// A scan's slices in one forward pass (N,1,H,W), as one ORT run does in the browser; Grad-CAM
// (p.cam_dir) runs per slice. Each entry: its preparation (or its error) and its pose record.
// Row i of the result is slice i's, as classify_prepared would give it alone (to float rounding).
struct PreparedSlice {
    Expected<GrayImage> image;
    SlicePose pose;
};
std::vector<SliceResult> classify_batch(std::vector<PreparedSlice> slices, Predictor& p);
// Files (one person's stack) and a volume's slab, prepared as classify_file / classify_slice /
// classify_gray prepare them, classified by classify_batch.
// `t` (may be null) gets the preprocess and inference times.
std::vector<SliceResult> classify_files(const std::vector<std::string>& files, Predictor& p, ScanTimings* t = nullptr);
std::vector<SliceResult> classify_slab(const std::vector<GrayImage>& images, bool registered, Predictor& p,
                                       ScanTimings* t = nullptr);
// One file: read, decode, prepare, classify; or its error (unreadable, undecodable).
SliceResult classify_file(const std::string& file, Predictor& p);
// A volume's slice (prepare_gray: no pose step).
SliceResult classify_gray(const GrayImage& image, Predictor& p);
// A decoded single slice (a transformed file) as a file is classified (prepare_slice: the pose step).
SliceResult classify_slice(const GrayImage& image, Predictor& p);

// A volume file's slices (volume_file.h: NIfTI, MGH/MGZ, an Analyze pair) for the model (training_space.h scan_slices: a head registered into the
// training space, a thin stack taken as it is), with the volume's notes; empty + error when it
// cannot be read, registered or is refused (its contrast, not a human head). `t` (may be null) gets
// the read, template, registration and slab times.
std::optional<ScanSlices> read_scan(const std::string& file, Predictor& p, std::string& error, ScanTimings* t = nullptr);
// The same for DICOM files and folders (dicom_files.h): one series, `series` 1..N or 0 to choose
// by itself (the only one, or the one T1).
std::optional<ScanSlices> read_dicom_scan(const std::vector<std::string>& paths, int series, Predictor& p,
                                          std::string& error, ScanTimings* t = nullptr);
// The same for a volume already read.
std::optional<ScanSlices> scan_of_volume(const Volume& volume, Predictor& p, std::string& error, ScanTimings* t = nullptr);

}  // namespace alzscan::cmd
