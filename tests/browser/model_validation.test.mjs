// Load conditions. model.json is validated on load: a wrong format or a class count that does not
// fit the ONNX graph stops the app with a clear message (in window.alzscan.ready's rejection and the
// UI); each case serves a copy of WEB_OUT (symlinks) with one model.json edited. model.onnx must be
// the file model.json names (onnx_sha256, onnx_bytes), checked by shared/'s SHA-256 in the WASM app,
// also in a page that is no secure context; a missing model.json is a clear error, not an
// unhandled rejection. And a server without COOP/COEP (any static host) still works, on one ORT
// thread; ?threads=N sets the thread count.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { WEB_OUT, launchBrowser, requireBuild } from "./harness.mjs";
import { CONTENT_TYPES, startServer } from "../../web/server.mjs";
import { encodePng, phantom } from "./synthetic_images.mjs";

let browser;
const roots = [];

// A copy of WEB_OUT (symlinks) with model/model.json and/or model/model.onnx replaced:
// json(model) -> the object to write, or null for no model.json at all; onnx(bytes) -> new bytes.
function rootWithModel({ json, onnx } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-modeljson-"));
  roots.push(root);
  const replaced = new Set([...(json ? ["model/model.json"] : []), ...(onnx ? ["model/model.onnx"] : [])]);
  (function link(dir) {
    for (const e of fs.readdirSync(path.join(WEB_OUT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        fs.mkdirSync(path.join(root, rel));
        link(rel);
      } else if (![...replaced].some((r) => rel.startsWith(r))) {  // model.json.br etc. go with it
        fs.symlinkSync(path.join(WEB_OUT, rel), path.join(root, rel));
      }
    }
  })("");
  if (json) {
    const edited = json(JSON.parse(fs.readFileSync(path.join(WEB_OUT, "model/model.json"), "utf8")));
    if (edited !== null) fs.writeFileSync(path.join(root, "model/model.json"), JSON.stringify(edited));
  }
  if (onnx) fs.writeFileSync(path.join(root, "model/model.onnx"), onnx(fs.readFileSync(path.join(WEB_OUT, "model/model.onnx"))));
  return root;
}

function rootWithModelJson(edit) {
  return rootWithModel({ json: edit });
}

// window.alzscan.ready's outcome, plus what went wrong around it: uncaught errors and unhandled
// rejections in the page, and whether the plain-HTML fallback had to replace the canvas UI.
async function readyOutcome(root, { url = null, context = browser.context } = {}) {
  const server = url ? null : await startServer({ root, port: 0, symlinkTargets: [WEB_OUT] });
  const page = await context.newPage();
  const pageErrors = [], warnings = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  await page.addInitScript(() => {
    window.__unhandled = [];
    window.addEventListener("unhandledrejection", (e) => window.__unhandled.push(String(e.reason?.message ?? e.reason)));
  });
  try {
    await page.goto(url ?? server.url);
    await page.waitForFunction(() => window.alzscan !== undefined);
    const r = await page.evaluate(() => window.alzscan.ready.then(() => ({ ok: true }), (e) => ({ ok: false, error: e.message })));
    await page.waitForTimeout(200);  // a rejection nobody handles is reported after a turn of the event loop
    const after = await page.evaluate(() => ({
      unhandled: window.__unhandled, fallback: !document.getElementById("fallback").hidden, secure: isSecureContext,
    }));
    return { ...r, ...after, pageErrors, warnings };
  } finally {
    await page.close();
    await server?.close();
  }
}

// A static server without COOP/COEP or any other header (root's files, symlinks followed).
async function plainServer(root) {
  const plain = http.createServer((req, res) => {
    let p = new URL(req.url, "http://localhost").pathname;
    if (p.endsWith("/")) p += "index.html";
    const file = path.join(root, p);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "Content-Type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream" });
    res.end(fs.readFileSync(file));
  });
  await new Promise((ok) => plain.listen(0, "127.0.0.1", ok));
  return {
    port: plain.address().port,
    close: () => {
      plain.closeAllConnections();
      plain.close();
    },
  };
}

// model.onnx with one byte of its weights changed: ONNX Runtime would load it without a word.
const oneByteChanged = (bytes) => {
  const b = Buffer.from(bytes);
  b[Math.floor(b.length * 0.6)] ^= 0x01;
  return b;
};
const shippedSha = () => JSON.parse(fs.readFileSync(path.join(WEB_OUT, "model/model.json"), "utf8")).onnx_sha256;

before(async () => {
  requireBuild();
  assert.ok(fs.existsSync(path.join(WEB_OUT, "model/model.json")), `${WEB_OUT}/model/model.json missing: the build has no model (models/default)`);
  browser = await launchBrowser({ serviceWorkers: "block" });
});

after(async () => {
  await browser?.close();
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

test("an unknown model.json format is refused with the format named", async () => {
  const r = await readyOutcome(rootWithModelJson((m) => ({ ...m, format: "alzscan-model/0" })));
  assert.equal(r.ok, false);
  assert.match(r.error, /model\.json: format is "alzscan-model\/0", expected "alzscan-model\/1"/);
});

test("a class count that does not match the ONNX output is refused with both counts", async () => {
  const r = await readyOutcome(rootWithModelJson((m) => ({ ...m, classes: m.classes.slice(0, 3) })));
  assert.equal(r.ok, false);
  assert.match(r.error, /model\.json lists 3 classes but model\.onnx output "[^"]+" has 4/);
});

test("an input size that is not the ONNX graph's is refused with both shapes", async () => {
  const r = await readyOutcome(rootWithModelJson((m) => ({ ...m, input: { ...m.input, height: m.input.height + 8, width: m.input.width + 8 } })));
  assert.equal(r.ok, false);
  assert.match(r.error, /model\.json: input is 1x\d+x\d+ but model\.onnx expects \[/);
});

test("an input spec shared/ rejects (std = 0) is refused with shared/'s message", async () => {
  const r = await readyOutcome(rootWithModelJson((m) => ({ ...m, input: { ...m.input, std: 0 } })));
  assert.equal(r.ok, false);
  assert.match(r.error, /std/);
});

test("a model.onnx with one byte changed is refused before use, naming both hashes", async () => {
  const r = await readyOutcome(rootWithModel({ onnx: oneByteChanged }));
  assert.equal(r.ok, false);
  const want = shippedSha().slice(0, 12);
  assert.match(r.error, new RegExp(`^model\\.onnx does not match model\\.json \\(sha256 [0-9a-f]{12}…≠${want}…\\): .*rebuild with make export`));
  assert.doesNotMatch(r.error, /bytes/, "same size: only the hashes differ");
  assert.equal(r.fallback, false, "the canvas UI shows the error itself");
  assert.deepEqual([r.pageErrors, r.unhandled], [[], []]);
});

test("a truncated model.onnx is refused with both sizes", async () => {
  const r = await readyOutcome(rootWithModel({ onnx: (b) => b.subarray(0, b.length - 100) }));
  assert.equal(r.ok, false);
  const size = fs.statSync(path.join(WEB_OUT, "model/model.onnx")).size;
  assert.match(r.error, new RegExp(`^model\\.onnx does not match model\\.json \\(sha256 [0-9a-f]{12}…≠${shippedSha().slice(0, 12)}…, ${size - 100} bytes≠${size}\\)`));
});

test("an onnx_sha256 that is no SHA-256 is refused", async () => {
  const r = await readyOutcome(rootWithModelJson((m) => ({ ...m, onnx_sha256: "abc" })));
  assert.equal(r.ok, false);
  assert.match(r.error, /^model\.json: onnx_sha256 is not a SHA-256/);
});

test("a model.json without onnx_sha256 (hand-written) still loads, with a warning that model.onnx is unverified", async () => {
  const r = await readyOutcome(rootWithModelJson(({ onnx_sha256, onnx_bytes, ...m }) => m));
  assert.equal(r.ok, true, r.error);
  assert.ok(r.warnings.some((w) => /model\.json has no onnx_sha256: model\.onnx is used unverified/.test(w)), JSON.stringify(r.warnings));
  assert.deepEqual([r.pageErrors, r.unhandled], [[], []]);
});

test("a missing model.json is a clear error in the UI, with no unhandled rejection or page error", async () => {
  const r = await readyOutcome(rootWithModel({ json: () => null }));
  assert.equal(r.ok, false);
  assert.match(r.error, /^model\.json: HTTP 404 for model\/model\.json; this build has no model/);
  assert.equal(r.fallback, false, "the canvas UI shows the error itself");
  assert.deepEqual(r.unhandled, [], "unhandled rejections");
  assert.deepEqual(r.pageErrors, [], "uncaught page errors");
});

test("in a page that is no secure context (no crypto.subtle) model.onnx is still verified", async () => {
  // alzscan.test resolves to 127.0.0.1 but, unlike 127.0.0.1 or localhost, is no secure context.
  const insecure = await launchBrowser({ serviceWorkers: "block", args: ["--host-resolver-rules=MAP alzscan.test 127.0.0.1"] });
  const servers = [];
  try {
    const outcome = async (root) => {
      const s = await plainServer(root);
      servers.push(s);
      return readyOutcome(root, { url: `http://alzscan.test:${s.port}/`, context: insecure.context });
    };
    const good = await outcome(WEB_OUT);
    assert.equal(good.secure, false, "the test page is a secure context after all");
    assert.equal(good.ok, true, good.error);
    const bad = await outcome(rootWithModel({ onnx: oneByteChanged }));
    assert.equal(bad.ok, false);
    assert.match(bad.error, new RegExp(`^model\\.onnx does not match model\\.json \\(sha256 [0-9a-f]{12}…≠${shippedSha().slice(0, 12)}…\\)`));
  } finally {
    for (const s of servers) s.close();
    await insecure.close();
  }
});

test("served without COOP/COEP (not cross-origin isolated) it still classifies, on one thread", async () => {
  const plain = await plainServer(WEB_OUT);
  const page = await browser.context.newPage();
  try {
    await page.goto(`http://127.0.0.1:${plain.port}/`);
    await page.waitForFunction(() => window.alzscan !== undefined);
    const info = await page.evaluate(() => window.alzscan.ready.then((i) => i, (e) => ({ error: e.message })));
    assert.equal(info.error, undefined, info.error);
    assert.equal(info.crossOriginIsolated, false);
    assert.equal(info.threads, 1);
    const gallery = JSON.parse(fs.readFileSync(path.join(WEB_OUT, "gallery/gallery.json"), "utf8"));
    const sample = Array.isArray(gallery) ? fs.readFileSync(path.join(WEB_OUT, gallery[0].file)) : null;
    if (sample) {
      const r = await page.evaluate(async (b64) => (await window.alzscan.classify(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))).probabilities,
        sample.toString("base64"));
      assert.equal(r.length, 4);
    }
  } finally {
    await page.close();
    plain.close();
  }
});

test("on a 2x (HiDPI) screen the canvas has device-pixel resolution and CSS-pixel clicks still hit", async () => {
  const hidpi = await launchBrowser({ serviceWorkers: "block", deviceScaleFactor: 2 });
  const server = await startServer({ root: WEB_OUT, port: 0 });
  try {
    const page = hidpi.context.pages()[0] ?? (await hidpi.context.newPage());
    await page.goto(server.url);
    await page.waitForFunction(() => window.alzscan !== undefined);
    const ready = await page.evaluate(() => window.alzscan.ready.then(() => "ok", (e) => e.message));
    assert.equal(ready, "ok");
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const size = await page.evaluate(() => {
      const c = document.getElementById("canvas");
      return { w: c.width, h: c.height, cssW: c.clientWidth, cssH: c.clientHeight };
    });
    assert.equal(size.w, size.cssW * 2, JSON.stringify(size));
    assert.equal(size.h, size.cssH * 2, JSON.stringify(size));
    // "Open files…" at its CSS position opens the picker (mouse coordinates are scaled correctly).
    const box = await page.locator("#canvas").boundingBox();
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser", { timeout: 10_000 }),
      page.mouse.click(box.x + box.width - 468 + 65, box.y + 33),
    ]);
    assert.equal(chooser.isMultiple(), true);
  } finally {
    await hidpi.close();
    await server.close();
  }
});

test("?threads=N sets ORT Web's threads (clamped to the cores), and 2 threads give 1 thread's probabilities", async () => {
  const server = await startServer({ root: WEB_OUT, port: 0 });
  // A synthetic slice (no dataset needed): the same bytes through 1 and 2 ORT threads.
  const sample = encodePng({ width: 128, height: 128, samples: phantom(128, 128, 1, 255) }).toString("base64");
  const outcomes = {};
  try {
    for (const query of ["?threads=1", "?threads=2", "?threads=64"]) {
      const page = await browser.context.newPage();
      try {
        await page.goto(server.url + query);
        await page.waitForFunction(() => window.alzscan !== undefined);
        outcomes[query] = await page.evaluate(async (b64) => {
          const info = await window.alzscan.ready;
          const probabilities = (await window.alzscan.classify(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))).probabilities;
          return { info, cores: navigator.hardwareConcurrency, probabilities };
        }, sample);
      } finally {
        await page.close();
      }
    }
  } finally {
    await server.close();
  }
  const cores = outcomes["?threads=1"].cores;
  assert.equal(outcomes["?threads=1"].info.crossOriginIsolated, true);
  assert.equal(outcomes["?threads=1"].info.threads, 1);
  assert.equal(outcomes["?threads=2"].info.threads, Math.min(2, cores));
  assert.equal(outcomes["?threads=64"].info.threads, cores);
  const one = outcomes["?threads=1"].probabilities, two = outcomes["?threads=2"].probabilities;
  for (let k = 0; k < one.length; ++k) assert.ok(Math.abs(one[k] - two[k]) <= 1e-6, `class ${k}: ${one[k]} vs ${two[k]}`);
});
