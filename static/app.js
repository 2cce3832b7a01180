// Small behaviours for every page. No inline scripts: the CSP forbids them.
document.addEventListener("DOMContentLoaded", function () {
  // Buttons with data-confirm ask before submitting.
  document.body.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  // "Select all" checkboxes for bulk actions: <input type=checkbox data-select-all="name">
  document.body.addEventListener("change", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-select-all");
    if (!name) return;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
});
// htmx: show server error fragments (4xx/5xx) in place instead of silently dropping them.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 422 || status === 400 || status === 403 || status === 404 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// students: a select that changes the page's own choices (e.g. the school, whose classes
// fill the class filter) submits the form as a normal page load, not an htmx swap.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.hasAttribute && el.hasAttribute("data-submit-page") && el.form) {
    el.form.submit();
  }
});
