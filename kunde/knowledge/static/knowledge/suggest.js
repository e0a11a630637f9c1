// Suggested articles: "Insert link" puts the article's public address into a textarea.
// The target is the fragment's data-target (a CSS selector), else the nearest form's
// textarea, else the first textarea on the page. Delegated, so fragments swapped in
// later by htmx work too; loading the file twice installs the handler once.
(function () {
  "use strict";
  if (window.kundeKnowledgeSuggest) { return; }
  window.kundeKnowledgeSuggest = true;
  function targetFor(button) {
    var box = button.closest("[data-knowledge-suggestions]");
    var selector = box && box.dataset.target;
    if (selector) {
      var chosen = null;
      try { chosen = document.querySelector(selector); } catch (error) { chosen = null; }
      if (chosen) { return chosen; }
    }
    var form = button.closest("form");
    return (form && form.querySelector("textarea")) || document.querySelector("textarea");
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-link]");
    if (!button) { return; }
    event.preventDefault();
    var area = targetFor(button);
    if (!area) { return; }
    var text = button.dataset.insertTitle + ": " + button.dataset.insertLink;
    var start = area.selectionStart, end = area.selectionEnd;
    if (typeof start !== "number") { start = end = area.value.length; }
    var before = area.value.slice(0, start), after = area.value.slice(end);
    var gap = before && !/\s$/.test(before) ? "\n" : "";
    area.value = before + gap + text + after;
    var caret = (before + gap + text).length;
    area.focus();
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
