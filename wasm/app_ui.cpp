// wasm/app_ui.cpp: the whole UI, drawn every frame from App (immediate mode, fixed layout).
//
//  ┌ header: name, privacy line, status, [Open files…] [Export CSV] [Clear] ───────────────┐
//  ├ notice: research demo, not a diagnosis ───────────────────────────────────────────────┤
//  │ Samples (gallery)  │ Scan view (zoom, pan)                    │ Result: class, bars,  │
//  │                    │                                          │ timings               │
//  │ Model panel        ├ Batch table (keyboard ↑/↓, CSV) ──────────────────────────────────┤
//  └────────────────────┴───────────────────────────────────────────────────────────────────┘
#include <emscripten.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "app_state.h"
#include "alzscan/atrophy.h"
#include "alzscan/cam.h"
#include "gl_texture.h"
#include "imgui.h"
#include "imgui_scope.h"

// Host hooks: the page's JS does what WASM cannot (file picker, fetch, downloads).
EM_JS(void, js_open_file_picker, (), { Module.alzscanHost.openFilePicker(); });
EM_JS(void, js_open_folder_picker, (), { Module.alzscanHost.openFolderPicker(); });
EM_JS(void, js_open_gallery, (int index), { Module.alzscanHost.openGallery(index); });
EM_JS(void, js_download_csv, (const char* text), { Module.alzscanHost.downloadCsv(UTF8ToString(text)); });
// The page keeps a copy of the batch (to restore it if the app has to restart): "Clear" empties it too.
EM_JS(void, js_batch_cleared, (), { Module.alzscanHost.batchCleared(); });

namespace alzscan::web {
namespace {

// Palette: calm light theme; one accent; amber only for the notice, red only for errors.
const ImVec4 kInk = ImVec4(0.11f, 0.14f, 0.19f, 1.0f);
const ImVec4 kMuted = ImVec4(0.38f, 0.43f, 0.50f, 1.0f);
const ImVec4 kAccent = ImVec4(0.09f, 0.36f, 0.68f, 1.0f);
const ImVec4 kGood = ImVec4(0.10f, 0.50f, 0.27f, 1.0f);
const ImVec4 kError = ImVec4(0.72f, 0.11f, 0.11f, 1.0f);
const ImU32 kNoticeBg = IM_COL32(255, 243, 205, 255);
const ImU32 kNoticeBorder = IM_COL32(214, 160, 32, 255);
const ImU32 kBarTrack = IM_COL32(226, 231, 238, 255);
const ImU32 kBarFill = IM_COL32(140, 160, 186, 255);
const ImU32 kBarFillTop = IM_COL32(23, 92, 173, 255);

constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                         ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings |
                                         ImGuiWindowFlags_NoBringToFrontOnFocus;

std::string pretty_class(const std::string& name) {
    std::string out = name;
    std::replace(out.begin(), out.end(), '_', ' ');
    return out;
}

// "Very_Mild_Demented" -> "Very mild": fits under a thumbnail; the tooltip has the full name.
std::string short_class(const std::string& name) {
    std::string out = name;
    const std::string suffix = "_Demented";
    if (out.size() > suffix.size() && out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0)
        out.resize(out.size() - suffix.size());
    std::replace(out.begin(), out.end(), '_', ' ');
    for (size_t i = 1; i < out.size(); ++i) out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
    return out;
}

std::string class_name(const App& app, int index) {
    const auto& names = app.model.spec.class_names;
    return index >= 0 && index < static_cast<int>(names.size()) ? names[index] : std::string("?");
}

ImTextureID tex_id(uint32_t texture) { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(texture)); }

void heading(App& app, const char* text) {
    if (app.font_heading) ImGui::PushFont(app.font_heading);
    ImGui::TextColored(kInk, "%s", text);
    if (app.font_heading) ImGui::PopFont();
}

// A fixed panel without a title bar; it ends (ImGui::End) with the returned scope.
ImGuiWindowScope begin_panel(const char* name, ImVec2 pos, ImVec2 size, ImGuiWindowFlags extra = 0) {
    ImGui::SetNextWindowPos(pos);
    ImGui::SetNextWindowSize(size);
    return ImGuiWindowScope(name, kPanelFlags | ImGuiWindowFlags_NoTitleBar | extra);
}

// The sample thumbnails: rows of `columns` square cells `spacing` apart, at least 76 px per column
// and at most 150 px a cell. draw_gallery lays them out with it and draw_ui sizes the panel by it.
struct GalleryGrid {
    int columns = 1;
    float cell = 0;
    float spacing = 0;
    int rows(int count) const { return (count + columns - 1) / columns; }
};

GalleryGrid gallery_grid(float width, float k) {
    GalleryGrid grid;
    grid.spacing = 8 * k;
    grid.columns = std::max(1, static_cast<int>((width + 8 * k) / (76 * k)));
    grid.cell = std::min(150.0f * k, (width - 8 * k * (grid.columns - 1)) / grid.columns);
    return grid;
}

// The gallery panel is as tall as its thumbnails need (draw_gallery's grid): at least 160 px, at
// most 60 % of the body.
float gallery_panel_height(const App& app, float panel_width, float body_h) {
    const float k = app.ui_scale;
    const ImGuiStyle& style = ImGui::GetStyle();
    const float line_h = ImGui::GetTextLineHeightWithSpacing();
    const GalleryGrid grid = gallery_grid(panel_width - 2 * style.WindowPadding.x, k);
    const int rows = app.gallery.empty() ? 2 : grid.rows(static_cast<int>(app.gallery.size()));
    const float needed = 2 * style.WindowPadding.y + 28 * k + 2 * line_h + 8 * k +   // note: up to 2 lines
                         rows * (grid.cell + 2 * k + line_h + style.ItemSpacing.y);
    return std::clamp(needed, 160.0f * k, std::max(160.0f * k, body_h * 0.6f));
}

void select_relative(App& app, int delta) {
    auto& items = app.batch.items();
    if (items.empty()) return;
    int index = 0;
    for (int i = 0; i < static_cast<int>(items.size()); ++i)
        if (items[i].id == app.selected_id) index = i;
    index = std::clamp(index + delta, 0, static_cast<int>(items.size()) - 1);
    if (items[index].id != app.selected_id) {
        app.selected_id = items[index].id;
        app.view.reset();
        app.scroll_to_selected = true;
    }
}

void clear_batch(App& app) {
    for (ScanItem& item : app.batch.items()) {
        delete_texture(item.texture);
        delete_texture(item.cam_texture);
    }
    app.batch = ScanBatch();
    app.selected_id = 0;
    js_batch_cleared();
}

void handle_keys(App& app) {
    ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return;
    auto pressed = [](ImGuiKey key) { return ImGui::IsKeyPressed(ImGui::GetKeyIndex(key)); };
    const int n = app.batch.size();
    if (pressed(ImGuiKey_DownArrow)) select_relative(app, +1);
    if (pressed(ImGuiKey_UpArrow)) select_relative(app, -1);
    if (pressed(ImGuiKey_PageDown)) select_relative(app, +10);
    if (pressed(ImGuiKey_PageUp)) select_relative(app, -10);
    if (pressed(ImGuiKey_Home)) select_relative(app, -n);
    if (pressed(ImGuiKey_End)) select_relative(app, +n);
    // GLFW key codes: '=' / '+' zoom in, '-' zoom out, '0' fit.
    if (ImGui::IsKeyPressed(61) || ImGui::IsKeyPressed(334)) app.view.zoom = std::min(app.view.zoom * 1.25f, 32.0f);
    if (ImGui::IsKeyPressed(45) || ImGui::IsKeyPressed(333)) app.view.zoom = std::max(app.view.zoom / 1.25f, 0.25f);
    if (ImGui::IsKeyPressed(48) || ImGui::IsKeyPressed(320)) app.view.reset();
}

void draw_header(App& app, float width, float height) {
    const float k = app.ui_scale;
    const auto panel = begin_panel("##header", ImVec2(0, 0), ImVec2(width, height), ImGuiWindowFlags_NoScrollbar);
    const float buttons_w = 468 * k;
    ImGui::SetCursorPos(ImVec2(16 * k, 10 * k));
    if (app.font_result) ImGui::PushFont(app.font_result);
    ImGui::TextColored(kAccent, "alzscan");
    if (app.font_result) ImGui::PopFont();
    // The subtitle only where it fits beside the status and the buttons.
    const float subtitle_w = ImGui::CalcTextSize("Alzheimer's-stage classification of brain-MRI slices and scans").x;
    const float status_w = 120 * k;
    if (ImGui::GetItemRectMax().x + 18 * k + subtitle_w + status_w + buttons_w + 24 * k < width) {
        ImGui::SameLine(0, 18 * k);
        ImGui::BeginGroup();
        ImGui::Dummy(ImVec2(0, 2 * k));
        ImGui::TextColored(kInk, "Alzheimer's-stage classification of brain-MRI slices and scans");
        ImGui::TextColored(kMuted, "Runs entirely in this browser: images are never uploaded.");
        ImGui::EndGroup();
    }

    // Status pill left of the buttons; the runtime details are in its tooltip and the model panel.
    ImGui::SetCursorPos(ImVec2(width - buttons_w - status_w, 22 * k));
    ImVec4 colour = app.status == StatusKind::Ready ? kGood : app.status == StatusKind::Error ? kError : kMuted;
    const char* word = app.status == StatusKind::Ready ? "Ready" : app.status == StatusKind::Error ? "Error" : "Loading…";
    ImGui::TextColored(colour, "● %s", word);
    if (ImGui::IsItemHovered()) {
        const std::string& tip = app.status == StatusKind::Error ? app.status_text : app.runtime_text;
        if (!tip.empty()) ImGui::SetTooltip("%s", tip.c_str());
    }

    ImGui::SetCursorPos(ImVec2(width - buttons_w, 16 * k));
    ImGui::PushStyleColor(ImGuiCol_Button, kAccent);
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(0.12f, 0.43f, 0.78f, 1));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImVec4(0.06f, 0.30f, 0.58f, 1));
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 1, 1, 1));
    ImGui::BeginDisabled(app.status != StatusKind::Ready);
    if (ImGui::Button("Open files…", ImVec2(130 * k, 34 * k))) js_open_file_picker();
    ImGui::SameLine();
    if (ImGui::Button("Open folder…", ImVec2(130 * k, 34 * k))) js_open_folder_picker();   // a DICOM series
    ImGui::EndDisabled();
    ImGui::PopStyleColor(4);
    ImGui::SameLine();
    ImGui::BeginDisabled(app.batch.size() == 0);
    if (ImGui::Button("Export CSV", ImVec2(110 * k, 34 * k))) js_download_csv(app.batch.to_csv(app.model.spec.class_names).c_str());
    ImGui::SameLine();
    if (ImGui::Button("Clear", ImVec2(70 * k, 34 * k))) clear_batch(app);
    ImGui::EndDisabled();
}

void draw_notice(App& app, float y, float width, float height) {
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    dl->AddRectFilled(ImVec2(0, y), ImVec2(width, y + height), kNoticeBg);
    dl->AddLine(ImVec2(0, y + height - 1), ImVec2(width, y + height - 1), kNoticeBorder);
    const char* text =
        "Research and education demo — not a medical device and not a diagnosis. Trained on one public "
        "dataset of OASIS-1-derived slices; a scan's verdict combines its slices (MODEL_CARD.md: per person).";
    if (ImGui::CalcTextSize(text).x + 56 * app.ui_scale > width)
        text = "Research and education demo — not a medical device and not a diagnosis.";
    float th = ImGui::GetTextLineHeight();
    dl->AddText(ImVec2(16 * app.ui_scale, y + (height - th) * 0.5f), IM_COL32(102, 72, 0, 255), "⚠");
    dl->AddText(ImVec2(40 * app.ui_scale, y + (height - th) * 0.5f), IM_COL32(82, 58, 0, 255), text);
}

void draw_gallery(App& app, ImVec2 pos, ImVec2 size) {
    const auto panel = begin_panel("##samples", pos, size);
    heading(app, "Sample slices");
    ImGui::PushTextWrapPos(0);
    // assemble_web.sh picks them from the SUBJECTS.tsv fold the shipped model held out.
    ImGui::TextColored(kMuted, "Slices of people the model never saw in training (its held-out fold); true label below.");
    ImGui::PopTextWrapPos();
    ImGui::Spacing();
    if (app.gallery.empty()) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(kMuted, "%s", app.gallery_note.c_str());
        ImGui::PopTextWrapPos();
        return;
    }
    const float k = app.ui_scale;
    const GalleryGrid grid = gallery_grid(ImGui::GetContentRegionAvail().x, k);
    const float cell = grid.cell;
    for (int i = 0; i < static_cast<int>(app.gallery.size()); ++i) {
        GalleryEntry& g = app.gallery[i];
        if (i % grid.columns != 0) ImGui::SameLine(0, grid.spacing);
        ImGui::BeginGroup();
        ImGui::PushID(i);
        bool clicked;
        if (g.texture) {
            clicked = ImGui::ImageButton(tex_id(g.texture), ImVec2(cell - 6 * k, cell - 6 * k), ImVec2(0, 0), ImVec2(1, 1),
                                         static_cast<int>(3 * k));
        } else {
            clicked = ImGui::Button("…", ImVec2(cell, cell));
        }
        if (clicked) js_open_gallery(i);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Classify %s (true label: %s)", g.file.c_str(), g.label.c_str());
        std::string label = short_class(g.label);
        ImGui::TextColored(kMuted, "%s", label.c_str());
        ImGui::PopID();
        ImGui::EndGroup();
    }
}

bool is_headline_metric(const std::string& key) {
    return key == "accuracy" || key == "balanced_accuracy" || key == "macro_f1" || key == "ece" || key == "count";
}

const char* metric_label(const std::string& key) {
    static const std::pair<const char*, const char*> kLabels[] = {
        {"accuracy", "Accuracy"}, {"balanced_accuracy", "Balanced accuracy"}, {"macro_f1", "Macro-F1"},
        {"weighted_f1", "Weighted F1"}, {"macro_precision", "Macro precision"}, {"macro_recall", "Macro recall"},
        {"ece", "Calibration error (ECE)"}, {"log_loss", "Log loss"}, {"loss", "Loss"}, {"count", "Test images"}};
    for (const auto& [k, label] : kLabels)
        if (key == k) return label;
    return key.c_str();
}

std::string metric_value(const std::string& key, double v) {
    char buf[48];
    bool percent = v >= 0 && v <= 1 && key.find("loss") == std::string::npos && key != "ece" &&
                   key.find("count") == std::string::npos;
    if (percent)
        std::snprintf(buf, sizeof buf, "%.1f %%", v * 100.0);
    else
        std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

void draw_model_panel(App& app, ImVec2 pos, ImVec2 size) {
    const auto panel = begin_panel("##model", pos, size);
    heading(app, "Model");
    if (!app.model_ok || app.status == StatusKind::Error) {
        ImGui::PushTextWrapPos(0);
        if (app.status == StatusKind::Error)
            ImGui::TextColored(kError, "%s", app.status_text.c_str());
        else if (!app.model_error.empty())
            ImGui::TextColored(kError, "%s", app.model_error.c_str());
        else
            ImGui::TextColored(kMuted, "Loading model.json…");
        ImGui::PopTextWrapPos();
        return;
    }
    const ModelInfo& m = app.model;
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(kInk, "%s", m.name.c_str());
    if (m.spec.conform.enabled)
        ImGui::TextColored(kMuted, "Input %d×%d gray, brain conformed to the training framing", m.spec.width, m.spec.height);
    else
        ImGui::TextColored(kMuted, "Input %d×%d gray, %s resize", m.spec.width, m.spec.height, m.spec.resize.c_str());
    ImGui::TextColored(kMuted, "Normalise (p/255 − %.3g) / %.3g", m.spec.mean, m.spec.std);
    ImGui::PopTextWrapPos();
    ImGui::Spacing();
    if (!m.test_metrics.empty()) {
        // "fold": a fold of people held out (SUBJECTS.tsv); any other split shares people with train.
        const bool unseen_people = m.split == "fold";
        std::string split = m.split.empty() ? std::string("unnamed") : m.split;
        if (unseen_people)
            ImGui::TextColored(kInk, "Test: people never seen");
        else
            ImGui::TextColored(kInk, "Test metrics, %s split", split.c_str());
        if (auto table = ImGuiTableScope("##metrics", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
            for (const auto& [key, value] : m.test_metrics) {
                if (!is_headline_metric(key)) continue;  // the rest are under "Details"
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextColored(kMuted, "%s", metric_label(key));
                ImGui::TableNextColumn();
                ImGui::TextColored(kInk, "%s", metric_value(key, value).c_str());
            }
        }
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(kMuted, "%s", unseen_people
                                             ? "Per slice, on the slices of the held-out people; per person: MODEL_CARD.md."
                                             : "Per slice, on test slices of people also in training: not a new person's result.");
        ImGui::PopTextWrapPos();
    } else {
        ImGui::TextColored(kMuted, "model.json lists no test metrics.");
    }
    if (!m.model_rows.empty() && ImGui::TreeNode("Details")) {
        if (!m.test_recall.empty()) {
            ImGui::Spacing();
            ImGui::TextColored(kInk, "Recall per class (95 %% CI, n)");
            if (auto table = ImGuiTableScope("##recall", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
                for (const auto& r : m.test_recall) {
                    ImGui::TableNextRow();
                    ImGui::TableNextColumn();
                    ImGui::TextColored(kMuted, "%s", short_class(r.name).c_str());
                    ImGui::TableNextColumn();
                    ImGui::TextColored(kInk, "%.0f %%", r.recall * 100.0);
                    ImGui::TableNextColumn();
                    ImGui::TextColored(kMuted, "%.0f–%.0f, %lld", r.ci_low * 100.0, r.ci_high * 100.0, r.support);
                }
            }
        }

        for (const auto& [key, value] : m.test_metrics)
            if (!is_headline_metric(key))
                ImGui::TextColored(kMuted, "test %s: %s", metric_label(key), metric_value(key, value).c_str());
        for (const auto& [k, v] : m.model_rows) ImGui::TextColored(kMuted, "%s: %s", k.c_str(), v.c_str());
        for (const auto& [k, v] : m.training_rows) ImGui::TextColored(kMuted, "%s: %s", k.c_str(), v.c_str());
        if (!m.onnx_sha256.empty()) ImGui::TextColored(kMuted, "onnx sha256: %.16s…", m.onnx_sha256.c_str());
        ImGui::TreePop();
    }
}

// A class's colour in the slice strip (model.json class order; more classes reuse them).
ImU32 class_colour(int index) {
    static const ImU32 colours[] = {IM_COL32(230, 126, 34, 255), IM_COL32(192, 57, 43, 255),
                                    IM_COL32(39, 174, 96, 255), IM_COL32(241, 196, 15, 255)};
    return index < 0 ? IM_COL32(120, 120, 120, 255) : colours[index % 4];
}

// The slices of scan `scan` in stack order: a thumbnail each, framed in its predicted class's colour
// (grey while classifying or failed); a click shows that slice. Before them, the scan's verdict.
void draw_slice_strip(App& app, int scan, float height) {
    const float k = app.ui_scale;
    const ScanItem* verdict = nullptr;
    std::vector<const ScanItem*> slices;
    for (const ScanItem& it : app.batch.items())
        if (it.scan == scan && it.verdict) verdict = &it;
        else if (it.scan == scan) slices.push_back(&it);
    const auto strip = ImGuiChildScope("##strip", ImVec2(0, height), false, ImGuiWindowFlags_HorizontalScrollbar);
    if (verdict && verdict->predicted >= 0 && verdict->ood.flag)
        ImGui::TextColored(kError, "Scan of %zu slices: not classified: %s", slices.size(), verdict->ood.reason.c_str());
    else if (verdict && verdict->predicted >= 0)
        ImGui::TextColored(kInk, "Scan of %zu slices: %s %.1f %%", slices.size(), pretty_class(class_name(app, verdict->predicted)).c_str(),
                           100.0 * verdict->probabilities[verdict->predicted]);
    else
        ImGui::TextColored(kMuted, "Scan of %zu slices: classifying…", slices.size());
    if (verdict && !verdict->note.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(kMuted, "· %s", verdict->note.c_str());
    }
    const float side = std::max(16.0f * k, height - ImGui::GetTextLineHeightWithSpacing() - 14 * k);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (size_t i = 0; i < slices.size(); ++i) {
        const ScanItem& it = *slices[i];
        if (i) ImGui::SameLine(0, 3 * k);
        ImGui::PushID(it.id);
        const ImVec2 p = ImGui::GetCursorScreenPos();
        if (ImGui::InvisibleButton("##slice", ImVec2(side, side))) {
            app.selected_id = it.id;
            app.scroll_to_selected = true;
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", it.name.c_str());
        if (it.texture) dl->AddImage(tex_id(it.texture), ImVec2(p.x + 2 * k, p.y + 2 * k), ImVec2(p.x + side - 2 * k, p.y + side - 2 * k));
        const bool shown = it.id == app.selected_id;
        dl->AddRect(p, ImVec2(p.x + side, p.y + side), class_colour(it.status == ScanStatus::Done && !it.ood.flag ? it.predicted : -1), 0.0f, 0,
                    (shown ? 3.0f : 1.5f) * k);
        ImGui::PopID();
    }
}

// The activation map overlay (shared/cam.h cam_picture, as `alzscan predict --cam` draws it), rebuilt
// when its class or opacity changes.

void update_cam_texture(App& app, ScanItem& item, int cls) {
    if (item.cam_texture && item.cam_texture_class == cls && item.cam_texture_opacity == app.cam_opacity) return;
    delete_texture(item.cam_texture);
    const size_t hw = static_cast<size_t>(item.cam_height) * item.cam_width;
    const CamPicture pic = cam_picture(GrayImage{item.prepared_width, item.prepared_height, item.prepared},
                                       item.cam.data() + static_cast<size_t>(cls) * hw, item.cam_width, item.cam_height,
                                       app.cam_opacity);
    item.cam_texture = upload_rgba_texture(pic.rgba.data(), pic.width, pic.height);
    item.cam_texture_class = cls;
    item.cam_texture_opacity = app.cam_opacity;
}

// Toggle, opacity and class for the selected item's activation map; true when the overlay is shown.
bool draw_cam_controls(App& app, ScanItem& item) {
    if (item.cam.empty() || item.prepared.empty() || item.status != ScanStatus::Done) return false;
    const float k = app.ui_scale;
    ImGui::PushStyleColor(ImGuiCol_FrameBg, ImVec4(0.86f, 0.89f, 0.93f, 1));   // as the batch panel's checkbox
    ImGui::PushStyleColor(ImGuiCol_FrameBgHovered, ImVec4(0.78f, 0.84f, 0.92f, 1));
    ImGui::PushStyleColor(ImGuiCol_CheckMark, kAccent);
    ImGui::Checkbox("Activation map", &app.show_cam);
    ImGui::PopStyleColor(3);
    if (!app.show_cam) return false;
    const int classes = static_cast<int>(item.cam.size() / (static_cast<size_t>(item.cam_height) * item.cam_width));
    ImGui::SameLine();
    ImGui::SetNextItemWidth(120 * k);
    ImGui::SliderFloat("opacity", &app.cam_opacity, 0.0f, 1.0f, "%.2f");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(190 * k);
    const int cls = app.cam_class >= 0 && app.cam_class < classes ? app.cam_class : item.predicted;
    if (cls < 0 || cls >= classes) return false;
    if (auto combo = ImGuiComboScope("##cam_class", pretty_class(class_name(app, cls)).c_str())) {
        if (ImGui::Selectable("the predicted class", app.cam_class < 0)) app.cam_class = -1;
        for (int c = 0; c < classes; ++c)
            if (ImGui::Selectable(pretty_class(class_name(app, c)).c_str(), app.cam_class == c)) app.cam_class = c;
    }
    update_cam_texture(app, item, cls);
    ImGui::TextColored(kMuted, "Where the evidence for %s lies, over the slice as the model sees it (%d×%d map)",
                       pretty_class(class_name(app, cls)).c_str(), item.cam_width, item.cam_height);
    return item.cam_texture != 0;
}

void draw_scan_view(App& app, ImVec2 pos, ImVec2 size) {
    const auto panel = begin_panel("##scan", pos, size, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    ScanItem* item = app.selected();
    if (!item) {
        heading(app, "Scan");
        ImVec2 avail = ImGui::GetContentRegionAvail();
        if (app.status == StatusKind::Error) {
            ImGui::SetCursorPosY(ImGui::GetCursorPosY() + avail.y * 0.35f);
            ImGui::PushTextWrapPos(0);
            ImGui::TextColored(kError, "The app cannot classify yet:");
            ImGui::TextColored(kInk, "%s", app.status_text.c_str());
            ImGui::PopTextWrapPos();
            return;
        }
        const char* lines[] = {"Drop brain-MRI slices (PNG, JPEG), volumes (NIfTI, MGZ, Analyze)",
                               "or a DICOM folder anywhere on this page, or click “Open files…”",
                               "or “Open folder…”, or pick a sample slice on the left."};
        float y = ImGui::GetCursorPosY() + avail.y * 0.4f;
        for (const char* line : lines) {
            float tw = ImGui::CalcTextSize(line).x;
            ImGui::SetCursorPos(ImVec2(std::max(8.0f * app.ui_scale, (size.x - tw) * 0.5f), y));
            ImGui::TextColored(kMuted, "%s", line);
            y += ImGui::GetTextLineHeightWithSpacing();
        }
        return;
    }
    heading(app, item->name.c_str());
    // A slice of a scan (or its verdict): the strip of the scan's slices goes under the image.
    const float strip_h = item->scan > 0 ? 78.0f * app.ui_scale : 0.0f;
    struct StripAtEnd {
        App& app;
        int scan;
        float h;
        ~StripAtEnd() { if (scan > 0) draw_slice_strip(app, scan, h); }
    } strip_at_end{app, item->scan, strip_h};
    const bool cam_shown = draw_cam_controls(app, *item);
    if (item->verdict && item->texture)
        ImGui::TextColored(kMuted, "Left: the volume's own slice · right: what the model gets (registered, brain only, levels mapped)");
    else if (item->pose_corrected && item->texture && !cam_shown)
        ImGui::TextColored(kMuted, "Left: the file · right: what the model gets (turned into the training slices' pose, conformed)");
    else if (item->width > 0)
        ImGui::TextColored(kMuted, "%s · %d×%d px · %d channel%s, %d-bit", item->format.c_str(), item->width,
                           item->height, item->channels, item->channels == 1 ? "" : "s", item->bits);
    else
        ImGui::TextColored(kMuted, " ");
    ImVec2 origin = ImGui::GetCursorScreenPos();
    ImVec2 avail = ImGui::GetContentRegionAvail();
    const float k = app.ui_scale;
    avail.y -= ImGui::GetTextLineHeightWithSpacing() + 4 * k + strip_h;
    if (avail.x < 10 || avail.y < 10) return;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), IM_COL32(16, 18, 22, 255), 4.0f * k);

    if (item->status == ScanStatus::Failed || !item->texture) {
        ImGui::SetCursorScreenPos(ImVec2(origin.x + 20 * k, origin.y + 20 * k));
        const float local_x = origin.x - ImGui::GetWindowPos().x + 20 * k;
        ImGui::PushTextWrapPos(local_x + avail.x - 40 * k);
        if (item->status == ScanStatus::Failed) {
            ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.55f, 1), "This file could not be classified:");
            ImGui::SetCursorPosX(local_x);
            ImGui::TextColored(ImVec4(1, 1, 1, 1), "%s", item->error.c_str());
        } else if (item->restored) {
            ImGui::TextColored(ImVec4(0.8f, 0.8f, 0.8f, 1), "No preview: the app restarted after a crash; earlier files keep their results, not their images.");
        } else if (item->verdict) {
            ImGui::TextColored(ImVec4(0.8f, 0.8f, 0.8f, 1), "The scan's verdict: its slices' probabilities combined (the mean of their log-probabilities). Click a slice below to inspect it.");
            if (!item->note.empty()) {
                ImGui::SetCursorPosX(local_x);
                ImGui::TextColored(ImVec4(0.65f, 0.7f, 0.75f, 1), "%s", item->note.c_str());
            }
        } else {
            ImGui::TextColored(ImVec4(0.8f, 0.8f, 0.8f, 1), "No preview for this file.");
        }
        ImGui::PopTextWrapPos();
        ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + avail.y + 4 * k));
        return;
    }

    // Fit, then zoom about the panel centre, then pan.
    ImGui::SetCursorScreenPos(origin);
    ImGui::InvisibleButton("##canvas", avail);
    const bool hovered = ImGui::IsItemHovered();
    ImGuiIO& io = ImGui::GetIO();
    ScanView& v = app.view;
    const uint32_t texture = cam_shown ? item->cam_texture : item->texture;
    const int tex_w = cam_shown ? item->prepared_width * kCamScale : item->texture_width;
    const int tex_h = cam_shown ? item->prepared_height * kCamScale : item->texture_height;
    float fit = std::min(avail.x / tex_w, avail.y / tex_h);
    if (hovered && io.MouseWheel != 0.0f) {
        float old_zoom = v.zoom;
        v.zoom = std::clamp(v.zoom * std::pow(1.15f, io.MouseWheel), 0.25f, 32.0f);
        // Keep the point under the cursor fixed.
        ImVec2 c(origin.x + avail.x * 0.5f + v.pan_x, origin.y + avail.y * 0.5f + v.pan_y);
        float k = v.zoom / old_zoom;
        v.pan_x += (io.MousePos.x - c.x) * (1 - k);
        v.pan_y += (io.MousePos.y - c.y) * (1 - k);
    }
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) {
        v.pan_x += io.MouseDelta.x;
        v.pan_y += io.MouseDelta.y;
    }
    if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) v.reset();
    float scale = fit * v.zoom;
    float w = tex_w * scale, h = tex_h * scale;
    ImVec2 c(origin.x + avail.x * 0.5f + v.pan_x, origin.y + avail.y * 0.5f + v.pan_y);
    dl->PushClipRect(origin, ImVec2(origin.x + avail.x, origin.y + avail.y), true);
    dl->AddImage(tex_id(texture), ImVec2(c.x - w * 0.5f, c.y - h * 0.5f), ImVec2(c.x + w * 0.5f, c.y + h * 0.5f));
    dl->PopClipRect();
    char zoom_text[32];
    std::snprintf(zoom_text, sizeof zoom_text, "%.0f %%", scale / k * 100.0f);  // in CSS pixels
    dl->AddText(ImVec2(origin.x + 10 * k, origin.y + 8 * k), IM_COL32(230, 230, 230, 255), zoom_text);
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + avail.y + 4 * k));
    ImGui::TextColored(kMuted, "Wheel: zoom · drag: pan · double-click or 0: fit · ↑/↓: previous/next file");
}

void probability_bar(const char* label, float p, bool top, float width, float k) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    ImGui::TextColored(top ? kInk : kMuted, "%s", label);
    char value[16];
    std::snprintf(value, sizeof value, "%.1f %%", p * 100.0f);
    float vw = ImGui::CalcTextSize(value).x;
    ImGui::SameLine(width - vw);
    ImGui::TextColored(top ? kInk : kMuted, "%s", value);
    ImVec2 a = ImGui::GetCursorScreenPos();
    const float bar_h = 10.0f * k;
    dl->AddRectFilled(a, ImVec2(a.x + width, a.y + bar_h), kBarTrack, 3.0f * k);
    float fill = std::clamp(p, 0.0f, 1.0f) * width;
    if (fill > 0.5f) dl->AddRectFilled(a, ImVec2(a.x + fill, a.y + bar_h), top ? kBarFillTop : kBarFill, 3.0f * k);
    ImGui::Dummy(ImVec2(width, bar_h + 6 * k));
}

// A single slice whose pose the pose step changed: what it did (the slice view shows the result).
void draw_pose_note(const ScanItem& item) {
    if (item.pose_corrected)
        ImGui::TextColored(kMuted, "Pose: %s. The model got the slice in that pose (\"As the model sees it\").",
                           item.pose_reason.c_str());
}

// A scan's verdict: how its slices were made and the volume's notes (e.g. thick slices), wrapped
// here in full; beside the slice strip they share one line with the verdict.
void draw_scan_note(const ScanItem& item) {
    if (item.verdict && !item.note.empty()) ImGui::TextColored(kMuted, "This scan: %s.", item.note.c_str());
}

// A flagged input: why, and its probabilities for reference only (no class is presented).
void draw_ood_result(App& app, const ScanItem& item) {
    if (app.font_result) ImGui::PushFont(app.font_result);
    ImGui::TextColored(kError, "Not classified");
    if (app.font_result) ImGui::PopFont();
    ImGui::TextColored(kInk, "This input is not what the model knows: %s.", item.ood.reason.c_str());
    draw_pose_note(item);
    draw_scan_note(item);
    ImGui::TextColored(kMuted, "Out-of-distribution score %.2f (over 1 flags; thresholds set so that about 1 %% of real "
                               "slices of people the model never saw are flagged). The model was trained on axial "
                               "T1-weighted slices of one dataset only.", item.ood.score);
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::TextColored(kMuted, "Its probabilities, for reference only:");
    const float width = ImGui::GetContentRegionAvail().x;
    for (int c = 0; c < static_cast<int>(item.probabilities.size()); ++c)
        probability_bar(pretty_class(class_name(app, c)).c_str(), item.probabilities[c], false, width, app.ui_scale);
}

ImU32 rgb_colour(const std::array<uint8_t, 3>& c, int alpha) { return IM_COL32(c[0], c[1], c[2], alpha); }

// The chart's plot: bands (10-90 %) and medians of the training people by class, the scan's points
// (shared/ atrophy_chart: the same geometry as `alzscan predict --show`'s SVG).
void draw_atrophy_plot(const alzscan::AtrophyChart& chart, float width, float height, float k) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float x0 = o.x + 34 * k, x1 = o.x + width - 2 * k, y0 = o.y + 4 * k, y1 = o.y + height - 4 * k;
    const auto at = [&](const alzscan::ChartPoint& p) { return ImVec2(x0 + float(p.x) * (x1 - x0), y1 - float(p.y) * (y1 - y0)); };
    dl->AddRectFilled(ImVec2(x0, y0), ImVec2(x1, y1), IM_COL32(255, 255, 255, 255));
    for (const double t : chart.y_ticks) {
        const float y = y1 - float((t - chart.y_min) / (chart.y_max - chart.y_min)) * (y1 - y0);
        dl->AddLine(ImVec2(x0, y), ImVec2(x1, y), IM_COL32(226, 231, 238, 255));
        char label[16];
        std::snprintf(label, sizeof label, "%.2f", t);
        dl->AddText(ImVec2(o.x, y - ImGui::GetTextLineHeight() * 0.5f), ImGui::GetColorU32(kMuted), label);
    }
    for (const alzscan::AtrophyChartSeries& s : chart.classes) {
        for (size_t i = 0; i + 1 < s.low.size(); ++i)
            dl->AddQuadFilled(at(s.high[i]), at(s.high[i + 1]), at(s.low[i + 1]), at(s.low[i]), rgb_colour(s.rgb, 46));
        std::vector<ImVec2> median;
        for (const alzscan::ChartPoint& p : s.median) median.push_back(at(p));
        dl->AddPolyline(median.data(), int(median.size()), rgb_colour(s.rgb, 255), 0, 2.0f * k);
    }
    std::vector<ImVec2> person;
    for (const alzscan::ChartPoint& p : chart.person) person.push_back(at(p));
    const ImU32 blue = IM_COL32(0, 114, 178, 255);
    dl->AddPolyline(person.data(), int(person.size()), blue, 0, 2.5f * k);
    for (const ImVec2& p : person) dl->AddCircleFilled(p, 4.0f * k, blue);
    dl->AddRect(ImVec2(x0, y0), ImVec2(x1, y1), IM_COL32(152, 162, 179, 255));
    ImGui::Dummy(ImVec2(width, height));
}

// Beside the verdict of a lone file or a scan: its CSF fraction against the training people's, in
// words and as a chart; the result panel records what it drew (App::chart_drawn).
void draw_atrophy(App& app, const ScanItem& item) {
    if (!item.has_atrophy || !app.model.atrophy.enabled()) return;
    const alzscan::AtrophyChart chart = alzscan::atrophy_chart(app.model.atrophy, &item.atrophy);
    const float k = app.ui_scale, width = ImGui::GetContentRegionAvail().x;
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::TextColored(kInk, "Atrophy evidence");
    ImGui::TextColored(kMuted, "%s.", chart.caption.c_str());
    draw_atrophy_plot(chart, width, 150 * k, k);
    ImGui::TextColored(kMuted, "CSF fraction of the brain by slice position, inferior → superior. Bands: 10–90 %% of "
                               "the training people of each class, line: their median; blue: this %s.",
                       item.verdict ? "scan" : "slice");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (const alzscan::AtrophyChartSeries& s : chart.classes) {
        const ImVec2 a = ImGui::GetCursorScreenPos();
        const float h = ImGui::GetTextLineHeight();
        dl->AddRectFilled(ImVec2(a.x, a.y + h * 0.25f), ImVec2(a.x + 14 * k, a.y + h * 0.75f), rgb_colour(s.rgb, 255));
        ImGui::Dummy(ImVec2(18 * k, h));
        ImGui::SameLine();
        ImGui::TextColored(kMuted, "%s", s.label.c_str());
    }
    app.chart_drawn = {item.id, int(chart.classes.size()), int(chart.person.size()), chart.caption};
}

void draw_result(App& app, ImVec2 pos, ImVec2 size) {
    const auto panel = begin_panel("##result", pos, size);
    heading(app, "Result");
    app.chart_drawn = {};
    ScanItem* item = app.selected();
    ImGui::PushTextWrapPos(0);
    if (!item) {
        ImGui::TextColored(kMuted, "No file selected.");
    } else if (item->status == ScanStatus::Failed) {
        ImGui::TextColored(kError, "Not classified");
        ImGui::Spacing();
        ImGui::TextColored(kInk, "%s", item->error.c_str());
    } else if (item->status == ScanStatus::Preprocessed) {
        ImGui::TextColored(kMuted, "Classifying…");
    } else if (item->ood.flag) {
        draw_ood_result(app, *item);
    } else {
        ImGui::TextColored(kMuted, "Predicted class");
        if (app.font_result) ImGui::PushFont(app.font_result);
        ImGui::TextColored(kAccent, "%s", pretty_class(class_name(app, item->predicted)).c_str());
        if (app.font_result) ImGui::PopFont();
        ImGui::TextColored(kMuted, app.model.temperature != 1.0
                                       ? "Model confidence %.1f %% (calibrated on validation people; not a probability of disease)"
                                       : "Model confidence %.1f %% (not a calibrated probability of disease)",
                           item->probabilities[item->predicted] * 100.0f);
        if (!item->true_label.empty()) {
            bool match = item->true_label == class_name(app, item->predicted);
            ImGui::TextColored(match ? kGood : kError, "%s True label: %s", match ? "✓" : "✗",
                               pretty_class(item->true_label).c_str());
        }
        // How often this class was recognised on the held-out test split (model.json).
        for (const auto& r : app.model.test_recall) {
            if (r.name != class_name(app, item->predicted) || r.support <= 0) continue;
            ImGui::TextColored(kMuted, "On the test split the model recognised %.0f %% of %s slices (95 %% CI %.0f–%.0f %%, n = %lld).",
                               r.recall * 100.0, pretty_class(r.name).c_str(), r.ci_low * 100.0, r.ci_high * 100.0, r.support);
        }
        // Inputs unlike the training data still get an answer; say plainly when it means little.
        const PreprocessSpec& spec = app.model.spec;
        if (item->width > 0 && (item->width * 2 < spec.width || item->height * 2 < spec.height))
            ImGui::TextColored(kError, "⚠ This image is %d×%d px, far smaller than the model's %d×%d input: the result is not meaningful.",
                               item->width, item->height, spec.width, spec.height);
        else if (item->channels >= 3)
            ImGui::TextColored(kMuted, "Colour image: converted to gray (BT.601). The model was trained on gray MRI slices only.");
        draw_pose_note(*item);
        draw_scan_note(*item);
        ImGui::Spacing();
        ImGui::Separator();
        ImGui::Spacing();
        const float width = ImGui::GetContentRegionAvail().x;
        for (int c = 0; c < static_cast<int>(item->probabilities.size()); ++c) {
            std::string label = pretty_class(class_name(app, c));
            probability_bar(label.c_str(), item->probabilities[c], c == item->predicted, width, app.ui_scale);
        }
        draw_atrophy(app, *item);
        ImGui::Separator();
        ImGui::TextColored(kMuted, "Decode + preprocess (WASM)  %.2f ms", item->preprocess_ms);
        ImGui::TextColored(kMuted, "Inference (ONNX Runtime)  %.2f ms", item->inference_ms);
        if (!app.runtime_text.empty()) ImGui::TextColored(kMuted, "%s, on this computer", app.runtime_text.c_str());
    }
    ImGui::PopTextWrapPos();
}

void draw_batch(App& app, ImVec2 pos, ImVec2 size) {
    const auto panel = begin_panel("##batch", pos, size, ImGuiWindowFlags_NoScrollbar);
    char title[96];
    std::snprintf(title, sizeof title, "Batch  ·  %d file%s, %d classified, %d error%s", app.batch.size(),
                  app.batch.size() == 1 ? "" : "s", app.batch.done_count(), app.batch.failed_count(),
                  app.batch.failed_count() == 1 ? "" : "s");
    heading(app, title);
    // Several files opened or dropped at once: each its own result, or one person's scan.
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), ImGui::GetWindowWidth() - 330 * app.ui_scale));
    ImGui::PushStyleColor(ImGuiCol_FrameBg, ImVec4(0.86f, 0.89f, 0.93f, 1));
    ImGui::PushStyleColor(ImGuiCol_FrameBgHovered, ImVec4(0.78f, 0.84f, 0.92f, 1));
    ImGui::PushStyleColor(ImGuiCol_CheckMark, kAccent);
    ImGui::Checkbox("Files opened together are one scan", &app.one_scan);
    ImGui::PopStyleColor(3);
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_SizingStretchProp;
    if (auto table = ImGuiTableScope("##batch_table", 7, flags, ImGui::GetContentRegionAvail())) {
        ImGui::TableSetupScrollFreeze(0, 1);
        const float k = app.ui_scale;
        ImGui::TableSetupColumn("#", ImGuiTableColumnFlags_WidthFixed, 34 * k);
        ImGui::TableSetupColumn("File", ImGuiTableColumnFlags_WidthStretch, 2.2f);
        ImGui::TableSetupColumn("Predicted", ImGuiTableColumnFlags_WidthStretch, 1.6f);
        ImGui::TableSetupColumn("Confidence", ImGuiTableColumnFlags_WidthFixed, 96 * k);
        ImGui::TableSetupColumn("True label", ImGuiTableColumnFlags_WidthStretch, 1.4f);
        ImGui::TableSetupColumn("ms", ImGuiTableColumnFlags_WidthFixed, 64 * k);
        ImGui::TableSetupColumn("Message", ImGuiTableColumnFlags_WidthStretch, 3.0f);
        ImGui::TableHeadersRow();
        int row = 0;
        for (ScanItem& item : app.batch.items()) {
            ++row;
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::PushID(item.id);
            bool selected = item.id == app.selected_id;
            char num[16];
            std::snprintf(num, sizeof num, "%d", row);
            if (ImGui::Selectable(num, selected, ImGuiSelectableFlags_SpanAllColumns)) {
                app.selected_id = item.id;
                app.view.reset();
            }
            if (selected && app.scroll_to_selected) {
                ImGui::SetScrollHereY(0.5f);
                app.scroll_to_selected = false;
            }
            ImGui::PopID();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(item.name.c_str());
            ImGui::TableNextColumn();
            if (item.status == ScanStatus::Done && item.ood.flag)
                ImGui::TextColored(kError, "not classified");
            else if (item.status == ScanStatus::Done)
                ImGui::TextColored(kInk, "%s", pretty_class(class_name(app, item.predicted)).c_str());
            else if (item.status == ScanStatus::Failed)
                ImGui::TextColored(kError, "error");
            else
                ImGui::TextColored(kMuted, "classifying…");
            ImGui::TableNextColumn();
            if (item.status == ScanStatus::Done && !item.ood.flag)
                ImGui::Text("%.1f %%", item.probabilities[item.predicted] * 100.0f);
            ImGui::TableNextColumn();
            if (!item.true_label.empty()) ImGui::TextColored(kMuted, "%s", pretty_class(item.true_label).c_str());
            ImGui::TableNextColumn();
            if (item.status == ScanStatus::Done) ImGui::Text("%.1f", item.preprocess_ms + item.inference_ms);
            ImGui::TableNextColumn();
            if (item.status == ScanStatus::Failed) ImGui::TextColored(kError, "%s", item.error.c_str());
            else if (item.ood.flag) ImGui::TextColored(kError, "%s", item.ood.reason.c_str());
        }
    }
}

}  // namespace

void apply_style(App& app) {
    ImGuiIO& io = ImGui::GetIO();
    if (!app.font_ttf.empty()) {
        static const ImWchar ranges[] = {0x0020, 0x00FF, 0x0394, 0x0394, 0x2010, 0x2027, 0x2190, 0x2193,
                                         0x2212, 0x2212, 0x2264, 0x2265, 0x25CF, 0x25CF, 0x26A0, 0x26A0,
                                         0x2713, 0x2717, 0};
        ImFontConfig cfg;
        cfg.FontDataOwnedByAtlas = false;  // App::font_ttf keeps the bytes
        cfg.OversampleH = 2;
        auto* data = app.font_ttf.data();
        int size = static_cast<int>(app.font_ttf.size());
        const float k = app.ui_scale;
        app.font_body = io.Fonts->AddFontFromMemoryTTF(data, size, 17.0f * k, &cfg, ranges);
        app.font_heading = io.Fonts->AddFontFromMemoryTTF(data, size, 20.0f * k, &cfg, ranges);
        app.font_result = io.Fonts->AddFontFromMemoryTTF(data, size, 28.0f * k, &cfg, ranges);
    } else {
        ImFontConfig cfg;
        cfg.SizePixels = 13.0f;
        app.font_body = io.Fonts->AddFontDefault(&cfg);
        io.FontGlobalScale = 1.25f * app.ui_scale;
    }

    ImGui::StyleColorsLight();
    ImGuiStyle& s = ImGui::GetStyle();
    s.WindowRounding = 6.0f;
    s.FrameRounding = 4.0f;
    s.GrabRounding = 4.0f;
    s.WindowBorderSize = 1.0f;
    s.WindowPadding = ImVec2(14, 12);
    s.FramePadding = ImVec2(10, 6);
    s.ItemSpacing = ImVec2(8, 6);
    s.CellPadding = ImVec2(6, 4);
    s.ScrollbarSize = 12.0f;
    ImVec4* c = s.Colors;
    c[ImGuiCol_Text] = kInk;
    c[ImGuiCol_TextDisabled] = kMuted;
    c[ImGuiCol_WindowBg] = ImVec4(1, 1, 1, 1);
    c[ImGuiCol_Border] = ImVec4(0.84f, 0.87f, 0.91f, 1);
    c[ImGuiCol_Button] = ImVec4(0.90f, 0.92f, 0.95f, 1);
    c[ImGuiCol_ButtonHovered] = ImVec4(0.82f, 0.87f, 0.94f, 1);
    c[ImGuiCol_ButtonActive] = ImVec4(0.74f, 0.81f, 0.91f, 1);
    c[ImGuiCol_Header] = ImVec4(0.80f, 0.87f, 0.97f, 1);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.87f, 0.91f, 0.97f, 1);
    c[ImGuiCol_HeaderActive] = ImVec4(0.74f, 0.83f, 0.96f, 1);
    c[ImGuiCol_TableHeaderBg] = ImVec4(0.94f, 0.95f, 0.97f, 1);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(0.975f, 0.98f, 0.99f, 1);
    s.ScaleAllSizes(app.ui_scale);  // paddings, spacings, roundings, scrollbar in device pixels
}

// While a long step runs (a head volume's registration): a card over the scan view with what runs
// and its bar. Each frame's fraction is kept for alzscan_app_progress_drawn.
void draw_progress(App& app, ImVec2 pos, ImVec2 size) {
    if (app.progress < 0 || app.status != StatusKind::Loading) return;
    const float k = app.ui_scale, w = std::min(size.x - 32 * k, 440 * k), h = 76 * k;
    const ImVec2 a(pos.x + (size.x - w) * 0.5f, pos.y + (size.y - h) * 0.5f), b(a.x + w, a.y + h);
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    dl->AddRectFilled(a, b, IM_COL32(255, 255, 255, 245), 6 * k);
    dl->AddRect(a, b, ImGui::GetColorU32(kMuted), 6 * k);
    const float f = std::clamp(app.progress, 0.0f, 1.0f);
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f %%", f * 100.0f);
    dl->PushClipRect(a, b, true);
    dl->AddText(ImVec2(a.x + 16 * k, a.y + 14 * k), ImGui::GetColorU32(kInk), app.status_text.c_str());
    dl->PopClipRect();
    const ImVec2 bar0(a.x + 16 * k, a.y + 44 * k), bar1(b.x - 64 * k, a.y + 58 * k);
    dl->AddRectFilled(bar0, bar1, IM_COL32(226, 232, 240, 255), 3 * k);
    dl->AddRectFilled(bar0, ImVec2(bar0.x + (bar1.x - bar0.x) * f, bar1.y), ImGui::GetColorU32(kAccent), 3 * k);
    dl->AddText(ImVec2(bar1.x + 10 * k, bar0.y - 1 * k), ImGui::GetColorU32(kMuted), pct);
    // Kept for a reader that may never come (the page reads it in tests only): the latest frames.
    if (app.progress_drawn.size() >= kProgressDrawnKept)
        app.progress_drawn.erase(app.progress_drawn.begin(), app.progress_drawn.begin() + kProgressDrawnKept / 2);
    app.progress_drawn.push_back(f);
}

void draw_ui(App& app) {
    ImGuiIO& io = ImGui::GetIO();
    const float W = io.DisplaySize.x, H = io.DisplaySize.y;
    const float k = app.ui_scale;  // device pixels per CSS pixel; every size below is CSS px * k
    const float gap = 8.0f * k;
    const float header_h = 64.0f * k, notice_h = 32.0f * k;
    const float body_y = header_h + notice_h + gap;
    const float left_w = std::clamp(W * 0.21f, 250.0f * k, 330.0f * k);
    const float right_w = std::clamp(W * 0.25f, 300.0f * k, 400.0f * k);
    const float body_h = std::max(200.0f * k, H - body_y - gap);
    const float batch_h = std::clamp(body_h * 0.34f, 160.0f * k, 300.0f * k);
    const float top_h = body_h - batch_h - gap;
    const float centre_x = left_w + 2 * gap;
    const float centre_w = std::max(200.0f * k, W - left_w - right_w - 4 * gap);
    const float gallery_h = gallery_panel_height(app, left_w, body_h);

    handle_keys(app);
    draw_header(app, W, header_h);
    draw_notice(app, header_h, W, notice_h);
    draw_gallery(app, ImVec2(gap, body_y), ImVec2(left_w, gallery_h));
    draw_model_panel(app, ImVec2(gap, body_y + gallery_h + gap), ImVec2(left_w, body_h - gallery_h - gap));
    draw_scan_view(app, ImVec2(centre_x, body_y), ImVec2(centre_w, top_h));
    draw_result(app, ImVec2(centre_x + centre_w + gap, body_y), ImVec2(right_w, top_h));
    draw_batch(app, ImVec2(centre_x, body_y + top_h + gap), ImVec2(W - centre_x - gap, batch_h));
    draw_progress(app, ImVec2(centre_x, body_y), ImVec2(centre_w, top_h));
}

}  // namespace alzscan::web
