"use strict";
(function () {
  var dataNode = document.getElementById("grid-data");
  var grid = document.getElementById("question-grid");
  var panel = document.getElementById("cell-panel");
  if (!dataNode || !grid || !panel) { return; }
  var questions = JSON.parse(dataNode.textContent);
  var selected = null;

  function setText(name, value) {
    var node = panel.querySelector('[data-field="' + name + '"]');
    if (!node) { return; }
    var empty = value === null || value === undefined || value === "";
    node.textContent = empty ? "\u2014" : String(value);
    var row = node.closest("[data-optional]");
    if (row) { row.hidden = empty; }
  }

  function show(button) {
    var question = questions[button.getAttribute("data-q")];
    var cell = question && question.cells[button.getAttribute("data-i")];
    if (!cell) { return; }
    if (selected) { selected.classList.remove("selected"); }
    selected = button;
    button.classList.add("selected");
    setText("question_id", question.id);
    setText("label", question.label);
    setText("role", question.role);
    setText("question", question.question);
    setText("iteration", cell.iteration);
    setText("verdict", cell.verdict.replace("_", " "));
    setText("category", cell.category);
    setText("reason", cell.reason);
    setText("summary", cell.summary);
    setText("details", cell.details);
    setText("genie_error", cell.genie_error);
    setText("latency", cell.latency_s ? cell.latency_s.toFixed(2) + " s" : "");
    setText("generated_sql", cell.generated_sql || "(no SQL generated)");
    setText("expected_sql", cell.expected_sql);
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  }

  grid.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-q]");
    if (button) { show(button); }
  });
  var close = panel.querySelector("[data-close]");
  if (close) {
    close.addEventListener("click", function () {
      panel.hidden = true;
      if (selected) { selected.classList.remove("selected"); selected.focus(); }
    });
  }
  var filter = document.getElementById("only-failing");
  if (filter) {
    filter.addEventListener("change", function () {
      grid.querySelectorAll("tbody tr").forEach(function (row) {
        row.hidden = filter.checked && row.getAttribute("data-ever-failed") !== "1";
      });
    });
  }
})();
