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
    options().forEach(function (o) { o.classList.remove("active", "bg-primary-subtle"); o.removeAttribute("aria-selected"); });
    if (option) {
      option.classList.add("active", "bg-primary-subtle");
      option.setAttribute("aria-selected", "true");
      option.scrollIntoView({block: "nearest"});
      box().setAttribute("aria-activedescendant", option.id);
    } else {
      box().removeAttribute("aria-activedescendant");
    }
  }

  document.addEventListener("keydown", function (event) {
    const input = box();
    if (!input) return;
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing) {
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

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "quicksearch-results") return;
    show(event.target.innerHTML.trim() !== "");
    highlight(null);
  });

  document.addEventListener("click", function (event) {
    const p = panel();
    if (p && !event.target.closest("#quicksearch")) show(false);
  });
})();
