#!/usr/bin/env bash
# Installs what alzscan needs on Debian 12. Idempotent: each step checks first.
#   scripts/setup.sh          everything: trainer, tests, benchmarks, the browser app
#   scripts/setup.sh --demo   only what `make demo` needs: Emscripten, JSON headers, the template
#                             (mricron-data), the sources of Dear ImGui, the image codecs and GDCM,
#                             ONNX Runtime Web (no LibTorch, no test tools, no browser)
# Called by the Makefile when its stamp (build/.setup-done or build/.setup-demo-done) is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=all
case "${1:-}" in
  "") ;;
  --demo) profile=demo ;;
  *) echo "setup: unknown argument '$1' (expected nothing or --demo)" >&2; exit 2 ;;
esac

# The browser app: Emscripten (with its clang and node), the build tools, JSON headers, the font,
# the registration template (mricron-data's Colin27: shared/ registration.h).
DEMO_PACKAGES=(
  cmake ninja-build ca-certificates dpkg-dev emscripten nlohmann-json3-dev
  fonts-dejavu-core fonttools mricron-data
)
# The rest: the LibTorch trainer and ONNX export, GoogleTest, the headless-browser tests, the
# Python reference of the benchmarks, real NIfTI volumes (mricron-data) and the independent NIfTI
# reader of the tests with its own fixtures (python3-nibabel); real inputs the model must refuse
# (configs/ood_corpus.json): ITK's proton-density, sagittal and other example images
# (insighttoolkit5-examples) and ordinary photos (lomiri-wallpapers); Gloo's headers, which LibTorch's
# c10d process groups include (libgloo-dev: training on several processes); the DICOM tests'
# independent references: pydicom (writes the test series, reads DICOM, ships its test files) and
# Debian's dcm2niix binary (converts the same series); GDCM's Debian package (libgdcm-dev; dicom/ builds its source).
MORE_PACKAGES=(
  build-essential ccache pkg-config git
  libtorch-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev googletest libstb-dev libopenblas0 libimgui-dev
  libjpeg62-turbo-dev libpng-dev zlib1g-dev clang-14 libclang-rt-14-dev
  chromium python3-torch python3-numpy python3-pil python3-nibabel python3-scipy
  insighttoolkit5-examples lomiri-wallpapers libgloo-dev python3-pydicom dcm2niix libgdcm-dev
)
packages=("${DEMO_PACKAGES[@]}")
[ "$profile" = all ] && packages+=("${MORE_PACKAGES[@]}")

need_apt=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

if ((${#need_apt[@]})); then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

# Debian source packages unpacked (with Debian's patches) under third_party/ (ignored) for the
# WebAssembly build. The version tried first is the source of the installed binary package named
# third (the library the native build links), then the others the archive lists, newest first,
# until one downloads (a mirror may list a security update whose sources it does not carry).
deb_src_ready=0
ensure_deb_src() {
  [ "$deb_src_ready" = 1 ] && return
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null; then
    src=/etc/apt/sources.list.d/alzscan-deb-src.sources
    # Reuse the machine's own mirror lines, only switching the type to deb-src.
    sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$src" >/dev/null
  fi
  $SUDO apt-get update -q
  deb_src_ready=1
}
fetch_debian_source() {  # source-package dest-folder file-that-proves-it [binary-package]
  local pkg=$1 dest=$2 probe=$3 bin=${4:-}
  [ -f "$dest/$probe" ] && return
  ensure_deb_src
  local versions=() v tmp
  [ -n "$bin" ] && v=$(dpkg-query -W -f='${source:Version}' "$bin" 2>/dev/null) && [ -n "$v" ] && versions+=("$v")
  mapfile -t -O "${#versions[@]}" versions < <(apt-cache showsrc "$pkg" | awk '/^Version:/ {print $2}' |
    sort -u | sort -r -V)
  tmp=$(mktemp -d)
  for v in "${versions[@]}"; do
    echo "setup: fetching Debian's source of $pkg $v (apt-get source)"
    if (cd "$tmp" && apt-get source -q --download-only "$pkg=$v" >/dev/null 2>&1 &&
        dpkg-source -x --no-check ./*.dsc src >/dev/null); then
      rm -rf "$dest" && mkdir -p "$(dirname "$dest")"
      mv "$tmp/src" "$dest"
      echo "$pkg $v" > "$dest/.alzscan-debian-source"
      rm -rf "$tmp"
      return
    fi
    rm -rf "${tmp:?}"/*
  done
  rm -rf "$tmp"
  echo "setup: could not fetch the source of $pkg from Debian's archive (tried: ${versions[*]:-none listed})" >&2
  exit 1
}

# Dear ImGui (the GLFW + OpenGL3 backends are not in libimgui-dev's headers), and the image
# decoders the native build links from Debian's -dev packages.
fetch_debian_source imgui third_party/imgui backends/imgui_impl_glfw.cpp
fetch_debian_source libjpeg-turbo third_party/libjpeg-turbo jdapimin.c libjpeg62-turbo-dev
fetch_debian_source libpng1.6 third_party/libpng png.c libpng-dev
fetch_debian_source zlib third_party/zlib inflate.c zlib1g-dev
# GDCM, the DICOM reader of dicom/ (decision 0014): both builds compile this source (Release, so
# GDCM's assertions never abort on a damaged file); libgdcm-dev names the source package.
fetch_debian_source gdcm third_party/gdcm Source/MediaStorageAndFileFormat/gdcmImageReader.cxx libgdcm-dev

# Node packages from the committed lock file (never a downloaded browser or GPU build). The demo
# needs onnxruntime-web alone (package.json "dependencies"); the tests also need the dev ones.
# node_modules/.alzscan-setup records which set is installed.
if [ -f package-lock.json ]; then
  have=$(cat node_modules/.alzscan-setup 2>/dev/null || true)
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.alzscan-setup ] ||
     { [ "$profile" = all ] && [ "$have" != all ]; }; then
    omit=()
    [ "$profile" = demo ] && omit=(--omit=dev)
    echo "setup: npm ci ${omit[*]}"
    ONNXRUNTIME_NODE_INSTALL=skip PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund "${omit[@]}"
    echo "$profile" > node_modules/.alzscan-setup
  fi
fi

mkdir -p build
touch build/.setup-demo-done
[ "$profile" = all ] && touch build/.setup-done
echo "setup: ok ($profile)"
