// web/sw.js: offline support. Every asset of this build is cached on install; afterwards the app
// loads and classifies with the network off. scripts/assemble_web.sh replaces the two
// placeholders below with the build's asset list and a digest of their contents, so a new build
// is a new service worker (and a new cache); old caches are deleted on activate.
const ASSETS = /*ALZSCAN_ASSETS*/[]/*END*/;
const VERSION = "/*ALZSCAN_VERSION*/dev";
const CACHE = `alzscan-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: "reload" skips the HTTP cache so the cached copy is the one on the server now.
    await cache.addAll(ASSETS.map((path) => new Request(new URL(path, self.registration.scope), { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith("alzscan-") && key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // The page itself: "/" and "/index.html" are one asset.
    const key = request.mode === "navigate" && url.pathname.endsWith("/") ? new URL("index.html", url) : url;
    const hit = await cache.match(key, { ignoreSearch: true });
    if (hit) return hit;
    return fetch(request);
  })());
});
