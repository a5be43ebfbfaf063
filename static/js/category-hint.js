/* The field hint beside 분야 in the admin's service forms (the service page and a plan's
 * service table): as staff type a name, ask the catalog which field it suggests and show it,
 * with the runner-up and a button that selects it. Pure progressive enhancement: the forms
 * work the same without it. */
(function () {
  "use strict";

  // Relative to the admin's home (its header links there), wherever the admin is mounted.
  var home = document.querySelector("#site-name a");
  var SUGGEST_URL = (home ? home.getAttribute("href") : "/admin/") + "catalog/service/suggest-category/";
  var DELAY_MS = 350;

  function categorySelectFor(nameInput) {
    var id = nameInput.id.replace(/name$/, "category");
    return id === nameInput.id ? null : document.getElementById(id);
  }

  function descriptionFor(nameInput) {
    var field = document.getElementById(nameInput.id.replace(/name$/, "description"));
    return field ? field.value : "";
  }

  function hintFor(select) {
    var hint = select.parentNode.querySelector(".category-hint");
    if (!hint) {
      hint = document.createElement("div");
      hint.className = "category-hint";
      hint.setAttribute("aria-live", "polite");
      select.parentNode.appendChild(hint);
    }
    return hint;
  }

  function show(select, data) {
    var hint = hintFor(select);
    hint.textContent = "";
    if (!data.suggestion) {
      return;
    }
    var text = document.createElement("span");
    var words = data.label + ": " + data.suggestion.name + " (" + data.suggestion.confidence + ")";
    if (data.alternative) {
      words += " · " + data.alternative_label + ": " + data.alternative.name;
    }
    text.textContent = words;
    hint.appendChild(text);
    if (String(select.value) !== String(data.suggestion.id)) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button category-hint-apply";
      button.textContent = data.apply_label;
      button.addEventListener("click", function () {
        select.value = String(data.suggestion.id);
        select.dispatchEvent(new Event("change", { bubbles: true }));
        button.remove();
      });
      hint.appendChild(button);
    }
  }

  function ask(nameInput) {
    var select = categorySelectFor(nameInput);
    var name = nameInput.value.trim();
    if (!select || !name) {
      return;
    }
    var query = new URLSearchParams({ name: name, description: descriptionFor(nameInput) });
    fetch(SUGGEST_URL + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(select, data); } })
      .catch(function () { /* no hint is better than a broken form */ });
  }

  function watch(nameInput) {
    var timer = null;
    nameInput.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { ask(nameInput); }, DELAY_MS);
    });
    if (nameInput.value.trim()) {
      ask(nameInput);
    }
  }

  function start() {
    var inputs = document.querySelectorAll("input[id$='name']");
    Array.prototype.forEach.call(inputs, function (input) {
      if (categorySelectFor(input)) {
        watch(input);
      }
    });
  }

  document.addEventListener("formset:added", function (event) {
    var input = event.target.querySelector("input[id$='name']");
    if (input && categorySelectFor(input)) {
      watch(input);
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
