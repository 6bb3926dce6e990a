// Small behaviours on top of htmx: error swaps, dismissable messages, keyboard shortcuts.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) {
    // Domain errors come back as 422 fragments meant to be shown in place.
    htmx.config.responseHandling = [
      {code: "204", swap: false},
      {code: "[23]..", swap: true},
      {code: "422", swap: true, error: false},
      {code: "[45]..", swap: true, error: true},
    ];
  }
});
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-dismiss-alert]");
  if (button) button.closest(".alert").remove();
  const secret = event.target.closest("[data-copy]");
  if (secret && navigator.clipboard) {
    navigator.clipboard.writeText(secret.dataset.copy);
    secret.title = "Copied";
  }
});
// After an action (an htmx request that changes something): one message at a time, and the focus
// stays on what changed. Every panel renders the message of its own action; the messages of
// earlier actions, in other panels or rows, are removed when the next action's answer arrives.
(function () {
  const MESSAGES = ".alert-success[role=status], .row-message, .action-error, #messages > .alert";
  const NEW_MESSAGE = ".alert[role=status], .alert[role=alert], .row-message";
  let focusTarget = null;  // {id} of the region to focus after the swap

  function isAction(detail) {
    const verb = detail.requestConfig && detail.requestConfig.verb;
    return Boolean(verb) && verb !== "get";
  }

  function focusLost() {
    const active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    // Only when the swap replaces the element that sent the request (its button may already have
    // lost the focus: buttons are disabled while their request runs).
    const target = event.detail.target;
    const sender = event.detail.elt;
    focusTarget = target && sender && target.contains(sender) ? {id: target.id} : null;
    if (isAction(event.detail) && event.detail.shouldSwap) {
      document.querySelectorAll(MESSAGES).forEach(function (message) { message.remove(); });
    }
  });

  // The swap removed the button that was used: focus the new panel's message (read out by screen
  // readers, and Tab goes on inside the panel), or the panel itself. Out-of-band regions of the
  // same answer are swapped too; the focus goes to the request's own target.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!focusTarget) return;
    const region = (focusTarget.id && document.getElementById(focusTarget.id)) || event.target;
    focusTarget = null;
    if (!(region instanceof HTMLElement) || !region.isConnected || !focusLost()) return;
    const message = region.matches(NEW_MESSAGE) ? region : region.querySelector(NEW_MESSAGE);
    const target = message || region;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  });
})();
// Filter forms (data-drop-empty): leave empty fields out of the URL, so that it, and the export
// link built from it, stay short and bookmarkable.
document.addEventListener("htmx:configRequest", function (event) {
  const form = event.detail.elt.closest && event.detail.elt.closest("form[data-drop-empty]");
  if (!form || event.detail.verb !== "get" || !event.detail.formData) return;
  const data = event.detail.formData;
  const empty = [];
  for (const key of new Set(data.keys())) {
    if (data.getAll(key).every(function (value) { return value === ""; })) empty.push(key);
  }
  empty.forEach(function (key) { data.delete(key); });
});
// Search boxes of filter forms (data-typing-search) send while typing. Their "change" when they
// lose focus would send the same query once more, and that request could land after a click on a
// sort link or page number and undo it: keep it from reaching the form.
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("[data-typing-search]")) event.stopPropagation();
}, true);
