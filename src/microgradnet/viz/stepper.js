/* microgradnet stepper: steps through the forward pass, then the backward pass one edge at a
   time. All text (equations, narration, numbers) is computed in Python and embedded as JSON; this
   script only replays it onto the SVG. No network, no globals besides one IIFE per stepper. */
(function (rootId) {
  "use strict";
  /* the script's own stepper, even when a notebook shows the same page twice (same id) */
  var here = document.currentScript;
  var root = (here && here.closest && here.closest(".mg-stepper")) || document.getElementById(rootId);
  if (!root) { return; }
  var model = JSON.parse(root.querySelector("script.mg-steps").textContent);
  var steps = model.steps;
  var n = steps.length;
  var standalone = root.getAttribute("data-standalone") === "true";
  var svg = root.querySelector(".mg-graph svg");
  var current = 0;
  var timer = null;

  function q(sel) { return root.querySelector(sel); }
  function all(sel) { return Array.prototype.slice.call(root.querySelectorAll(sel)); }

  var nodeEls = {}, opEls = {}, edgeEls = {};
  all("[data-mg-node]").forEach(function (g) { nodeEls[g.getAttribute("data-mg-node")] = g; });
  all("[data-mg-op]").forEach(function (g) { opEls[g.getAttribute("data-mg-op")] = g; });
  all("[data-mg-edge]").forEach(function (g) { edgeEls[g.getAttribute("data-mg-edge")] = g; });

  var slider = q(".mg-slider");
  var playButton = q('[data-act="play"]');
  var ledgerBox = q(".mg-ledgers");
  var stepItems = all(".mg-all li");
  var announce = q(".mg-narration");

  /* the state of every node after step k, replayed from the start (cheap, and never drifts) */
  function stateAt(k, hide) {
    var st = {};
    Object.keys(model.initial).forEach(function (id) {
      var init = model.initial[id];
      st[id] = { data: init[0], grad: init[1], cls: init[2] };
    });
    for (var i = 0; i <= k; i++) {
      var updates = (hide && i === k && steps[i].masked) ? steps[i].masked.set : (steps[i].set || []);
      updates.forEach(function (s) {
        var node = st[s[0]];
        node.data = s[1] === null ? node.data : s[1];
        node.grad = s[2] === null ? node.grad : s[2];
        node.cls = s[3] === null ? node.cls : s[3];
      });
    }
    return st;
  }

  function setClass(el, name, on) {
    if (!el) { return; }
    if (on) { el.classList.add(name); } else { el.classList.remove(name); }
  }

  /* quiz: a step with a result opens with it hidden; the student types it (Enter checks) or
     presses → to reveal it. outcome[k] is the first result at step k: right, wrong or shown. */
  var quiz = !!model.ui.quiz;
  var hidden = false;
  var quizButton = q('[data-act="quiz"]');
  var quizForm = q(".mg-quiz");
  var quizAsk = q(".mg-quiz-ask");
  var quizInput = q(".mg-quiz-input");
  var quizFeedback = q(".mg-quiz-feedback");
  var quizScore = q(".mg-quiz-score");
  var outcome = {};

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }

  /* a typed answer: a number or plain arithmetic (+ - * / ** ^, parentheses, −, ×, ·, ÷);
     parsed here, never evaluated as code. Returns null when it is not readable. */
  function readNumber(text) {
    var src = String(text).replace(/\u2212/g, "-").replace(/[\u00d7\u00b7]/g, "*").replace(/\u00f7/g, "/")
      .replace(/\*\*/g, "^").replace(/\s+/g, "");
    if (!src || src.length > 60) { return null; }
    var tokens = src.match(/\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.|[-+*\/^()]|./g) || [];
    var pos = 0;
    function peek() { return tokens[pos]; }
    function expr() {
      var v = term();
      while (v !== null && (peek() === "+" || peek() === "-")) {
        var op = tokens[pos++], w = term();
        v = w === null ? null : (op === "+" ? v + w : v - w);
      }
      return v;
    }
    function term() {
      var v = unary();
      while (v !== null && (peek() === "*" || peek() === "/")) {
        var op = tokens[pos++], w = unary();
        v = w === null ? null : (op === "*" ? v * w : v / w);
      }
      return v;
    }
    function unary() {
      if (peek() === "-") { pos++; var v = unary(); return v === null ? null : -v; }
      if (peek() === "+") { pos++; return unary(); }
      return power();
    }
    function power() {
      var v = atom();
      if (v !== null && peek() === "^") { pos++; var w = unary(); return w === null ? null : Math.pow(v, w); }
      return v;
    }
    function atom() {
      var t = tokens[pos];
      if (t === "(") {
        pos++;
        var v = expr();
        if (tokens[pos] !== ")") { return null; }
        pos++;
        return v;
      }
      if (t !== undefined && /^(\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.)$/.test(t)) { pos++; return parseFloat(t); }
      return null;
    }
    var value = expr();
    return (value === null || pos !== tokens.length || !isFinite(value)) ? null : value;
  }

  function close(x, y) {
    return typeof y === "number" && Math.abs(x - y) <= Math.max(model.ui.quiz_rel_tol * Math.abs(y), model.ui.quiz_abs_tol);
  }

  function showScore() {
    var asked = 0, right = 0;
    Object.keys(outcome).forEach(function (k) { asked++; if (outcome[k] === "right") { right++; } });
    quizScore.textContent = asked ? fill(model.ui.quiz_score, { right: right, asked: asked }) : "";
  }

  function leaveInput() {
    if (document.activeElement !== quizInput) { return; }
    if (standalone) { quizInput.blur(); } else { root.focus({ preventScroll: true }); }
  }

  function reveal(how) {
    var m = steps[current].masked;
    if (!(current in outcome)) { outcome[current] = how; }
    hidden = false;
    render(current);
    if (m && how === "shown") { quizFeedback.textContent = fill(model.ui.quiz_revealed, { ask: m.ask, answer: m.shown }); }
    showScore();
    leaveInput();
  }

  function check() {
    if (!hidden) { return; }
    var m = steps[current].masked, typed = quizInput.value.trim();
    if (!typed) { quizInput.focus(); return; }
    var x = readNumber(typed);
    if (x === null) {
      quizFeedback.textContent = fill(model.ui.quiz_unreadable, { typed: typed });
      quizInput.select();
      return;
    }
    if (close(x, m.answer)) {
      reveal("right");
      quizFeedback.textContent = fill(model.ui.quiz_right, { ask: m.ask, answer: m.shown });
      return;
    }
    if (!(current in outcome)) { outcome[current] = "wrong"; }
    var hint = "";
    for (var i = 0; i < m.hints.length; i++) {
      if (close(x, m.hints[i][0])) { hint = m.hints[i][1]; break; }
    }
    quizFeedback.textContent = fill(model.ui.quiz_wrong, { typed: typed, ask: m.ask, hint: hint });
    setClass(quizFeedback, "mg-wrong", true);
    showScore();
    quizInput.select();
  }

  function render(k) {
    var step = steps[k];
    var hide = hidden && !!step.masked;
    var st = stateAt(k, hide);
    Object.keys(nodeEls).forEach(function (id) {
      var g = nodeEls[id], s = st[id];
      var d = g.querySelector("text.mg-data"), gr = g.querySelector("text.mg-grad");
      if (d) { d.textContent = s.data; }
      if (gr) { gr.textContent = s.grad; }
      ["mg-future", "mg-nograd", "mg-pending", "mg-final"].forEach(function (c) {
        setClass(g, c, s.cls.split(" ").indexOf(c) >= 0);
      });
      setClass(opEls[id], "mg-future", s.cls.split(" ").indexOf("mg-future") >= 0);
    });
    Object.keys(edgeEls).forEach(function (key) {
      var target = key.split(":")[0];
      setClass(edgeEls[key], "mg-future", st[target] && st[target].cls.indexOf("mg-future") >= 0);
      setClass(edgeEls[key], "mg-hot", false);
      setClass(edgeEls[key], "mg-hot-fwd", false);
    });
    all(".mg-sender, .mg-receiver, .mg-computing").forEach(function (g) {
      g.classList.remove("mg-sender", "mg-receiver", "mg-computing");
    });
    var hot = step.hot || {};
    (hot.edges || []).forEach(function (key) {
      setClass(edgeEls[key], hot.forward ? "mg-hot-fwd" : "mg-hot", true);
    });
    if (hot.sender) { setClass(nodeEls[hot.sender], "mg-sender", true); setClass(opEls[hot.sender], "mg-sender", true); }
    if (hot.receiver) { setClass(nodeEls[hot.receiver], "mg-receiver", true); }
    if (hot.computing) { setClass(nodeEls[hot.computing], "mg-computing", true); setClass(opEls[hot.computing], "mg-computing", true); }

    q(".mg-k").textContent = String(k + 1);
    q(".mg-phase").textContent = step.phase;
    q(".mg-step-title").textContent = step.title;
    var lines = hide ? step.masked.lines : (step.lines || []);
    setTokens(q(".mg-sym"), lines[0] || "");
    setTokens(q(".mg-num"), lines[1] || "");
    var upd = q(".mg-update");
    setTokens(upd, lines[2] || "");
    setClass(upd, "mg-fwd", step.phase_key !== "backward");
    q(".mg-rule").textContent = step.rule || "";
    announce.textContent = hide ? step.masked.prompt : step.narration;
    quizAsk.hidden = !hide;
    if (hide) { q(".mg-quiz-label").textContent = fill(model.ui.quiz_label, { ask: step.masked.ask }); }
    setClass(quizFeedback, "mg-wrong", false);
    setClass(root, "mg-hidden-result", hide);
    renderLedgers(hide ? k - 1 : k, step);
    follow(step);
    stepItems.forEach(function (li, i) { setClass(li, "mg-here", i === k); });
    slider.value = String(k + 1);
    slider.setAttribute("aria-valuetext", "step " + (k + 1) + " of " + n + ": " + step.title);
  }

  /* an equation wraps between terms, never inside one (no "∂L/" at the end of a line) */
  function setTokens(el, text) {
    el.textContent = "";
    text.split(/( +)/).forEach(function (part) {
      if (!part) { return; }
      if (/^ +$/.test(part)) { el.appendChild(document.createTextNode(part)); return; }
      var span = document.createElement("span");
      span.className = "mg-tok";
      span.textContent = part;
      el.appendChild(span);
    });
  }

  /* follow mode: on a wide graph, show a window around the current step at a readable size */
  var full = svg.viewBox.baseVal;
  var whole = [full.x, full.y, full.width, full.height];
  var windowWidth = Math.min(whole[2], Math.max(whole[2] * model.ui.follow_fraction, model.ui.follow_min));
  var following = false;
  var viewX = whole[0];
  var followButton = q('[data-act="follow"]');
  if (followButton && windowWidth >= whole[2]) { followButton.hidden = true; }  /* small graph: always whole */

  function hotBox(step) {
    var hot = step.hot || {}, els = [];
    (hot.edges || []).forEach(function (key) { if (edgeEls[key]) { els.push(edgeEls[key]); } });
    [hot.sender, hot.receiver, hot.computing].forEach(function (id) {
      if (id && nodeEls[id]) { els.push(nodeEls[id]); }
      if (id && opEls[id]) { els.push(opEls[id]); }
    });
    var toRoot = svg.getScreenCTM();
    if (!els.length || !toRoot) { return null; }
    var inv = toRoot.inverse(), lo = Infinity, hi = -Infinity;
    els.forEach(function (el) {
      var b = el.getBBox(), m = inv.multiply(el.getScreenCTM());
      [b.x, b.x + b.width].forEach(function (x) {
        [b.y, b.y + b.height].forEach(function (y) {
          var px = m.a * x + m.c * y + m.e;
          lo = Math.min(lo, px); hi = Math.max(hi, px);
        });
      });
    });
    return [lo, hi];
  }

  function setView(x, w) {
    svg.setAttribute("viewBox", [x, whole[1], w, whole[3]].join(" "));
  }

  function follow(step) {
    if (!following) { return; }
    var box = hotBox(step);
    if (box) {
      var centre = (box[0] + box[1]) / 2;
      viewX = Math.max(whole[0], Math.min(whole[0] + whole[2] - windowWidth, centre - windowWidth / 2));
    }
    setView(viewX, windowWidth);
  }

  function setFollow(on) {
    following = on && windowWidth < whole[2];
    if (followButton) { followButton.setAttribute("aria-pressed", following ? "true" : "false"); }
    if (following) { follow(steps[current]); } else { setView(whole[0], whole[2]); }
  }

  function renderLedgers(k, step) {
    ledgerBox.textContent = "";
    setClass(ledgerBox.parentNode, "mg-before-backward", k < model.backward_start);
    model.ledgers.forEach(function (led) {
      var div = document.createElement("div");
      div.className = "mg-ledger";
      if (step.ledger === led.node) { div.classList.add("mg-active"); }
      var started = k >= model.backward_start;
      div.appendChild(document.createTextNode(led.name + ".grad = "));
      var arrived = 0;
      led.terms.forEach(function (t, i) {
        if (i > 0) { div.appendChild(document.createTextNode(" + ")); }
        var span = document.createElement("span");
        if (started && t.step <= k) { span.className = "mg-term"; span.textContent = t.text; arrived++; }
        else { span.className = "mg-wait"; span.textContent = t.waiting; }
        div.appendChild(span);
      });
      var total = document.createElement("span");
      total.className = arrived === led.terms.length ? "mg-total" : "mg-wait";
      total.textContent = arrived === led.terms.length ? " = " + led.total + " " + model.ui.final_mark
        : " " + model.ui.waiting.replace("{k}", String(led.terms.length - arrived));
      div.appendChild(total);
      ledgerBox.appendChild(div);
    });
  }

  function go(k, fromHash) {
    k = Math.max(0, Math.min(n - 1, k));
    var moved = k !== current;
    hidden = quiz && k === current + 1 && !!steps[k].masked && !(k in outcome);
    current = k;
    if (moved) { quizFeedback.textContent = ""; quizInput.value = ""; }
    render(k);
    if (hidden && (standalone || root.contains(document.activeElement))) { quizInput.focus({ preventScroll: true }); }
    else { leaveInput(); }
    if (standalone && !fromHash) {
      var hash = "#step=" + (k + 1);
      if (location.hash !== hash) {
        try { history.replaceState(null, "", hash); } catch (e) { location.replace(hash); }
      }
    }
  }

  function advance() {
    if (hidden) { reveal("shown"); return; }
    go(current + 1);
  }

  function play() {
    if (timer !== null) { return; }
    if (current >= n - 1) { go(0); }
    timer = setInterval(function () {
      if (current >= n - 1 && !hidden) { pause(); return; }
      advance();
      if (hidden) { pause(); }  /* a quiz question waits for the student */
    }, model.ui.interval_ms);
    playButton.setAttribute("aria-pressed", "true");
    playButton.textContent = model.ui.pause;
  }

  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.setAttribute("aria-pressed", "false");
    playButton.textContent = model.ui.play;
  }

  function toggleProjector() {
    root.classList.toggle("mg-projector");
    q('[data-act="projector"]').setAttribute("aria-pressed", root.classList.contains("mg-projector") ? "true" : "false");
  }

  function setTheme(name) {
    root.classList.remove("mg-theme-cs231n", "mg-theme-colorblind");
    root.classList.add("mg-theme-" + name);
    q(".mg-theme").value = name;
  }

  var actions = {
    first: function () { pause(); go(0); },
    prev: function () { pause(); go(current - 1); },
    next: function () { pause(); advance(); },
    last: function () { pause(); go(n - 1); },
    play: function () { if (timer === null) { play(); } else { pause(); } },
    projector: toggleProjector,
    follow: function () { setFollow(!following); },
    quiz: function () {
      quiz = !quiz;
      quizButton.setAttribute("aria-pressed", quiz ? "true" : "false");
      setClass(root, "mg-quiz-on", quiz);
      quizForm.hidden = !quiz;
      if (!quiz && hidden) { hidden = false; render(current); leaveInput(); }
    }
  };
  all("[data-act]").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-act")](); });
  });
  quizForm.addEventListener("submit", function (e) { e.preventDefault(); check(); });
  q(".mg-quiz-show").addEventListener("click", function () { if (hidden) { reveal("shown"); } });
  slider.addEventListener("input", function () { pause(); go(parseInt(slider.value, 10) - 1); });
  q(".mg-theme").addEventListener("change", function (e) { setTheme(e.target.value); });

  function onKey(e) {
    var tag = (e.target && e.target.tagName) || "";
    var key = e.key;
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (tag === "SELECT" || tag === "TEXTAREA") { return; }
    /* the answer box keeps its keys, except ← → while it is still empty and the letter keys
       P C Z Q (no number has them) */
    if (e.target === quizInput && !(((key === "ArrowRight" || key === "ArrowLeft") && quizInput.value === "")
        || /^[pPcCzZqQ]$/.test(key))) { return; }
    /* the slider moves itself with arrows, Home and End; Space, P and C still work there */
    if (tag === "INPUT" && e.target !== quizInput && !(key === " " || key === "Spacebar" || /^[pPcCzZqQ]$/.test(key))) { return; }
    if (key === "ArrowRight") { actions.next(); }
    else if (key === "ArrowLeft") { actions.prev(); }
    else if (key === " " || key === "Spacebar") { actions.play(); }
    else if (key === "Home") { actions.first(); }
    else if (key === "End") { actions.last(); }
    else if (key === "p" || key === "P") { toggleProjector(); }
    else if (key === "z" || key === "Z") { actions.follow(); }
    else if (key === "q" || key === "Q") { actions.quiz(); }
    else if (key === "c" || key === "C") { setTheme(root.classList.contains("mg-theme-colorblind") ? "cs231n" : "colorblind"); }
    else { return; }
    e.preventDefault();
  }

  function stepFromHash() {
    var m = /(?:^#|&)step=(\d+)/.exec(location.hash || "");
    return m ? parseInt(m[1], 10) - 1 : null;
  }

  if (standalone) {
    document.addEventListener("keydown", onKey);
    window.addEventListener("hashchange", function () {
      var k = stepFromHash();
      if (k !== null && k !== current) { pause(); go(k, true); }
    });
    window.addEventListener("beforeprint", function () { q(".mg-all").open = true; });
  } else {
    /* inside a notebook, keys belong to the stepper only while it has focus */
    root.addEventListener("keydown", onKey);
    root.addEventListener("click", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (tag !== "INPUT" && tag !== "SELECT" && tag !== "BUTTON") { root.focus(); }
    });
  }
  setClass(root, "mg-quiz-on", quiz);
  setFollow(model.ui.follow);
  var start = standalone ? stepFromHash() : null;
  go(start === null ? 0 : start, true);
  if (standalone && start !== null && start !== current) { go(current); }
  root.setAttribute("data-ready", "true");
})
