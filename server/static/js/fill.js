// Forms in the browser (server/web/fill.py, docs/web-forms.md): ODK Web Forms for a worker without an
// Android phone, with the promise that a filled form is never lost.
//  - A finished form is written to IndexedDB (the queue) before anything is sent; the queue is sent when the
//    network is there (now, when it returns, every 30 s), file by file after the XML as Central's web forms
//    do, and re-sent safely when an answer never came: the server keys it by instanceID.
//  - What the worker types is saved as a draft (IndexedDB) and offered when the form is opened again.
//  - A service worker (/fill/sw.js) keeps the pages, forms, their files and the bundle for use offline.
const root = document.getElementById('fill-root');
const data = root.dataset;
const T = JSON.parse(data.texts);
const USER = Number(data.user);
const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ''));

// --- IndexedDB: the queue ('outbox', by instanceID) and drafts ('drafts', by user|form|edit) ----------------
const DB_NAME = 'lastmeter-fill';
function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore('outbox', { keyPath: 'instanceId' });
      request.result.createObjectStore('drafts', { keyPath: 'key' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
const dbReady = openDb();
async function store(name, mode, work) {
  const db = await dbReady;
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    const result = work(tx.objectStore(name));
    tx.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
  });
}
const idb = {
  all: (name) => store(name, 'readonly', (s) => s.getAll()),
  get: (name, key) => store(name, 'readonly', (s) => s.get(key)),
  put: (name, value) => store(name, 'readwrite', (s) => s.put(value)),
  del: (name, key) => store(name, 'readwrite', (s) => s.delete(key)),
};

// --- The queue ---------------------------------------------------------------------------------------------
let sending = false;
let signedOut = false;

async function queued() {
  return (await idb.all('outbox')).sort((a, b) => a.savedAt - b.savedAt);
}

function instanceIdOf(xmlText) {
  const doc = new DOMParser().parseFromString(xmlText, 'application/xml');
  const node = doc.getElementsByTagNameNS('*', 'instanceID')[0] || doc.getElementsByTagName('instanceID')[0];
  return node ? node.textContent.trim() : null;
}

async function freshStatus() {
  const response = await fetch(data.statusUrl, { credentials: 'same-origin', cache: 'no-store' });
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(`status ${response.status}`);
  return response.json();
}

async function post(item, file, token) {
  const body = new FormData();
  body.append('xml_submission_file', new File([item.xml], 'submission.xml', { type: 'text/xml' }));
  if (file) body.append(file.name, new File([file.blob], file.name, { type: file.blob.type || 'application/octet-stream' }));
  const response = await fetch(data.submitUrl, {
    method: 'POST', body, credentials: 'same-origin', headers: { 'X-CSRFToken': token },
  });
  let answer = {};
  try { answer = await response.json(); } catch (error) { answer = {}; }
  return { status: response.status, answer };
}

// Send one queued form: the XML, then each file not yet confirmed; the server's list of missing files decides.
async function sendItem(item, token) {
  let pending = item.files.filter((f) => !(item.confirmed || []).includes(f.name));
  let first = !item.xmlSent;
  while (first || pending.length) {
    const file = pending[0];
    const { status, answer } = await post(item, file, token);
    if (status === 401) { signedOut = true; return 'stop'; }
    if (status === 400 && answer.code === '400.0') return 'stop';  // a stale CSRF token: a fresh one next time
    if (status >= 500 || status === 429) return 'stop';  // the server's trouble: try again later
    if (status !== 201) {  // refused for what it is: kept, with the reason, until the worker decides
      item.error = status === 413 ? T.too_large : (answer.message || `HTTP ${status}`);
      await idb.put('outbox', item);
      return 'failed';
    }
    const missing = new Set(answer.missing || []);
    item.xmlSent = true;
    item.error = null;
    item.confirmed = item.files.map((f) => f.name).filter((name) => !missing.has(name));
    await idb.put('outbox', item);
    pending = item.files.filter((f) => missing.has(f.name));
    if (file && missing.has(file.name)) return 'stop';  // the server did not keep it: try again later
    first = false;
  }
  await idb.del('outbox', item.instanceId);
  return 'sent';
}

// After a failure while online (a lost answer, a server error), try again soon, then less and less often.
let retryDelay = 0;
let retryTimer = null;
function retrySoon() {
  retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 60000);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(sendQueue, retryDelay);
}

async function sendQueue() {
  if (sending) return;
  sending = true;
  let stopped = false;
  try {
    const items = (await queued()).filter((i) => i.user === USER && !i.error);
    if (!items.length || !navigator.onLine) return;
    const status = await freshStatus();
    if (!status) { signedOut = true; return; }
    signedOut = false;
    for (const item of items) {
      if (await sendItem(item, status.csrf_token) === 'stop') { stopped = true; break; }
    }
  } catch (error) {
    stopped = true;  // the network went while sending: everything stays queued
  } finally {
    sending = false;
    if (stopped && !signedOut && navigator.onLine) retrySoon();
    else if (!stopped) retryDelay = 0;
    await showQueue();
  }
}

async function showQueue() {
  const items = await queued();
  const mine = items.filter((i) => i.user === USER);
  const others = items.length - mine.length;
  const badge = document.getElementById('queue-badge');
  const waitText = mine.length ? fmt(T.waiting, { n: mine.length }) : '';
  if (badge) badge.textContent = waitText;
  const box = document.getElementById('queue');
  if (!box) return;
  box.hidden = !items.length;
  const lines = [];
  if (mine.length) lines.push(waitText + (navigator.onLine ? '' : T.offline_wait));
  if (signedOut) lines.push(T.signed_out);
  if (others) lines.push(fmt(T.others, { n: others }));
  document.getElementById('queue-summary').textContent = lines.join(' ');
  const list = document.getElementById('queue-list');
  list.replaceChildren(...mine.map((item) => {
    const li = document.createElement('li');
    const when = new Date(item.savedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
    li.textContent = `${item.title} · ${when}` + (item.error ? ` · ${T.refused}${item.error}` : '');
    if (item.error) {
      li.className = 'error';
      const discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'secondary';
      discard.textContent = T.discard;
      discard.addEventListener('click', async () => {
        if (!window.confirm(T.discard_confirm)) return;
        await idb.del('outbox', item.instanceId);
        await showQueue();
      });
      li.append(' ', discard);
    }
    return li;
  }));
}

// --- Service worker and offline copies ---------------------------------------------------------------------
async function registerServiceWorker() {
  const note = document.getElementById('offline-note');
  if (!('serviceWorker' in navigator)) {
    if (note) note.textContent = T.no_offline;
    return null;
  }
  try {
    await navigator.serviceWorker.register(data.swUrl, { scope: data.scope });
    return await navigator.serviceWorker.ready;
  } catch (error) {
    if (note) note.textContent = T.no_offline;
    return null;
  }
}

async function keepForOffline() {
  const note = document.getElementById('offline-note');
  const copies = JSON.parse(data.offline);
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true });
      setTimeout(resolve, 5000);
    });
  }
  if (!navigator.serviceWorker.controller || !navigator.onLine) return;
  const urls = [data.scope, ...copies.flatMap((c) => [c.page, c.xml, ...c.files])];
  const results = await Promise.allSettled(urls.map((u) => fetch(u, { credentials: 'same-origin' })));
  const ok = results.every((r) => r.status === 'fulfilled' && r.value.ok);
  if (note) note.textContent = ok ? T.offline_ready : T.offline_partial;
  document.documentElement.dataset.offlineReady = ok ? 'yes' : 'partial';
}

// --- The form page -----------------------------------------------------------------------------------------
const draftKey = () => `${USER}|${data.form}|${data.editOf || ''}`;
let handle = null;
let draftTimer = null;
let restoredDraft = null;

function message(text, kind) {
  const box = document.getElementById('fill-message');
  box.hidden = !text;
  box.textContent = text || '';
  box.className = `fill-note ${kind || ''}`;
}

async function payloadParts(formData) {
  let xml = null;
  const files = [];
  for (const [name, value] of formData.entries()) {
    if (name === 'xml_submission_file') xml = await value.text();
    else if (value instanceof Blob) files.push({ name, blob: value });
  }
  return { xml, files };
}

// A draft is reopened through Web Forms' edit mode, which makes the reopened copy an edit of the draft's own
// instanceID: put back what the submission really is (a new visit, or an edit of the returned one).
function fixDeprecatedId(xml) {
  if (!restoredDraft) return xml;
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const node = doc.getElementsByTagNameNS('*', 'deprecatedID')[0];
  if (!node) return xml;
  if (data.editOf) node.textContent = data.editOf;
  else node.parentNode.removeChild(node);
  return new XMLSerializer().serializeToString(doc);
}

async function onSubmit(payload, callback) {
  if (payload.status !== 'ready') { callback(); return; }
  const parts = await payloadParts(payload.data[0]);
  const xml = fixDeprecatedId(parts.xml);
  const item = {
    instanceId: instanceIdOf(xml), user: USER, form: data.form, title: document.title.split(' · ')[0],
    xml, files: parts.files, savedAt: Date.now(), xmlSent: false, confirmed: [], error: null,
  };
  try {
    await idb.put('outbox', item);
  } catch (error) {
    message(T.not_saved, 'error');
    callback();  // keep the filled form on screen
    return;
  }
  clearTimeout(draftTimer);
  await idb.del('drafts', draftKey());
  restoredDraft = null;
  message(navigator.onLine ? T.saved_sending : T.saved_offline, 'ok');
  await showQueue();
  if (data.editOf) {
    callback();
    await sendQueue();
    window.location.assign(data.homeUrl);
    return;
  }
  callback({ next: handle.POST_SUBMIT__NEW_INSTANCE });
  await sendQueue();
  const left = await idb.get('outbox', item.instanceId);
  if (!left) message(T.sent, 'ok');
  else if (left.error) message(`${T.refused}${left.error}`, 'error');
  else message(navigator.onLine ? T.kept : T.saved_offline, 'ok');
}

async function saveDraft() {
  const state = handle && handle.state();
  if (!state || !state.root) return;
  try {
    const payload = await state.root.prepareInstancePayload({ payloadType: 'monolithic' });
    const parts = await payloadParts(payload.data[0]);
    await idb.put('drafts', { key: draftKey(), user: USER, form: data.form, xml: parts.xml, files: parts.files,
                              savedAt: Date.now() });
  } catch (error) {
    // A draft is a convenience: the form on screen is untouched if it cannot be saved.
  }
}

function scheduleDraft() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveDraft, 1500);
}

const attachmentsBase = () => new URL(data.attachmentsUrl, document.baseURI);
const fileNameOf = (url) => decodeURIComponent(url.pathname.split('/').pop());
const fetchFormAttachment = (url) =>
  fetch(new URL(encodeURIComponent(fileNameOf(url)), attachmentsBase()), { credentials: 'same-origin' });

function editFromServer() {
  if (!data.instanceUrl) return undefined;
  const base = new URL(data.instanceFilesUrl, document.baseURI);
  return {
    resolveInstance: () => fetch(data.instanceUrl, { credentials: 'same-origin' }),
    attachmentFileNames: JSON.parse(data.instanceFiles || '[]'),
    resolveAttachment: (name) => fetch(new URL(encodeURIComponent(name), base), { credentials: 'same-origin' }),
  };
}

function editFromDraft(draft) {
  const files = new Map(draft.files.map((f) => [f.name, f.blob]));
  return {
    resolveInstance: () => new Blob([draft.xml], { type: 'text/xml' }),
    attachmentFileNames: [...files.keys()],
    resolveAttachment: async (name) => new Response(files.get(name)),
  };
}

// ODK Web Forms 0.22 leaves a few controls without an accessible name: the date pickers' and number fields'
// inputs (their <label for> names another element), drop-downs of some appearances, and icon-only buttons (a
// repeat's menu). Each is given the name a screen reader needs: its question's label, or what the button does.
const NAMEABLE = 'input:not([type=hidden]):not([type=file]):not([type=radio]):not([type=checkbox]), textarea, [role=combobox]';
const hasName = (el) => el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.labels && el.labels.length);
function nameUnnamedControls() {
  for (const box of root.querySelectorAll('.question-container')) {
    const label = box.querySelector('.control-text label');
    const text = label ? label.textContent.trim() : '';
    if (!text) continue;
    for (const control of box.querySelectorAll(NAMEABLE)) {
      if (!hasName(control)) control.setAttribute('aria-label', text);
    }
  }
  for (const button of root.querySelectorAll('button')) {
    if (!button.textContent.trim() && !button.getAttribute('aria-label') && !button.title) {
      button.setAttribute('aria-label', button.classList.contains('button-menu') ? T.repeat_actions : T.actions);
    }
  }
}
let naming = false;
new MutationObserver(() => {
  if (naming) return;
  naming = true;
  requestAnimationFrame(() => { naming = false; nameUnnamedControls(); });
}).observe(root, { childList: true, subtree: true });

async function mount(editInstance) {
  if (handle) handle.app.unmount();
  const host = document.createElement('div');
  root.replaceChildren(host);
  const formXml = await (await fetch(data.formUrl, { credentials: 'same-origin' })).text();
  const { mountWebForm } = await import(data.bundleUrl);
  handle = await mountWebForm(host, {
    formXml, fetchFormAttachment, editInstance, styleNonce: data.styleNonce, onSubmit,
  });
}

async function formPage() {
  registerServiceWorker();
  showQueue();
  const draft = await idb.get('drafts', draftKey()).catch(() => null);
  try {
    await mount(editFromServer());
  } catch (error) {
    root.textContent = navigator.onLine ? T.load_failed : T.load_failed_offline;
    return;
  }
  // Typing and choosing (radio buttons and check boxes are inputs too) save the draft; a bare click does not,
  // so the blank form Web Forms shows after a Send is not kept as a draft.
  for (const type of ['input', 'change']) root.addEventListener(type, scheduleDraft, true);
  if (draft && draft.user === USER) {
    const offer = document.getElementById('draft-offer');
    const when = new Date(draft.savedAt).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
    document.getElementById('draft-when').textContent = fmt(T.draft_found, { when });
    offer.hidden = false;
    document.getElementById('draft-resume').addEventListener('click', async () => {
      offer.hidden = true;
      restoredDraft = draft;
      await mount(editFromDraft(draft));
    });
    document.getElementById('draft-discard').addEventListener('click', async () => {
      offer.hidden = true;
      await idb.del('drafts', draftKey());
    });
  }
}

async function homePage() {
  const drafts = (await idb.all('drafts').catch(() => [])).filter((d) => d.user === USER);
  for (const draft of drafts) {
    const badge = document.querySelector(`[data-draft-for="${CSS.escape(draft.form)}"]`);
    if (badge) badge.hidden = false;
  }
  document.getElementById('queue-send').addEventListener('click', async () => {
    for (const item of (await queued()).filter((i) => i.user === USER && i.error)) {
      item.error = null;  // "send now" tries the refused ones again too
      await idb.put('outbox', item);
    }
    await sendQueue();
  });
  await showQueue();
  const registration = await registerServiceWorker();
  if (registration) keepForOffline();
}

window.addEventListener('online', () => { showQueue(); sendQueue(); });
window.addEventListener('offline', showQueue);
setInterval(sendQueue, 30000);
(data.page === 'form' ? formPage() : homePage()).then(sendQueue);
