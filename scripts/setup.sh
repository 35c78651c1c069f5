#!/usr/bin/env bash
# Installs everything alzscan needs on Debian 12. Idempotent: each step checks first.
# Called by `make setup`; `make test`/`make demo` call it when a stamp is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates dpkg-dev
  libtorch-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev googletest nlohmann-json3-dev libstb-dev libopenblas0
  emscripten libimgui-dev
  chromium fonts-dejavu-core fonttools python3-torch python3-numpy python3-pil
)

need_apt=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

if ((${#need_apt[@]})); then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# Dear ImGui sources for the WebAssembly build (the GLFW + OpenGL3 backends are not in
# libimgui-dev's headers). Debian's source package, unpacked under third_party/imgui (ignored).
if [ ! -f third_party/imgui/imgui.cpp ] || [ ! -f third_party/imgui/backends/imgui_impl_glfw.cpp ]; then
  echo "setup: fetching Dear ImGui sources (apt-get source imgui)"
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
    src=/etc/apt/sources.list.d/alzscan-deb-src.sources
    # Reuse the machine's own mirror lines, only switching the type to deb-src.
    sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$src" >/dev/null
    $SUDO apt-get update -q
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get source -q --download-only imgui && dpkg-source -x --no-check imgui_*.dsc imgui-src >/dev/null)
  rm -rf third_party/imgui && mkdir -p third_party
  mv "$tmp/imgui-src" third_party/imgui
  rm -rf "$tmp"
fi

# Node packages from the committed lock file (never a downloaded browser or GPU build).
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: npm ci"
    ONNXRUNTIME_NODE_INSTALL=skip PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
fi

mkdir -p build && touch build/.setup-done
echo "setup: ok"
