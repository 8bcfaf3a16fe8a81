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
  var queue = Promise.resolve();
  // Each mark takes the brush values of the moment it was made, and marks are sent one after
  // another, so quick clicks are neither lost nor shown out of order.
  function mark(regionEl) {
    var map = regionEl.closest(".pain-map");
    var form = map && map.querySelector("form.pain-brush");
    if (!form || !window.htmx) return;
    lastRegion = regionEl.getAttribute("data-region");
    var values = {
      region: lastRegion,
      intensity: form.querySelector("[name=intensity]").value,
      quality: form.querySelector("[name=quality]").value,
      csrfmiddlewaretoken: form.querySelector("[name=csrfmiddlewaretoken]").value
    };
    var url = form.getAttribute("hx-post");
    queue = queue.then(function () {
      return window.htmx.ajax("POST", url, { target: "#pain-map", swap: "outerHTML", values: values });
    }).catch(function () {});
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

// Intake questionnaire: show a conditional question only when its condition holds
// (the server applies the same rule, so a hidden answer is never stored).
(function () {
  "use strict";
  function answers(form) {
    var result = {};
    form.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.type === "hidden") return;
      if (el.type === "checkbox") { (result[el.name] = result[el.name] || []); if (el.checked) result[el.name].push(el.value); }
      else if (el.type === "radio") { if (el.checked) result[el.name] = el.value === "yes" ? true : el.value === "no" ? false : el.value; }
      else if (el.value !== "") { result[el.name] = el.type === "number" ? Number(el.value) : el.value; }
    });
    return result;
  }
  function holds(c, a) {
    if (c.always) return true;
    if (c.all) return c.all.every(function (x) { return holds(x, a); });
    if (c.any) return c.any.some(function (x) { return holds(x, a); });
    if (c.not) return !holds(c.not, a);
    var v = a[c.question];
    if (v === undefined || v === "" || (Array.isArray(v) && !v.length)) return false;
    if ("is" in c) return v === c.is;
    if ("equals" in c) return v === c.equals;
    if ("in" in c) return c.in.indexOf(v) >= 0;
    if ("includes" in c) return Array.isArray(v) && v.indexOf(c.includes) >= 0;
    if ("at_least" in c) return v >= c.at_least;
    return v <= c.at_most;
  }
  function refresh(form) {
    var a = answers(form);
    form.querySelectorAll("[data-show-if]").forEach(function (q) {
      q.hidden = !holds(JSON.parse(q.getAttribute("data-show-if")), a);
    });
  }
  document.addEventListener("change", function (e) { var f = e.target.closest("form.intake"); if (f) refresh(f); });
  document.addEventListener("DOMContentLoaded", function () { document.querySelectorAll("form.intake").forEach(refresh); });
})();

// Signature pad: strokes become an SVG path (M/L commands) in a hidden field; no images.
(function () {
  "use strict";
  function setup(pad) {
    if (pad.dataset.ready) return;
    pad.dataset.ready = "1";
    var canvas = pad.querySelector("canvas"), input = pad.querySelector("input[name=signature]");
    var ctx = canvas.getContext("2d"), drawing = false, path = input.value || "";
    ctx.lineWidth = 2; ctx.lineCap = "round"; ctx.strokeStyle = "#1d2430";
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return [Math.round((e.clientX - r.left) * canvas.width / r.width), Math.round((e.clientY - r.top) * canvas.height / r.height)];
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; canvas.setPointerCapture(e.pointerId);
      var p = point(e); path += (path ? " " : "") + "M " + p[0] + " " + p[1]; ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e); path += " L " + p[0] + " " + p[1]; ctx.lineTo(p[0], p[1]); ctx.stroke(); input.value = path;
    });
    canvas.addEventListener("pointerup", function () { drawing = false; input.value = path; });
    pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
      path = ""; input.value = ""; ctx.clearRect(0, 0, canvas.width, canvas.height);
    });
  }
  function all() { document.querySelectorAll("[data-signature-pad]").forEach(setup); }
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:afterSettle", all);
})();

// Follow-up questions: ask how much a side effect affected the patient only once it is ticked.
(function () {
  function refresh(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (box) {
      var tick = form.querySelector('input[name="effects"][value="' + box.getAttribute("data-show-when") + '"]');
      box.hidden = !(tick && tick.checked);
    });
  }
  document.addEventListener("change", function (e) { var f = e.target.closest("form.follow-up"); if (f) refresh(f); });
  document.addEventListener("DOMContentLoaded", function () { document.querySelectorAll("form.follow-up").forEach(refresh); });
})();

// The visit page: letters jump to its steps, "?" lists them (the list is on the page, in the summary).
// Never while typing in a field, nor with Ctrl, Alt or Cmd. No request leaves the page.
(function () {
  "use strict";
  var NOT_TYPED = ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"];
  // Typing: in a text field, a list (letters choose its options) or editable text; not on a tick box or a button.
  function typing(target) {
    if (!target.closest) return false;
    if (target.closest("textarea, select, [contenteditable]:not([contenteditable=false])")) return true;
    return target.tagName === "INPUT" && NOT_TYPED.indexOf(target.type) < 0;
  }
  // Open a closed step (a <details>) and those around it, so what it holds can take the focus.
  function reveal(el) {
    for (var node = el; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
  }
  function focusIn(step) {
    reveal(step);
    var target = step.querySelector("[data-shortcut-focus]") ||
      step.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])");
    if (target) { reveal(target); target.focus(); target.scrollIntoView({ block: "center" }); }
    else { var heading = step.querySelector("h2"); if (heading) { heading.tabIndex = -1; heading.focus(); heading.scrollIntoView(); } }
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var help = document.getElementById("shortcut-help");
    if (!help) return;  // only the visit page has shortcuts
    if (event.key === "?") {
      event.preventDefault();
      help.open = !help.open;
      if (help.open) help.querySelector("summary").focus();
      return;
    }
    if (event.key === "Escape" && help.open) { help.open = false; return; }
    if (event.key.length !== 1 || event.shiftKey) return;
    var step = document.querySelector('[data-shortcut="' + event.key.toLowerCase() + '"]');
    if (step) { event.preventDefault(); focusIn(step); }
  });
  // A link to a step that is closed opens it (the summary's list of steps, "Record consent again").
  document.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="#"]');
    if (!link || link.getAttribute("href").length < 2) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (target) reveal(target);
  });
  // A suggestion's "Palpate" chooses its muscle and side in the palpation form.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-palpate]");
    var form = link && document.getElementById("palpation-form");
    if (!form) return;
    event.preventDefault();
    form.querySelector("[name=muscle_id]").value = link.getAttribute("data-palpate");
    form.querySelector("[name=side]").value = link.getAttribute("data-side");
    var first = form.querySelector("input[type=checkbox]");
    if (first) { first.focus(); first.scrollIntoView({ block: "center" }); }
  });
  // After an HTMX answer, move on to what comes next (a suggestion's "Plan": the "Add needles" button).
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var next = elt && elt.getAttribute && elt.getAttribute("data-then-focus");
    var target = next && event.detail.successful && document.querySelector(next);
    if (target) { target.focus(); target.scrollIntoView({ block: "center" }); }
  });
  // The note is sent only once what the page is still saving (a count left a moment ago) has been
  // answered, so the server has it when the note is signed.
  var pending = 0, waiting = [];
  document.addEventListener("htmx:beforeSend", function () { pending += 1; });
  document.addEventListener("htmx:afterRequest", function () {
    pending = Math.max(0, pending - 1);
    if (pending === 0) waiting.splice(0).forEach(function (send) { window.setTimeout(send, 0); });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-after-htmx") || pending === 0) return;
    event.preventDefault();
    var submitter = event.submitter;
    waiting.push(function () { form.requestSubmit(submitter || undefined); });
  });
})();

// Body map zoom: on a phone the regions are a few pixels across, too small to tap. The toggle
// enlarges the map inside a box that scrolls; marking a region redraws the map, which stays
// zoomed where it was.
(function () {
  "use strict";
  var zoomed = false, left = 0, top = 0;
  function apply() {
    document.querySelectorAll("[data-bodymap-zoom]").forEach(function (button) {
      var map = button.parentElement.querySelector(".bodymap.interactive");
      if (!map) return;
      button.hidden = false;
      button.setAttribute("aria-pressed", zoomed ? "true" : "false");
      map.classList.toggle("zoomed", zoomed);
      if (zoomed) { map.scrollLeft = left; map.scrollTop = top; }
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-bodymap-zoom]");
    if (!button) return;
    zoomed = !zoomed; left = 0; top = 0;
    apply();
  });
  document.addEventListener("scroll", function (event) {
    var map = event.target;
    if (map.classList && map.classList.contains("zoomed")) { left = map.scrollLeft; top = map.scrollTop; }
  }, true);
  // Capture: before the pain map's own handler moves the focus to the region just marked.
  document.addEventListener("htmx:afterSwap", function () { apply(); }, true);
  document.addEventListener("DOMContentLoaded", function () { apply(); });
})();

// Consent: the signature pad for written consent, the witness for verbal; both until a method is chosen.
(function () {
  "use strict";
  function refresh(form) {
    var chosen = form.querySelector("input[name=method]:checked");
    form.querySelectorAll("[data-for-method]").forEach(function (part) {
      part.hidden = Boolean(chosen) && part.getAttribute("data-for-method") !== chosen.value;
    });
  }
  function all() { document.querySelectorAll("[data-testid=consent-form]").forEach(refresh); }
  document.addEventListener("change", function (e) { if (e.target.name === "method") { var f = e.target.closest("form"); if (f) refresh(f); } });
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:afterSettle", all);
})();
