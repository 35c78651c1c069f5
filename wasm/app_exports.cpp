// wasm/app_exports.cpp: the C surface the page (web/app.js) drives, and the frame loop.
//
//   const { StatusKind, StartResult } = JSON.parse(M.UTF8ToString(M._alzscan_app_constants()));
//   const app = M._alzscan_app_create();
//   M._alzscan_app_set_font(app, ptr, n);            // optional, before start; ownership passes
//   M._alzscan_app_start(app);                        // StartResult.Ok: GLFW window on Module.canvas + ImGui
//   requestAnimationFrame(function f() { M._alzscan_app_frame(app); requestAnimationFrame(f); });
//   M._alzscan_app_set_model(app, jsonPtr);           // -> "" or the model.json error
//   const id = M._alzscan_app_add_file(app, namePtr, labelPtr, bytesPtr, n);
//   M._alzscan_app_item_error(app, id)                // "" or shared/'s message, verbatim
//   M._alzscan_app_item_tensor(app, id) / _length     // 1,1,H,W float32 for the worker
//   M._alzscan_app_set_result(app, id, probsPtr, 4, inferenceMs) | _set_failure(app, id, msg)
//   M._alzscan_app_item_json(app, id) / _restore_batch(app, jsonPtr)  // the page's copy of the batch
//
// The page drives the frame loop (not emscripten_set_main_loop) so that it catches a trap in a
// frame like one in any other call: after a trap it discards this instance and starts a new one
// (web/app.js), restoring the batch from item_json copies.
//
// Every export is marked EMSCRIPTEN_KEEPALIVE, which is what exports it (wasm/CMakeLists.txt lists
// none of them). Strings returned to JS stay valid until the next call that returns a string.
#include <emscripten.h>
#include <emscripten/html5.h>
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "alzscan/aggregate.h"
#include "alzscan/cam.h"
#include "alzscan/ood.h"
#include "alzscan/image_decode.h"
#include "alzscan/nifti.h"
#include "alzscan/preprocess.h"
#include "alzscan/resize.h"
#include "alzscan/sha256.h"
#include "alzscan/training_space.h"
#include "alzscan/verdict.h"
#include "alzscan/volume_bytes.h"
#include "app_state.h"
#include "gl_texture.h"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"

using namespace alzscan;
using namespace alzscan::web;

// Canvas size in CSS pixels, from the page (the canvas fills its container).
EM_JS(int, js_canvas_css_width, (), { return Module.canvas.clientWidth | 0; });
EM_JS(int, js_canvas_css_height, (), { return Module.canvas.clientHeight | 0; });
// Not glfwSetWindowSize: Emscripten's GLFW turns a size equal to the screen's into a fullscreen
// request (and no resize). Browser.setCanvasSize resizes and notifies GLFW's resize listener.
EM_JS(void, js_set_canvas_size, (int w, int h), { Module.setCanvasSize(w, h); });
EM_JS(double, js_device_pixel_ratio, (), { return window.devicePixelRatio || 1; });

namespace {

// A display copy no longer than kDisplayMaxSide, uploaded as a texture.
void make_display_texture(const GrayImage& image, uint32_t* texture, int* w, int* h) {
    const GrayImage* shown = &image;
    GrayImage smaller;
    int long_side = std::max(image.width, image.height);
    if (long_side > kDisplayMaxSide) {
        int tw = std::max(1, image.width * kDisplayMaxSide / long_side);
        int th = std::max(1, image.height * kDisplayMaxSide / long_side);
        auto r = resize_gray(image, tw, th);
        if (r) {
            smaller = std::move(r).value();
            shown = &smaller;
        }
    }
    *texture = upload_gray_texture(*shown);
    *w = shown->width;
    *h = shown->height;
}

// A deliberate trap (WebAssembly RuntimeError "unreachable"), as a decoder bug would cause: the
// page's crash recovery is tested with it (alzscan_app_debug_trap).
void debug_trap_if(App& app, DebugTrap where) {
    if (app.debug_trap == where) __builtin_trap();
}

void frame(App& app) {
    debug_trap_if(app, DebugTrap::NextFrame);
    int cw = js_canvas_css_width(), ch = js_canvas_css_height();
    if (cw > 0 && ch > 0 && (cw != app.canvas_width || ch != app.canvas_height)) {
        app.canvas_width = cw;
        app.canvas_height = ch;
        js_set_canvas_size(static_cast<int>(cw * app.ui_scale), static_cast<int>(ch * app.ui_scale));
        app.wake();
    }
    // Idle when nothing changed: SwiftShader / laptop GPUs should not spin at 60 fps.
    if (app.wake_frames <= 0 && !ImGui::IsAnyMouseDown()) return;
    if (app.wake_frames > 0) --app.wake_frames;

    glfwPollEvents();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    draw_ui(app);
    ImGui::Render();
    int fw = 0, fh = 0;
    glfwGetFramebufferSize(app.window, &fw, &fh);
    glViewport(0, 0, fw, fh);
    glClearColor(0.93f, 0.945f, 0.96f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

const char* keep(App& app, std::string text) {
    app.scratch = std::move(text);
    return app.scratch.c_str();
}

}  // namespace

extern "C" {

// The named numbers of app_constants.h as JSON (a static string: valid as long as the module).
namespace {

// The model's input tensor and the 8-bit slice it came from (the out-of-distribution checks and
// the activation map overlay use the latter).
void keep_prepared(ScanItem& item, const GrayImage& prepared, const PreprocessSpec& spec) {
    item.tensor.resize(static_cast<size_t>(spec.width) * spec.height);
    normalise_into(prepared, spec, item.tensor.data());
    item.prepared = prepared.pixels;
    item.prepared_width = prepared.width;
    item.prepared_height = prepared.height;
    item.tissue = alzscan::measure_tissue(prepared);
}

// A 2-D slice's pose step (shared/ slice_pose.h), for the result and the scan view.
void keep_pose(ScanItem& item, const alzscan::SlicePose& pose) {
    if (!pose.estimated) return;
    item.pose = pose;
    item.pose_json = alzscan::slice_pose_json(pose);
    item.pose_reason = pose.reason;
    item.pose_corrected = pose.corrected;
}

// A verdict row's atrophy evidence: its scan's classified slices, in order, as `alzscan predict`
// summarises them (shared/ atrophy_of_stack).
void keep_scan_atrophy(const App& app, ScanItem& verdict) {
    std::vector<alzscan::TissueMeasures> tissues;
    std::vector<alzscan::SlicePose> poses;
    for (const ScanItem& s : app.batch.items())
        if (s.scan == verdict.scan && !s.verdict && s.status == ScanStatus::Done) tissues.push_back(s.tissue), poses.push_back(s.pose);
    verdict.has_atrophy = true;
    verdict.atrophy = alzscan::atrophy_of_stack(tissues, poses, app.model.atrophy);
}

}  // namespace

EMSCRIPTEN_KEEPALIVE const char* alzscan_app_constants() {
    static const std::string text = app_constants_json();
    return text.c_str();
}

EMSCRIPTEN_KEEPALIVE App* alzscan_app_create() { return new App(); }

// SHA-256 of a buffer as 64 hex digits: shared/'s, the function `alzscan export` wrote
// model.json's onnx_sha256 with, so the page checks model.onnx with the same code.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_sha256(App* app, const uint8_t* data, int size) {
    return keep(*app, alzscan::sha256_hex(data, static_cast<size_t>(std::max(size, 0))));
}

// Takes ownership of a malloc'd TrueType font (read by the page); freed here.
EMSCRIPTEN_KEEPALIVE void alzscan_app_set_font(App* app, uint8_t* data, int size) {
    if (data && size > 0) app->font_ttf.assign(data, data + size);
    std::free(data);
}

// StartResult::Ok on success; the page shows a plain-HTML error otherwise (no canvas UI without WebGL2).
EMSCRIPTEN_KEEPALIVE int alzscan_app_start(App* app) {
    if (!glfwInit()) return static_cast<int>(StartResult::NoGlfw);
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    app->ui_scale = static_cast<float>(std::clamp(js_device_pixel_ratio(), 1.0, 3.0));
    app->canvas_width = std::max(320, js_canvas_css_width());
    app->canvas_height = std::max(240, js_canvas_css_height());
    app->window = glfwCreateWindow(static_cast<int>(app->canvas_width * app->ui_scale),
                                   static_cast<int>(app->canvas_height * app->ui_scale), "alzscan", nullptr, nullptr);
    if (!app->window) return static_cast<int>(StartResult::NoWindow);
    glfwMakeContextCurrent(app->window);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // layout is fixed; nothing to persist
    apply_style(*app);
    ImGui_ImplGlfw_InitForOpenGL(app->window, true);
    ImGui_ImplOpenGL3_Init("#version 300 es");
    return static_cast<int>(StartResult::Ok);
}

// One animation frame (the page calls it from requestAnimationFrame once start succeeded); draws
// only while woken.
EMSCRIPTEN_KEEPALIVE void alzscan_app_frame(App* app) {
    if (app->window) frame(*app);
}

// Tests of the page's crash recovery: kind is a DebugTrap; the app traps in its next decode
// (alzscan_app_add_file / _preprocess) or its next frame. Off (or out of range) disarms.
EMSCRIPTEN_KEEPALIVE void alzscan_app_debug_trap(App* app, int kind) {
    app->debug_trap = kind > 0 && kind < kDebugTrapCount ? static_cast<DebugTrap>(kind) : DebugTrap::Off;
    app->wake();
}

EMSCRIPTEN_KEEPALIVE void alzscan_app_wake(App* app) { app->wake(); }

// Mouse wheel in ImGui's units (+1 = one notch up/left), from the page. Emscripten 3.1.6's GLFW
// passes raw DOM deltas (pixels, inverted sign) to the scroll callback, which would zoom and
// scroll the wrong way 100x too fast; the page normalises and calls this instead.
EMSCRIPTEN_KEEPALIVE void alzscan_app_scroll(App* app, float dx, float dy) {
    if (!app->window) return;
    ImGuiIO& io = ImGui::GetIO();
    io.MouseWheelH += dx;
    io.MouseWheel += dy;
    app->wake();
}

// "" when model.json is valid for this app; otherwise the one-line reason (also shown in the UI).
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_set_model(App* app, const char* json_text) {
    auto info = parse_model_info(json_text ? json_text : "");
    app->wake();
    if (!info) {
        app->model_ok = false;
        app->model_error = info.error();
        app->status = StatusKind::Error;
        app->status_text = info.error();
        return keep(*app, info.error());
    }
    app->model = std::move(info).value();
    app->model_ok = true;
    app->model_error.clear();
    return keep(*app, "");
}

// kind: a StatusKind (out-of-range values are clamped to the nearest). The text is shown in the header.
EMSCRIPTEN_KEEPALIVE void alzscan_app_set_status(App* app, int kind, const char* text, const char* runtime) {
    app->status = static_cast<StatusKind>(std::clamp(kind, 0, kStatusKindCount - 1));
    app->status_text = text ? text : "";
    if (runtime) app->runtime_text = runtime;
    app->wake();
}

// JSON: [{"file": "gallery/x.jpg", "label": "Non_Demented"}, ...] or {"note": "why it is empty"}.
EMSCRIPTEN_KEEPALIVE void alzscan_app_set_gallery(App* app, const char* json_text) {
    auto j = nlohmann::json::parse(json_text ? json_text : "", nullptr, false);
    app->gallery.clear();
    app->gallery_note.clear();
    if (j.is_array()) {
        for (const auto& e : j) {
            if (!e.is_object() || !e.contains("file") || !e["file"].is_string()) continue;
            GalleryEntry g;
            g.file = e["file"].get<std::string>();
            if (e.contains("label") && e["label"].is_string()) g.label = e["label"].get<std::string>();
            app->gallery.push_back(std::move(g));
        }
    } else if (j.is_object() && j.contains("note") && j["note"].is_string()) {
        app->gallery_note = j["note"].get<std::string>();
    }
    if (app->gallery.empty() && app->gallery_note.empty()) app->gallery_note = "No sample slices in this build.";
    app->wake();
}

EMSCRIPTEN_KEEPALIVE void alzscan_app_set_gallery_image(App* app, int index, const uint8_t* data, int size) {
    if (index < 0 || index >= static_cast<int>(app->gallery.size())) return;
    auto img = decode_gray(data, static_cast<size_t>(std::max(size, 0)));
    if (!img) return;
    GalleryEntry& g = app->gallery[index];
    make_display_texture(*img, &g.texture, &g.width, &g.height);
    app->wake();
}

// Decodes and preprocesses synchronously with shared/. Returns the new item's id; on failure the
// item is already in the batch with its error (read it with _alzscan_app_item_error).
EMSCRIPTEN_KEEPALIVE int alzscan_app_add_file(App* app, const char* name, const char* true_label,
                                              const uint8_t* data, int size) {
    ScanItem& item = app->batch.add(name ? name : "", true_label ? true_label : "");
    item.scan = app->open_scan;
    int id = item.id;
    app->selected_id = id;
    app->scroll_to_selected = true;
    app->view.reset();
    // No redraw yet on success: the result usually follows within milliseconds and one frame then
    // shows both (the page wakes the UI itself if inference takes longer). Errors draw now.
    if (!app->model_ok) {
        item.fail(app->model_error.empty() ? "the model is not loaded yet: wait for \"Ready\" in the header"
                                           : "the model is not usable: " + app->model_error);
        app->wake(2);
        return id;
    }
    debug_trap_if(*app, DebugTrap::NextDecode);
    const size_t n = static_cast<size_t>(std::max(size, 0));
    double t0 = emscripten_get_now();
    alzscan::SlicePose pose;
    auto prepared = prepare_image(data, n, app->model.spec, {}, &pose);   // preprocess_bytes, its 8-bit stage kept
    if (!prepared) {
        item.fail(prepared.error());
        app->wake(2);
        return id;
    }
    keep_prepared(item, *prepared, app->model.spec);
    keep_pose(item, pose);
    if (item.scan == 0) {   // a lone file is a scan of one slice (as `alzscan predict` treats it)
        item.has_atrophy = true;
        item.atrophy = alzscan::atrophy_of_stack({item.tissue}, {pose}, app->model.atrophy);
    }
    item.preprocess_ms = emscripten_get_now() - t0;
    if (auto info = probe_image(data, n)) {
        item.format = info->format;
        item.width = info->width;
        item.height = info->height;
        item.channels = info->channels;
        item.bits = info->bits;
    }
    if (auto img = decode_gray(data, n)) {
        if (item.pose_corrected) {   // the picture of what the pose step did: the file beside the model's slice
            const GrayImage model_slice{item.prepared_width, item.prepared_height, item.prepared};
            auto big = resize_gray(model_slice, img->height * item.prepared_width / std::max(1, item.prepared_height), img->height);
            make_display_texture(alzscan::before_after(*img, {big ? *big : model_slice}), &item.texture,
                                 &item.texture_width, &item.texture_height);
        } else {
            make_display_texture(*img, &item.texture, &item.texture_width, &item.texture_height);
        }
    }
    return id;
}

// The registration template: the bytes of Colin27's ch2.nii and ch2bet.nii, gzip or not (the page
// fetches reference/ch2.nii and reference/ch2bet.nii when a head volume first asks for it).
// Returns "" or the error.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_load_reference(App* app, const uint8_t* head, int head_size,
                                                          const uint8_t* brain, int brain_size) {
    auto h = alzscan::decode_volume_file("ch2.nii", head, static_cast<size_t>(std::max(head_size, 0)));
    auto b = alzscan::decode_volume_file("ch2bet.nii", brain, static_cast<size_t>(std::max(brain_size, 0)));
    if (!h || !b) return keep(*app, "the registration reference does not decode: " + (h ? b.error() : h.error()));
    auto ref = alzscan::make_reference(std::move(h).value(), std::move(b).value());
    if (!ref) return keep(*app, "the registration reference: " + ref.error());
    app->reference = std::make_unique<alzscan::Reference>(std::move(ref).value());
    return keep(*app, "");
}


namespace {

// An answer of open_volume / open_awaiting / register_step, with the call's stages in "ms":
// {"decode", "registration", "slab"} (the page adds them to classifyScan's timings). They start
// again at 0 for the next call.
const char* answer(App& app, nlohmann::json j) {
    j["ms"] = {{"decode", app.open_ms.decode}, {"registration", app.open_ms.registration}, {"slab", app.open_ms.slab}};
    app.open_ms = {};
    return keep(app, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// The opened volume's slices kept for alzscan_app_add_volume_slice -> the JSON open_volume returns.
const char* keep_opened(App& app, const alzscan::Volume& vol, const alzscan::Registration* registered) {
    const double t0 = emscripten_get_now();
    auto scan = alzscan::scan_slices(vol, app.reference.get(), app.model.spec.conform, registered);
    app.open_ms.slab = emscripten_get_now() - t0;
    if (!scan) return answer(app, {{"error", scan.error()}});
    app.slab = std::move(scan->slab);
    app.slab_scan = app.open_scan;
    app.slab_registered = scan->registered;
    nlohmann::json j = {{"slices", app.slab.slices}, {"how", app.slab.how}, {"notes", scan->notes},
                        {"width", app.slab.images.front().width}, {"height", app.slab.images.front().height}};
    if (scan->registered) {
        j["registration"] = nlohmann::json::parse(alzscan::registration_json(scan->space));
        app.slab_before = alzscan::before_after(scan->space.input, {app.slab.images[app.slab.images.size() / 2]});
    }
    return answer(app, std::move(j));
}

const char* keep_registering(App& app) {
    return answer(app, {{"registering", app.registering->id}, {"progress", app.registering->run.progress()}});
}

// A decoded head volume into the registration (kept until the template arrives when it has not).
const char* start_registration(App& app, Volume&& vol) {
    if (!app.reference) {
        app.awaiting_reference = std::make_unique<Volume>(std::move(vol));
        return answer(app, {{"need_reference", true}});
    }
    const double t0 = emscripten_get_now();
    auto run = alzscan::RegistrationRun::start(vol, *app.reference);
    app.open_ms.registration = emscripten_get_now() - t0;
    if (!run) return answer(app, {{"error", run.error()}});
    app.registering = std::make_unique<PendingRegistration>(
        PendingRegistration{++app.registrations, std::move(vol), std::move(run).value()});
    return keep_registering(app);
}

}  // namespace

// A volume file's bytes as dropped, named by its file name (shared/ volume_bytes.h: NIfTI, .nii.gz,
// MGH/MGZ, an Analyze pair with `partner` the pair's other file, else null; gzip inflated in WASM up
// to the CLI's limit): its slices for the model (shared/ training_space.h scan_slices: a head
// registered into the training space, a thin stack taken whole), kept in the app for
// alzscan_app_add_volume_slice. Returns JSON {"slices": [k...], "how", "notes", "width", "height",
// "registration"?} or {"error": "..."}; {"need_reference": true} when a head volume arrives
// before alzscan_app_load_reference; {"registering": id, "progress": 0..1} when a head volume's
// registration has started: alzscan_app_register_step(id) carries it on, a step at a time, so the
// page draws its progress between calls, and gives one of the other answers once done.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_open_volume(App* app, const char* name, const uint8_t* data, int size,
                                                        const char* partner_name, const uint8_t* partner, int partner_size) {
    app->slab = {};
    app->slab_before = {};
    app->registering.reset();
    app->awaiting_reference.reset();
    debug_trap_if(*app, DebugTrap::NextDecode);
    const alzscan::NamedBytes other{partner_name ? partner_name : "", partner,
                                    static_cast<size_t>(std::max(partner_size, 0))};
    const double t0 = emscripten_get_now();
    auto vol = alzscan::decode_volume_file(name ? name : "", data, static_cast<size_t>(std::max(size, 0)), other);
    app->open_ms.decode = emscripten_get_now() - t0;
    if (!vol && partner == nullptr && alzscan::is_analyze_name(name ? name : ""))
        return answer(*app, {{"error", vol.error() + ": open the .hdr and the .img together"}});
    if (!vol) return answer(*app, {{"error", vol.error()}});
    if (!alzscan::is_head_volume(*vol)) return keep_opened(*app, *vol, nullptr);
    return start_registration(*app, std::move(vol).value());
}

// The head volume that answered {"need_reference": true}, once alzscan_app_load_reference has run:
// the answers of alzscan_app_open_volume, without decoding the file again.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_open_awaiting(App* app) {
    if (!app->awaiting_reference) return answer(*app, {{"error", "no volume waits for the registration template"}});
    const std::unique_ptr<Volume> vol = std::move(app->awaiting_reference);
    return start_registration(*app, std::move(*vol));
}

// Carries registration `id` on for about `budget_ms` (at least one step), then answers as
// alzscan_app_open_volume: {"registering", "progress"} while steps remain, else the opened volume.
// An id that is no longer the app's (another volume was opened since) is an error.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_register_step(App* app, int id, double budget_ms) {
    if (!app->registering || app->registering->id != id)
        return answer(*app, {{"error", "this volume's registration was replaced by another volume opened meanwhile"}});
    PendingRegistration& pending = *app->registering;
    const double t0 = emscripten_get_now();
    do pending.run.step();
    while (!pending.run.done() && emscripten_get_now() - t0 < budget_ms);
    app->open_ms.registration = emscripten_get_now() - t0;
    if (!pending.run.done()) return keep_registering(*app);
    const std::unique_ptr<PendingRegistration> done = std::move(app->registering);
    const alzscan::Registration reg = done->run.result();
    return keep_opened(*app, done->volume, &reg);
}

// The progress card's bar (the status text says what runs): 0..1, or < 0 for no card.
EMSCRIPTEN_KEEPALIVE void alzscan_app_set_progress(App* app, double fraction) {
    app->progress = static_cast<float>(fraction);
    app->wake();
}

// The bar's fraction in each frame drawn with the card since the last call, as a JSON array.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_progress_drawn(App* app) {
    const std::string out = nlohmann::json(app->progress_drawn).dump();
    app->progress_drawn.clear();
    return keep(*app, out);
}

// Slice `index` of the opened volume's slab as a batch row: prepare_gray for a registered volume, the
// file path (prepare_slice, with the pose step) for a thin stack; then normalise_into. Returns its id; a failure is the row's error, as add_file.
EMSCRIPTEN_KEEPALIVE int alzscan_app_add_volume_slice(App* app, const char* name, int index) {
    ScanItem& item = app->batch.add(name ? name : "", "");
    item.scan = app->open_scan;
    const int id = item.id;
    app->selected_id = id;
    app->scroll_to_selected = true;
    app->view.reset();
    if (!app->model_ok || index < 0 || index >= static_cast<int>(app->slab.images.size())) {
        item.fail(!app->model_ok ? "the model is not loaded yet" : "no such slice of the volume");
        app->wake(2);
        return id;
    }
    const GrayImage& img = app->slab.images[index];
    const double t0 = emscripten_get_now();
    alzscan::SlicePose pose;   // a thin stack's slices are 2-D slices: the pose step, as files get it
    auto prepared = app->slab_registered ? prepare_gray(img, app->model.spec) : prepare_slice(img, app->model.spec, &pose);
    if (!prepared) {
        item.fail(prepared.error());
        app->wake(2);
        return id;
    }
    keep_prepared(item, *prepared, app->model.spec);
    keep_pose(item, pose);
    item.preprocess_ms = emscripten_get_now() - t0;
    item.format = "volume slice";   // NIfTI, MGZ, Analyze or DICOM alike
    item.width = img.width;
    item.height = img.height;
    item.channels = 1;
    item.bits = 8;
    make_display_texture(img, &item.texture, &item.texture_width, &item.texture_height);
    return id;
}

// Rows added from now until alzscan_app_end_scan are the slices of one scan (the slice strip).
EMSCRIPTEN_KEEPALIVE int alzscan_app_begin_scan(App* app) { return app->open_scan = ++app->scans; }
EMSCRIPTEN_KEEPALIVE void alzscan_app_end_scan(App* app) { app->open_scan = 0; }
// The batch panel's "Files opened together are one scan" checkbox (the page reads it on a drop).
EMSCRIPTEN_KEEPALIVE int alzscan_app_one_scan(App* app) { return app->one_scan ? 1 : 0; }
EMSCRIPTEN_KEEPALIVE void alzscan_app_set_one_scan(App* app, int on) {
    app->one_scan = on != 0;
    app->wake();
}

// The scan view's "Activation map" checkbox and class picker (-1: the predicted class).
EMSCRIPTEN_KEEPALIVE void alzscan_app_show_cam(App* app, int on, int cls) {
    app->show_cam = on != 0;
    app->cam_class = cls;
    app->wake();
}

// The open scan's verdict as a finished row without an image: shared/ scan_verdict over its
// classified slices, in order (as `alzscan predict` gives it). `note` (which slices, and notes such as
// a 4-D file's) is shown beside the slice strip. Returns its id (alzscan_app_item_verdict reads it).
EMSCRIPTEN_KEEPALIVE int alzscan_app_add_verdict(App* app, const char* name, const char* note) {
    std::vector<float> probs;
    std::vector<alzscan::OodVerdict> oods;
    size_t classes = 0;
    for (const ScanItem& s : app->batch.items())
        if (app->open_scan > 0 && s.scan == app->open_scan && !s.verdict && s.status == ScanStatus::Done) {
            probs.insert(probs.end(), s.probabilities.begin(), s.probabilities.end());
            oods.push_back(s.ood);
            classes = s.probabilities.size();
        }
    const alzscan::ScanVerdict v = alzscan::scan_verdict(probs.data(), oods.size(), classes, oods);
    ScanItem& item = app->batch.add(name ? name : "", "");
    item.verdict = true;
    item.note = note ? note : "";
    item.scan = app->open_scan;
    if (item.scan > 0 && item.scan == app->slab_scan && !app->slab_before.empty()) {
        make_display_texture(app->slab_before, &item.texture, &item.texture_width, &item.texture_height);
    }
    item.finish(v.probabilities, 0.0);
    item.ood = v.ood;
    item.verdict_index = v.index;
    if (item.scan > 0) keep_scan_atrophy(*app, item);
    app->selected_id = item.id;
    app->scroll_to_selected = true;
    app->wake(2);
    return item.id;
}

// A classified row's {"index" (-1 when flagged), "probabilities"} (shared/ verdict.h): a file's, a
// slice's or a scan's verdict; "null" for an unknown id.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_item_verdict(App* app, int id) {
    const ScanItem* item = app->batch.find(id);
    if (!item) return keep(*app, "null");
    return keep(*app, nlohmann::json{{"index", item->verdict_index}, {"probabilities", item->probabilities}}.dump());
}

// preprocess_bytes() alone, outside the batch (no UI change): for the benchmark and for embedders
// that run their own model. Returns the tensor (valid until the next call) or null; then
// _alzscan_app_preprocess_error(app) holds the message.
EMSCRIPTEN_KEEPALIVE const float* alzscan_app_preprocess(App* app, const uint8_t* data, int size) {
    if (!app->model_ok) {
        app->preprocess_error = "the model is not loaded yet";
        return nullptr;
    }
    debug_trap_if(*app, DebugTrap::NextDecode);
    auto tensor = preprocess_bytes(data, static_cast<size_t>(std::max(size, 0)), app->model.spec);
    if (!tensor) {
        app->preprocess_error = tensor.error();
        app->preprocess_tensor.clear();
        return nullptr;
    }
    app->preprocess_error.clear();
    app->preprocess_tensor = std::move(tensor).value();
    return app->preprocess_tensor.data();
}

// The last _alzscan_app_preprocess call's error; "" after a success.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_preprocess_error(App* app) { return keep(*app, app->preprocess_error); }

// A file the page refused before it reached shared/ (e.g. too large to copy into WASM memory):
// a batch row with the page's message, so that it is shown like any other error.
EMSCRIPTEN_KEEPALIVE int alzscan_app_add_failed(App* app, const char* name, const char* true_label, const char* message) {
    ScanItem& item = app->batch.add(name ? name : "", true_label ? true_label : "");
    item.fail(message ? message : "this file could not be read");
    app->selected_id = item.id;
    app->scroll_to_selected = true;
    app->wake(2);
    return item.id;
}

EMSCRIPTEN_KEEPALIVE const char* alzscan_app_item_error(App* app, int id) {
    ScanItem* item = app->batch.find(id);
    return keep(*app, item ? item->error : "no such item");
}

EMSCRIPTEN_KEEPALIVE const float* alzscan_app_item_tensor(App* app, int id) {
    ScanItem* item = app->batch.find(id);
    return item && !item->tensor.empty() ? item->tensor.data() : nullptr;
}

EMSCRIPTEN_KEEPALIVE int alzscan_app_item_tensor_length(App* app, int id) {
    ScanItem* item = app->batch.find(id);
    return item ? static_cast<int>(item->tensor.size()) : 0;
}

EMSCRIPTEN_KEEPALIVE double alzscan_app_item_preprocess_ms(App* app, int id) {
    ScanItem* item = app->batch.find(id);
    return item ? item->preprocess_ms : 0.0;
}

EMSCRIPTEN_KEEPALIVE void alzscan_app_release_tensor(App* app, int id) {
    if (ScanItem* item = app->batch.find(id)) {
        item->tensor.clear();
        item->tensor.shrink_to_fit();
    }
}

EMSCRIPTEN_KEEPALIVE void alzscan_app_set_result(App* app, int id, const float* probs, int n, double inference_ms) {
    if (ScanItem* item = app->batch.find(id)) {
        item->finish(std::vector<float>(probs, probs + std::max(n, 0)), inference_ms);
        item->verdict_index = alzscan::verdict_index(item->probabilities, item->ood);   // its ood is set (set_extras)
    }
    app->wake(2);  // one frame to lay out, one to settle; each costs real time under software GL
}

// What the graph gives beside the probabilities, before _alzscan_app_set_result: the pooled
// features (n_features; the out-of-distribution distance) and the class activation maps (classes x
// h x w, raw; null when the graph has none). Returns {"ood": {flag, score, check, reason, scores} |
// null, "cam": {"height", "width", "maps": each class's map scaled to max 1 (shared/cam.h)} | null}
// and, for a file the pose step looked at, "pose" (shared/slice_pose.h slice_pose_json).
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_set_extras(App* app, int id, const float* features, int n_features,
                                                        const float* cam, int classes, int h, int w) {
    ScanItem* item = app->batch.find(id);
    if (!item) return keep(*app, "{}");
    nlohmann::json out = {{"ood", nullptr}, {"cam", nullptr}};
    if (!item->pose_json.empty()) out["pose"] = nlohmann::json::parse(item->pose_json);
    if (app->model.ood.enabled) {
        const GrayImage prepared{item->prepared_width, item->prepared_height, item->prepared};
        const alzscan::OodVerdict v = alzscan::assess_slice(
            app->model.ood, alzscan::measure_input(prepared, app->model.ood), features,
            static_cast<size_t>(std::max(n_features, 0)));
        item->ood = v;
        out["ood"] = nlohmann::json::parse(ood_verdict_json(v));
    }
    if (cam && classes > 0 && h > 0 && w > 0) {
        item->cam.assign(cam, cam + static_cast<size_t>(classes) * h * w);
        item->cam_height = h;
        item->cam_width = w;
        std::vector<float> maps;
        for (int c = 0; c < classes; ++c) {
            const std::vector<float> m = alzscan::normalise_cam(cam + static_cast<size_t>(c) * h * w, static_cast<size_t>(h) * w);
            maps.insert(maps.end(), m.begin(), m.end());
        }
        out["cam"] = {{"height", h}, {"width", w}, {"maps", maps}};
    }
    return keep(*app, out.dump());
}

// An item's out-of-distribution verdict as JSON (shared/ ood_verdict_json: {"flag", "score", "check",
// "reason"}, and a slice's "scores").
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_item_ood(App* app, int id) {
    ScanItem* item = app->batch.find(id);
    if (!item) return keep(*app, "null");
    return keep(*app, alzscan::ood_verdict_json(item->ood));
}

// An item's atrophy evidence (shared/ scan_atrophy_json, as `alzscan predict --json` prints it for a
// lone file and a scan), "null" for a slice of a scan and an unknown id.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_item_atrophy(App* app, int id) {
    ScanItem* item = app->batch.find(id);
    if (!item || !item->has_atrophy) return keep(*app, "null");
    return keep(*app, alzscan::scan_atrophy_json(item->atrophy, app->model.atrophy));
}

// What the last frame's atrophy chart showed: {"item": id (0: none), "classes": bands drawn,
// "points": the scan's points, "caption": its sentence}; for tests and embedders.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_chart_drawn(App* app) {
    return keep(*app, nlohmann::json{{"item", app->chart_drawn.item}, {"classes", app->chart_drawn.classes},
                                     {"points", app->chart_drawn.points}, {"caption", app->chart_drawn.caption}}
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// A scan's verdict from its slices' probabilities (n_slices x n_classes, row-major) into out
// (n_classes): shared/ aggregate_slices, the function `alzscan cv` and `alzscan predict` use.
EMSCRIPTEN_KEEPALIVE void alzscan_app_aggregate(const float* probs, int n_slices, int n_classes, float* out) {
    const std::vector<float> v = alzscan::aggregate_slices(probs, static_cast<size_t>(std::max(n_slices, 0)),
                                                           static_cast<size_t>(std::max(n_classes, 0)));
    std::copy(v.begin(), v.end(), out);
}

EMSCRIPTEN_KEEPALIVE void alzscan_app_set_failure(App* app, int id, const char* message) {
    if (ScanItem* item = app->batch.find(id)) item->fail(message ? message : "inference failed");
    app->wake();
}

// The item as JSON (scan_batch.h item_json), "null" when there is none: the page keeps this copy of
// every row so that it can restore the batch in a new instance after a crash.
EMSCRIPTEN_KEEPALIVE const char* alzscan_app_item_json(App* app, int id) {
    ScanItem* item = app->batch.find(id);
    return keep(*app, item ? item_json(*item) : "null");
}

// Re-creates rows from item_json copies (a JSON array) after the page restarted the app: results
// and messages, no images. Selects the last row; returns the first new row's id (the rest follow
// it in order), 0 when the array is empty or not an array.
EMSCRIPTEN_KEEPALIVE int alzscan_app_restore_batch(App* app, const char* json_rows) {
    const auto rows = nlohmann::json::parse(json_rows ? json_rows : "", nullptr, false);
    if (!rows.is_array() || rows.empty()) return 0;
    int first = 0;
    for (const auto& row : rows) {
        ScanItem& item = app->batch.add("", "");
        restore_item(item, row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        if (!first) first = item.id;
        app->selected_id = item.id;
    }
    app->scroll_to_selected = true;
    app->view.reset();
    app->wake();
    return first;
}

EMSCRIPTEN_KEEPALIVE int alzscan_app_item_count(App* app) { return app->batch.size(); }

// Scan view zoom (1 = fit) and pan in CSS pixels, for automation and tests.
EMSCRIPTEN_KEEPALIVE float alzscan_app_view_zoom(App* app) { return app->view.zoom; }
EMSCRIPTEN_KEEPALIVE float alzscan_app_view_pan_x(App* app) { return app->view.pan_x; }

// Position of the selected file in the batch table (0-based), -1 when none.
EMSCRIPTEN_KEEPALIVE int alzscan_app_selected_index(App* app) {
    const auto& items = app->batch.items();
    for (size_t i = 0; i < items.size(); ++i)
        if (items[i].id == app->selected_id) return static_cast<int>(i);
    return -1;
}

EMSCRIPTEN_KEEPALIVE const char* alzscan_app_batch_csv(App* app) {
    return keep(*app, app->batch.to_csv(app->model.spec.class_names));
}

}  // extern "C"
