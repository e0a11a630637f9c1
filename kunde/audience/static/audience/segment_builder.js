// Segment builder: edits a flat rule list and writes it into the JSON textarea, which the
// form's htmx trigger counts live. Nested groups stay editable in the JSON itself.
(function () {
  "use strict";
  function init() {
    var textarea = document.querySelector("[data-segment-definition]");
    var builder = document.getElementById("segment-builder");
    var spec = document.getElementById("segment-fields");
    if (!textarea || !builder || !spec) { return; }
    var fields = JSON.parse(spec.textContent).fields;
    var rulesBox = document.getElementById("segment-rules");
    var opSelect = document.getElementById("segment-op");
    var definition;
    try { definition = JSON.parse(textarea.value || "{}"); } catch (e) { return; }
    var rules = (definition && definition.rules) || [];
    if (rules.some(function (rule) { return rule.rules; })) { return; } // nested: JSON only
    builder.hidden = false;
    opSelect.value = definition.op === "or" ? "or" : "and";

    function option(value, selected) {
      var element = document.createElement("option");
      element.value = value; element.textContent = value; element.selected = value === selected;
      return element;
    }
    function parseValue(text, operator) {
      var trimmed = text.trim();
      if (trimmed.charAt(0) === "{" || trimmed.charAt(0) === "[") {
        try { return JSON.parse(trimmed); } catch (e) { return trimmed; }
      }
      if (operator === "in" || operator === "not_in") {
        return trimmed.split(",").map(function (item) { return item.trim(); }).filter(Boolean);
      }
      if (/^-?\d+(\.\d+)?$/.test(trimmed)) { return Number(trimmed); }
      return trimmed;
    }
    function showValue(value) {
      if (value === undefined || value === null) { return ""; }
      if (Array.isArray(value) && value.every(function (v) { return typeof v !== "object"; })) { return value.join(", "); }
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    }
    function write() {
      var rows = rulesBox.querySelectorAll("[data-rule]");
      var out = [];
      rows.forEach(function (row) {
        var field = row.querySelector("[data-part=field]").value;
        if (field === "cf_") { field = "cf_" + row.querySelector("[data-part=custom]").value.trim(); }
        var operator = row.querySelector("[data-part=operator]").value;
        var rule = {field: field, operator: operator};
        var value = row.querySelector("[data-part=value]").value;
        if (value.trim() !== "") { rule.value = parseValue(value, operator); }
        out.push(rule);
      });
      textarea.value = JSON.stringify({op: opSelect.value, rules: out}, null, 1);
      textarea.dispatchEvent(new Event("change", {bubbles: true}));
    }
    function operatorsFor(field) {
      if (field.indexOf("cf_") === 0) { return ["eq", "neq", "in", "not_in", "contains", "gt", "gte", "lt", "lte", "is_set", "is_empty"]; }
      return fields[field] || [];
    }
    function addRow(rule) {
      var row = document.createElement("div");
      row.className = "row g-1 mb-1"; row.setAttribute("data-rule", "1");
      var isCustom = rule.field && rule.field.indexOf("cf_") === 0;
      var fieldSelect = document.createElement("select");
      fieldSelect.className = "form-select form-select-sm"; fieldSelect.setAttribute("data-part", "field");
      fieldSelect.setAttribute("aria-label", builder.querySelector("legend").textContent);
      Object.keys(fields).concat(["cf_"]).forEach(function (name) {
        fieldSelect.appendChild(option(name, isCustom ? "cf_" : rule.field));
      });
      var custom = document.createElement("input");
      custom.className = "form-control form-control-sm"; custom.setAttribute("data-part", "custom");
      custom.placeholder = "key"; custom.value = isCustom ? rule.field.slice(3) : ""; custom.hidden = !isCustom;
      var operatorSelect = document.createElement("select");
      operatorSelect.className = "form-select form-select-sm"; operatorSelect.setAttribute("data-part", "operator");
      var value = document.createElement("input");
      value.className = "form-control form-control-sm"; value.setAttribute("data-part", "value");
      value.value = showValue(rule.value);
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "btn btn-sm btn-outline-danger"; remove.textContent = "×";
      function fillOperators() {
        operatorSelect.textContent = "";
        operatorsFor(fieldSelect.value).forEach(function (op) { operatorSelect.appendChild(option(op, rule.operator)); });
        custom.hidden = fieldSelect.value !== "cf_";
      }
      fieldSelect.addEventListener("change", function () { fillOperators(); write(); });
      [custom, operatorSelect, value].forEach(function (el) { el.addEventListener("change", write); });
      remove.addEventListener("click", function () { row.remove(); write(); });
      [[fieldSelect, "col-3"], [custom, "col-2"], [operatorSelect, "col-2"], [value, "col-4"], [remove, "col-1"]]
        .forEach(function (pair) { var col = document.createElement("div"); col.className = pair[1]; col.appendChild(pair[0]); row.appendChild(col); });
      fillOperators();
      rulesBox.appendChild(row);
    }
    rules.forEach(addRow);
    document.getElementById("segment-add").addEventListener("click", function () {
      addRow({field: "city", operator: "eq"}); write();
    });
    opSelect.addEventListener("change", write);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
