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

// Pain map: a region clicked, or activated with Enter/Space, is marked with the intensity
// and quality chosen in the form. The form also works on its own (region select + submit).
(function () {
  "use strict";
  var lastRegion = null;
  function mark(regionEl) {
    var map = regionEl.closest(".pain-map");
    var form = map && map.querySelector("form.pain-brush");
    if (!form) return;
    lastRegion = regionEl.getAttribute("data-region");
    form.querySelector("[name=region]").value = lastRegion;
    form.requestSubmit();
  }
  document.addEventListener("click", function (event) {
    var region = event.target.closest(".bodymap.interactive .region");
    if (region) mark(region);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") return;
    var region = event.target.closest && event.target.closest(".bodymap.interactive .region");
    if (region) { event.preventDefault(); mark(region); }
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!lastRegion) return;
    var again = document.querySelector('.bodymap.interactive .region[data-region="' + lastRegion + '"]');
    if (again) again.focus();
  });
})();
