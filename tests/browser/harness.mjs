// tests/browser/harness.mjs: Debian's Chromium driven by playwright-core against web/server.mjs.
//
//   const h = await openApp();              // server on a free port + browser + page, app ready
//   const r = await h.classify(bytes, "name.png");   // window.alzscan.classify in the page
//   h.consoleErrors, h.requests             // everything the page logged / requested
//   await h.close();
// Never a downloaded browser: /usr/bin/chromium (or $ALZSCAN_CHROMIUM), fresh profile each time.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../../web/server.mjs";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const WEB_OUT = path.resolve(process.env.WEB_OUT ?? path.join(REPO, "build/web"));
export const DATA = path.resolve(process.env.DATA ?? path.join(REPO, "../shared/data/alzheimer_mri"));
export const ALZSCAN = path.resolve(process.env.ALZSCAN ?? path.join(REPO, "build/native/alzscan"));
export const CHROMIUM = process.env.ALZSCAN_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions",
  "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage",
];

export function requireBuild(root = WEB_OUT) {
  if (!fs.existsSync(path.join(root, "index.html")))
    throw new Error(`${root}/index.html missing: build the web app first (make build, or set WEB_OUT)`);
}

// args: Chromium flags besides CHROMIUM_FLAGS (e.g. --host-resolver-rules for a non-secure origin).
export async function launchBrowser({ serviceWorkers = "allow", deviceScaleFactor = 1, args = [] } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run make setup (installs Debian's chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "alzscan-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...args],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor,
    serviceWorkers,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Server + browser + page with listeners attached before the first request.
export async function openApp({ root = WEB_OUT, waitReady = true } = {}) {
  requireBuild(root);
  const server = await startServer({ root, port: 0 });
  const browser = await launchBrowser();
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const h = {
    server, browser, page, url: server.url,
    consoleErrors: [], consoleAll: [], requests: [], pageErrors: [],
    async classify(bytes, name, options = {}) {
      return page.evaluate(async ({ b64, name, trueLabel }) => {
        const bin = atob(b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; ++i) bytes[i] = bin.charCodeAt(i);
        try {
          return { ok: true, ...(await window.alzscan.classify(bytes, { name, trueLabel })) };
        } catch (e) {
          return { ok: false, error: e.message };
        }
      }, { b64: Buffer.from(bytes).toString("base64"), name, trueLabel: options.trueLabel ?? "" });
    },
    async ready() {
      await page.waitForFunction(() => window.alzscan !== undefined, null, { timeout: 60_000 });
      return page.evaluate(() => window.alzscan.ready.then((info) => ({ ok: true, info }), (e) => ({ ok: false, error: e.message })));
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
  page.on("console", (m) => {
    h.consoleAll.push(`${m.type()}: ${m.text()}`);
    if (m.type() === "error") h.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => h.pageErrors.push(e.message));
  browser.context.on("request", (r) => h.requests.push(r.url()));
  await page.goto(server.url);
  if (waitReady) {
    const r = await h.ready().catch((e) => ({ ok: false, error: e.message }));
    if (!r.ok) {
      // Close browser and server first: left open, they keep the test file's process alive.
      await h.close();
      throw new Error(`app not ready: ${r.error}\n${h.consoleAll.join("\n")}`);
    }
    h.info = r.info;
  }
  return h;
}
