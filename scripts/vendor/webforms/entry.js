// The ODK Web Forms bundle Lastmeter serves (server/static/vendor/webforms/web-forms.js), built by
// scripts/vendor-js with esbuild. It exports one function; the page logic around it (the queue, drafts,
// Chinese texts) lives in server/static/js/fill.js, which imports this module.
import { createApp } from 'vue';

/**
 * Mount an OdkWebForm in `el`.
 *   formXml              the XForm (string)
 *   fetchFormAttachment  (url: URL) => Promise<Response>   jr://file-csv/cases.csv and the like
 *   editInstance         optional {resolveInstance, attachmentFileNames, resolveAttachment}
 *   styleNonce           the page's CSP nonce, put on every <style> Web Forms and PrimeVue insert
 *   onSubmit(payload, callback)  Web Forms' submit event (only fired for a valid form)
 * Returns {app, state(), POST_SUBMIT__NEW_INSTANCE}; state() is the form state (its root prepares payloads).
 */
export async function mountWebForm(el, { formXml, fetchFormAttachment, editInstance, styleNonce, onSubmit }) {
  if (styleNonce && !Document.prototype.createElement.lastmeterNonce) {
    const createElement = Document.prototype.createElement;
    const patched = function (tagName, options) {
      const node = createElement.call(this, tagName, options);
      if (String(tagName).toLowerCase() === 'style') node.nonce = styleNonce;
      return node;
    };
    patched.lastmeterNonce = true;
    Document.prototype.createElement = patched;
  }
  // Imported dynamically on purpose: the package uses top-level await, which esbuild cannot wrap when the
  // import is static (esbuild issue #4498); and the <style> nonce above must be in place before it runs.
  const { OdkWebForm, webFormsPlugin, POST_SUBMIT__NEW_INSTANCE } = await import('@getodk/web-forms');
  const app = createApp(OdkWebForm, { formXml, fetchFormAttachment, editInstance, trackDevice: true, onSubmit });
  app.use(webFormsPlugin);
  app.mount(el);
  return { app, state: () => globalThis.__lastmeterWebFormState?.value, POST_SUBMIT__NEW_INSTANCE };
}
