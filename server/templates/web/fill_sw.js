// Lastmeter's service worker for the browser forms (scope {{ scope }}): it keeps the forms pages, each form,
// its files and the ODK Web Forms bundle, so a worker can open and fill a form with no network. Filled forms
// are not sent from here: the page keeps them in IndexedDB and sends them (static/js/fill.js).
const VERSION = {{ version|tojson }};
const SHELL = `lastmeter-fill-shell-${VERSION}`;
const DATA = 'lastmeter-fill-data';  // pages and case lists: personal, cleared on sign-out
const ASSETS = {{ assets|tojson }};
const SCOPE = {{ scope|tojson }};
const NEVER_KEPT = [{{ status|tojson }}, `${SCOPE}sw.js`];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('lastmeter-fill-shell-') && k !== SHELL)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (ASSETS.includes(url.pathname + url.search)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (!url.pathname.startsWith(SCOPE) || NEVER_KEPT.includes(url.pathname)) return;
  // Network first, so a worker online always sees today's case list; the kept copy when there is none.
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && !response.redirected) {
      const copy = response.clone();
      caches.open(DATA).then((cache) => cache.put(request, copy));
    }
    return response;
  }).catch(() => caches.open(DATA).then((cache) => cache.match(request, { ignoreVary: true }))
    .then((hit) => hit || (request.mode === 'navigate' ? cache_home() : Response.error()))));
});

function cache_home() {
  return caches.open(DATA).then((cache) => cache.match(SCOPE)).then((hit) => hit || Response.error());
}
