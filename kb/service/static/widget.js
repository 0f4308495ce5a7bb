/*
 * kb help-center search box. One tag adds it where the tag is (or inside data-kb-target):
 *
 *   <script src="https://help.example.com/widget.js" data-kb-lang="zh" async></script>
 *
 * Options (data- attributes of the script tag): data-kb-lang zh | en | auto (interface language;
 * auto follows the browser), data-kb-top-k 1..10 (answers shown, default 5), data-kb-category,
 * data-kb-language (search filters), data-kb-target (CSS selector of the element to fill),
 * data-kb-api (service URL; default: where this script came from), data-kb-article-base (URL
 * that relative article links such as "/help/x" or "?article=slug#anchor" resolve against),
 * data-kb-debounce (ms, default 200).
 *
 * Rendering is isolated in a Shadow DOM. Every field from the service is put on the page as text
 * (textContent, text nodes, <mark> elements that we create); no response data is ever parsed as
 * HTML. Links are kept only when they are http(s) URLs, paths, "?" or "#" links.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var data = script.dataset;
  var STRINGS = {
    zh: {
      label: "搜索帮助中心", placeholder: "输入问题，例如：提现多久到账", searching: "正在搜索…",
      none: "没有找到相关文章，换个说法试试", weak: "没有很匹配的答案，以下是最接近的结果",
      count: "{n} 条结果，用 ↑ ↓ 选择，回车打开", error: "搜索暂时不可用，请稍后再试",
      limited: "搜索太频繁，请 {s} 秒后再试", internal: "内部", results: "搜索结果"
    },
    en: {
      label: "Search the help center", placeholder: "Ask a question, e.g. how long do withdrawals take",
      searching: "Searching…", none: "No matching articles. Try other words",
      weak: "No close match; these are the nearest articles",
      count: "{n} results: ↑ ↓ to choose, Enter to open",
      error: "Search is unavailable right now; please try again later",
      limited: "Too many searches; try again in {s} s", internal: "internal", results: "Search results"
    }
  };
  var CSS = [
    ":host{all:initial;display:block;max-width:640px;color:#1f2937;",
    "font:15px/1.5 system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC',sans-serif}",
    "*{box-sizing:border-box}",
    "input{width:100%;padding:10px 12px;font:inherit;color:inherit;background:#fff;",
    "border:1px solid #cbd5e1;border-radius:8px}",
    "input:focus{outline:2px solid #2563eb;outline-offset:1px}",
    "ul{list-style:none;margin:6px 0 0;padding:0;border:1px solid #e5e7eb;border-radius:8px;",
    "background:#fff;max-height:440px;overflow-y:auto}",
    "li{padding:8px 12px;border-bottom:1px solid #f1f5f9;cursor:pointer}",
    "li:last-child{border-bottom:0}",
    "li[aria-selected=true]{background:#eff6ff}",
    "a{color:inherit;text-decoration:none;display:block}",
    ".title{font-weight:600;color:#1d4ed8}",
    ".section{color:#6b7280;font-size:13px}",
    ".snippet{display:block;color:#374151;font-size:14px}",
    "mark{background:#fef08a;color:inherit;padding:0 1px}",
    ".badge{margin-left:6px;padding:0 6px;border-radius:4px;background:#b91c1c;color:#fff;font-size:12px}",
    ".status{min-height:1.3em;margin-top:4px;font-size:13px;color:#6b7280}",
    "[hidden]{display:none!important}"
  ].join("");

  function pickLanguage(value) {
    if (value === "zh" || value === "en") { return value; }
    var nav = (navigator.language || "").toLowerCase();
    return nav.indexOf("zh") === 0 ? "zh" : "en";
  }
  function intOption(value, low, high, fallback) {
    var n = parseInt(value, 10);
    return isNaN(n) ? fallback : Math.min(high, Math.max(low, n));
  }
  function baseUrl(value) {
    try { return new URL(value || script.src, location.href).href.replace(/\/+$/, ""); }
    catch (e) { return ""; }
  }

  var text = STRINGS[pickLanguage(data.kbLang)];
  var api = data.kbApi ? baseUrl(data.kbApi) : baseUrl(new URL(script.src, location.href).origin);
  var topK = intOption(data.kbTopK, 1, 10, 5);
  var debounceMs = intOption(data.kbDebounce, 0, 2000, 200);
  var articleBase = data.kbArticleBase ? baseUrl(data.kbArticleBase) : "";
  var uid = "kbw" + Math.random().toString(36).slice(2, 10);

  function el(tag, attrs, textValue) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (textValue !== undefined) { node.textContent = String(textValue); }
    return node;
  }
  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return String(values[k]); });
  }
  // A link we are willing to follow: absolute http(s), or a path "/...", "?..." or "#..."
  // resolved against data-kb-article-base (else this page). Anything else (javascript:, data:,
  // "//host", relative words) becomes "#"; the result is checked again after resolving.
  function safeUrl(url) {
    if (typeof url !== "string" || !/^(https?:\/\/|\/(?!\/)|\?|#)/i.test(url)) { return "#"; }
    try {
      var parsed = new URL(url, articleBase ? articleBase + "/" : location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "#";
    } catch (e) { return "#"; }
  }
  // snippet_text with <mark> around each [start, end) span. Offsets count Unicode code points
  // (Python's str), so the text is split into code points, not UTF-16 units.
  function appendHighlighted(node, value, spans) {
    var chars = Array.from(String(value || ""));
    var pos = 0;
    (Array.isArray(spans) ? spans.slice() : []).sort(function (a, b) { return a[0] - b[0]; })
      .forEach(function (span) {
        var start = Math.max(pos, Math.min(chars.length, Number(span[0]) || 0));
        var end = Math.max(start, Math.min(chars.length, Number(span[1]) || 0));
        if (start > pos) { node.appendChild(document.createTextNode(chars.slice(pos, start).join(""))); }
        if (end > start) { node.appendChild(el("mark", {}, chars.slice(start, end).join(""))); }
        pos = Math.max(pos, end);
      });
    if (pos < chars.length) { node.appendChild(document.createTextNode(chars.slice(pos).join(""))); }
  }

  // Where the box goes: inside data-kb-target, else right after the script tag, else (a tag in
  // <head>, or a target not parsed yet) at the end of <body> once the page is parsed.
  function place(node) {
    var target = data.kbTarget ? document.querySelector(data.kbTarget) : null;
    if (target) { target.appendChild(node); return true; }
    var parent = script.parentNode;
    if (!data.kbTarget && parent && parent !== document.head && parent !== document.documentElement) {
      parent.insertBefore(node, script.nextSibling);
      return true;
    }
    return false;
  }
  var host = el("div", { "class": "kb-search-widget" });
  if (!place(host)) {
    var later = function () { if (!place(host) && document.body) { document.body.appendChild(host); } };
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", later); } else { later(); }
  }
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.appendChild(el("style", {}, CSS));
  }
  var input = el("input", {
    type: "search", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
    "aria-controls": uid + "-list", "aria-label": text.label, placeholder: text.placeholder,
    autocomplete: "off", spellcheck: "false", maxlength: "512", "class": "input"
  });
  var list = el("ul", { id: uid + "-list", role: "listbox", "aria-label": text.results, hidden: "" });
  var status = el("div", { "class": "status", role: "status", "aria-live": "polite" });
  root.appendChild(input);
  root.appendChild(list);
  root.appendChild(status);

  var state = { items: [], active: -1, timer: 0, idle: 0, seq: 0, controller: null, query: "", logged: "" };

  function searchUrl(query, analytics) {
    var params = new URLSearchParams({ q: query, top_k: String(topK), analytics: analytics ? "true" : "false" });
    if (data.kbCategory) { params.set("category", data.kbCategory); }
    if (data.kbLanguage) { params.set("language", data.kbLanguage); }
    return api + "/v1/search?" + params.toString();
  }
  // The as-you-type requests are left out of analytics; a query is recorded once, when the
  // user opens a result, presses Enter, or stops typing for 1.5 s on it.
  function commit() {
    var query = state.query;
    if (!query || state.logged === query) { return; }
    state.logged = query;
    fetch(searchUrl(query, true), { keepalive: true, headers: { Accept: "application/json" } })
      .catch(function () {});
  }
  function setActive(index) {
    state.active = index;
    state.items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", state.items[index].id);
      state.items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }
  function clearList() {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    state.items = [];
    state.active = -1;
  }
  function option(answer, index) {
    var item = el("li", { id: uid + "-opt-" + index, role: "option", "aria-selected": "false" });
    var link = el("a", { tabindex: "-1" });
    link.href = safeUrl(answer.url);
    var head = el("div");
    head.appendChild(el("span", { "class": "title" }, answer.title));
    if (answer.visibility && answer.visibility !== "public") {
      head.appendChild(el("span", { "class": "badge" }, text.internal));
    }
    if (answer.section && answer.section !== answer.title) {
      head.appendChild(el("span", { "class": "section" }, " › " + answer.section));
    }
    var snippet = el("span", { "class": "snippet" });
    appendHighlighted(snippet, answer.snippet_text, answer.highlights);
    link.appendChild(head);
    link.appendChild(snippet);
    link.addEventListener("click", commit);
    item.appendChild(link);
    item.addEventListener("mousemove", function () { if (state.active !== index) { setActive(index); } });
    return item;
  }
  function show(body) {
    clearList();
    var answers = Array.isArray(body.answers) ? body.answers : [];
    answers.forEach(function (answer, i) {
      var item = option(answer, i);
      state.items.push(item);
      list.appendChild(item);
    });
    list.hidden = answers.length === 0;
    input.setAttribute("aria-expanded", answers.length ? "true" : "false");
    if (!answers.length) { status.textContent = text.none; return; }
    status.textContent = body.good_match ? format(text.count, { n: answers.length }) : text.weak;
    clearTimeout(state.idle);
    state.idle = setTimeout(commit, 1500);
  }
  function failed(response) {
    clearList();
    close();
    var wait = response && response.status === 429 ? response.headers.get("Retry-After") : null;
    status.textContent = wait ? format(text.limited, { s: parseInt(wait, 10) || 1 }) : text.error;
  }
  function run() {
    var query = input.value.trim();
    state.query = query;
    if (state.controller) { state.controller.abort(); }
    if (!query) { clearList(); close(); status.textContent = ""; return; }
    var seq = ++state.seq;
    state.controller = typeof AbortController === "function" ? new AbortController() : null;
    status.textContent = text.searching;
    fetch(searchUrl(query, false), {
      signal: state.controller ? state.controller.signal : undefined,
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) { if (seq === state.seq) { failed(response); } return null; }
      return response.json();
    }).then(function (body) {
      if (body && seq === state.seq) { show(body); }
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      if (seq === state.seq) { failed(null); }
    });
  }
  function schedule() {
    clearTimeout(state.timer);
    clearTimeout(state.idle);
    state.timer = setTimeout(run, debounceMs);
  }

  input.addEventListener("input", function (event) { if (!event.isComposing) { schedule(); } });
  // a click elsewhere on the page folds the list away; clicking the box again shows it
  document.addEventListener("click", function (event) {
    if (event.composedPath().indexOf(host) < 0 && !list.hidden) { close(); }
  });
  function reopen() {
    if (state.items.length && list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
  }
  input.addEventListener("focus", reopen);
  input.addEventListener("click", reopen);
  input.addEventListener("compositionend", schedule);
  input.addEventListener("keydown", function (event) {
    if (event.isComposing) { return; }
    var n = state.items.length;
    if (event.key === "ArrowDown" && n) {
      event.preventDefault();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      setActive((state.active + 1) % n);
    } else if (event.key === "ArrowUp" && n) {
      event.preventDefault();
      setActive(state.active <= 0 ? n - 1 : state.active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      commit();
      if (state.active >= 0 && !list.hidden) { state.items[state.active].querySelector("a").click(); }
    } else if (event.key === "Escape") {
      if (!list.hidden) { close(); } else { input.value = ""; run(); }
    }
  });
})();
