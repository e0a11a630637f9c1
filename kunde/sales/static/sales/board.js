/* Kanban board: drag a card to another column (or another place in its column); the move is
   POSTed without a reload. The "Move to" form on each card is the keyboard fallback and works
   without JavaScript. */
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function announce(text) {
    var status = document.getElementById("board-status");
    if (status) { status.textContent = text; }
  }

  function showError(text) {
    var box = document.getElementById("board-error");
    if (!box) { return; }
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  function cardIndex(list, card) {
    return Array.prototype.indexOf.call(list.querySelectorAll("[data-deal]"), card);
  }

  function cardAfter(list, y) {
    var cards = Array.prototype.filter.call(list.querySelectorAll("[data-deal]"), function (c) {
      return !c.classList.contains("sales-dragging");
    });
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) { return cards[i]; }
    }
    return null;
  }

  function updateColumns(columns) {
    Object.keys(columns || {}).forEach(function (stageId) {
      var column = document.querySelector('.sales-column[data-stage="' + stageId + '"]');
      if (!column) { return; }
      column.querySelector("[data-count]").textContent = columns[stageId].count;
      column.querySelector("[data-total]").textContent = columns[stageId].total;
    });
  }

  function init(board) {
    var dragged = null;
    var origin = null;
    var originNext = null;

    board.addEventListener("dragstart", function (event) {
      var card = event.target.closest && event.target.closest("[data-deal]");
      if (!card) { return; }
      dragged = card;
      origin = card.parentNode;
      originNext = card.nextSibling;
      card.classList.add("sales-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    });

    board.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("sales-dragging"); }
      board.querySelectorAll(".sales-drop-target").forEach(function (c) { c.classList.remove("sales-drop-target"); });
    });

    board.addEventListener("dragover", function (event) {
      var column = event.target.closest && event.target.closest(".sales-column");
      if (!column || !dragged) { return; }
      event.preventDefault();
      board.querySelectorAll(".sales-drop-target").forEach(function (c) {
        if (c !== column) { c.classList.remove("sales-drop-target"); }
      });
      column.classList.add("sales-drop-target");
      var list = column.querySelector("[data-cards]");
      var after = cardAfter(list, event.clientY);
      if (after) { list.insertBefore(dragged, after); } else { list.appendChild(dragged); }
    });

    board.addEventListener("drop", function (event) {
      var column = event.target.closest && event.target.closest(".sales-column");
      if (!column || !dragged) { return; }
      event.preventDefault();
      column.classList.remove("sales-drop-target");
      var card = dragged;
      var list = column.querySelector("[data-cards]");
      var body = new URLSearchParams();
      body.set("stage", column.getAttribute("data-stage"));
      body.set("position", String(Math.max(cardIndex(list, card), 0)));
      var back = { list: origin, next: originNext };
      dragged = null;
      showError("");
      fetch(card.getAttribute("data-move-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
        body: body
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok || !result.data.ok) {
          back.list.insertBefore(card, back.next && back.next.parentNode === back.list ? back.next : null);
          showError(result.data.error || "");
          return;
        }
        var select = card.querySelector("select[name=stage]");
        if (select) { select.value = String(result.data.stage); }
        card.setAttribute("data-stage", String(result.data.stage));
        updateColumns(result.data.columns);
        announce(result.data.message || "");
      }).catch(function () {
        back.list.insertBefore(card, back.next && back.next.parentNode === back.list ? back.next : null);
        showError(board.getAttribute("data-error") || "The move could not be saved.");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-board]").forEach(init);
  });
})();
