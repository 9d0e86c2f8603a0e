// The one-page print version, put together after it loads.
//
// The page arrives with the book's contents and its first page; the rest waits
// in the scripts that #print-site-page lists in data-parts (written by
// overrides/hooks/print_parts.py, which says why). Once the page has loaded and
// been painted, this file loads them in order; each calls bookPrintPart() with
// its steps, which are applied one task each, so that the page stays responsive
// while it grows:
//   ["append", html]  appends the markup to the current element;
//   ["enter", shell]  appends an empty element and makes it current;
//   ["leave"]         makes the current element's parent current again.
// When the last step is done, #print-site-page gets data-assembled and the
// document a "book:assembled" event (page.js then finds the new headings). A
// reader who asks to print earlier gets every step already loaded at once.
(function () {
  "use strict";
  const book = document.getElementById("print-site-page");
  if (!book || !book.dataset.parts) return;
  const paths = book.dataset.parts.split(" ");
  const steps = [];
  let current = book;
  let arrived = 0;
  let timer = 0;
  let failed = false;
  book.setAttribute("aria-busy", "true");

  // Going to a chapter (print_page.html#einsum, or a link in the contents):
  // the chapters are drawn only as they come near (content-visibility in
  // extra.css), and the one just above the target then turns out taller than
  // the browser had guessed, which pushes the target out of sight. So keep the
  // target in place until the page around it stops moving, or the reader
  // scrolls. A target in a part not there yet is gone to once it is.
  let wanted = "";
  let watching = 0;
  function settle(target) {
    const since = performance.now();
    let still = 0;
    let placed = null; // where the target sits once scrolled to
    cancelAnimationFrame(watching);
    const check = () => {
      if (placed === null || Math.abs(target.getBoundingClientRect().top - placed) > 1) {
        target.scrollIntoView();
        placed = target.getBoundingClientRect().top;
        still = 0;
      } else {
        still += 1;
      }
      if (still < 10 && performance.now() - since < 3000) watching = requestAnimationFrame(check);
    };
    watching = requestAnimationFrame(check);
  }
  function go() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    wanted = id && !target ? id : "";
    if (target) settle(target);
  }
  for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) {
    addEventListener(type, () => cancelAnimationFrame(watching), { passive: true });
  }
  addEventListener("hashchange", go);
  go();

  function apply(step) {
    if (step[0] === "enter") {
      current.insertAdjacentHTML("beforeend", step[1]);
      current = current.lastElementChild;
    } else if (step[0] === "leave") {
      current = current.parentElement;
    } else {
      current.insertAdjacentHTML("beforeend", step[1]);
    }
  }

  function finish() {
    book.removeAttribute("aria-busy");
    book.dataset.assembled = "";
    document.dispatchEvent(new Event("book:assembled"));
    if (wanted) go();
  }

  // One append a task; entering and leaving cost nothing and go with it.
  function run() {
    timer = 0;
    while (steps.length) {
      const step = steps.shift();
      apply(step);
      if (step[0] === "append") break;
    }
    if (steps.length) timer = setTimeout(run, 0);
    else if (arrived === paths.length) finish();
  }

  window.bookPrintPart = function (list) {
    if (failed) return;
    steps.push(...list);
    arrived += 1;
    if (!timer) timer = setTimeout(run, 0);
  };

  addEventListener("beforeprint", () => {
    clearTimeout(timer);
    timer = 0;
    while (steps.length) apply(steps.shift());
    if (arrived === paths.length && !("assembled" in book.dataset)) finish();
  });

  // A part that does not load leaves the book incomplete: say so where it
  // stops, rather than append what follows in the wrong place.
  function fail() {
    if (failed) return;
    failed = true;
    clearTimeout(timer);
    steps.length = 0;
    book.insertAdjacentHTML(
      "beforeend",
      '<p class="print-page-note">The rest of the book could not be loaded. ' +
        'Reload the page, or read the chapters on their own pages, listed on the ' +
        '<a href="index.html">home page</a>.</p>',
    );
    finish();
  }

  function load() {
    for (const path of paths) {
      const tag = document.createElement("script");
      tag.src = path;
      tag.async = false; // run in order, each as soon as those before it have
      tag.onerror = fail;
      document.body.append(tag);
    }
  }
  // Once the page has loaded and shown its first page: the parts are not what
  // the reader sees first, and a browser that has not painted yet may wait
  // for a quiet moment to do so (Chromium once held the first paint until the
  // whole book was in).
  const loaded = new Promise((resolve) => {
    if (document.readyState === "complete") resolve();
    else addEventListener("load", resolve, { once: true });
  });
  const painted = new Promise((resolve) => {
    const types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
    if (!types.includes("paint")) return resolve();
    const observer = new PerformanceObserver(() => {
      if (performance.getEntriesByName("first-contentful-paint").length) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe({ type: "paint", buffered: true });
  });
  Promise.all([loaded, painted]).then(() => requestAnimationFrame(() => setTimeout(load, 50)));
})();
