// wasm/scan_batch.h: every file the user opened, in order, with its state and result.
//
//   ScanBatch batch;
//   ScanItem& item = batch.add("scan.png", "Non_Demented");   // true label: "" when unknown
//   item.fail("truncated JPEG ...")  or  item.finish({p0, p1, p2, p3}, 3.1);
//   std::string csv = batch.to_csv(class_names);
//   std::string row = item_json(item);  ... restore_item(batch.add(...), row)   // across an app restart
//
// Item states: Preprocessed (tensor ready, waiting for the worker) -> Done | Failed.
// A decode/preprocess error goes straight to Failed with shared/'s message verbatim.
// Probabilities are in model.json's class order; predicted = argmax (first on ties).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alzscan/atrophy.h"
#include "alzscan/ood.h"

namespace alzscan::web {

enum class ScanStatus { Preprocessed, Done, Failed };

struct ScanItem {
    int id = 0;
    std::string name;
    std::string true_label;  // known for gallery samples only
    ScanStatus status = ScanStatus::Preprocessed;
    std::string error;

    // Image as stored and a display copy (gray, at most kDisplayMaxSide on its long side).
    std::string format;
    int width = 0, height = 0, channels = 0, bits = 0;
    uint32_t texture = 0;  // GL texture name; 0 = none
    int texture_width = 0, texture_height = 0;

    std::vector<float> tensor;  // 1,1,H,W until handed to the worker
    std::vector<float> probabilities;
    int predicted = -1;
    double preprocess_ms = 0, inference_ms = 0;
    bool restored = false;  // re-created from the page's copy after a crash: no image (texture 0)
    int scan = 0;           // > 0: a slice (or the verdict row) of scan number `scan`; 0: a lone file
    bool verdict = false;   // the scan's verdict row (no image)
    std::string note;       // verdict rows: which slices were used and why, notes such as "4-D file ..."

    // The slice as the model saw it (prepare_gray: conformed or resized, spec width x height).
    std::vector<uint8_t> prepared;
    int prepared_width = 0, prepared_height = 0;
    // A file's pose step (shared/slice_pose.h): its JSON (empty without one) and whether it turned the slice.
    std::string pose_json, pose_reason;
    bool pose_corrected = false;
    alzscan::SlicePose pose;          // estimated = false: no pose step looked at it
    // The prepared slice's tissues (shared/tissue.h) and, for a lone file and a scan's verdict row,
    // the atrophy evidence (shared/atrophy.h): a scan's over its classified slices.
    alzscan::TissueMeasures tissue;
    bool has_atrophy = false;
    alzscan::ScanAtrophy atrophy;
    // Out of distribution (shared/ood.h): a flagged item's class is not presented as a result.
    alzscan::OodVerdict ood;   // scores: a slice's every check (a verdict row has none)
    int verdict_index = -1;    // the class said (shared/ verdict.h: -1 when flagged or not classified)
    // Class activation maps from model.onnx's "cam" output: classes x cam_height x cam_width, raw.
    std::vector<float> cam;
    int cam_height = 0, cam_width = 0;
    uint32_t cam_texture = 0;   // the overlay as drawn; rebuilt when its class or opacity changes
    int cam_texture_class = -1;
    float cam_texture_opacity = -1.0f;

    void fail(std::string message);
    void finish(std::vector<float> probs, double inference_milliseconds);
};

class ScanBatch {
public:
    ScanItem& add(std::string name, std::string true_label);
    ScanItem* find(int id);
    const std::vector<ScanItem>& items() const { return items_; }
    std::vector<ScanItem>& items() { return items_; }
    int size() const { return static_cast<int>(items_.size()); }
    int done_count() const;
    int failed_count() const;

    // Header: file,true_label,status,predicted,confidence,<one column per class>,
    // preprocess_ms,inference_ms,error. Every text cell goes through csv_field. An item flagged out of
    // distribution is "done" with no predicted class or confidence, and error "not classified: <reason>".
    std::string to_csv(const std::vector<std::string>& class_names) const;

private:
    std::vector<ScanItem> items_;
    int next_id_ = 1;
};

// One CSV cell: a text that a spreadsheet would run as a formula (it starts with = + - @ TAB or
// CR) gets a leading ' (OWASP's advice against CSV injection), then RFC 4180 quoting: a cell with
// , " CR or LF is put in double quotes and its quotes doubled.
std::string csv_field(const std::string& text);
const char* status_name(ScanStatus status);

// An item as JSON, everything but its image and tensor: {"name", "true_label", "status" (status_name),
// "error", "probabilities", "ood_flag", "ood_reason", "preprocess_ms", "inference_ms", "format", "width", "height", "channels",
// "bits"}. Invalid UTF-8 in a name is replaced (U+FFFD), never an error.
std::string item_json(const ScanItem& item);
// The other way: fills `item` (fresh from ScanBatch::add), its name included, from one item_json
// object and marks it restored. A "running" item (its result was never shown) becomes Failed with a
// generic message. Returns false, leaving `item` Failed, when row_json is not an object.
bool restore_item(ScanItem& item, const std::string& row_json);

}  // namespace alzscan::web
