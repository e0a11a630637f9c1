// Article editor: refresh the preview while typing (debounced), through htmx.
(function () {
  "use strict";
  function setup() {
    var form = document.getElementById("article-form");
    var preview = document.getElementById("article-preview");
    if (!form || !preview || !window.htmx) { return; }
    var timer = null;
    function refresh() {
      window.htmx.ajax("POST", preview.dataset.previewUrl, { source: form, target: preview, values: {} });
    }
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    });
    refresh();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
