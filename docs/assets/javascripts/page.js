// What a reader does on a page, without the theme's script bundle: mounted on
// load, its components read the layout of the whole page and restyle it, work
// that most visits never use. Each section below handles one thing a reader
// does (search, which loads the bundle; marked search terms; keys; copy
// buttons; glossary tooltips; linked tabs; the contents and back to top; the
// phone's drawer) and waits for the reader to do it.
// The light/dark toggle runs from overrides/main.html, before the first paint.
//
// What this file and overrides/ rely on of the theme that the theme does not
// document, one line each (tests/test_browser.py reads these lines and checks
// every one on the built site, so that a theme upgrade that drops one fails a
// test, not a reader):
//   theme: function __md_get
//   theme: function __md_set
//   theme: element #__drawer
//   theme: element #__search
//   theme: element [data-md-component=search]
//   theme: element [data-md-component=dialog]
//   theme: element [data-md-component=search-query]
//   theme: element [data-md-component=top]
//   theme: element [data-md-component=header-title]
//   theme: element [data-md-component=palette]
//   theme: element .md-sidebar--primary a[href]
//   theme: element .md-sidebar--secondary a.md-nav__link
//   theme: element .md-code__button[data-md-type=copy]
//   theme: bundle the first script of the theme's scripts block is its bundle
// (and the CSS classes md-header__title--active, md-nav__link--active,
// md-dialog--active and no-js, which the theme's stylesheet gives meaning).
//
// Loaded after the page, the bundle mounts only its header components (search,
// palette, keyboard): those that work on the content (tabs, contents, sidebars,
// back to top) wait for a DOMContentLoaded that has passed. So this file keeps
// doing their work, and <html> keeps the theme's "no-js" class, under which the
// theme's CSS draws tabs and sidebars without its script.
(function () {
  "use strict";
  const script = document.currentScript;
  const root = document.documentElement;
  let themeLoaded = false;

  // --- Search: load the theme's bundle on demand -------------------------
  // The theme's search dialog has no accessible name of its own.
  document.querySelector("[data-md-component=search]")?.setAttribute("aria-label", "Search");
  let requested = false;
  function loadTheme() {
    if (requested) return;
    requested = true;
    // In order: the file:// shim must run before the bundle starts search.
    for (const src of JSON.parse(script.dataset.theme)) {
      const tag = document.createElement("script");
      tag.src = src;
      tag.async = false;
      tag.onload = () => {
        // The load event follows the script's run in the same task: no paint
        // sees the "js" class that the bundle sets.
        if (root.classList.contains("js")) {
          root.classList.replace("js", "no-js");
          themeLoaded = true;
        }
      };
      document.body.append(tag);
    }
  }
  const toggle = document.getElementById("__search");
  const query = document.querySelector("[data-md-component=search-query]");
  function openSearch() {
    if (toggle) toggle.checked = true;
    if (query) query.focus();
    loadTheme();
  }
  if (query) query.addEventListener("focus", loadTheme);
  if (toggle) toggle.addEventListener("change", () => toggle.checked && openSearch());
  const params = new URLSearchParams(location.search);
  if (params.has("q")) loadTheme();

  // --- Search terms from the address (?h=), marked in the text ------------
  const terms = (params.get("h") || "").trim().split(/\s+/).filter(Boolean);
  const article = document.querySelector("article");
  if (terms.length && article) {
    const escaped = terms.map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    // One capturing group: split() then puts each match at an odd index.
    const pattern = new RegExp(`(${escaped.join("|")})`, "i");
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
    const found = [];
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!node.parentElement.closest("script, style, math, template") && pattern.test(node.data)) {
        found.push(node);
      }
    }
    for (const node of found) {
      const parts = node.data.split(pattern);
      node.replaceWith(
        ...parts.map((part, k) => {
          if (k % 2 === 0) return part;
          const mark = document.createElement("mark");
          mark.dataset.mdHighlight = "";
          mark.textContent = part;
          return mark;
        }),
      );
    }
  }

  // --- Keys: "/", "s", "f" search; "n", "p" turn the page ----------------
  document.addEventListener("keydown", (event) => {
    // Once loaded, the theme's bundle has these keys (and more).
    if (themeLoaded || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    if (["/", "s", "f"].includes(event.key)) {
      event.preventDefault();
      openSearch();
    } else if (["n", ".", "p", ","].includes(event.key)) {
      const link = document.querySelector(
        `link[rel=${"n.".includes(event.key) ? "next" : "prev"}]`,
      );
      if (link) location.href = link.href;
    }
  });

  // --- Copy buttons -----------------------------------------------------
  const dialog = document.querySelector("[data-md-component=dialog]");
  let dialogTimer = 0;
  function tell(message) {
    if (!dialog) return;
    dialog.setAttribute("role", "status");
    dialog.firstElementChild.textContent = message;
    dialog.classList.add("md-dialog--active");
    clearTimeout(dialogTimer);
    dialogTimer = setTimeout(() => dialog.classList.remove("md-dialog--active"), 2000);
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".md-code__button[data-md-type=copy]");
    if (!button) return;
    const holder = button.closest("[data-copy]");
    // A block without data-copy (an output) copies what it shows.
    const text = holder
      ? holder.dataset.copy
      : button.closest("pre").querySelector("code").textContent;
    // The clipboard is there on https, localhost and file://, not on plain http elsewhere.
    (navigator.clipboard?.writeText(text.trimEnd()) ?? Promise.reject()).then(
      () => tell("Copied to clipboard"),
      () => tell("Copying failed: select the text instead"),
    );
  });

  // --- Glossary tooltips --------------------------------------------------
  // The terms are <abbr title> (docs/includes/abbreviations.md). The browser's
  // own tooltip waits a second and never shows on a touch screen; this one
  // shows on hover and on a tap.
  let tip = null;
  let tipFor = null;
  function showTip(term) {
    if (!term.dataset.title) {
      term.dataset.title = term.title;
      term.removeAttribute("title"); // else the browser's tooltip shows too
    }
    if (!tip) {
      tip = document.createElement("div");
      tip.className = "la-tooltip md-typeset";
      tip.setAttribute("role", "tooltip");
      tip.id = "la-tooltip";
      document.body.append(tip);
    }
    tip.textContent = term.dataset.title;
    tip.hidden = false;
    tipFor = term;
    term.setAttribute("aria-describedby", tip.id);
    const box = term.getBoundingClientRect();
    const width = tip.offsetWidth;
    const left = Math.min(Math.max(8, box.left), root.clientWidth - width - 8);
    tip.style.left = `${left + scrollX}px`;
    tip.style.top = `${box.bottom + scrollY + 6}px`;
  }
  function hideTip() {
    if (!tip || !tipFor) return;
    tip.hidden = true;
    tipFor.removeAttribute("aria-describedby");
    tipFor = null;
  }
  const termOf = (target) =>
    target instanceof Element ? target.closest("article abbr[title], article abbr[data-title]") : null;
  document.addEventListener("pointerover", (event) => {
    const term = termOf(event.target);
    if (term && term !== tipFor) showTip(term);
    else if (!term && tipFor) hideTip(); // the pointer moved on, or a tap elsewhere
  });
  document.addEventListener("keydown", (event) => event.key === "Escape" && hideTip());
  addEventListener("scroll", hideTip, { passive: true });

  // --- Linked tabs ------------------------------------------------------
  // The theme's inline script (content.tabs.link) restores the last choice
  // from __tabs before the first paint; this keeps all sets in step and saves
  // the choice in the same place.
  // Labels are matched by textContent, which holds even for a set not drawn.
  const tabSets = document.querySelectorAll(".tabbed-set");
  // In every tab set, choose the first of `names` that the set has.
  function chooseTabs(names) {
    for (const set of tabSets) {
      const labels = [...set.querySelectorAll(":scope > .tabbed-labels > label")];
      for (const name of names) {
        const label = labels.find((each) => each.textContent.trim() === name);
        if (label) {
          document.getElementById(label.htmlFor).checked = true;
          break;
        }
      }
    }
  }
  const savedTabs = __md_get("__tabs");
  if (Array.isArray(savedTabs)) chooseTabs(savedTabs);
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches(".tabbed-set > input")) return;
    const label = input.parentElement.querySelector(`label[for="${input.id}"]`);
    const name = label ? label.textContent.trim() : "";
    if (!name) return;
    chooseTabs([name]);
    const saved = __md_get("__tabs") || [];
    __md_set("__tabs", [name, ...saved.filter((tab) => tab !== name)]);
  });

  // --- Table of contents and back to top ---------------------------------
  // On the one-page print version the contents list chapters, each a section.
  const headings = [...document.querySelectorAll("article :is(h2, h3, .print-page)[id]")];
  const links = new Map();
  for (const link of document.querySelectorAll(".md-sidebar--secondary a.md-nav__link")) {
    links.set(decodeURIComponent(link.hash.slice(1)), link);
  }
  const top = document.querySelector("[data-md-component=top]");
  if (top) top.addEventListener("click", () => scrollTo({ top: 0 }));
  // The pill shows when the reader scrolls up, never when the page moves by itself
  // (blocks above drawn at their true height after a jump to an anchor).
  let reading = false;
  for (const type of ["wheel", "touchmove", "keydown"]) {
    addEventListener(type, () => { reading = true; }, { passive: true });
  }
  // The header shows the page's title once its own heading has scrolled away.
  const title = document.querySelector("[data-md-component=header-title]");
  const h1 = document.querySelector("article h1");
  let lastY = scrollY;
  let frame = 0;
  let active = null;
  function onScroll() {
    frame = 0;
    const y = scrollY;
    if (top) top.hidden = !(reading && y < lastY && y > innerHeight);
    lastY = y;
    if (title && h1) title.classList.toggle("md-header__title--active", h1.getBoundingClientRect().bottom < 0);
    // The section being read: the last heading above the upper fifth.
    let current = null;
    for (const heading of headings) {
      if (heading.getBoundingClientRect().top > innerHeight / 5) break;
      current = links.get(heading.id) || current;
    }
    if (current !== active) {
      if (active) active.classList.remove("md-nav__link--active");
      if (current) current.classList.add("md-nav__link--active");
      active = current;
    }
  }
  // onScroll sets frame back to 0; a frame's id is never 0.
  addEventListener("scroll", () => (frame ||= requestAnimationFrame(onScroll)), { passive: true });

  // On a phone the contents are a drawer: a tap on an entry closes it.
  document.addEventListener("click", (event) => {
    const drawer = document.getElementById("__drawer");
    if (drawer && event.target.closest(".md-sidebar--primary a[href]")) drawer.checked = false;
  });
})();
