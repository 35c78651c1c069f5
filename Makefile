# alzscan: a thin wrapper over scripts/, CMake, ctest and node.
#   make demo   build the browser app alone and serve it on http://127.0.0.1:$(PORT)
#   make test   every test suite (native, WebAssembly, node, headless Chromium)
#   make help   every target, a line each
# Each installs what it needs first (scripts/setup.sh: --demo for the app alone, else everything).

BUILD      ?= build
WASM_BUILD ?= build-wasm
WEB_OUT    ?= $(BUILD)/web
DATA       ?= ../shared/data/alzheimer_mri
PORT       ?= 8080
JOBS       ?= $(shell nproc)
CTEST_ARGS ?= --output-on-failure

# Debian's emscripten needs Debian's node modules; our node is not Debian's.
export NODE_PATH := /usr/share/nodejs
export OMP_WAIT_POLICY ?= PASSIVE

SETUP_STAMP := $(BUILD)/.setup-done
DEMO_STAMP  := $(BUILD)/.setup-demo-done
ALZSCAN     := $(BUILD)/native/alzscan

.PHONY: all setup setup-demo build native wasm wasm-app web web-demo sanitize build-beside-tests test test-native test-wasm test-parity test-sanitize test-node test-browser \
        demo fuzz cv model-cv ood train train-kaggle train-hf export bench bench-train bench-web bench-kernels bench-cam bench-dist bench-registration bench-dicom experiments clean help

all: build ## the same as build

setup: $(SETUP_STAMP) ## install everything the project needs from Debian and npm (scripts/setup.sh)
$(SETUP_STAMP): scripts/setup.sh package-lock.json
	bash scripts/setup.sh
setup-demo: $(DEMO_STAMP) ## install what the browser app alone needs
$(DEMO_STAMP): scripts/setup.sh package-lock.json
	bash scripts/setup.sh --demo

build: native wasm web ## native CLI + WebAssembly app and tests + the web page (build/, build-wasm/, build/web)

native: $(SETUP_STAMP) ## the LibTorch CLI and its tests (build/)
	cmake -S . -B $(BUILD) -G Ninja -DALZSCAN_DATA_DIR=$(abspath $(DATA))
	cmake --build $(BUILD) -j $(JOBS)

# The WebAssembly build: the app and its GoogleTest suites.
wasm: $(SETUP_STAMP) ## the WebAssembly app and the shared/ tests as WebAssembly (build-wasm/)
	emcmake cmake -S . -B $(WASM_BUILD) -G Ninja -DALZSCAN_DATA_DIR=$(abspath $(DATA)) -DALZSCAN_BUILD_TESTS=ON
	cmake --build $(WASM_BUILD) -j $(JOBS)

# The app alone (make demo): its suites are configured only where GoogleTest's sources are
# installed (make setup), so a demo-only machine needs no test tools.
wasm-app: $(DEMO_STAMP) ## the WebAssembly app alone (for make demo)
	emcmake cmake -S . -B $(WASM_BUILD) -G Ninja -DALZSCAN_DATA_DIR=$(abspath $(DATA)) \
	  -DALZSCAN_BUILD_TESTS=$$(test -f /usr/src/googletest/CMakeLists.txt && echo ON || echo OFF)
	cmake --build $(WASM_BUILD) -j $(JOBS) --target alzscan_app alzscan_dicom_reader

ASSEMBLE_WEB = bash scripts/assemble_web.sh $(WASM_BUILD) $(WEB_OUT) $(DATA)
web: wasm ## assemble the page with the app, the model and the gallery into build/web
	$(ASSEMBLE_WEB)
web-demo: wasm-app ## the page for make demo
	$(ASSEMBLE_WEB)

# The native tree first; then the page (WebAssembly) and the sanitizer tree build, niced, while the
# native tests run (on 2 cores the tests leave one partly idle); then the other suites. A tree
# that is up to date costs its configure step alone.
test: native ## every test suite: native, wasm, parity, sanitize, node, browser (docs/DEVELOPERS.md)
	$(MAKE) --no-print-directory -j2 --output-sync=recurse test-native build-beside-tests
	$(MAKE) --no-print-directory test-wasm test-parity test-sanitize test-node test-browser
build-beside-tests: ## the page and the sanitizer tree, niced: what make test builds while the native tests run
	nice -n 10 $(MAKE) --no-print-directory web
	nice -n 10 $(MAKE) --no-print-directory sanitize

test-native: ## native GoogleTest executables and CLI tests (ctest -LE case)
	ctest --test-dir $(BUILD) -LE case $(CTEST_ARGS)
test-wasm: ## shared/ suites as WebAssembly under node
	ctest --test-dir $(WASM_BUILD) -LE case $(CTEST_ARGS)
test-parity: ## native == WebAssembly preprocessing and DICOM reading, byte for byte
	bash scripts/compare_native_wasm.sh $(BUILD) $(WASM_BUILD) $(DATA)
	/usr/bin/python3 tests/dicom/test_dicom.py --only wasm --dump $(BUILD)/tests/dicom/dicom_dump \
	  --wasm-dump $(WASM_BUILD)/tests/dicom/dicom_dump.js --alzscan $(ALZSCAN) \
	  --checkpoint $(DEFAULT_MODEL)/checkpoint.pt --work $(BUILD)/tests/dicom/work-parity
# shared/ and its decoders (from Debian's sources) under ASan + UBSan: shared/'s suites and the
# regression corpus (tests/sanitize). clang-14 from make setup.
SANITIZE_BUILD ?= build-sanitize
# It links build/'s GDCM (make native first; make test does).
sanitize: $(SETUP_STAMP) ## the sanitizer tree (build-sanitize): shared/, its decoders and dicom/ under ASan + UBSan
	cmake -S tests/sanitize -B $(SANITIZE_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang-14 \
	  -DCMAKE_CXX_COMPILER=clang++-14 -DALZSCAN_DATA_DIR=$(abspath $(DATA)) \
	  -DALZSCAN_GDCM_PREBUILT_DIR=$(abspath $(BUILD))
	cmake --build $(SANITIZE_BUILD) -j $(JOBS)
test-sanitize: sanitize ## shared/, its decoders and dicom/ under ASan + UBSan, the regression corpora
	ctest --test-dir $(SANITIZE_BUILD) -LE case $(CTEST_ARGS)
test-node: ## node tests: the shipped model, ONNX parity, OOD, registration, formats
	ALZSCAN=$(abspath $(ALZSCAN)) WASM_BUILD=$(abspath $(WASM_BUILD)) DATA=$(abspath $(DATA)) \
	  node --test tests/node/
test-browser: ## headless-Chromium tests of the page
	ALZSCAN=$(abspath $(ALZSCAN)) WEB_OUT=$(abspath $(WEB_OUT)) DATA=$(abspath $(DATA)) \
	  node --test tests/browser/

# The page, the WASM app and the shipped model (models/default): no trainer, no tests.
demo: web-demo ## build the browser app and serve it on http://127.0.0.1:PORT (8080)
	node web/server.mjs --root $(WEB_OUT) --port $(PORT)

# Browser vs onnxruntime-node per image, cold-load bytes, time to first result; a 32-slice stack and
# a volume from call to verdict against ORT Web's own kernel time (BENCHMARKS.md).
bench-web: build ## browser vs onnxruntime-node per image and per scan, cold load, first result
	node scripts/bench_web.mjs --web-out $(WEB_OUT) --data $(DATA)
	node scripts/bench_scans_web.mjs --web-out $(WEB_OUT) --data $(DATA)

# The seed's nine experiments, one config each in configs/experiments (docs/experiments.md).
# Rerunning skips finished runs and resumes an interrupted one. SPLIT=hf|kaggle PROFILE=quick|full
SPLIT   ?= kaggle
PROFILE ?= quick
experiments: native ## the seed's nine experiments (SPLIT, PROFILE)
	$(ALZSCAN) experiments configs/experiments --split $(SPLIT) --profile $(PROFILE) \
	  --data $(DATA) --out runs/ladder-$(SPLIT)-$(PROFILE)

# Training images/s: alzscan vs the same model in PyTorch (bench/train_reference.py), one run,
# small and efficientnet_b2, with the ratio (BENCHMARKS.md). BENCH_MODELS="small" for one model.
bench-train: native ## training images/s: alzscan vs the same model in PyTorch
	bash scripts/bench_train.sh $(ALZSCAN) $(DATA)

# Why the browser is slower per image: the shipped model.onnx in onnxruntime-node vs ORT Web's WASM
# build (run by node), batch 1/8/32, and ORT Web's per-node profile (BENCHMARKS.md). No browser needed.
bench-kernels: $(SETUP_STAMP) ## the shipped model.onnx in onnxruntime-node vs ORT Web's WASM build
	node scripts/bench_ort_kernels.mjs $(DEFAULT_MODEL)/model.onnx

# libFuzzer + ASan/UBSan over shared/ and its decoders (scripts/fuzz.sh): image decode -> resize ->
# normalise, seeded with JPEG slices and, separately, the same slices as PNG, and the model.json
# spec parser; FUZZ_SECONDS each. Not part of make test.
FUZZ_SECONDS ?= 600
fuzz: $(SETUP_STAMP) ## libFuzzer + ASan/UBSan over shared/, its decoders and DICOM (FUZZ_SECONDS each)
	bash scripts/fuzz.sh $(DATA) $(FUZZ_SECONDS)

# Cross-validation by person (SUBJECTS.tsv, 5 folds) of a recipe -> $(CV_OUT): oof.tsv, cv.json,
# summary.md, with majority and pixel-kNN baselines. Rerunning skips finished folds.
CV_CONFIG ?= configs/default.json
CV_OUT    ?= runs/cv-default
cv: native ## cross-validation by person of CV_CONFIG -> CV_OUT
	$(ALZSCAN) cv --config $(CV_CONFIG) --data $(DATA) --out $(CV_OUT)
# The shipped recipe's cross-validation, as the model card quotes it -> models/default/cv/.
model-cv: cv ## the shipped recipe's cross-validation -> models/default/cv
	mkdir -p $(DEFAULT_MODEL)/cv
	cp $(CV_OUT)/cv.json $(CV_OUT)/summary.md $(CV_OUT)/oof.tsv $(CV_OUT)/oof_validation.tsv $(CV_OUT)/reliability_*.svg $(DEFAULT_MODEL)/cv/

# The shipped model's out-of-distribution checks measured: the held-out people's slices against the
# real files of configs/ood_corpus.json (Debian packages, make setup) and transforms of those slices
# -> models/default/ood/{ood.json, summary.md} (the model card quotes them). About 1.5 min.
ood: native ## measure the shipped model's out-of-distribution checks -> models/default/ood
	$(ALZSCAN) ood --checkpoint $(DEFAULT_MODEL)/checkpoint.pt --run $(DEFAULT_RUN) --out $(DEFAULT_MODEL)/ood

# What the class activation maps cost per slice in ORT Web's engine (with vs without the cam output).
bench-cam: native $(SETUP_STAMP) ## what the class activation maps cost per slice in ORT Web
	node scripts/bench_cam.mjs $(ALZSCAN) $(DEFAULT_MODEL)/checkpoint.pt

# Training on two local ranks (Gloo over loopback) vs one rank with two threads, images/s.
bench-dist: native ## training on two local ranks vs one rank with two threads
	bash scripts/bench_dist.sh $(ALZSCAN) $(DATA)

# A 1 mm 256^3 T1 brought into the training space (registration, extraction, bias, levels): each
# step's time natively and as WebAssembly under node, and peak memory (BENCHMARKS.md).
bench-registration: native wasm ## a 256^3 T1 into the training space, natively and as WebAssembly
	bash scripts/bench_registration.sh $(BUILD) $(WASM_BUILD)

# A 256-slice DICOM series read in the browser and natively; the browser tab's peak memory on a
# 0.5 mm float64 volume and 512^3 noise (BENCHMARKS.md).
bench-dicom: build ## a 256-slice DICOM series read in the browser and natively; the tab's peak memory on large volumes
	node scripts/bench_dicom_web.mjs --web-out $(WEB_OUT) --native $(BUILD)
	node scripts/bench_tab_memory.mjs --web-out $(WEB_OUT)

# Every benchmark.
bench: bench-train bench-web bench-kernels bench-cam bench-dist bench-registration bench-dicom ## every benchmark

# The shipped model: configs/default.json trained with fold 0 of SUBJECTS.tsv held out (people it
# never sees; the app's gallery shows them), validation carved as whole people -> runs/default.
# An earlier run there is kept as runs/default.<time> (never overwritten).
TRAIN_CONFIG ?= configs/default.json
TRAIN_OUT    ?= runs/default
HELD_OUT     ?= 0
HELD_OUT_FOLD = --split-file $(DATA)/SUBJECTS.tsv --split-column subject_fold --test-fold $(HELD_OUT)
PEOPLE_SPLIT  = $(HELD_OUT_FOLD) --groups $(DATA)/SUBJECTS.tsv --group-column subject
train: native ## train the shipped recipe with fold 0 held out -> runs/default
	@if [ -e $(TRAIN_OUT) ]; then mv $(TRAIN_OUT) $(TRAIN_OUT).$$(date +%Y%m%d-%H%M%S); fi
	$(ALZSCAN) train --config $(TRAIN_CONFIG) --data $(DATA) $(PEOPLE_SPLIT) --out $(TRAIN_OUT)

# The same recipe on the Kaggle split (within person: its test slices are the top slices of people
# also in train), for comparison with the seed and the literature -> runs/kaggle. Not shipped.
KAGGLE_OUT ?= runs/kaggle
train-kaggle: native ## the same recipe on the Kaggle split -> runs/kaggle (not shipped)
	@if [ -e $(KAGGLE_OUT) ]; then mv $(KAGGLE_OUT) $(KAGGLE_OUT).$$(date +%Y%m%d-%H%M%S); fi
	$(ALZSCAN) train --config $(TRAIN_CONFIG) --data $(DATA) \
	  --split-file $(DATA)/KAGGLE_SPLIT.tsv --split-column kaggle_split --out $(KAGGLE_OUT)

# The seed's own split (HF, the data's folder layout: neighbouring slices of a subject in train and
# test) with the recipe chosen for it (configs/hf.json) -> runs/hf. About 4 minutes here.
HF_CONFIG ?= configs/hf.json
HF_OUT    ?= runs/hf
train-hf: native ## the seed's own split with configs/hf.json -> runs/hf
	@if [ -e $(HF_OUT) ]; then mv $(HF_OUT) $(HF_OUT).$$(date +%Y%m%d-%H%M%S); fi
	$(ALZSCAN) train --config $(HF_CONFIG) --data $(DATA) --out $(HF_OUT)

# The shipped default model: $(DEFAULT_RUN)/best.pt -> models/default/{model.onnx, model.json,
# checkpoint.pt (weights-only copy of what was exported)}. `make train` produces the run.
DEFAULT_RUN   ?= runs/default
DEFAULT_MODEL ?= models/default
# int8: Conv/Gemm weights as int8 + per-channel scales (1.25 MB instead of 4.91 MB: the browser's cold
# load). The int8 copy is calibrated on the run's validation people (temperature, out-of-distribution
# thresholds: alzscan calibrate), evaluated on the held-out fold's people (eval_heldout.json), and
# exported again from that copy (re-quantizing int8 weights gives the same bytes), so model.json
# carries all three.
EXPORT_WEIGHTS ?= int8
export: native ## runs/default/best.pt -> models/default (int8 ONNX, model.json, calibration, eval)
	@test -f $(DEFAULT_RUN)/best.pt || { echo "make export: $(DEFAULT_RUN)/best.pt not found (run make train first)"; exit 1; }
	$(ALZSCAN) export --checkpoint $(DEFAULT_RUN)/best.pt --out $(DEFAULT_MODEL) --weights $(EXPORT_WEIGHTS) \
	  --write-checkpoint $(DEFAULT_MODEL)/checkpoint.pt
	$(ALZSCAN) calibrate --checkpoint $(DEFAULT_MODEL)/checkpoint.pt --run $(DEFAULT_RUN)
	$(ALZSCAN) eval --checkpoint $(DEFAULT_MODEL)/checkpoint.pt --data $(DATA) $(HELD_OUT_FOLD) \
	  --out $(DEFAULT_MODEL)/eval_heldout.json
	$(ALZSCAN) export --checkpoint $(DEFAULT_MODEL)/checkpoint.pt --out $(DEFAULT_MODEL) --weights $(EXPORT_WEIGHTS) \
	  --eval-json $(DEFAULT_MODEL)/eval_heldout.json

clean: ## remove the build trees
	rm -rf $(BUILD) $(WASM_BUILD) $(SANITIZE_BUILD) build-fuzz

help: ## this list
	@awk -F':.*## ' '/^[a-z][a-z0-9-]*:.*## / { printf "  %-20s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
