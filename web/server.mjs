#!/usr/bin/env node
// web/server.mjs: serves the built app (WEB_OUT) on 127.0.0.1 only, with the headers it needs:
//   COOP same-origin + COEP require-corp   -> crossOriginIsolated, so ONNX Runtime can use threads
//   CSP: only this origin ('self'), plus 'wasm-unsafe-eval' to compile WebAssembly
//   .wasm as application/wasm; precompressed .br / .gz siblings when the client accepts them.
//
//   node web/server.mjs --root build/web [--port 8080] [--host 127.0.0.1]
//   import { startServer } from "./server.mjs"; const { url, close } = await startServer({ root, port: 0 });
import { createReadStream, promises as fs } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

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

function send(res, status, text) {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8" });
  res.end(text + "\n");
}

export function createHandler(root) {
  const base = path.resolve(root);
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "only GET and HEAD");
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    } catch {
      return send(res, 400, "bad URL");
    }
    if (pathname.endsWith("/")) pathname += "index.html";
    const file = path.resolve(base, "." + pathname);
    if (file !== base && !file.startsWith(base + path.sep)) return send(res, 403, "outside the app");
    if (!(await isFile(file))) return send(res, 404, `not found: ${pathname}`);

    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    const accept = String(req.headers["accept-encoding"] ?? "");
    let body = file;
    let encoding = null;
    if (/\bbr\b/.test(accept) && (await isFile(file + ".br"))) [body, encoding] = [file + ".br", "br"];
    else if (/\bgzip\b/.test(accept) && (await isFile(file + ".gz"))) [body, encoding] = [file + ".gz", "gzip"];
    const { size } = await fs.stat(body);
    const headers = { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": size, Vary: "Accept-Encoding" };
    if (encoding) headers["Content-Encoding"] = encoding;
    if (pathname.endsWith("/sw.js")) headers["Service-Worker-Allowed"] = "/";
    res.writeHead(200, headers);
    if (req.method === "HEAD") return res.end();
    createReadStream(body).on("error", () => res.destroy()).pipe(res);
  };
}

// port 0 = any free port. Resolves once listening.
export function startServer({ root, port = 8080, host = "127.0.0.1" }) {
  const server = http.createServer(createHandler(root));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        server,
        port: actual,
        url: `http://${host}:${actual}/`,
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
