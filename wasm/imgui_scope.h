// wasm/imgui_scope.h: Dear ImGui windows and tables as scopes, so that no path out of a draw
// function misses its End call.
//
//   ImGuiWindowScope window("##result", ImGuiWindowFlags_NoTitleBar);   // Begin ... End at scope exit
//   if (auto table = ImGuiTableScope("##metrics", 2, flags)) { ... }    // EndTable only if it began
//   const auto strip = ImGuiChildScope("##strip", ImVec2(0, 80));      // BeginChild ... EndChild
//   if (auto combo = ImGuiComboScope("##class", "Non demented")) { ... } // EndCombo only if it opened
//
// ImGui::End must follow Begin whatever Begin returned; EndTable only a BeginTable that returned
// true. Both scopes convert to what their Begin returned.
#pragma once

#include "imgui.h"

namespace alzscan::web {

class [[nodiscard]] ImGuiWindowScope {
public:
    explicit ImGuiWindowScope(const char* name, ImGuiWindowFlags flags = 0)
        : visible_(ImGui::Begin(name, nullptr, flags)) {}
    ~ImGuiWindowScope() { ImGui::End(); }
    ImGuiWindowScope(const ImGuiWindowScope&) = delete;
    ImGuiWindowScope& operator=(const ImGuiWindowScope&) = delete;
    explicit operator bool() const { return visible_; }

private:
    bool visible_;
};

class [[nodiscard]] ImGuiTableScope {
public:
    ImGuiTableScope(const char* id, int columns, ImGuiTableFlags flags = 0, ImVec2 outer_size = ImVec2(0, 0))
        : open_(ImGui::BeginTable(id, columns, flags, outer_size)) {}
    ~ImGuiTableScope() {
        if (open_) ImGui::EndTable();
    }
    ImGuiTableScope(const ImGuiTableScope&) = delete;
    ImGuiTableScope& operator=(const ImGuiTableScope&) = delete;
    explicit operator bool() const { return open_; }

private:
    bool open_;
};

// BeginChild ... EndChild (EndChild always, whatever BeginChild returned).
class [[nodiscard]] ImGuiChildScope {
public:
    ImGuiChildScope(const char* id, ImVec2 size, bool border = false, ImGuiWindowFlags flags = 0)
        : visible_(ImGui::BeginChild(id, size, border, flags)) {}
    ~ImGuiChildScope() { ImGui::EndChild(); }
    ImGuiChildScope(const ImGuiChildScope&) = delete;
    ImGuiChildScope& operator=(const ImGuiChildScope&) = delete;
    explicit operator bool() const { return visible_; }

private:
    bool visible_;
};

// BeginCombo ... EndCombo (EndCombo only if the list opened).
class [[nodiscard]] ImGuiComboScope {
public:
    ImGuiComboScope(const char* id, const char* preview) : open_(ImGui::BeginCombo(id, preview)) {}
    ~ImGuiComboScope() {
        if (open_) ImGui::EndCombo();
    }
    ImGuiComboScope(const ImGuiComboScope&) = delete;
    ImGuiComboScope& operator=(const ImGuiComboScope&) = delete;
    explicit operator bool() const { return open_; }

private:
    bool open_;
};

}  // namespace alzscan::web
