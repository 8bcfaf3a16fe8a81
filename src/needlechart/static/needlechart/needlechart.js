// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Ask before irreversible actions (signing). The button carries the question.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  // "/" jumps to the patient search from anywhere but a text field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.target.closest("input, textarea, select")) return;
    var search = document.getElementById("q");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
    else { window.location.href = "/patients/"; }
  });
})();
