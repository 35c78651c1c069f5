// web/api.js: window.alzscan, the page's public API (documented in web/README.md and in web/app.js's
// header): the classify/scan calls (web/classify.js), what the UI shows, and the hooks the tests
// and benchmarks use. Calls wait for `ready`; a call during a crash's restart waits for the new app.
//   window.alzscan = createApi({sup, classifier, session, ready});

import { ModuleCrash } from "./canvas_app.js";
import { toBytes } from "./page_io.js";

// preprocess_bytes() alone: the model's exact input for `input`, nothing added to the batch.
async function preprocess(sup, ready, input) {
  await ready;
  const bytes = await toBytes(input);
  const app = await sup.liveApp();
  let r;
  try {
    r = app.preprocess(bytes);
  } catch (e) {
    if (!(e instanceof ModuleCrash)) throw e;
    await sup.settled();
    throw new Error(`the decoder crashed on this input (${e.what}); the app was restarted`);
  }
  if (r.error) throw new Error(r.error);
  return r.tensor;
}

// For tests of the crash recovery and of what the app draws.
function testingApi(sup, ready) {
  const withApp = async (fn) => { await ready; return fn(await sup.liveApp()); };
  return Object.freeze({
    // trap("decode") makes the WASM app trap (RuntimeError "unreachable", as a decoder bug would)
    // in its next decode, trap("frame") in its next frame.
    trap: async (where) => {
      const kind = { decode: "NextDecode", frame: "NextFrame" }[where];
      if (!kind) throw new TypeError(`alzscan.testing.trap: "decode" or "frame", not ${JSON.stringify(where)}`);
      await withApp((app) => app.debugTrap(kind));
    },
    // The new instances the page has started since it loaded.
    restarts: () => sup.restarts,
    // Module instances not yet garbage-collected (1 once a crashed instance has been freed).
    liveModules: () => sup.moduleRefs.filter((r) => r.deref()).length,
    // The batch panel's "Files opened together are one scan" checkbox, without clicking it.
    setOneScan: (on) => withApp((app) => app.setOneScan(on)),
    // The scan view's "Activation map" checkbox and its class (-1: the predicted one).
    showCam: (on, cls = -1) => withApp((app) => app.showCam(on, cls)),
  });
}

export function createApi({ sup, classifier, session, ready }) {
  return Object.freeze({
    ready,
    classify: (input, options) => classifier.classify(input, options),
    classifyScan: (input, options) => classifier.classifyScan(input, options),
    batchCsv: () => sup.fromLive((a) => a.batchCsv(), ""),
    selection: () => sup.fromLive((a) => a.selection(), { index: -1, count: 0 }),
    chartDrawn: () => sup.fromLive((a) => a.chartDrawn(), { item: 0 }),
    progressDrawn: () => sup.fromLive((a) => a.progressDrawn(), []),
    // A scan's verdict from its slices' probabilities ([[p_class...], ...]): the aggregation
    // `alzscan cv` reports per person and `alzscan predict` per scan (shared/ aggregate_slices).
    aggregate: async (slices) => (await ready, (await sup.liveApp()).aggregate(slices)),
    // make bench-web: ORT Web inference alone, `runs` times on one preprocessed tensor -> [ms].
    benchmarkInference: async (tensor, runs = 50, count = 1) =>
      (await ready, (await session.worker.bench(-1, Float32Array.from(tensor), runs, count)).times),
    preprocess: (input) => preprocess(sup, ready, input),
    testing: testingApi(sup, ready),
  });
}
