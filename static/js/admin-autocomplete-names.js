/* The admin's autocomplete boxes (select2) leave their combobox and search field without a
 * name for screen readers: give each the text of its field's label, and again whenever the box
 * redraws itself. Progressive enhancement: without script the plain select is used. */
(function () {
  "use strict";

  function fieldName(select) {
    var label = document.querySelector('label[for="' + select.id + '"]');
    return label ? label.textContent.replace(/[:：]\s*$/, "").trim() : "";
  }

  function name(container, text) {
    var named = ".select2-selection, .select2-selection__rendered, .select2-search__field";
    Array.prototype.forEach.call(container.querySelectorAll(named), function (element) {
      if (element.getAttribute("aria-label") !== text) {
        element.setAttribute("aria-label", text);
      }
      // It points at the chosen value, which is empty until one is chosen.
      element.removeAttribute("aria-labelledby");
    });
  }

  function watch(select) {
    var container = select.nextElementSibling;
    var text = fieldName(select);
    if (!container || !container.classList.contains("select2") || !text || select.dataset.named) {
      return;
    }
    select.dataset.named = "1";
    name(container, text);
    new MutationObserver(function () { name(container, text); })
      .observe(container, { childList: true, subtree: true });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("select.admin-autocomplete"), watch);
  }

  // The admin starts its autocomplete boxes when the document is ready; this runs after.
  document.addEventListener("DOMContentLoaded", function () { setTimeout(start, 0); });
  window.addEventListener("load", start);
  document.addEventListener("formset:added", function (event) {
    var selects = event.target.querySelectorAll("select.admin-autocomplete");
    setTimeout(function () { Array.prototype.forEach.call(selects, watch); }, 0);
  });
})();
