/* Figures open full size in a dialog over the page. book_build/figures.py
   puts the images of each figure in a link to its SVG file, which is what a
   reader without script gets; with script, a click or Enter on that link opens
   the figure in a <dialog> instead: at least as wide as the file's own size
   (on a phone wider than the screen, to pan), on a wide screen as large as the
   window allows. Escape, the close button or a click beside the figure closes
   it, and the focus goes back to the figure. Nothing is loaded from elsewhere. */
(function () {
  "use strict";

  function dialog() {
    var found = document.getElementById("figure-dialog");
    if (found) return found;
    var box = document.createElement("dialog");
    box.id = "figure-dialog";
    box.className = "figure-dialog";
    box.setAttribute("aria-label", "Figure, full size");
    box.innerHTML =
      '<form method="dialog"><button class="figure-dialog__close" ' +
      'aria-label="Close the figure">\u00d7</button></form>' +
      '<div class="figure-dialog__body"><img alt=""></div>';
    box.addEventListener("click", function (event) {
      if (event.target === box || event.target.classList.contains("figure-dialog__body")) {
        box.close();
      }
    });
    box.addEventListener("close", function () {
      if (box.returnFocus) box.returnFocus.focus();
    });
    document.body.appendChild(box);
    return box;
  }

  function open(link, shown) {
    var box = dialog();
    var image = box.querySelector("img");
    var width = shown.naturalWidth || 640;
    var height = shown.naturalHeight || 480;
    var fit = Math.min(window.innerWidth * 0.94, ((window.innerHeight * 0.86) * width) / height);
    image.src = (shown.currentSrc || shown.src).split("#")[0];
    image.alt = shown.alt;
    image.style.width = Math.round(Math.max(width, fit)) + "px";
    box.returnFocus = link;
    box.showModal();
  }

  // In the capture phase: before the theme's own handlers see the click.
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest && event.target.closest("a.figure-zoom");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
        return;
      }
      var images = Array.prototype.slice.call(link.querySelectorAll("img"));
      var shown = images.filter(function (i) { return i.offsetWidth > 0; })[0] || images[0];
      if (!shown || typeof HTMLDialogElement === "undefined") return;
      event.preventDefault();
      event.stopPropagation();
      open(link, shown);
    },
    true
  );
})();
