// Kunde's small behaviours, loaded from our own origin (the CSP allows no inline script).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});

// --- Record forms and the 360° page (contacts, activities) ---
(() => {
  "use strict";

  // Repeatable rows (e-mails, phones, addresses): clone the <template> of an empty row.
  const addRow = (button) => {
    const prefix = button.getAttribute("data-formset-add");
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    const template = document.getElementById(`${prefix}-empty-row`);
    const rows = document.getElementById(`${prefix}-rows`);
    if (!total || !template || !rows) return;
    const index = Number.parseInt(total.value, 10) || 0;
    const max = Number.parseInt(document.getElementById(`id_${prefix}-MAX_NUM_FORMS`)?.value ?? "1000", 10);
    if (index >= max) return;
    const holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    const row = holder.firstElementChild;
    if (!row) return;
    rows.appendChild(row);
    total.value = String(index + 1);
    const first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), select, textarea");
    if (first) first.focus();
  };

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-formset-add]") : null;
    if (button) {
      event.preventDefault();
      addRow(button);
    }
  });

  // Enter in a picker's search box searches instead of submitting the whole record form.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter" && target instanceof HTMLInputElement && target.hasAttribute("data-picker-search")) {
      event.preventDefault();
      target.dispatchEvent(new Event("search"));
    }
  });

  // Confirm prompts on forms that change or remove something.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const message = form.getAttribute("data-confirm-action");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Focus: the first invalid field, a freshly loaded page of entries, or where the form asked.
  let focusAfter = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    const source = event.detail.elt;
    focusAfter = source instanceof Element ? source.getAttribute("data-focus-after") : null;
  });
  const focusMarked = () => {
    const marked = document.querySelector("[data-autofocus]");
    if (marked instanceof HTMLElement) {
      marked.removeAttribute("data-autofocus");
      marked.focus();
      return true;
    }
    return false;
  };
  document.addEventListener("htmx:afterSettle", () => {
    if (focusMarked()) return;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (focusAfter && lost) {
      const target = document.querySelector(focusAfter);
      if (target instanceof HTMLElement) target.focus();
    }
    focusAfter = null;
  });

  const ready = () => {
    document.querySelectorAll("[data-formset-add]").forEach((button) => button.classList.remove("d-none"));
    focusMarked();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

// An htmx request that fails (403, 404, 500) swaps nothing: say so where messages appear.
document.addEventListener("htmx:responseError", (event) => {
  const source = event.detail.elt instanceof Element ? event.detail.elt.closest("[data-error-message]") : null;
  const messages = document.getElementById("messages");
  if (!source || !messages) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger alert-dismissible";
  alert.setAttribute("role", "alert");
  alert.textContent = source.getAttribute("data-error-message");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close";
  close.setAttribute("data-bs-dismiss", "alert");
  close.setAttribute("aria-label", source.getAttribute("data-close-label") || "Close");
  alert.appendChild(close);
  messages.appendChild(alert);
});
