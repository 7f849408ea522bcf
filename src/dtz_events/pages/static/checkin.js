/* The check-in page: codes and list buttons call the JSON API with the session cookie and the CSRF token
   from the page; without this script the forms post to the page instead. */
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  var eventId = root.getAttribute("data-event-id");
  var t = JSON.parse(document.getElementById("checkin-strings").textContent);
  var form = document.getElementById("code-form");
  var input = document.getElementById("code");
  var result = document.getElementById("result");
  var counter = document.getElementById("counter");
  var list = document.getElementById("people");
  var noMatch = document.getElementById("no-match");
  var scan = document.getElementById("scan");
  var video = document.getElementById("camera");
  var busy = false;
  var csrfToken = document.querySelector("meta[name=csrf-token]").getAttribute("content");

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function show(kind, text) {
    result.className = "notice " + kind;
    result.textContent = text;
  }
  function clock(iso) { return String(iso).slice(11, 16); }
  function countDone() {
    if (!list) { return; }
    var rows = list.querySelectorAll("li");
    var done = list.querySelectorAll("li .state:not(.open)").length;
    counter.textContent = fill(t.counter, {done: done, total: rows.length});
  }
  function markRow(out) {
    var row = document.getElementById("reg-" + out.registration_id);
    if (!row) { return; }
    var rowForm = row.querySelector("form");
    var state = document.createElement("span");
    state.className = "state";
    state.textContent = fill(t.checked_in_at, {time: clock(out.checked_in_at)});
    if (rowForm) {
      var hadFocus = rowForm.contains(document.activeElement);
      rowForm.replaceWith(state);
      if (hadFocus) { input.focus(); }
    }
    countDone();
  }
  function filter(text) {
    if (!list) { return; }
    var needle = text.trim().toLowerCase();
    var shown = 0;
    list.querySelectorAll("li").forEach(function (row) {
      var match = !needle || row.getAttribute("data-search").indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    // A code matches no name: then keep the whole list in view.
    if (shown === 0) {
      list.querySelectorAll("li").forEach(function (row) { row.hidden = false; });
    }
    noMatch.hidden = !(needle && shown === 0);
  }
  async function checkIn(body) {
    if (busy) { return false; }
    busy = true;
    show("", t.busy);
    var response;
    try {
      response = await fetch("/api/events/" + encodeURIComponent(eventId) + "/check-ins", {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken},
        body: JSON.stringify(body)
      });
    } catch (error) {
      busy = false;
      show("error", t.offline);
      return false;
    }
    busy = false;
    if (response.ok) {
      var out = await response.json();
      markRow(out);
      var values = {name: out.person_name, time: clock(out.checked_in_at)};
      show(out.already_checked_in ? "warn" : "ok", fill(out.already_checked_in ? t.already : t.ok, values));
      return true;
    }
    if (response.status === 404) { show("error", t.not_found); }
    else if (response.status === 401 || response.status === 403) { show("error", t.logged_out); }
    else if (response.status === 400 || response.status === 422) { show("error", t.invalid); }
    else { show("error", t.failed); }
    return false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    if (!code) { show("error", t.empty); input.focus(); return; }
    if (code.length > 20) { show("error", t.invalid); input.focus(); return; }
    checkIn({code: code}).then(function (ok) {
      if (ok) { input.value = ""; filter(""); }
      input.focus();
    });
  });
  input.addEventListener("input", function () { filter(input.value); });
  document.querySelectorAll("form.row-checkin").forEach(function (rowForm) {
    rowForm.addEventListener("submit", function (event) {
      event.preventDefault();
      checkIn({registration_id: Number(rowForm.getAttribute("data-registration-id"))});
    });
  });

  // The camera: only where the browser can read QR codes itself (BarcodeDetector); typing always works.
  var stream = null;
  var detector = null;
  var scanning = false;
  function stopScanning() {
    scanning = false;
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    video.srcObject = null;
    scan.textContent = t.scan;
  }
  async function look() {
    if (!scanning) { return; }
    try {
      var codes = await detector.detect(video);
      if (codes.length && codes[0].rawValue) {
        var value = String(codes[0].rawValue).trim();
        stopScanning();
        input.value = value.slice(0, 40);
        if (value.length > 20) { show("error", t.invalid); } else { await checkIn({code: value}); }
        input.value = "";
        input.focus();
        return;
      }
    } catch (error) { /* a frame that cannot be read yet */ }
    window.setTimeout(look, 250);
  }
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scan.hidden = false;
    scan.addEventListener("click", async function () {
      if (scanning) { stopScanning(); show("", ""); return; }
      try {
        detector = new window.BarcodeDetector({formats: ["qr_code"]});
        stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
      } catch (error) {
        stopScanning();
        show("error", t.camera_failed);
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      video.play().catch(function () { /* a muted stream may autoplay; detect() waits for frames anyway */ });
      scanning = true;
      scan.textContent = t.stop_scan;
      show("", t.scanning);
      look();
    });
  }
})();
