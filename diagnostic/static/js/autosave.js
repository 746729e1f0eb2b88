// Autosave for the questionnaire: a visible saved / saving / not saved state, one request at a
// time per item (hx-sync), a request id per change so a resent request is applied once, and
// edits made while offline kept (in the page and in localStorage) and sent when the
// connection returns. Without JavaScript each item's Save button posts the form.
(function () {
  "use strict";
  var STORE = "nps-unsaved:" + location.pathname;

  function status(form, text, kind) {
    var el = document.getElementById("status-" + form.dataset.code);
    if (!el) return;
    el.textContent = text;
    el.className = "save-status" + (kind ? " save-status--" + kind : "");
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function pending() {
    try { return JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
  }
  function remember(form) {
    var all = pending();
    var data = {};
    new FormData(form).forEach(function (v, k) { if (k !== "csrfmiddlewaretoken") data[k] = v; });
    all[form.dataset.code] = data;
    try { localStorage.setItem(STORE, JSON.stringify(all)); } catch (e) { /* storage full or blocked */ }
  }
  function forget(form) {
    var all = pending();
    delete all[form.dataset.code];
    try { localStorage.setItem(STORE, JSON.stringify(all)); } catch (e) { /* ignore */ }
  }
  function banner(show) {
    var b = document.getElementById("offline-banner");
    if (show && !b) {
      b = document.createElement("div");
      b.id = "offline-banner";
      b.className = "offline-banner";
      b.setAttribute("role", "status");
      b.textContent = "You are offline. Your changes are kept on this page and will be saved when the connection returns.";
      document.body.insertBefore(b, document.body.firstChild);
    } else if (!show && b) {
      b.parentNode.removeChild(b);
    }
  }
  function resendPending() {
    document.querySelectorAll("form[data-autosave][data-unsaved]").forEach(function (form) {
      status(form, "Saving…", "saving");
      htmx.trigger(form, "submit");
    });
  }
  function restore() {
    // Put back edits that were never saved (the page was closed while offline).
    var all = pending();
    Object.keys(all).forEach(function (code) {
      var form = document.getElementById("form-" + code);
      if (!form) return;
      var data = all[code];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "hidden") return;
        if (el.type === "radio") el.checked = data[el.name] === el.value;
        else if (el.type === "checkbox") el.checked = data[el.name] !== undefined;
        else if (data[el.name] !== undefined) el.value = data[el.name];
      });
      if (data[code + "-version"] !== undefined) form.querySelector("#version-" + code).value = data[code + "-version"];
      form.dataset.unsaved = "1";
      status(form, "Not saved yet: restored from this device", "error");
    });
    if (navigator.onLine) resendPending();
  }

  // Screen readers announce a live region when its text changes, not when the element is
  // replaced by a new one: put the server's new status into the element already on the page.
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var target = evt.detail.target;
    var incoming = evt.detail.fragment && evt.detail.fragment.firstElementChild;
    if (!target.classList || !target.classList.contains("save-status")) return;
    if (!incoming || incoming.id !== target.id) return;
    evt.detail.shouldSwap = false;
    target.className = incoming.className;
    target.textContent = incoming.textContent;
  });

  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form.matches || !form.matches("form[data-autosave]")) return;
    // One id per change; a resend of the same unsaved change keeps its id.
    if (!form.dataset.requestId) form.dataset.requestId = newId();
    evt.detail.parameters[form.dataset.code + "-request_id"] = form.dataset.requestId;
    status(form, "Saving…", "saving");
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form.matches || !form.matches("form[data-autosave]")) return;
    var xhr = evt.detail.xhr;
    if (!xhr || xhr.status === 0) return; // handled by sendError
    delete form.dataset.requestId;
    if (xhr.status === 200) {
      delete form.dataset.unsaved;
      forget(form);
    } else if (xhr.status >= 500) {
      form.dataset.unsaved = "1";
      remember(form);
      status(form, "Not saved: the service had a problem. We will try again.", "error");
    }
  });
  document.addEventListener("htmx:sendError", function (evt) {
    var form = evt.detail.elt;
    if (!form.matches || !form.matches("form[data-autosave]")) return;
    form.dataset.unsaved = "1";
    remember(form);
    status(form, "Not saved: offline. Kept on this page.", "error");
    banner(true);
  });
  document.addEventListener("change", function (evt) {
    var form = evt.target.form;
    if (form && form.matches("form[data-autosave]")) {
      delete form.dataset.requestId; // a new change deserves a new id
      if (!navigator.onLine) {
        form.dataset.unsaved = "1";
        remember(form);
        status(form, "Not saved: offline. Kept on this page.", "error");
        banner(true);
      }
    }
  });
  window.addEventListener("online", function () { banner(false); resendPending(); });
  window.addEventListener("offline", function () { banner(true); });
  window.addEventListener("beforeunload", function (evt) {
    if (document.querySelector("form[data-autosave][data-unsaved]")) { evt.preventDefault(); evt.returnValue = ""; }
  });
  // Restore only once htmx has set up the forms (it fires htmx:load on the body after doing
  // so): before that, resending an edit would trigger a form nothing listens to yet. This
  // script is deferred, so it always runs before then.
  document.addEventListener("htmx:load", function start(evt) {
    if (evt.detail.elt !== document.body) return;
    document.removeEventListener("htmx:load", start);
    restore();
  });
})();
