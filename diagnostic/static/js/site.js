// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    // Move focus to the error summary so screen-reader users hear the problems first.
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) summary.focus();
    // The organisation switcher submits itself when JavaScript is on.
    var switcher = document.getElementById("switch-organisation");
    if (switcher) {
      switcher.addEventListener("change", function () { switcher.form.submit(); });
    }
    // A questionnaire's contents are a sidebar, open, on a wide screen; on a phone they stay
    // folded so the question comes first.
    if (window.matchMedia("(min-width: 50.01rem)").matches) {
      document.querySelectorAll("details[data-open-when-wide]").forEach(function (d) { d.open = true; });
    }
  });
})();
