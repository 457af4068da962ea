// On the sign-in page nobody is signed in: the copies of pages and case lists the browser forms kept for use
// without a network (static/js/fill.js, /fill/sw.js) are personal, so they go. Filled forms waiting to be
// sent are kept (IndexedDB): they are sent when their worker signs in again.
if (window.caches) {
  caches.delete('lastmeter-fill-data');
}
