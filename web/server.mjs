#!/usr/bin/env node
// web/server.mjs: serves the built app (WEB_OUT) on 127.0.0.1 only, with the headers it needs:
//   COOP same-origin + COEP require-corp   -> crossOriginIsolated, so ONNX Runtime can use threads
//   CSP: only this origin ('self'), plus 'wasm-unsafe-eval' to compile WebAssembly
//   .wasm as application/wasm; precompressed .br / .gz siblings when the client accepts them
//   (Accept-Encoding q-values honoured) and only when they decompress to exactly their source.
// Refuses: a Host header other than 127.0.0.1 / localhost / [::1] / --host (DNS rebinding, 421),
// bad percent-escapes (400), dotfiles and dot-directories, *.map, and anything that resolves
// (symlinks included) outside --root (404). No request, file race or client abort ends the process.
//
//   node web/server.mjs --root build/web [--port 8080] [--host 127.0.0.1]
//   import { startServer } from "./server.mjs"; const { url, close } = await startServer({ root, port: 0 });
import { createHash } from "node:crypto";
import { constants as FS, promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

export const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".ttf": "font/ttf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".csv": "text/csv; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  // Revalidate every time; offline use is the service worker's job, not the HTTP cache's.
  "Cache-Control": "no-cache",
};

async function isFile(p) {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

function send(res, status, text, extra = {}) {
  if (res.headersSent) return res.destroy();
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, "Content-Type": "text/plain; charset=utf-8" });
  res.end(text + "\n");
}

// --- Accept-Encoding (RFC 9110 12.5.3) ----------------------------------------------------------

// "gzip;q=0.5, br" -> Map{gzip: 0.5, br: 1}; entries with a malformed q are ignored.
export function parseAcceptEncoding(header) {
  const q = new Map();
  for (const item of String(header ?? "").split(",")) {
    const [name, ...params] = item.split(";").map((s) => s.trim());
    if (!name || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/i.test(name)) continue;
    let weight = 1;
    let ok = true;
    for (const p of params) {
      const m = /^q\s*=\s*(.*)$/i.exec(p);
      if (!m) continue;
      if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(m[1])) ok = false;
      else weight = Number(m[1]);
    }
    if (ok) q.set(name.toLowerCase(), Math.max(weight, q.get(name.toLowerCase()) ?? 0));
  }
  return q;
}

// The precompressed codings this server has ("br", "gzip") that the header accepts, best first
// (higher q first; br before gzip on a tie). A coding not named gets the q of "*", else 0.
export function acceptedEncodings(header) {
  const q = parseAcceptEncoding(header);
  const weight = (names) => {
    for (const n of names) if (q.has(n)) return q.get(n);
    return q.get("*") ?? 0;
  };
  return [["br", weight(["br"])], ["gzip", weight(["gzip", "x-gzip"])]]
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name]) => name);
}

const SIBLINGS = { br: { ext: ".br", decompress: () => zlib.createBrotliDecompress() }, gzip: { ext: ".gz", decompress: () => zlib.createGunzip() } };

// --- Host header (DNS rebinding) ----------------------------------------------------------------

function hostName(h) {
  h = String(h).trim().toLowerCase();
  return h.includes(":") && !h.startsWith("[") ? `[${h}]` : h; // bare IPv6 literal -> [..]
}

// "localhost:8080" -> "localhost", "[::1]:80" -> "[::1]"; null when it is no valid Host value.
function hostOf(header) {
  if (typeof header !== "string") return null;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::\d{0,5})?$/i.exec(header.trim());
  return m ? m[1].toLowerCase() : null;
}

// --- Paths ---------------------------------------------------------------------------------------

// The URL's path as safe segments, or the status to refuse it with: 400 for a request target that is
// not a path or has a bad %-escape, 404 for dotfiles / dot-directories ("." and ".." included),
// encoded separators or NUL, and source maps.
export function parseRequestPath(url) {
  if (typeof url !== "string" || !url.startsWith("/")) return { status: 400, reason: "bad request target" };
  const raw = url.split(/[?#]/, 1)[0];
  const segments = [];
  for (const part of raw.split("/")) {
    let s;
    try {
      s = decodeURIComponent(part);
    } catch {
      return { status: 400, reason: "bad percent-escape in URL" };
    }
    if (s === "") continue;
    if (/[/\\\0]/.test(s) || s.startsWith(".")) return { status: 404 };
    segments.push(s);
  }
  if (raw.endsWith("/")) segments.push("index.html");
  if (segments.at(-1).toLowerCase().endsWith(".map")) return { status: 404 };
  return { segments, pathname: "/" + segments.join("/") };
}

function inside(dir, p) {
  const rel = path.relative(dir, p);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).some((s) => s.startsWith(".")) ? null : rel;
}

const NOT_FOUND = new Set(["ENOENT", "ENOTDIR", "ELOOP", "ENAMETOOLONG", "EISDIR", "ENXIO"]);

// Small bounded caches (Map keeps insertion order: drop the oldest).
function remember(map, key, value, max = 4096) {
  if (map.size >= max) map.delete(map.keys().next().value);
  map.set(key, value);
  return value;
}

const statKey = (st) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;

// The bytes of an open file from offset 0, read by position (so the handle stays usable after).
// Not fh.createReadStream: destroying such a stream closes the handle even with autoClose: false.
async function* chunks(fh) {
  for (let position = 0; ;) {
    const buffer = Buffer.allocUnsafe(1 << 16);
    const { bytesRead } = await fh.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function sha256(readable, limit = Infinity) {
  const h = createHash("sha256");
  let n = 0;
  for await (const chunk of readable) {
    n += chunk.length;
    if (n > limit) return null; // more than the source: not its compressed form (or a bomb)
    h.update(chunk);
  }
  return h.digest("hex");
}

// A Transform that fails the pipeline when the file gave fewer bytes than Content-Length promised
// (truncated while being sent), so the connection is cut instead of hanging or lying.
function exactly(size) {
  let n = 0;
  return new Transform({
    transform(chunk, _enc, cb) { n += chunk.length; cb(null, chunk); },
    flush(cb) { cb(n === size ? null : new Error(`file changed while sent (${n} of ${size} bytes)`)); },
  });
}

// The files under one root, served: each request's file opened once inside root (or a symlink
// target dir), with a precompressed sibling where the client accepts it and it matches.
class StaticFiles {
  constructor(root, options) {
    this.base = path.resolve(root);
    this.allowedHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);
    if (options.host) this.allowedHosts.add(hostName(options.host));
    this.extraDirs = (options.symlinkTargets ?? []).map((d) => path.resolve(d));
    this.realDirs = null; // [realpath(root), ...realpath(symlinkTargets)], once they all resolve
    this.sourceHashes = new Map(); // statKey(source) -> Promise<sha256 hex>
    this.siblingOk = new Map(); // coding|statKey(sibling)|statKey(source) -> Promise<boolean>
  }

  async roots() {
    if (!this.realDirs) this.realDirs = await Promise.all([this.base, ...this.extraDirs].map((d) => fs.realpath(d)));
    return this.realDirs;
  }

  // Opens the regular file `candidate` (a path under root) if it really is one inside root (or a
  // symlink target dir); null otherwise. The caller closes the handle.
  async openInside(candidate) {
    let real;
    try {
      real = await fs.realpath(candidate);
    } catch (e) {
      if (NOT_FOUND.has(e.code)) return null;
      throw e;
    }
    if (!(await this.roots()).some((d) => inside(d, real) !== null)) return null;
    let fh;
    try {
      if (!(await fs.stat(real)).isFile()) return null;
      // O_NONBLOCK: a FIFO swapped in after the stat cannot hang a thread; O_NOFOLLOW: nor a symlink.
      fh = await fs.open(real, FS.O_RDONLY | (FS.O_NONBLOCK ?? 0) | (FS.O_NOFOLLOW ?? 0));
      const st = await fh.stat({ bigint: true });
      if (st.isFile()) return { fh, st };
    } catch (e) {
      if (!NOT_FOUND.has(e.code)) {
        await fh?.close().catch(() => {});
        throw e;
      }
    }
    await fh?.close().catch(() => {});
    return null;
  }

  // The sha256 of a source file's bytes, once per file version.
  sourceHash(src) {
    const srcKey = statKey(src.st);
    let srcHash = this.sourceHashes.get(srcKey);
    if (!srcHash) {
      srcHash = remember(this.sourceHashes, srcKey, sha256(chunks(src.fh)));
      srcHash.catch(() => this.sourceHashes.delete(srcKey));
    }
    return srcHash;
  }

  // True when `sib` (opened) decompresses to exactly the bytes of `src` (opened). Cached per file
  // version (device, inode, size, mtime, ctime of both), so each pair is checked once.
  siblingMatches(coding, src, sib) {
    const key = `${coding}|${statKey(sib.st)}|${statKey(src.st)}`;
    const known = this.siblingOk.get(key);
    if (known) return known;
    const check = (async () => {
      const srcHash = this.sourceHash(src);
      const input = Readable.from(chunks(sib.fh), { objectMode: false });
      const decompress = SIBLINGS[coding].decompress();
      input.on("error", (e) => decompress.destroy(e));
      input.pipe(decompress);
      try {
        const sibHash = await sha256(decompress, Number(src.st.size));
        return sibHash !== null && sibHash === (await srcHash);
      } catch {
        return false; // not valid brotli / gzip, or unreadable: not used
      } finally {
        input.destroy();
        decompress.destroy();
      }
    })();
    remember(this.siblingOk, key, check);
    check.catch(() => this.siblingOk.delete(key));
    return check;
  }

  // The opened file to send for `requested` -> {body, encoding}: a matching precompressed sibling
  // the client accepts, else the file itself. Every handle opened is pushed onto `handles`.
  async pickBody(req, requested, src, handles) {
    for (const coding of acceptedEncodings(req.headers["accept-encoding"])) {
      const sib = await this.openInside(requested + SIBLINGS[coding].ext);
      if (!sib) continue;
      handles.push(sib.fh);
      if (await this.siblingMatches(coding, src, sib)) return { body: sib, encoding: coding };
    }
    return { body: src, encoding: null };
  }

  // The request's host and method, and its path as segments under root -> {segments, pathname}, or
  // null when an answer was sent.
  admit(req, res) {
    const host = hostOf(req.headers.host);
    if (!host || !this.allowedHosts.has(host)) {
      send(res, 421, `this server answers only for ${[...this.allowedHosts].join(", ")} (Host: ${String(req.headers.host ?? "").slice(0, 80) || "none"})`);
      return null;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "only GET and HEAD", { Allow: "GET, HEAD" });
      return null;
    }
    const target = parseRequestPath(req.url);
    if (!target.status) return target;
    send(res, target.status, target.reason ?? "not found");
    return null;
  }

  async handle(req, res) {
    const target = this.admit(req, res);
    if (!target) return;
    const { segments, pathname } = target;
    const requested = path.join(this.base, ...segments);
    const handles = [];
    try {
      const src = await this.openInside(requested);
      if (!src) return send(res, 404, `not found: ${pathname}`);
      handles.push(src.fh);
      const { body, encoding } = await this.pickBody(req, requested, src, handles);
      const size = Number(body.st.size);
      const type = CONTENT_TYPES[path.extname(requested).toLowerCase()] ?? "application/octet-stream";
      const headers = { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": size, Vary: "Accept-Encoding" };
      if (encoding) headers["Content-Encoding"] = encoding;
      if (pathname.endsWith("/sw.js")) headers["Service-Worker-Allowed"] = "/";
      if (req.method === "HEAD" || size === 0) {
        res.writeHead(200, headers);
        return res.end();
      }
      // The stream owns (and closes) this handle from here on.
      const stream = body.fh.createReadStream({ start: 0, end: size - 1 });
      handles.splice(handles.indexOf(body.fh), 1);
      res.writeHead(200, headers);
      try {
        await pipeline(stream, exactly(size), res);
      } catch {
        res.destroy(); // client gone, or the file changed / failed mid-way: cut this response only
      }
    } finally {
      await Promise.all(handles.map((fh) => fh.close().catch(() => {})));
    }
  }
}

// options.host: the --host the server listens on (also accepted in Host). options.symlinkTargets:
// directories besides root that symlinks inside root may resolve into (default none).
export function createHandler(root, options = {}) {
  const files = new StaticFiles(root, options);
  return (req, res) => {
    res.on("error", () => res.destroy());
    files.handle(req, res).catch((e) => {
      try {
        if (NOT_FOUND.has(e?.code)) send(res, 404, "not found");
        else if (e?.code === "EACCES" || e?.code === "EPERM") send(res, 403, "forbidden");
        else send(res, 500, "internal error");
      } catch {
        res.destroy();
      }
    });
  };
}

// port 0 = any free port. Resolves once listening. symlinkTargets: see createHandler.
export function startServer({ root, port = 8080, host = "127.0.0.1", symlinkTargets = [] }) {
  const server = http.createServer(createHandler(root, { host, symlinkTargets }));
  // Malformed requests, oversized headers, resets before a request: answer or drop that socket only.
  server.on("clientError", (err, socket) => {
    socket.on("error", () => {});
    if (err.code === "ECONNRESET" || !socket.writable) return socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large"
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      server.on("error", (e) => console.error(`server: ${e.message}`)); // e.g. EMFILE on accept: keep serving
      const actual = server.address().port;
      resolve({
        server,
        port: actual,
        url: `http://${hostName(host)}:${actual}/`,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }),
      });
    });
  });
}

function parseArgs(argv) {
  const args = { root: null, port: 8080, host: "127.0.0.1" };
  for (let i = 0; i < argv.length; ++i) {
    const [key, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (key === "--root") args.root = value();
    else if (key === "--port") args.port = Number(value());
    else if (key === "--host") args.host = value();
    else if (key === "--help" || key === "-h") {
      console.log("usage: node web/server.mjs --root DIR [--port 8080] [--host 127.0.0.1]");
      process.exit(0);
    } else {
      console.error(`server: unknown option ${argv[i]} (see --help)`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    console.error(`server: --port must be 0..65535 (got ${args.port})`);
    process.exit(2);
  }
  return args;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const root = args.root ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "build", "web");
  if (!(await isFile(path.join(root, "index.html")))) {
    console.error(`server: ${root}/index.html not found (build the app first: make build)`);
    process.exit(1);
  }
  try {
    const { url } = await startServer({ root, port: args.port, host: args.host });
    console.log(`alzscan: serving ${path.resolve(root)}`);
    console.log(`alzscan: open ${url}  (Ctrl+C to stop)`);
  } catch (e) {
    console.error(`server: cannot listen on ${args.host}:${args.port}: ${e.message} (try --port N / PORT=N)`);
    process.exit(1);
  }
}
