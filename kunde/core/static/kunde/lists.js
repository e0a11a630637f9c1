// List pages: select-all, selection count, confirm prompts, tidy filter URLs, 400 swaps.
// Loaded from our own origin; the CSP allows no inline script.
(() => {
  "use strict";

  const updateSelection = (form) => {
    if (!form) return;
    const boxes = form.querySelectorAll('input[type="checkbox"][name="ids"]');
    const checked = form.querySelectorAll('input[type="checkbox"][name="ids"]:checked').length;
    const all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
    const counter = form.querySelector("[data-selected-count]");
    if (counter && counter.dataset.template) {
      counter.textContent = counter.dataset.template.replace("%s", String(checked));
    }
    form.querySelectorAll("[data-needs-selection]").forEach((button) => {
      button.disabled = checked === 0;
    });
  };

  const updateAll = () => document.querySelectorAll("[data-bulk-form]").forEach(updateSelection);

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (target.matches("[data-select-all]")) {
      const table = target.closest("table");
      if (table) {
        table.querySelectorAll('input[type="checkbox"][name="ids"]').forEach((box) => {
          box.checked = target.checked;
        });
      }
    }
    if (target.matches('[data-select-all], input[name="ids"]')) {
      updateSelection(target.closest("[data-bulk-form]"));
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Empty filter fields would only clutter the pushed URL.
  document.addEventListener("htmx:configRequest", (event) => {
    const element = event.detail.elt;
    if (!(element instanceof Element) || !element.closest("[data-list-filters]")) return;
    const data = event.detail.formData;
    if (!data) return;
    for (const key of Array.from(new Set(data.keys()))) {
      const values = data.getAll(key).filter((value) => value !== "");
      data.delete(key);
      values.forEach((value) => data.append(key, value));
    }
  });

  // A 400 answer for the list carries the error to show (bad filter or cursor): swap it in.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.id === "list-results") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // "Copy" buttons next to read-only fields (the API token shown once).
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-copy-target]") : null;
    if (!button) return;
    const field = document.querySelector(button.getAttribute("data-copy-target"));
    if (!(field instanceof HTMLInputElement)) return;
    field.select();
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(() => {});
  });

  document.addEventListener("htmx:afterSettle", updateAll);
  document.addEventListener("DOMContentLoaded", updateAll);
})();
