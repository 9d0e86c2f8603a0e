// Show or hide a code block's setup lines (book_build/code.py). The lines
// arrive in a <template>, outside the page's DOM until first shown: then they
// move into a span, which later clicks hide and show. One listener on the
// document serves every block.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".la-setup-toggle");
  if (!button) return;
  const show = button.getAttribute("aria-expanded") !== "true";
  let setup = button.nextElementSibling;
  if (setup.tagName === "TEMPLATE") {
    const lines = document.createElement("span");
    lines.className = "la-setup";
    lines.append(setup.content);
    setup.replaceWith(lines);
    setup = lines;
  }
  setup.hidden = !show;
  button.setAttribute("aria-expanded", String(show));
});
