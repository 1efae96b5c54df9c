/* microgradnet playground: the page's script.

   Python (microgradnet's engine, expression parser, trace and stepper page) runs in a Web Worker
   (worker.js); this script keeps the page state in the address bar, sends requests, enforces
   the time limit by terminating the worker, and mounts the stepper the worker returns. */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("pg-config").textContent);

  /* every sentence the page shows, in each language: the build writes the tables of
     microgradnet.viz.playground (translations in microgradnet/locales) into the page's config */
  var TABLES = CONFIG.strings;
  var LANGUAGES = CONFIG.languages;
  var T = TABLES.en;
  var CODE_LINES = [
    "a = Value(2.0, label='a')",
    "b = Value(-3.0, label='b')",
    "c = Value(10.0, label='c')",
    "f = Value(-2.0, label='f')",
    "e = a*b; e.label = 'e'",
    "d = e + c; d.label = 'd'",
    "L = d * f; L.label = 'L'",
    ""
  ];
  /* the code the editor starts with, its first line a comment in the page's language */
  function defaultCode(table) { return ["# " + table.code_comment].concat(CODE_LINES).join("\n"); }
  var DEFAULTS = {
    mode: "formula", expr: "(a*b + c) * f", values: "a=2 b=-3 c=10 f=-2", code: "", out: "",
    example: "", step: null, view: "", theme: "cs231n", projector: false, quiz: false, lang: "", limit: 10,
    bug: "", seed: 0, fade: 0
  };
  /* keys of the link that are not variable values; a variable with one of these names is
     written var:NAME=VALUE */
  var RESERVED = ["expr", "values", "code", "out", "example", "step", "view", "theme", "projector", "quiz", "lang",
    "limit", "bug", "seed", "fade"];
  var MAX_LIMIT = 60;

  function $(id) { return document.getElementById(id); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }
  function copy(obj) { return JSON.parse(JSON.stringify(obj)); }
  /* a text of the table into element el: text between backticks is code */
  function render(el, text) {
    el.replaceChildren();
    String(text).split("`").forEach(function (part, k) {
      if (!part) { return; }
      el.appendChild(k % 2 ? Object.assign(document.createElement("code"), { textContent: part }) : document.createTextNode(part));
    });
  }

  // ------------------------------------------------------------------------------------------
  // The link: #expr=(a*b%2Bc)*f&a=2&b=-3&c=10&f=-2&step=9
  // ------------------------------------------------------------------------------------------

  function decode(text) {
    try { return decodeURIComponent(text); } catch (e) { return text; }
  }
  function encode(text) { return encodeURIComponent(text); }

  /* "a=2 b=-3, c = 10" -> [["a", "2"], ["b", "-3"], ["c", "10"]]; null when a part is not NAME=VALUE */
  function splitValues(text) {
    var parts = String(text).trim().replace(/\s*=\s*/g, "=").split(/[\s,;]+/).filter(Boolean);
    var out = [];
    for (var i = 0; i < parts.length; i++) {
      var m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(parts[i]);
      if (!m) { return null; }
      out.push([m[1], m[2]]);
    }
    return out;
  }

  function parseHash(hash) {
    var s = copy(DEFAULTS);
    var vars = [];
    var given = {};
    String(hash || "").replace(/^#/, "").split("&").forEach(function (part) {
      if (!part) { return; }
      var i = part.indexOf("=");
      var key = decode(i < 0 ? part : part.slice(0, i));
      var value = i < 0 ? "" : decode(part.slice(i + 1));
      if (key.indexOf("var:") === 0) { vars.push(key.slice(4) + "=" + value); }
      else if (RESERVED.indexOf(key) >= 0) { given[key] = value; }
      else { vars.push(key + "=" + value); }
    });
    if ("code" in given) { s.mode = "code"; s.code = given.code; s.out = given.out || ""; }
    else if ("example" in given) { s.mode = "example"; s.example = given.example; }
    else if ("expr" in given) {
      s.mode = "formula";
      s.expr = given.expr;
      s.values = [given.values || ""].concat(vars).join(" ").trim();
    }
    if (given.step && /^\d+$/.test(given.step)) { s.step = parseInt(given.step, 10); }
    if (given.view) { s.view = given.view; }
    if (given.theme) { s.theme = given.theme; }
    if (given.lang && Object.prototype.hasOwnProperty.call(LANGUAGES, given.lang) && given.lang !== "en") {
      s.lang = given.lang;
    }
    s.projector = given.projector === "1" || given.projector === "true";
    s.quiz = given.quiz === "1" || given.quiz === "true";
    if (given.limit && /^\d+(\.\d+)?$/.test(given.limit)) {
      s.limit = Math.max(1, Math.min(MAX_LIMIT, parseFloat(given.limit)));
    }
    /* the stepper's exercises (issue 14), as `microgradnet step --bug KIND --seed N` / `--fade K`;
       Python checks them (a kind that does not exist or cannot apply gets a message) */
    if (given.bug && /^\w+$/.test(given.bug)) { s.bug = given.bug; }
    if (given.seed && /^\d+$/.test(given.seed)) { s.seed = parseInt(given.seed, 10); }
    if (given.fade && /^\d+$/.test(given.fade)) { s.fade = parseInt(given.fade, 10); }
    s.fromLink = Object.keys(given).length > 0;
    return s;
  }

  function hashOf(s) {
    var parts = [];
    if (s.mode === "code") {
      parts.push("code=" + encode(s.code));
      if (s.out) { parts.push("out=" + encode(s.out)); }
    } else if (s.mode === "example") {
      parts.push("example=" + encode(s.example));
    } else {
      parts.push("expr=" + encode(s.expr));
      var pairs = splitValues(s.values);
      if (pairs === null) { parts.push("values=" + encode(s.values)); }
      else {
        pairs.forEach(function (p) {
          parts.push((RESERVED.indexOf(p[0]) >= 0 ? "var:" : "") + p[0] + "=" + encode(p[1]));
        });
      }
    }
    if (s.step) { parts.push("step=" + s.step); }
    if (s.view && s.view !== "scalar") { parts.push("view=" + encode(s.view)); }
    if (s.theme && s.theme !== DEFAULTS.theme) { parts.push("theme=" + encode(s.theme)); }
    if (pageLang !== "en") { parts.push("lang=" + encode(pageLang)); }
    if (s.projector) { parts.push("projector=1"); }
    if (s.quiz) { parts.push("quiz=1"); }
    if (s.bug) { parts.push("bug=" + encode(s.bug)); }
    if (s.seed) { parts.push("seed=" + s.seed); }
    if (s.fade) { parts.push("fade=" + s.fade); }
    if (s.limit !== DEFAULTS.limit) { parts.push("limit=" + s.limit); }
    return "#" + parts.join("&");
  }

  // ------------------------------------------------------------------------------------------
  // Page state
  // ------------------------------------------------------------------------------------------

  var state = copy(DEFAULTS);   /* what the shown stepper was made from (and the link says) */
  var stepperRoot = null;
  var stepObserver = null;

  function writeHash() {
    var hash = hashOf(state);
    if (location.hash !== hash) {
      try { history.replaceState(null, "", hash); } catch (e) { /* file: pages in some browsers */ }
    }
    $("pg-link").value = location.href.split("#")[0] + hash;
  }

  function setMode(mode) {
    ["formula", "code", "example"].forEach(function (m) {
      var tab = $("pg-tab-" + m);
      tab.setAttribute("aria-selected", m === mode ? "true" : "false");
      $(tab.getAttribute("aria-controls")).hidden = m !== mode;
    });
    document.body.setAttribute("data-mode", mode);
  }

  function currentMode() { return document.body.getAttribute("data-mode") || "formula"; }

  /* markup: text between backticks is code (the playground's own sentences; not a traceback) */
  function showMessage(text, kind, markup) {
    var box = $("pg-message");
    if (markup) { render(box, text || ""); } else { box.textContent = text || ""; }
    box.hidden = !text;
    box.className = "pg-message" + (kind ? " pg-" + kind : "");
    shownMessage = null;
  }
  var shownMessage = null;   /* [key, values, kind] of a message from the table, to translate it */

  /* a message from the table, by key, so that it follows a change of language */
  function say(key, values, kind) {
    showMessage(fill(T[key], values || {}), kind, true);
    shownMessage = [key, values || {}, kind];
  }

  var shownStatus = ["loading", {}];
  function setStatus(key, values) {
    shownStatus = [key, values || {}];
    $("pg-status").textContent = fill(T[key], values || {});
  }

  function showConsole(text) {
    var box = $("pg-console");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function limitSeconds() {
    var v = parseFloat($("pg-limit").value);
    if (!(v >= 1)) { v = DEFAULTS.limit; }
    return Math.min(MAX_LIMIT, v);
  }

  // ------------------------------------------------------------------------------------------
  // The stepper on the page: the one seam between the worker's answer and the live stepper
  // ------------------------------------------------------------------------------------------

  /* The worker answers with HtmlStepper.data(), the page data export_html embeds; the same
     stepper.js (loaded as a file: this page's CSP allows no inline script) draws it with
     MicrogradnetStepper.mount. Mounting again replaces the old stepper. */
  function mountStepper(container, data) {
    var old = container.querySelector(".mg-stepper");
    if (old && old.mgStepper) { old.mgStepper.destroy(); }
    var root = document.createElement("div");
    root.className = "mg-stepper";
    root.setAttribute("data-standalone", "false");  /* keys while focused; the address is ours */
    container.replaceChildren(root);
    window.MicrogradnetStepper.mount(root, data, { standalone: false });
    return root;
  }

  function watchStepper(root) {
    if (stepObserver) { stepObserver.disconnect(); }
    stepObserver = new MutationObserver(function () {
      if (!root.mgStepper) { return; }
      state.step = root.mgStepper.step();
      state.view = root.mgStepper.view();
      state.theme = root.classList.contains("mg-theme-colorblind") ? "colorblind" : "cs231n";
      state.projector = root.classList.contains("mg-projector");
      state.quiz = root.classList.contains("mg-quiz-on");
      writeHash();
    });
    stepObserver.observe(root.querySelector(".mg-k"), { childList: true, characterData: true, subtree: true });
    stepObserver.observe(root, { attributes: true, attributeFilter: ["class"] });
  }

  // ------------------------------------------------------------------------------------------
  // The worker: start, requests, time limit
  // ------------------------------------------------------------------------------------------

  var worker = null;
  var ready = false;
  var waiting = null;    /* the next job, sent when the worker is free */
  var running = null;    /* the job the worker is on */
  var timer = null;
  var nextId = 1;
  var startedAt = performance.now();
  var firstReady = true;
  var failedStarts = 0;

  function spawn() {
    ready = false;
    startedAt = performance.now();
    var url = new URL("worker.js?v=" + CONFIG.build, location.href).href;
    /* a blob: worker inherits this page's CSP (a worker from a URL would not) */
    var blob = new Blob(["importScripts(" + JSON.stringify(url) + ");"], { type: "text/javascript" });
    var blobUrl = URL.createObjectURL(blob);
    worker = new Worker(blobUrl);
    worker.onmessage = onWorkerMessage;
    worker.onerror = function (e) {
      e.preventDefault();
      if (!ready && ++failedStarts >= 2) {  /* it cannot start here: say so instead of looping */
        worker.terminate();
        setStatus("fatal", { error: e.message || "worker error" });
        say("fatal", { error: e.message || "worker error" }, "error");
        return;
      }
      crashed(e.message || "worker error");
    };
    worker.postMessage({ type: "init", base: new URL(".", location.href).href, config: CONFIG.worker });
    setTimeout(function () { URL.revokeObjectURL(blobUrl); }, 60000);
  }

  /* a new worker; key and values: the message that says why (from the table) */
  function restart(key, values, kind) {
    if (worker) { worker.terminate(); }
    clearTimeout(timer);
    running = null;
    setBusy(false);
    setStatus("restarting");
    document.documentElement.setAttribute("data-pg-ready", "false");
    if (key) { say(key, values, kind); }
    spawn();
  }

  function crashed(error) {
    restart("crashed", { error: error }, "error");
  }

  function submit(job) {
    waiting = job;
    pump();
  }

  function pump() {
    if (!ready || running || !waiting) { return; }
    running = waiting;
    waiting = null;
    running.id = nextId++;
    running.phase = "run";
    running.limit = limitSeconds();
    worker.postMessage({ type: "run", id: running.id, request: running.request });
    clearTimeout(timer);
    timer = setTimeout(timedOut, running.limit * 1000);
    setBusy(true);
  }

  function timedOut() {
    var job = running;
    if (!job) { return; }
    if (job.phase === "draw") { restart("timeout_draw", { count: job.count, limit: job.limit }, "timeout"); }
    else { restart("timeout_code", { limit: job.limit }, "timeout"); }
  }

  function setBusy(busy) {
    $("pg-stop").disabled = !busy;
    document.documentElement.setAttribute("data-pg-busy", busy ? "true" : "false");
    if (busy) { setStatus("running"); }
    else if (ready) { setStatus("ready", readyValues); }
  }

  var readyValues = {};
  var crashes = 0;

  function onWorkerMessage(event) {
    var m = event.data;
    if (m.type === "ready") {
      ready = true;
      failedStarts = 0;
      var seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
      readyValues = { version: m.info.microgradnet, python: m.info.python, seconds: seconds };
      setStatus("ready", readyValues);
      fillExamples(m.info.examples);
      var root = document.documentElement;
      root.setAttribute("data-pg-ready", "true");
      root.setAttribute("data-pg-snapshot", m.snapshot ? "true" : "false");
      root.setAttribute("data-pg-start-ms", JSON.stringify(m.ms));
      if (firstReady) { root.setAttribute("data-pg-ready-ms", String(Math.round(performance.now()))); }
      firstReady = false;
      pump();
    } else if (m.type === "phase" && running && m.id === running.id) {
      running.phase = m.phase;
      running.count = m.count;
      setStatus("drawing", { count: m.count });
    } else if (m.type === "result" && running && m.id === running.id) {
      clearTimeout(timer);
      var job = running;
      if (m.result.where === "internal") {  /* Python itself failed: it cannot be used again */
        if (/call stack/i.test(m.result.error)) { restart("crashed_stack", { error: m.result.error }, "error"); }
        else { restart("crashed", { error: m.result.error }, "error"); }
        document.documentElement.setAttribute("data-pg-crashes", String(++crashes));
        return;
      }
      running = null;
      setBusy(false);
      show(job, m.result);
      pump();
    } else if (m.type === "fatal") {
      setStatus("fatal", { error: m.error });
      say("fatal", { error: m.error }, "error");
    }
  }

  // ------------------------------------------------------------------------------------------
  // Requests and answers
  // ------------------------------------------------------------------------------------------

  function request(s) {
    var r = { kind: s.mode, theme: s.theme, projector: s.projector, quiz: s.quiz, lang: pageLang,
      bug: s.bug, seed: s.seed, fade: s.fade };
    if (s.mode === "formula") { r.formula = s.expr; r.values = s.values; }
    else if (s.mode === "code") { r.code = s.code; r.output = s.out; }
    else { r.example = s.example; }
    return r;
  }

  /* run what state s describes; step (1-based) is where the new stepper opens */
  function run(s, focus) {
    s.limit = limitSeconds();
    submit({ state: s, request: request(s), focus: focus });
  }

  function show(job, result) {
    var s = job.state;
    if (s.mode === "code") { showConsole(result.stdout); }
    /* the menu keeps what the student picked: "the biggest graph" stays the default (not the
       name it traced this time), so the next Run traces whatever is biggest then */
    if (result.outputs) { fillOutputs(result.outputs, s.out); }
    if (!result.ok) {
      var key = { code: "error_code", formula: "error_formula", values: "error_values" }[result.where];
      var line = result.line ? fill(T.error_line, { line: result.line }) : "";
      var text = !key ? result.error
        : key === "error_code" ? fill(T.error_code, { line: line }) + "\n" + result.error
        : fill(T[key], { error: result.error });
      showMessage(text, "error", !!result.markup);
      document.documentElement.setAttribute("data-pg-runs", String(++runs));
      return;
    }
    showMessage(result.note || "", "", true);
    var example = result.source ? result.source.text : "";
    $("pg-example-source").textContent = example;
    /* a stepper in Devanagari measures its boxes in the font the page loads: wait for it */
    window.MicrogradnetStepper.whenFont(result.data, function () { showStepper(job, result); });
  }

  function showStepper(job, result) {
    var s = job.state;
    var t0 = performance.now();
    var root = mountStepper($("pg-stepper"), result.data);
    var stepper = root.mgStepper;
    stepperRoot = root;
    state = s;
    state.out = s.mode === "code" ? (s.out || "") : "";
    if (s.view && s.view !== stepper.view()) { stepper.view(s.view); }
    if (s.step && s.step !== stepper.step()) { stepper.go(s.step); }
    state.step = stepper.step();
    state.view = stepper.view();
    var mountMs = performance.now() - t0;
    watchStepper(root);
    writeHash();
    if (job.focus) { root.focus({ preventScroll: true }); }
    /* for the tests and the benchmark: when the first stepper appeared, and the last one's size */
    var page = document.documentElement;
    if (!page.hasAttribute("data-pg-first-stepper-ms")) {
      page.setAttribute("data-pg-first-stepper-ms", String(Math.round(performance.now())));
    }
    page.setAttribute("data-pg-nodes", String(result.nodes));
    page.setAttribute("data-pg-backward-start", String(result.data.backward_start + 1));
    page.setAttribute("data-pg-ms", JSON.stringify(Object.assign({ mount: Math.round(mountMs) }, result.ms)));
    page.setAttribute("data-pg-runs", String(++runs));
    /* the language changed while this stepper was being made: make it again in the new one */
    if (job.request.lang !== pageLang && !waiting && !running) {
      var again = copy(state);
      run(again, false);
    }
  }
  var runs = 0;

  function fillOutputs(outputs, chosen) {
    var select = $("pg-output");
    select.replaceChildren();
    var first = document.createElement("option");
    first.value = "";
    first.textContent = T.biggest;
    select.appendChild(first);
    outputs.forEach(function (o) {
      var option = document.createElement("option");
      option.value = o[0];
      option.textContent = fill(T.output_option, { name: o[0], count: o[1] });
      select.appendChild(option);
    });
    select.value = chosen && outputs.some(function (o) { return o[0] === chosen; }) ? chosen : "";
  }

  /* the examples Python can open here, as the worker lists them when it is ready */
  function fillExamples(examples) {
    var select = $("pg-example");
    var chosen = select.getAttribute("data-want") || select.value;
    select.replaceChildren();
    (examples || []).forEach(function (e) {
      var option = document.createElement("option");
      option.value = e[0];
      option.textContent = e[1];
      option.title = e[2];
      select.appendChild(option);
    });
    if (!select.options.length) {
      var none = document.createElement("option");
      none.textContent = T.no_examples;
      select.appendChild(none);
    }
    if (chosen) { select.value = chosen; }
  }

  /* the state the input boxes describe now (the stepper's options carried over) */
  function stateFromInputs(mode) {
    var s = copy(state);
    s.mode = mode;
    s.step = null;
    s.view = "";
    if (mode === "formula") { s.expr = $("pg-expr").value; s.values = $("pg-values").value; }
    else if (mode === "code") { s.code = $("pg-editor").value; s.out = $("pg-output").value; }
    else { s.example = $("pg-example").value; }
    return s;
  }

  function showInputs(s) {
    setMode(s.mode);
    if (s.mode === "formula") { $("pg-expr").value = s.expr; $("pg-values").value = s.values; }
    if (s.mode === "code") {
      $("pg-editor").value = s.code;
      fillOutputs(s.out ? [[s.out, "?"]] : [], s.out);
    }
    if (s.mode === "example") {
      $("pg-example").setAttribute("data-want", s.example);  /* the menu fills when Python is ready */
      $("pg-example").value = s.example;
    }
    $("pg-limit").value = String(s.limit);
  }

  /* open a link: formulas and examples run at once; code waits for the student's Run */
  function openLink(hash) {
    var s = parseHash(hash);
    if ((s.lang || "en") !== pageLang) { localize(s.lang || "en"); }
    showInputs(s);
    if (s.mode === "code") {
      pendingCodeStep = s.step;
      state = s;
      $("pg-stepper").replaceChildren();
      stepperRoot = null;
      say("code_link", {}, "note");
      writeHash();
      return;
    }
    showMessage("", "");
    run(s, false);
  }
  var pendingCodeStep = null;

  // ------------------------------------------------------------------------------------------
  // The page's language: every text of the page from the table of that language
  // ------------------------------------------------------------------------------------------

  var pageLang = "en";

  function localize(lang) {
    var old = T;
    pageLang = TABLES[lang] ? lang : "en";
    T = TABLES[pageLang];
    document.documentElement.lang = pageLang;
    document.title = T.page_title;
    Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (el) {
      if (el.tagName !== "TITLE") { render(el, T[el.getAttribute("data-t")]); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-t-aria-label]"), function (el) {
      el.setAttribute("aria-label", T[el.getAttribute("data-t-aria-label")]);
    });
    $("pg-lang").value = document.documentElement.lang;
    var editor = $("pg-editor");
    if (!editor.value || editor.value === defaultCode(old)) { editor.value = defaultCode(T); }
    var first = $("pg-output").options[0];
    if (first && first.value === "") { first.textContent = T.biggest; }
    var examples = $("pg-example");
    if (examples.options.length === 1 && examples.options[0].value === "") {
      examples.options[0].textContent = T.no_examples;
    }
    setStatus(shownStatus[0], shownStatus[1]);
    if (shownMessage) { say(shownMessage[0], shownMessage[1], shownMessage[2]); }
  }

  /* the language menu: the page changes at once; the stepper is made again in that language
     (student code only when it has already been run) */
  function switchLang(lang) {
    localize(lang);
    if (waiting) { waiting.request = request(waiting.state); }
    if (stepperRoot && (state.mode !== "code" || state.code === $("pg-editor").value)) {
      var s = copy(state);
      s.step = stepperRoot.mgStepper ? stepperRoot.mgStepper.step() : state.step;
      run(s, false);
    } else {
      writeHash();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Controls
  // ------------------------------------------------------------------------------------------

  function runCode() {
    var s = stateFromInputs("code");
    if (pendingCodeStep !== null && s.code === state.code) { s.step = pendingCodeStep; }
    pendingCodeStep = null;
    showMessage("", "");
    run(s, false);
  }

  function wire() {
    $("pg-lang").addEventListener("change", function () { switchLang($("pg-lang").value); });
    ["formula", "code", "example"].forEach(function (m) {
      $("pg-tab-" + m).addEventListener("click", function () { setMode(m); });
    });
    $("pg-formula").addEventListener("submit", function (e) {
      e.preventDefault();
      showMessage("", "");
      run(stateFromInputs("formula"), true);
    });
    $("pg-run").addEventListener("click", runCode);
    $("pg-stop").addEventListener("click", function () { if (running) { restart("stopped", {}, "note"); } });
    $("pg-output").addEventListener("change", function () { if (state.mode === "code" && stepperRoot) { runCode(); } });
    $("pg-open").addEventListener("click", function () { run(stateFromInputs("example"), true); });
    $("pg-example").addEventListener("change", function () {
      $("pg-example").setAttribute("data-want", $("pg-example").value);
      run(stateFromInputs("example"), true);
    });
    $("pg-limit").addEventListener("change", function () { state.limit = limitSeconds(); writeHash(); });
    $("pg-copy").addEventListener("click", function () {
      var link = $("pg-link");
      link.select();
      var done = function () { say("copied", {}, "note"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(link.value).then(done, function () { say("copy_failed", {}, "note"); });
      } else { say("copy_failed", {}, "note"); }
    });
    var editor = $("pg-editor");
    editor.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); runCode(); return; }
      if (e.key === "Escape") { editor.setAttribute("data-tab-leaves", "true"); return; }
      if (e.key === "Tab" && !e.shiftKey && editor.getAttribute("data-tab-leaves") !== "true") {
        e.preventDefault();
        var start = editor.selectionStart, end = editor.selectionEnd;
        editor.setRangeText("    ", start, end, "end");
      }
    });
    editor.addEventListener("blur", function () { editor.removeAttribute("data-tab-leaves"); });
    /* stepping keys pressed with nothing focused go to the stepper */
    document.addEventListener("keydown", function (e) {
      if (!stepperRoot || e.target !== document.body || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (["ArrowRight", "ArrowLeft", "Home", "End", " "].indexOf(e.key) < 0) { return; }
      e.preventDefault();
      stepperRoot.focus({ preventScroll: true });
      stepperRoot.dispatchEvent(new KeyboardEvent("keydown", { key: e.key, bubbles: true }));
    });
    window.addEventListener("hashchange", function () {
      if (location.hash !== hashOf(state)) { openLink(location.hash); }
    });
  }

  function init() {
    var linked = location.hash.length > 1 ? parseHash(location.hash) : null;
    localize(linked && linked.lang ? linked.lang : "en");  /* before anything is shown */
    fillExamples([]);
    wire();
    setStatus("loading");
    spawn();
    if (linked) { openLink(location.hash); }
    else { showInputs(copy(DEFAULTS)); run(copy(DEFAULTS), false); }
  }

  init();
})();
