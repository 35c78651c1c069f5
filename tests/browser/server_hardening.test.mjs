// web/server.mjs under hostile or unlucky conditions: files that vanish while
// requests run, symlinks out of the root, dotfiles, source maps, stale precompressed siblings,
// Accept-Encoding q-values, DNS rebinding (Host header), bad URLs. No browser; loopback only.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { after, before, test } from "node:test";
import { REPO } from "./harness.mjs";
import { startServer } from "../../web/server.mjs";

let root, outside, srv;
const JS = Buffer.from("console.log('current');\n".repeat(300));
const unhandled = [];
const onUnhandled = (e) => unhandled.push(e);

// One request; resolves {status, headers, body} or {error}; never hangs past timeoutMs.
function request(url, { headers = {}, method = "GET", agent, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", (error) => resolve({ error }));
      res.on("aborted", () => resolve({ error: new Error("aborted") }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (error) => resolve({ error }));
    req.end();
  });
}

// A raw request line + headers over TCP (for targets and Host values http.request will not send).
function raw(port, text, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let out = "";
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on("data", (d) => (out += d));
    s.on("error", () => {});
    s.on("close", () => { clearTimeout(timer); resolve(out); });
    s.write(text);
  });
}

const statusOf = (rawResponse) => Number(/^HTTP\/1\.[01] (\d{3})/.exec(rawResponse)?.[1] ?? 0);

before(async () => {
  process.on("unhandledRejection", onUnhandled);
  root = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-hardening-"));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-outside-"));
  fs.writeFileSync(path.join(outside, "secret.txt"), "outside-secret");
  fs.mkdirSync(path.join(outside, "dir"));
  fs.writeFileSync(path.join(outside, "dir", "x.txt"), "outside-secret");
  fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>t</title>");
  fs.writeFileSync(path.join(root, "app.js"), JS);
  fs.writeFileSync(path.join(root, "app.js.br"), zlib.brotliCompressSync(JS));
  fs.writeFileSync(path.join(root, "app.js.gz"), zlib.gzipSync(JS));
  fs.writeFileSync(path.join(root, ".env"), "SECRET=1");
  fs.mkdirSync(path.join(root, ".git"));
  fs.writeFileSync(path.join(root, ".git", "config"), "[core]");
  fs.mkdirSync(path.join(root, "sub"));
  fs.writeFileSync(path.join(root, "sub", "a.txt"), "inside");
  fs.writeFileSync(path.join(root, "app.js.map"), '{"version":3}');
  fs.symlinkSync(path.join(outside, "secret.txt"), path.join(root, "link-out.txt"));
  fs.symlinkSync(path.join(outside, "dir"), path.join(root, "dir-out"));
  fs.symlinkSync(path.join(root, "sub", "a.txt"), path.join(root, "link-in.txt"));
  srv = await startServer({ root, port: 0 });
});

after(async () => {
  await srv?.close();
  process.off("unhandledRejection", onUnhandled);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

test("a file removed between the server's checks answers 404, and the server keeps serving", async () => {
  // Deterministic form of the race: the file is deleted right after the server's first stat of it.
  const victim = path.join(root, "victim.js");
  fs.writeFileSync(victim, JS);
  fs.writeFileSync(victim + ".br", zlib.brotliCompressSync(JS));
  const realStat = fs.promises.stat;
  let fired = false;
  fs.promises.stat = async function (p, ...rest) {
    const st = await realStat.call(this, p, ...rest);
    if (!fired && path.resolve(String(p)) === victim) {
      fired = true;
      fs.rmSync(victim, { force: true });
      fs.rmSync(victim + ".br", { force: true });
    }
    return st;
  };
  try {
    const r = await request(srv.url + "victim.js", { headers: { "accept-encoding": "br" }, timeoutMs: 3000 });
    assert.ok(fired, "the stub saw the server stat the file");
    assert.equal(r.error, undefined, `request failed: ${r.error?.message}`);
    assert.equal(r.status, 404);
  } finally {
    fs.promises.stat = realStat;
  }
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(unhandled.map(String), [], "no unhandled promise rejection");
  assert.equal((await request(srv.url)).status, 200);
});

test("many concurrent requests while files are deleted and recreated: the process survives", async (t) => {
  // The CLI server in its own process: whatever happens, it must still be running and answering.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-race-"));
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html>");
  const names = Array.from({ length: 8 }, (_, i) => `f${i}.js`);
  const br = zlib.brotliCompressSync(JS);
  const gz = zlib.gzipSync(JS);
  const create = (n) => {
    fs.rmSync(path.join(dir, n), { recursive: true, force: true }); // may be a directory just now
    fs.writeFileSync(path.join(dir, n), JS);
    fs.writeFileSync(path.join(dir, n + ".br"), br);
    fs.writeFileSync(path.join(dir, n + ".gz"), gz);
  };
  const remove = (n) => {
    for (const f of [n, n + ".br", n + ".gz"]) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  };
  names.forEach(create);
  const child = spawn(process.execPath, [path.join(REPO, "web/server.mjs"), "--root", dir, "--port", "0"]);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let exited = null;
  child.on("exit", (code, signal) => (exited = { code, signal }));
  try {
    const url = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}${stderr}`)), 10_000);
      child.stdout.on("data", (d) => {
        out += d;
        const m = out.match(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 48 });
    let done = false;
    // Churn: delete / recreate / replace with a directory, in small async steps, until the requests end.
    const churn = (async () => {
      for (let i = 0; !done && i < 100_000; ++i) {
        const n = names[i % names.length];
        const step = i % 5;
        if (step === 0) remove(n);
        else if (step === 1) create(n);
        else if (step === 2) fs.rmSync(path.join(dir, n + ".br"), { force: true });
        else if (step === 3) { remove(n); fs.mkdirSync(path.join(dir, n), { recursive: true }); }
        else create(n);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const statuses = new Map();
    for (let round = 0; round < 40 && exited === null; ++round) {
      const results = await Promise.all(names.flatMap((n) => [
        request(url + n, { agent, headers: { "accept-encoding": "br, gzip" } }),
        request(url + n, { agent, headers: { "accept-encoding": "gzip" } }),
        request(url + n, { agent, method: "HEAD", headers: { "accept-encoding": "br" } }),
        request(url + n + "/x", { agent }),
      ]));
      for (const r of results) {
        const k = r.error ? "error" : r.status;
        statuses.set(k, (statuses.get(k) ?? 0) + 1);
      }
    }
    done = true;
    await churn;
    t.diagnostic(`outcomes: ${JSON.stringify(Object.fromEntries(statuses))}`);
    agent.destroy();
    assert.equal(exited, null, `the server exited (${JSON.stringify(exited)}): ${stderr}`);
    for (const k of statuses.keys()) assert.ok([200, 404, "error"].includes(k), `unexpected status ${k}: ${[...statuses]}`);
    assert.ok((statuses.get(200) ?? 0) + (statuses.get(404) ?? 0) > 0, `no answers at all: ${[...statuses]}`);
    names.forEach(create);
    const after = await request(url + names[0], { headers: { "accept-encoding": "br" } });
    assert.equal(after.status, 200, `after the churn: ${after.error?.message ?? after.status}; ${stderr}`);
    assert.deepEqual(zlib.brotliDecompressSync(after.body), JS);
    assert.equal((await request(url)).status, 200);
    assert.doesNotMatch(stderr, /Unhandled|TypeError|ReferenceError|ERR_/);
  } finally {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a path whose parent is a file (ENOTDIR), a directory, a FIFO: 404, never a crash", async () => {
  assert.equal((await request(srv.url + "index.html/x")).status, 404);
  assert.equal((await request(srv.url + "app.js/x.br", { headers: { "accept-encoding": "br" } })).status, 404);
  assert.equal((await request(srv.url + "sub")).status, 404);
  assert.equal((await request(srv.url + "sub/")).status, 404); // no sub/index.html
  const fifo = path.join(root, "pipe.txt");
  const made = spawn("mkfifo", [fifo]);
  if ((await new Promise((r) => made.on("close", r).on("error", () => r(1)))) === 0) {
    assert.equal((await request(srv.url + "pipe.txt", { timeoutMs: 3000 })).status, 404);
    fs.rmSync(fifo, { force: true });
  }
  assert.equal((await request(srv.url)).status, 200);
});

test("a client that aborts mid-download does not disturb the server", async () => {
  const big = path.join(root, "big.onnx");
  fs.writeFileSync(big, Buffer.alloc(8 << 20, 7));
  for (let i = 0; i < 5; ++i) {
    await new Promise((resolve) => {
      const req = http.get(srv.url + "big.onnx", (res) => res.once("data", () => { req.destroy(); resolve(); }));
      req.on("error", () => resolve());
    });
  }
  const r = await request(srv.url + "big.onnx");
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 8 << 20);
  fs.rmSync(big);
});

test("symlinks that resolve outside the root are refused; inside the root they work", async () => {
  for (const p of ["link-out.txt", "dir-out/x.txt"]) {
    const r = await request(srv.url + p);
    assert.equal(r.status, 404, p);
    assert.ok(!r.body.toString().includes("outside-secret"), p);
  }
  const inside = await request(srv.url + "link-in.txt");
  assert.equal(inside.status, 200);
  assert.equal(inside.body.toString(), "inside");
});

test("dotfiles and dot-directories are 404, also when percent-encoded", async () => {
  for (const p of [".env", ".git/config", "%2eenv", "%2Egit/config", "sub/.hidden", ".well-known/x"]) {
    const r = await request(srv.url + p);
    assert.equal(r.status, 404, p);
    assert.ok(!r.body.toString().includes("SECRET") && !r.body.toString().includes("[core]"), p);
  }
});

test("source maps are 404", async () => {
  for (const p of ["app.js.map", "app.js.map?v=1", "app.js.ma%70"]) assert.equal((await request(srv.url + p)).status, 404, p);
});

test("a stale or corrupt precompressed sibling is not served: the source is", async () => {
  const file = path.join(root, "stale.js");
  const old = Buffer.from("console.log('old build');\n".repeat(300));
  // Siblings from an earlier build (content of `old`), older than the source, then the source.
  fs.writeFileSync(file + ".br", zlib.brotliCompressSync(old));
  fs.writeFileSync(file + ".gz", zlib.gzipSync(old));
  const past = new Date(Date.now() - 3600_000);
  fs.utimesSync(file + ".br", past, past);
  fs.utimesSync(file + ".gz", past, past);
  fs.writeFileSync(file, JS);
  for (const ae of ["br", "gzip", "br, gzip"]) {
    const r = await request(srv.url + "stale.js", { headers: { "accept-encoding": ae } });
    assert.equal(r.status, 200, ae);
    assert.equal(r.headers["content-encoding"], undefined, `${ae}: served the stale sibling`);
    assert.deepEqual(r.body, JS, ae);
    assert.equal(r.headers.vary, "Accept-Encoding");
  }
  // Content mismatch even when the sibling is newer than its source.
  const future = new Date(Date.now() + 3600_000);
  fs.utimesSync(file + ".br", future, future);
  const newer = await request(srv.url + "stale.js", { headers: { "accept-encoding": "br" } });
  assert.equal(newer.headers["content-encoding"], undefined);
  assert.deepEqual(newer.body, JS);
  // Not brotli at all.
  fs.writeFileSync(file + ".br", "garbage, not brotli");
  const corrupt = await request(srv.url + "stale.js", { headers: { "accept-encoding": "br" } });
  assert.equal(corrupt.headers["content-encoding"], undefined);
  assert.deepEqual(corrupt.body, JS);
  // Rebuilt sibling (matches again): served compressed.
  fs.writeFileSync(file + ".br", zlib.brotliCompressSync(JS));
  const fresh = await request(srv.url + "stale.js", { headers: { "accept-encoding": "br" } });
  assert.equal(fresh.headers["content-encoding"], "br");
  assert.deepEqual(zlib.brotliDecompressSync(fresh.body), JS);
  // And the source changes under an unchanged sibling: the sibling is stale again.
  const js2 = Buffer.from("console.log('edited');\n".repeat(300));
  fs.writeFileSync(file, js2);
  const edited = await request(srv.url + "stale.js", { headers: { "accept-encoding": "br" } });
  assert.equal(edited.headers["content-encoding"], undefined);
  assert.deepEqual(edited.body, js2);
});

test("Accept-Encoding q-values: q=0 means refused", async () => {
  const cases = [
    ["br;q=0, gzip", ["gzip"]],
    ["gzip, br;q=0", ["gzip"]],
    ["br;q=0.5, gzip", ["gzip"]],
    ["br;q=0, gzip;q=0", [undefined]],
    ["*;q=0", [undefined]],
    ["*;q=0, gzip", ["gzip"]],
    ["*", ["br"]],
    ["identity", [undefined]],
    ["gzip;q=1.0, br;q=0.9", ["gzip"]],
    ["BR", ["br"]],
  ];
  for (const [ae, allowed] of cases) {
    const r = await request(srv.url + "app.js", { headers: { "accept-encoding": ae } });
    assert.equal(r.status, 200, ae);
    assert.ok(allowed.includes(r.headers["content-encoding"]), `${ae}: got ${r.headers["content-encoding"]}`);
    assert.equal(r.headers.vary, "Accept-Encoding", ae);
    const body = r.headers["content-encoding"] === "br" ? zlib.brotliDecompressSync(r.body)
      : r.headers["content-encoding"] === "gzip" ? zlib.gunzipSync(r.body) : r.body;
    assert.deepEqual(body, JS, ae);
  }
});

test("Host header: only loopback names or the configured host (DNS rebinding)", async () => {
  const port = srv.port;
  for (const host of ["evil.example", `evil.example:${port}`, "127.0.0.1.evil.example", "localhost.evil.example", "[::2]", ""]) {
    const res = await raw(port, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const status = statusOf(res);
    assert.ok(status === 421 || status === 403 || (host === "" && status === 400), `Host: ${host} got ${status}`);
    assert.ok(!res.includes("<title>"), `Host: ${host} was served the page`);
  }
  const noHost = await raw(port, "GET / HTTP/1.0\r\n\r\n");
  assert.ok(!noHost.includes("<title>"), "no Host header was served the page");
  for (const host of [`localhost:${port}`, "localhost", `127.0.0.1:${port}`, "127.0.0.1", `[::1]:${port}`, "LOCALHOST"]) {
    const res = await raw(port, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(res), 200, `Host: ${host}`);
  }
  // The host given to --host / startServer({host}) is accepted too.
  let other;
  try {
    other = await startServer({ root, port: 0, host: "127.0.0.2" });
  } catch {
    return; // no 127.0.0.2 on this machine's loopback
  }
  try {
    const ok = await request(`http://127.0.0.2:${other.port}/`);
    assert.equal(ok.status, 200);
    const bad = await request(`http://127.0.0.2:${other.port}/`, { headers: { host: `attacker.test:${other.port}` } });
    assert.ok(bad.status === 421 || bad.status === 403, String(bad.status));
  } finally {
    await other.close();
  }
});

test("bad URLs: 400 for bad percent-escapes and non-path targets; garbage requests leave the server up", async () => {
  for (const p of ["/%", "/%zz", "/app%2", "/%C0%AF", "/%E0%A4%A"]) {
    const res = await raw(srv.port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(res), 400, p);
  }
  const absolute = await raw(srv.port, "GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  assert.equal(statusOf(absolute), 400, "absolute-form target");
  const garbage = await raw(srv.port, "\x16\x03\x01 not http at all\r\n\r\n");
  assert.ok(garbage === "" || statusOf(garbage) === 400, garbage);
  const huge = await raw(srv.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ${"a".repeat(100_000)}\r\n\r\n`);
  assert.ok(huge === "" || statusOf(huge) === 431 || statusOf(huge) === 400, huge.slice(0, 80));
  assert.equal((await request(srv.url)).status, 200);
  assert.deepEqual(unhandled.map(String), [], "no unhandled promise rejection");
});
