/* Every page: after a form comes back with errors, move the focus to their summary so that a screen
   reader reads it first and a keyboard user starts there. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();

/* Forms that start a long operation (an import) say so while the server works: the element named by
   data-busy is shown with the text for the button pressed, and the buttons wait. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var box = document.getElementById(form.getAttribute("data-busy"));
      if (!box) { return; }
      var mode = event.submitter && event.submitter.value ? event.submitter.value : "";
      box.querySelectorAll("[data-mode]").forEach(function (text) {
        text.hidden = text.getAttribute("data-mode") !== mode;
      });
      box.hidden = false;
      form.setAttribute("aria-busy", "true");
      // After the browser has taken the pressed button's value into the form data.
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
      }, 0);
    });
  });
})();
