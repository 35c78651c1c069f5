// wasm/app_state.h: everything the canvas app knows, owned by one App object.
//
// The page creates it with _alzscan_app_create() and passes the pointer back into every export
// (app_exports.cpp), so there is no global state; each frame (alzscan_app_frame) gets it as its argument.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alzscan/scan.h"
#include "alzscan/training_space.h"
#include "app_constants.h"
#include "model_info.h"
#include "scan_batch.h"

struct GLFWwindow;
struct ImFont;

namespace alzscan::web {

// A display copy is at most this long on its long side (the 60000 px cases never get here:
// shared/ refuses them from the header).
inline constexpr int kDisplayMaxSide = 1024;
// Progress-bar frames kept for alzscan_app_progress_drawn between two reads (a registration draws
// about ten; a page that never reads them keeps at most this many).
inline constexpr size_t kProgressDrawnKept = 4096;

struct GalleryEntry {
    std::string file;   // URL relative to the page
    std::string label;  // the dataset's true class
    uint32_t texture = 0;
    int width = 0, height = 0;
};

struct ScanView {
    float zoom = 1.0f;              // 1 = fit to the panel
    float pan_x = 0.0f, pan_y = 0.0f;  // in panel pixels
    void reset() { zoom = 1.0f; pan_x = pan_y = 0.0f; }
};

// A head volume between alzscan_app_open_volume and the last alzscan_app_register_step.
struct PendingRegistration {
    int id = 0;
    Volume volume;
    RegistrationRun run;
};

struct App {
    GLFWwindow* window = nullptr;
    std::vector<uint8_t> font_ttf;  // DejaVu Sans from the page; empty -> ImGui's built-in font
    ImFont* font_body = nullptr;
    ImFont* font_heading = nullptr;
    ImFont* font_result = nullptr;

    bool model_ok = false;
    ModelInfo model;
    std::string model_error;
    StatusKind status = StatusKind::Loading;
    std::string status_text = "Loading the model…";
    std::string runtime_text;  // "ONNX Runtime Web 1.30, 2 threads"

    ScanBatch batch;
    int selected_id = 0;
    bool scroll_to_selected = false;
    ScanView view;
    bool show_cam = false;        // the scan view's "Activation map" toggle
    float cam_opacity = 0.5f;
    int cam_class = -1;           // -1: the predicted class

    std::vector<GalleryEntry> gallery;
    std::string gallery_note;  // shown instead of the gallery when it is empty

    int wake_frames = 8;       // frames still to draw; 0 = idle (nothing redrawn)
    std::string scratch;       // backing store for strings returned to JS
    Slab slab;                 // the last volume opened (alzscan_app_open_volume): its axial slices
    GrayImage slab_before;     // a registered volume's input slice beside the model's (before/after)
    int slab_scan = 0;         // the scan that volume's rows belong to
    bool slab_registered = false;   // registered in 3-D: its slices skip the 2-D pose step (a thin stack's get it)
    std::unique_ptr<Reference> reference;   // the registration template (alzscan_app_load_reference)
    std::unique_ptr<PendingRegistration> registering;   // a head volume being registered, a step per call
    std::unique_ptr<Volume> awaiting_reference;   // a decoded head volume that came before the template
    int registrations = 0;     // registrations started so far (their ids)
    struct OpenMs {            // the current open/register call's stages (ms), in its answer's "ms"
        double decode = 0, registration = 0, slab = 0;
    } open_ms;
    float progress = -1;       // the progress card's bar, 0..1, while status_text says what runs; < 0: no card
    std::vector<float> progress_drawn;   // each frame's bar while one was shown, the latest kProgressDrawnKept (alzscan_app_progress_drawn)
    int scans = 0;             // scans begun so far (alzscan_app_begin_scan)
    int open_scan = 0;         // the scan new rows belong to; 0: none
    bool one_scan = false;     // the batch panel's checkbox: files opened together are one scan
    std::vector<float> preprocess_tensor;  // _alzscan_app_preprocess's result
    std::string preprocess_error;
    DebugTrap debug_trap = DebugTrap::Off;  // alzscan_app_debug_trap: trap on purpose (tests)
    int canvas_width = 0, canvas_height = 0;  // CSS pixels
    float ui_scale = 1.0f;  // devicePixelRatio at start: the canvas and the UI are drawn in device pixels

    struct ChartDrawn {            // the result panel's atrophy chart in the last frame drawn
        int item = 0, classes = 0, points = 0;
        std::string caption;
    } chart_drawn;

    ScanItem* selected() { return batch.find(selected_id); }
    void wake(int frames = 4) { if (wake_frames < frames) wake_frames = frames; }
};

// app_ui.cpp
void apply_style(App& app);
void draw_ui(App& app);

}  // namespace alzscan::web
