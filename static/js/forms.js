/* Form helpers for pages whose forms Django renders without Bootstrap classes. Each page includes this file
   with data attributes on its script tag, so no page needs an inline script (the Content-Security-Policy
   allows scripts from the site's own static files only):
     data-controls="<selector>"  fields that get Bootstrap's form-control (select elements: data-select-class,
                                 form-select unless given), plus data-extra-class where set;
     data-checks="<selector>"    check boxes that get form-check-input;
     data-select="<id>"          the field whose text is selected on load (scanner-friendly intake). */
(function () {
  "use strict";
  var cfg = document.currentScript.dataset;
  if (cfg.controls) {
    var selectClass = cfg.selectClass || "form-select";
    document.querySelectorAll(cfg.controls).forEach(function (e) {
      e.classList.add(e.tagName === "SELECT" ? selectClass : "form-control");
      if (cfg.extraClass) { e.classList.add(cfg.extraClass); }
    });
  }
  if (cfg.checks) {
    document.querySelectorAll(cfg.checks).forEach(function (e) { e.classList.add("form-check-input"); });
  }
  if (cfg.select) {
    var field = document.getElementById(cfg.select);
    if (field && field.select) { field.select(); }
  }
})();
