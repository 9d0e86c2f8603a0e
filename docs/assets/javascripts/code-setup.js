// Show or hide a code block's setup lines (book_build/code.py).
// A block may hide several runs of lines, each behind its own button; any of
// them shows or hides them all. The lines arrive in a <template>, outside the
// page's DOM until first shown: then they move into a span, which later clicks
// hide and show. One listener on the document serves every block.
document.addEventListener("click", (event) => {
  const clicked = event.target.closest(".la-setup-toggle");
  if (!clicked) return;
  const show = clicked.getAttribute("aria-expanded") !== "true";
  for (const button of clicked.parentElement.querySelectorAll(".la-setup-toggle")) {
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
  }
});
