// Quick search by keyboard: "/" focuses the box, arrows move through the results, Enter opens
// the highlighted one (or submits the box, which opens an exact order code or customer directly).
(function () {
  function box() { return document.getElementById("quicksearch-input"); }
  function panel() { return document.getElementById("quicksearch-results"); }
  function options() { return Array.from(panel().querySelectorAll(".quicksearch-option")); }
  function active() { return panel().querySelector(".quicksearch-option.active"); }

  function show(open) {
    const p = panel();
    p.hidden = !open;
    box().setAttribute("aria-expanded", open ? "true" : "false");
  }

  function highlight(option) {
    options().forEach(function (o) { o.classList.remove("active", "bg-primary-subtle"); o.setAttribute("aria-selected", "false"); });
    if (option) {
      option.classList.add("active", "bg-primary-subtle");
      option.setAttribute("aria-selected", "true");
      option.scrollIntoView({block: "nearest"});
      box().setAttribute("aria-activedescendant", option.id);
    } else {
      box().removeAttribute("aria-activedescendant");
    }
  }

  // "/" is a character in text fields; anywhere else (links, buttons, checkboxes) it is the shortcut.
  const NOT_TEXT = ["button", "checkbox", "color", "file", "hidden", "image", "radio", "range", "reset", "submit"];
  function isTextField(element) {
    if (!(element instanceof Element)) return false;
    if (element.closest("textarea, [contenteditable]:not([contenteditable=false])")) return true;
    return element instanceof HTMLInputElement && !NOT_TEXT.includes(element.type);
  }

  document.addEventListener("keydown", function (event) {
    const input = box();
    if (!input) return;
    if (event.key === "/" && !isTextField(event.target)) {
      event.preventDefault();
      input.focus();
      input.select();
      return;
    }
    if (event.target !== input) return;
    const list = options();
    const current = active();
    const index = current ? list.indexOf(current) : -1;
    if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      show(true);
      highlight(list[Math.min(index + 1, list.length - 1)]);
    } else if (event.key === "ArrowUp" && list.length) {
      event.preventDefault();
      highlight(index > 0 ? list[index - 1] : null);
    } else if (event.key === "Enter" && current) {
      event.preventDefault();
      window.location.href = current.href;
    } else if (event.key === "Escape") {
      show(false);
      highlight(null);
    }
  });

  // Screen readers hear how many results arrived; the list itself is not a live region.
  function announce() {
    const status = document.getElementById("quicksearch-status");
    if (!status) return;
    const count = options().length;
    status.textContent = panel().hidden ? "" : count === 0 ? "Nothing found" : count === 1 ? "1 result" : count + " results";
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "quicksearch-results") return;
    show(event.target.innerHTML.trim() !== "");
    highlight(null);
    announce();
  });

  document.addEventListener("click", function (event) {
    const p = panel();
    if (p && !event.target.closest("#quicksearch")) show(false);
  });
})();
