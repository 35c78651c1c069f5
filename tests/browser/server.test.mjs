// web/server.mjs: the headers the app relies on, precompressed files, and path safety.
// No browser needed; a temporary root with known files.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { after, before, test } from "node:test";
import { REPO } from "./harness.mjs";
import { CONTENT_SECURITY_POLICY, startServer } from "../../web/server.mjs";

let root, srv;

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-server-"));
  fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>t</title>");
  const wasm = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]);
  fs.writeFileSync(path.join(root, "app.wasm"), wasm);
  const js = Buffer.from("console.log('x');\n".repeat(200));
  fs.writeFileSync(path.join(root, "app.js"), js);
  fs.writeFileSync(path.join(root, "app.js.br"), zlib.brotliCompressSync(js));
  fs.writeFileSync(path.join(root, "app.js.gz"), zlib.gzipSync(js));
  fs.writeFileSync(path.join(os.tmpdir(), "alzscan-secret.txt"), "secret");
  srv = await startServer({ root, port: 0 });
});

after(async () => {
  await srv?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test("binds to 127.0.0.1 on the requested (here: free) port", () => {
  assert.equal(srv.server.address().address, "127.0.0.1");
  assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test("every response is cross-origin isolated and locked to its own origin", async () => {
  for (const p of ["", "index.html", "app.wasm", "missing.txt"]) {
    const r = await get(srv.url + p);
    assert.equal(r.headers["cross-origin-opener-policy"], "same-origin", p);
    assert.equal(r.headers["cross-origin-embedder-policy"], "require-corp", p);
    assert.equal(r.headers["content-security-policy"], CONTENT_SECURITY_POLICY, p);
  }
  // The CSP names no other origin: every fetch directive is 'self' (or 'none').
  for (const directive of CONTENT_SECURITY_POLICY.split("; ")) {
    const sources = directive.split(" ").slice(1);
    for (const s of sources) assert.ok(["'self'", "'none'", "'wasm-unsafe-eval'", "data:", "blob:"].includes(s), `${directive}: ${s}`);
  }
  assert.ok(!CONTENT_SECURITY_POLICY.includes("'unsafe-eval'") && !CONTENT_SECURITY_POLICY.includes("'unsafe-inline'"));
});

test("index.html for /, application/wasm for .wasm, 404 for missing", async () => {
  const index = await get(srv.url);
  assert.equal(index.status, 200);
  assert.match(index.headers["content-type"], /^text\/html/);
  const wasm = await get(srv.url + "app.wasm");
  assert.equal(wasm.headers["content-type"], "application/wasm");
  assert.equal(wasm.body.length, 8);
  assert.equal((await get(srv.url + "missing.txt")).status, 404);
});

test("serves the .br sibling when accepted, .gz otherwise, the raw file when neither", async () => {
  const raw = fs.readFileSync(path.join(root, "app.js"));
  const br = await get(srv.url + "app.js", { "accept-encoding": "gzip, deflate, br" });
  assert.equal(br.headers["content-encoding"], "br");
  assert.match(br.headers["content-type"], /^text\/javascript/);
  assert.deepEqual(zlib.brotliDecompressSync(br.body), raw);
  const gz = await get(srv.url + "app.js", { "accept-encoding": "gzip" });
  assert.equal(gz.headers["content-encoding"], "gzip");
  assert.deepEqual(zlib.gunzipSync(gz.body), raw);
  const plain = await get(srv.url + "app.js");
  assert.equal(plain.headers["content-encoding"], undefined);
  assert.deepEqual(plain.body, raw);
  assert.equal(br.headers.vary, "Accept-Encoding");
});

test("paths cannot escape the root", async () => {
  for (const p of ["../alzscan-secret.txt", "%2e%2e/alzscan-secret.txt", "..%2falzscan-secret.txt"]) {
    const r = await get(srv.url + p);
    assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
    assert.ok(!r.body.toString().includes("secret\n") && r.body.toString() !== "secret", p);
  }
});

test("the CLI prints the URL and refuses a bad --port with a one-line hint", async () => {
  const bad = await new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(REPO, "web/server.mjs"), "--root", root, "--port", "99999"]);
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => resolve({ code, err }));
  });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--port must be 0\.\.65535 \(got 99999\)/);

  const line = await new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(REPO, "web/server.mjs"), "--root", root, "--port", "0"]);
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) {
        clearTimeout(timer);
        p.kill();
        resolve(m[1]);
      }
    });
    p.on("error", reject);
    const timer = setTimeout(() => { p.kill(); reject(new Error(`no URL printed: ${out}`)); }, 10_000);
  });
  assert.match(line, /^http:\/\/127\.0\.0\.1:\d+\/$/);
});
