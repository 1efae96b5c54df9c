/* microgradnet stepper: replays a backward pass on a graph it draws itself.
   MicrogradnetStepper.mount(element, data, options) builds the whole stepper inside element from the
   page data that microgradnet.viz.html writes (steps, levels of detail, sentences); every number and
   sentence comes from Python, this script only lays the graph out, draws it and shows the steps.
   Mounting again (new data, same element) replaces the old stepper. No network, one global. */
(function (global) {
  "use strict";
  var API = 2;
  if (global.MicrogradnetStepper && global.MicrogradnetStepper.api === API) { return; }

  var FONT = 14;           /* text size in picture units (1 unit = 1 px at zoom 1) */
  var NODE_H = 28;
  var BOX_LINE = 19;
  var PAD = 8;
  var MIN_PX = 15;         /* the smallest text size, in screen px, when following a step */
  var MIN_PX_PROJECTOR = 21;
  var MAX_ZOOM = 2.6;

  /* ---------------------------------------------------------------------------------------------
     helpers */
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/[<]/g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (m, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
    });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function setClass(e, name, on) {
    if (!e) { return; }
    if (on) { e.classList.add(name); } else { e.classList.remove(name); }
  }
  function r1(x) { return Math.round(x * 10) / 10; }

  /* SHA-256 (FIPS 180-4) of a byte array, for the sealed answer of a find-the-slip page
     (microgradnet/viz/exercises.py seals it with Python's hashlib; crypto.subtle is not used because
     it is missing on pages served over plain http, and it is asynchronous) */
  var K256 = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  function sha256(bytes) {
    var H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var n = bytes.length, total = Math.ceil((n + 9) / 64) * 64, m = new Uint8Array(total), w = new Int32Array(64);
    m.set(bytes);
    m[n] = 0x80;
    for (var i = 0; i < 8; i++) { m[total - 1 - i] = Math.floor(n * 8 / Math.pow(2, 8 * i)) & 0xff; }
    for (var off = 0; off < total; off += 64) {
      var t;
      for (t = 0; t < 16; t++) {
        w[t] = (m[off + 4 * t] << 24) | (m[off + 4 * t + 1] << 16) | (m[off + 4 * t + 2] << 8) | m[off + 4 * t + 3];
      }
      for (t = 16; t < 64; t++) {
        var x = w[t - 15], y = w[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K256[t] + w[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
      H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
    }
    var out = new Uint8Array(32);
    for (i = 0; i < 8; i++) {
      out[4 * i] = H[i] >>> 24; out[4 * i + 1] = (H[i] >>> 16) & 255; out[4 * i + 2] = (H[i] >>> 8) & 255; out[4 * i + 3] = H[i] & 255;
    }
    return out;
  }
  function asciiBytes(text) {
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i) & 0x7f; }
    return out;
  }
  function base64Bytes(text) {
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  /* the find-the-slip exercise a page carries: one sealed verdict per edge, the explanation sealed
     with the index of the first wrong edge (see microgradnet/viz/exercises.py) */
  function sealedExercise(ex) {
    var verdicts = base64Bytes(ex.verdicts), codes = ["right", "first", "later"];
    function key(parts) { return sha256(asciiBytes([ex.salt].concat(parts).join("/"))); }
    function verdict(k) { return k >= 0 && k < verdicts.length ? codes[verdicts[k] ^ key([k])[0]] : null; }
    function first() { for (var k = 0; k < verdicts.length; k++) { if (verdict(k) === "first") { return k; } } return -1; }
    function open(k) {
      var sealed = base64Bytes(ex.sealed), plain = new Uint8Array(sealed.length), block = null;
      for (var i = 0; i < sealed.length; i++) {
        if (i % 32 === 0) { block = key([k, "reveal", i / 32]); }
        plain[i] = sealed[i] ^ block[i % 32];
      }
      return JSON.parse(new TextDecoder("utf-8").decode(plain));
    }
    return { verdict: verdict, first: first, open: open };
  }

  /* ---------------------------------------------------------------------------------------------
     layered layout (Sugiyama): ranks, waypoints for long edges, barycentre ordering with the
     fewest crossings, least-squares positions (isotonic regression per rank) */
  function isotonic(targets, weights) {
    var means = [], wts = [], counts = [];
    for (var i = 0; i < targets.length; i++) {
      means.push(targets[i]); wts.push(weights[i]); counts.push(1);
      while (means.length > 1 && means[means.length - 2] > means[means.length - 1]) {
        var m2 = means.pop(), w2 = wts.pop(), c2 = counts.pop();
        var m1 = means.pop(), w1 = wts.pop(), c1 = counts.pop();
        means.push((m1 * w1 + m2 * w2) / (w1 + w2)); wts.push(w1 + w2); counts.push(c1 + c2);
      }
    }
    var out = [];
    for (var b = 0; b < means.length; b++) { for (var k = 0; k < counts[b]; k++) { out.push(means[b]); } }
    return out;
  }

  function crossings(upper, lowerPos, succ) {
    var ends = [];
    upper.forEach(function (v) {
      var mine = [];
      succ[v].forEach(function (s) { if (lowerPos[s] !== undefined) { mine.push(lowerPos[s]); } });
      mine.sort(function (a, b) { return a - b; });
      Array.prototype.push.apply(ends, mine);
    });
    var size = 2, count = 0;
    ends.forEach(function (e) { if (e + 2 > size) { size = e + 2; } });
    var tree = new Int32Array(size + 1);
    for (var seen = 0; seen < ends.length; seen++) {
      var i = ends[seen] + 1, below = 0;
      while (i > 0) { below += tree[i]; i -= i & -i; }
      count += seen - below;
      i = ends[seen] + 1;
      while (i <= size) { tree[i] += 1; i += i & -i; }
    }
    return count;
  }

  function layered(sizes, edges, rankdir) {
    var nReal = sizes.length;
    var across = (rankdir === "LR" || rankdir === "RL") ? 0 : 1;
    var rankLen = sizes.map(function (s) { return s[across]; });
    var orderLen = sizes.map(function (s) { return s[1 - across]; });
    var succ = [], i, v;
    for (i = 0; i < nReal; i++) { succ.push([]); }
    edges.forEach(function (e) { if (e[0] !== e[1] && succ[e[0]].indexOf(e[1]) < 0) { succ[e[0]].push(e[1]); } });
    /* ranks: one before the earliest successor; sinks last (cycles broken by the walk) */
    var depth = new Array(nReal).fill(-1), state = new Array(nReal).fill(0);
    for (var start = 0; start < nReal; start++) {
      if (state[start]) { continue; }
      var stack = [[start, 0]];
      state[start] = 1;
      while (stack.length) {
        var top = stack[stack.length - 1];
        v = top[0];
        if (top[1] < succ[v].length) {
          var s = succ[v][top[1]++];
          if (state[s] === 0) { state[s] = 1; stack.push([s, 0]); }
          continue;
        }
        stack.pop();
        state[v] = 2;
        var d = -1;
        succ[v].forEach(function (t) { if (state[t] === 2 && depth[t] + 1 > d) { d = depth[t] + 1; } });
        depth[v] = d < 0 ? 0 : d;
      }
    }
    var maxDepth = 0;
    depth.forEach(function (d) { if (d > maxDepth) { maxDepth = d; } });
    var rank = depth.map(function (d) { return maxDepth - d; });
    /* waypoints */
    var made = {}, chains = [];
    edges.forEach(function (e) {
      var a = e[0], b = e[1], key = a + ">" + b;
      if (made[key]) { chains.push(made[key]); return; }
      var chain = [];
      made[key] = chain;
      if (a !== b && rank[b] - rank[a] > 1) {
        var prev = a;
        for (var r = rank[a] + 1; r < rank[b]; r++) {
          var dn = rank.length;
          rank.push(r); rankLen.push(0); orderLen.push(2); succ.push([]);
          var at = succ[prev].indexOf(b);
          if (at >= 0) { succ[prev].splice(at, 1); }
          succ[prev].push(dn);
          chain.push(dn);
          prev = dn;
        }
        succ[prev].push(b);
      }
      chains.push(chain);
    });
    var n = rank.length, pred = [];
    for (i = 0; i < n; i++) { pred.push([]); }
    for (v = 0; v < n; v++) { succ[v].forEach(function (t) { if (pred[t].indexOf(v) < 0) { pred[t].push(v); } }); }
    var nRanks = maxDepth + 1, layers = [];
    for (i = 0; i < nRanks; i++) { layers.push([]); }
    /* first order: depth-first from the sinks, operands top to bottom */
    var seen = new Uint8Array(n);
    for (v = n - 1; v >= 0; v--) {
      if (succ[v].length || seen[v]) { continue; }
      var st = [v];
      while (st.length) {
        var u = st.pop();
        if (seen[u]) { continue; }
        seen[u] = 1;
        layers[rank[u]].push(u);
        for (var k = pred[u].length - 1; k >= 0; k--) { if (!seen[pred[u][k]]) { st.push(pred[u][k]); } }
      }
    }
    for (v = 0; v < n; v++) { if (!seen[v]) { layers[rank[v]].push(v); } }
    function total(ls) {
      var c = 0;
      for (var r = 0; r + 1 < ls.length; r++) {
        var pos = {};
        ls[r + 1].forEach(function (x, j) { pos[x] = j; });
        c += crossings(ls[r], pos, succ);
      }
      return c;
    }
    var best = layers.map(function (l) { return l.slice(); }), bestCount = total(best);
    var passes = nReal > 2000 ? 4 : 8;
    for (var sweep = 0; sweep < passes && bestCount > 0; sweep++) {
      var down = sweep % 2 === 0;
      for (var step = 0; step < nRanks - 1; step++) {
        var r = down ? nRanks - 2 - step : step + 1;
        var ref = down ? layers[r + 1] : layers[r - 1], pos = {};
        ref.forEach(function (x, j) { pos[x] = j; });
        var keyed = layers[r].map(function (x, j) {
          var sum = 0, cnt = 0;
          (down ? succ[x] : pred[x]).forEach(function (y) { if (pos[y] !== undefined) { sum += pos[y]; cnt++; } });
          return [cnt ? sum / cnt : null, j, x];
        });
        var movable = keyed.filter(function (q) { return q[0] !== null; })
          .sort(function (p, q) { return p[0] - q[0] || p[1] - q[1]; });
        var mi = 0;
        layers[r] = keyed.map(function (q) { return q[0] === null ? q[2] : movable[mi++][2]; });
      }
      var cnt = total(layers);
      if (cnt < bestCount) { best = layers.map(function (l) { return l.slice(); }); bestCount = cnt; }
    }
    layers = best;
    var nodesep = 14, ranksep = 36;
    var coord = new Float64Array(n);
    layers.forEach(function (layer) {
      var y = 0;
      layer.forEach(function (x, j) {
        if (j) { y += (orderLen[layer[j - 1]] + orderLen[x]) / 2 + nodesep; }
        coord[x] = y;
      });
    });
    function place(layer, usePred, useSucc) {
      if (!layer.length) { return; }
      var targets = [], weights = [], offsets = [], off = 0;
      layer.forEach(function (x, j) {
        if (j) { off += (orderLen[layer[j - 1]] + orderLen[x]) / 2 + nodesep; }
        var sum = 0, cnt = 0;
        if (usePred) { pred[x].forEach(function (y) { sum += coord[y]; cnt++; }); }
        if (useSucc) { succ[x].forEach(function (y) { sum += coord[y]; cnt++; }); }
        var want = cnt ? sum / cnt : coord[x];
        targets.push(want - off);
        weights.push((x >= nReal ? 8 : 1) * (cnt ? 1 : 0.05));
        offsets.push(off);
      });
      var z = isotonic(targets, weights);
      layer.forEach(function (x, j) { coord[x] = z[j] + offsets[j]; });
    }
    for (var it = 0; it < 8; it++) {
      if (it % 2 === 0) { for (i = 1; i < nRanks; i++) { place(layers[i], true, it >= 4); } }
      else { for (i = nRanks - 2; i >= 0; i--) { place(layers[i], it >= 4, true); } }
    }
    layers.forEach(function (layer) { place(layer, true, true); });
    var deep = new Float64Array(nRanks);
    for (v = 0; v < n; v++) { deep[rank[v]] = Math.max(deep[rank[v]], rankLen[v]); }
    var starts = [], at2 = 0;
    for (i = 0; i < nRanks; i++) { starts.push(at2); at2 += deep[i] + ranksep; }
    var extentRank = Math.max(at2 - ranksep, 0), lo = Infinity, hi = -Infinity;
    for (v = 0; v < n; v++) {
      lo = Math.min(lo, coord[v] - orderLen[v] / 2);
      hi = Math.max(hi, coord[v] + orderLen[v] / 2);
    }
    if (!isFinite(lo)) { lo = 0; hi = 0; }
    function point(x) {
      var along = starts[rank[x]] + deep[rank[x]] / 2, other = coord[x] - lo;
      if (rankdir === "RL" || rankdir === "BT") { along = extentRank - along; }
      return across === 0 ? [r1(along), r1(other)] : [r1(other), r1(along)];
    }
    var centres = [];
    for (v = 0; v < nReal; v++) { centres.push(point(v)); }
    return {
      centres: centres,
      routes: chains.map(function (c) { return c.map(point); }),
      width: across === 0 ? extentRank : hi - lo,
      height: across === 0 ? hi - lo : extentRank
    };
  }

  /* ---------------------------------------------------------------------------------------------
     the stepper */
  function mount(root, data, options) {
    options = options || {};
    if (root.mgStepper) { root.mgStepper.destroy(); }
    var ui = data.ui, steps = data.steps, nodes = data.nodes, levels = data.levels || [];
    var nNodes = nodes.length;
    var standalone = options.standalone !== undefined ? !!options.standalone : root.getAttribute("data-standalone") === "true";
    var listeners = [];
    function on(target, type, fn, opts) { target.addEventListener(type, fn, opts); listeners.push([target, type, fn, opts]); }

    /* ---- the interface ---- */
    var keep = root.querySelector(":scope > .mg-all");
    var style = root.querySelector(":scope > style");
    var scripts = Array.prototype.slice.call(root.querySelectorAll(":scope > script"));
    Array.prototype.slice.call(root.childNodes).forEach(function (c) {
      if (c !== style && scripts.indexOf(c) < 0) { root.removeChild(c); }
    });
    root.classList.add("mg-stepper");
    if (ui.lang) { root.setAttribute("lang", ui.lang); }  /* its font rules key on it */
    setClass(root, "mg-projector", !!ui.projector);
    setClass(root, "mg-theme-colorblind", ui.theme === "colorblind");
    setClass(root, "mg-theme-cs231n", ui.theme !== "colorblind");
    if (!root.hasAttribute("tabindex")) { root.setAttribute("tabindex", "0"); }
    var app = el("div", "mg-app");
    root.appendChild(app);

    var head = el("header", "mg-head");
    var title = el("h1", "mg-title", data.title);
    title.title = data.title;  /* the whole title, when two lines cut it short */
    head.appendChild(title);
    var counter = el("div", "mg-counter");
    counter.innerHTML = fill(esc(ui.counter), { k: '<b class="mg-k"><\/b>', n: '<b class="mg-n"><\/b>' }) +
      ' \u00b7 <span class="mg-phase"><\/span>';
    var counterK = counter.querySelector(".mg-k"), counterN = counter.querySelector(".mg-n");
    var counterPhase = counter.querySelector(".mg-phase");
    head.appendChild(counter);
    app.appendChild(head);

    var stage = el("div", "mg-stage");
    var graph = el("div", "mg-graph");
    graph.setAttribute("role", "img");
    graph.setAttribute("aria-label", fill(ui.graph_label, { root: nodes[data.root][0] }));
    stage.appendChild(graph);
    var minimap = el("canvas", "mg-minimap");
    minimap.setAttribute("aria-label", ui.minimap_label);
    minimap.setAttribute("role", "img");
    stage.appendChild(minimap);
    app.appendChild(stage);
    /* the picture: an outer layer that only moves (the browser moves it without repainting) and an
       inner one that scales (repainted at each zoom, so text stays sharp) */
    var world = el("div", "mg-world"), scaler = el("div", "mg-scale");
    world.appendChild(scaler);
    graph.appendChild(world);

    var panel = el("section", "mg-panel");
    var main = el("div", "mg-main"), side = el("div", "mg-side"), sideIn = el("div", "mg-side-in");
    side.appendChild(sideIn);
    panel.appendChild(main);
    panel.appendChild(side);
    var stepTitle = el("div", "mg-step-title");
    var equation = el("div", "mg-equation");
    var symEl = el("div", "mg-sym"), numEl = el("div", "mg-num"), updEl = el("div", "mg-update");
    equation.appendChild(symEl); equation.appendChild(numEl); equation.appendChild(updEl);
    var moreBtn = el("button", "mg-more", ui.more);
    moreBtn.type = "button";
    var vector = el("div", "mg-vector");
    main.appendChild(stepTitle); main.appendChild(equation); main.appendChild(moreBtn); main.appendChild(vector);
    var quizForm = el("form", "mg-quiz");
    quizForm.setAttribute("autocomplete", "off");
    quizForm.innerHTML = '<div class="mg-quiz-ask" hidden><label><span class="mg-quiz-label"><\/span> ' +
      '<input class="mg-quiz-input" type="text" inputmode="text" spellcheck="false" size="10" maxlength="60"><\/label> ' +
      '<button type="submit" class="mg-quiz-check">' + esc(ui.quiz_check) + '<\/button> ' +
      '<button type="button" class="mg-quiz-show">' + esc(ui.quiz_show) + '<\/button><\/div>' +
      '<p class="mg-quiz-feedback" role="status" aria-live="polite"><\/p><p class="mg-quiz-score"><\/p>';
    main.appendChild(quizForm);
    /* find the wrong gradient: mark the current edge (button or M), a status line screen readers
       read out, and once the edge is found (or on "show the slip") the explanation */
    var findBox = el("div", "mg-find");
    var markButton = el("button", "mg-find-mark", ui.find_mark), showSlipButton = el("button", "mg-find-show", ui.find_show);
    markButton.type = "button"; showSlipButton.type = "button";
    markButton.setAttribute("aria-label", ui.aria_mark);
    var findRow = el("div", "mg-find-row");
    findRow.appendChild(markButton); findRow.appendChild(showSlipButton);
    var findStatus = el("p", "mg-find-status", ui.find ? ui.find_intro : "");
    findStatus.setAttribute("role", "status");
    findStatus.setAttribute("aria-live", "polite");
    var findExplain = el("div", "mg-find-explain");
    findExplain.hidden = true;
    findRow.appendChild(findStatus);
    findBox.appendChild(findRow); findBox.appendChild(findExplain);
    findBox.hidden = !ui.find;
    main.appendChild(findBox);
    /* a faded step's rule card opens on demand (button or R) */
    var ruleButton = el("button", "mg-rule-show", ui.fade_show_rule);
    ruleButton.type = "button";
    ruleButton.setAttribute("aria-label", ui.aria_rule);
    var narration = el("p", "mg-narration");
    narration.setAttribute("aria-live", "polite");
    var rule = el("p", "mg-rule");
    var ledgerHead = el("h2", "mg-ledger-head", ui.ledger_heading);
    var ledgerBox = el("div", "mg-ledgers");
    var legend = el("p", "mg-legend");
    legend.innerHTML = fill(esc(ui.legend), {
      data_word: '<span class="mg-swatch-data">' + esc(ui.data_word) + "<\/span>",
      grad_word: '<span class="mg-swatch-grad">' + esc(ui.grad_word) + "<\/span>",
      root: esc(nodes[data.root][0]), pending: esc(ui.pending_mark)
    });
    [narration, rule, ledgerHead, ledgerBox, legend].forEach(function (x) { sideIn.appendChild(x); });
    app.appendChild(panel);

    var nav = el("nav", "mg-controls");
    nav.setAttribute("aria-label", ui.controls_label);
    function button(act, label, aria, pressed) {
      var b = el("button", "", label);
      b.type = "button";
      b.setAttribute("data-act", act);
      b.setAttribute("aria-label", aria);
      if (pressed !== undefined) { b.setAttribute("aria-pressed", pressed ? "true" : "false"); }
      nav.appendChild(b);
      return b;
    }
    button("first", ui.first, ui.aria_first);
    button("prev", ui.prev, ui.aria_prev);
    var playButton = button("play", ui.play, ui.aria_play, false);
    button("next", ui.next, ui.aria_next);
    button("last", ui.last, ui.aria_last);
    var slider = el("input", "mg-slider");
    slider.type = "range"; slider.min = "1"; slider.step = "1";
    slider.setAttribute("aria-label", ui.slider_label);
    nav.appendChild(slider);
    var levelButtons = {};
    if (levels.length) {
      var group = el("span", "mg-levels");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", ui.level_label);
      ["scalar"].concat(levels.map(function (l) { return l.level; })).forEach(function (name, i) {
        var b = el("button", "", ui["level_" + name]);
        b.type = "button";
        b.setAttribute("data-act", "level");
        b.setAttribute("data-level", name);
        b.setAttribute("aria-pressed", "false");
        b.setAttribute("aria-label", ui["level_" + name] + " (" + (i + 1) + ")");
        group.appendChild(b);
        levelButtons[name] = b;
      });
      nav.appendChild(group);
    }
    var quizButton = button("quiz", ui.button_quiz, ui.aria_quiz, !!ui.quiz);
    quizButton.hidden = !!ui.find;  /* a find-the-slip page is its own exercise */
    var followButton = button("follow", ui.button_follow, ui.aria_follow, false);
    var wholeButton = button("whole", ui.button_whole, ui.aria_whole);
    var themeSelect = el("select", "mg-theme");
    themeSelect.setAttribute("aria-label", ui.theme_label);
    ui.themes.forEach(function (t) {
      var o = el("option", "", ui["theme_" + t]);
      o.value = t;
      themeSelect.appendChild(o);
    });
    themeSelect.value = ui.theme;
    nav.appendChild(themeSelect);
    var projButton = button("projector", ui.button_projector, ui.aria_projector, !!ui.projector);
    app.appendChild(nav);
    var help = el("p", "mg-help", ui.help + (ui.find ? " · " + ui.help_find : "") + (ui.fade ? " · " + ui.help_fade : "") +
      (levels.length ? " · " + ui.expand : ""));
    app.appendChild(help);
    var all = keep || el("details", "mg-all");
    if (!keep) { all.appendChild(el("summary", "", ui.all_steps)); }
    app.appendChild(all);

    var quizAsk = quizForm.querySelector(".mg-quiz-ask");
    var quizInput = quizForm.querySelector(".mg-quiz-input");
    var quizFeedback = quizForm.querySelector(".mg-quiz-feedback");
    var quizScore = quizForm.querySelector(".mg-quiz-score");

    /* ---- the state of every item (nodes, then boxes) after a scalar step ---- */
    var nItems = nNodes;
    levels.forEach(function (l) { nItems += l.boxes.length; });
    var init = data.initial;
    var longest = [];
    for (var i0 = 0; i0 < nItems; i0++) { longest.push([init[i0][0], init[i0][1]]); }
    function note(s) {
      var e = longest[s[0]];
      if (s[1] !== null && s[1].length > e[0].length) { e[0] = s[1]; }
      if (s[2] !== null && s[2].length > e[1].length) { e[1] = s[2]; }
    }
    steps.forEach(function (st) {
      (st.set || []).forEach(note);
      if (st.masked) { st.masked.set.forEach(note); }
    });
    var base = { k: -1, d: init.map(function (x) { return x[0]; }), g: init.map(function (x) { return x[1]; }), c: init.map(function (x) { return x[2]; }) };
    var checkpoints = [];
    var CHECK_EVERY = 128;
    function applySet(target, updates) {
      for (var u = 0; u < updates.length; u++) {
        var s = updates[u];
        if (s[1] !== null) { target.d[s[0]] = s[1]; }
        if (s[2] !== null) { target.g[s[0]] = s[2]; }
        if (s[3] !== null) { target.c[s[0]] = s[3]; }
      }
    }
    function advanceBase(k) {
      if (k < base.k) {
        var cp = null;
        for (var c = checkpoints.length - 1; c >= 0; c--) { if (checkpoints[c].k <= k) { cp = checkpoints[c]; break; } }
        base = cp ? { k: cp.k, d: cp.d.slice(), g: cp.g.slice(), c: cp.c.slice() }
          : { k: -1, d: init.map(function (x) { return x[0]; }), g: init.map(function (x) { return x[1]; }), c: init.map(function (x) { return x[2]; }) };
      }
      while (base.k < k) {
        base.k++;
        applySet(base, steps[base.k].set || []);
        if (base.k % CHECK_EVERY === 0 && (!checkpoints.length || checkpoints[checkpoints.length - 1].k < base.k)) {
          checkpoints.push({ k: base.k, d: base.d.slice(), g: base.g.slice(), c: base.c.slice() });
        }
      }
    }
    /* the state to show: after scalar step k, its result hidden when masked */
    function stateAt(k, masked) {
      if (!masked) { advanceBase(k); return base; }
      advanceBase(k - 1);
      var st = { d: base.d.slice(), g: base.g.slice(), c: base.c.slice() };
      applySet(st, steps[k].masked.set);
      return st;
    }

    /* ---- views: the scalar graph, or a level with its boxes (one of them opened) ---- */
    var levelByName = {};
    levels.forEach(function (l) { levelByName[l.level] = l; });
    var views = {};
    var measureCtx = document.createElement("canvas").getContext("2d");
    var mono = (getComputedStyle(root).getPropertyValue("--mg-mono") || "monospace").trim() || "monospace";
    var widthCache = {};
    function textWidth(s) {
      if (widthCache[s] !== undefined) { return widthCache[s]; }
      measureCtx.font = "bold " + FONT + "px " + mono;
      var w = measureCtx.measureText(s).width;
      if (!(w > 0)) { w = s.length * 0.62 * FONT; }
      widthCache[s] = w;
      return w;
    }
    var nodeFields = [];
    function fields(k) {
      if (!nodeFields[k]) {
        nodeFields[k] = [textWidth(nodes[k][0]), textWidth(longest[k][0]), textWidth(longest[k][1])].map(function (w) { return Math.ceil(w + 2 * PAD); });
      }
      return nodeFields[k];
    }
    var boxInfo = {};
    levels.forEach(function (l) { l.boxes.forEach(function (b) { boxInfo[b.item] = { level: l, box: b }; }); });

    function parseKey(key) {
      var parts = key.split("/");
      return { level: parts[0] === "scalar" ? null : levelByName[parts[0]], opened: parts.length > 1 ? parseInt(parts[1], 10) : -1 };
    }
    function itemOf(view, k) {
      var l = view.level;
      if (!l) { return k; }
      var g = l.group_of[k];
      if (g === -1 || g === view.opened) { return k; }
      var b = l.box_of[k];
      return b >= 0 ? l.boxes[b].item : null;
    }
    function buildView(key) {
      var spec = parseKey(key);
      var view = { key: key, level: spec.level, opened: spec.opened };
      var refs = [], index = {}, sizes = [];
      function add(ref, w, h) { index[ref] = refs.length; refs.push(ref); sizes.push([w, h]); }
      var k;
      for (k = 0; k < nNodes; k++) {
        if (itemOf(view, k) !== k) { continue; }
        if (nodes[k][1]) { add(-k - 1, Math.max(NODE_H, Math.ceil(textWidth(nodes[k][1]) + PAD)), NODE_H); }
        var f = fields(k);
        add(k, f[0] + f[1] + f[2], NODE_H);
      }
      if (view.level) {
        view.level.boxes.forEach(function (b) {
          if (b.group === view.opened) { return; }
          var w = Math.max(textWidth(b.label), textWidth(longest[b.item][0]), textWidth(longest[b.item][1]));
          add(b.item, Math.ceil(w + 2 * PAD), 3 * BOX_LINE + PAD);
        });
      }
      var edges = [], seen = {};
      function edge(a, b) {
        var key2 = a + ">" + b;
        if (a === null || b === null || a === b || seen[key2] !== undefined) { return; }
        seen[key2] = edges.length;
        edges.push([a, b]);
      }
      for (k = 0; k < nNodes; k++) {
        if (!nodes[k][1]) { continue; }
        var shown = itemOf(view, k) === k;
        var target = shown ? -k - 1 : itemOf(view, k);
        if (target === null) { continue; }
        if (shown) { edge(-k - 1, k); }
        nodes[k][2].forEach(function (c) { edge(itemOf(view, c), target); });
      }
      var lay = layered(sizes, edges.map(function (e) { return [index[e[0]], index[e[1]]]; }), data.rankdir);
      view.refs = refs; view.index = index; view.sizes = sizes; view.edges = edges; view.edgeIndex = seen;
      view.centres = lay.centres; view.routes = lay.routes; view.width = lay.width; view.height = lay.height;
      view.paths = [];
      /* a grid of cells, so that only what is near the picture's frame is drawn */
      var cell = 400, grid = {};
      function put(x0, y0, x1, y1, what) {
        for (var gx = Math.floor(x0 / cell); gx <= Math.floor(x1 / cell); gx++) {
          for (var gy = Math.floor(y0 / cell); gy <= Math.floor(y1 / cell); gy++) {
            var id = gx + "," + gy;
            (grid[id] || (grid[id] = [])).push(what);
          }
        }
      }
      refs.forEach(function (ref, j) {
        var c = view.centres[j], s = view.sizes[j];
        put(c[0] - s[0] / 2, c[1] - s[1] / 2, c[0] + s[0] / 2, c[1] + s[1] / 2, j);
      });
      /* each item's edges: an edge is drawn when one of its ends is near the frame */
      view.itemEdges = refs.map(function () { return []; });
      edges.forEach(function (e, j) { view.itemEdges[index[e[0]]].push(j); view.itemEdges[index[e[1]]].push(j); });
      view.grid = grid; view.cell = cell;
      var w = Math.ceil(view.width + 2), h = Math.ceil(view.height + 2);
      scaler.insertAdjacentHTML("beforeend", '<div class="mg-view" data-view="' + esc(view.key) + '">' + frameHTML(view) +
        '<svg class="mg-wires" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h + '" focusable="false" aria-hidden="true">' +
        '<g class="mg-edges"><\/g><\/svg>' +
        '<svg class="mg-wires mg-hotwires" width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + " " + h + '" focusable="false" aria-hidden="true">' +
        '<\/svg><div class="mg-items"><\/div><\/div>');
      view.g = scaler.lastChild;
      view.edgeLayer = view.g.querySelector(".mg-edges");
      view.hotLayer = view.g.querySelector(".mg-hotwires");
      view.hotShown = "";
      view.itemLayer = view.g.querySelector(".mg-items");
      view.live = {};       /* item index -> its element record */
      view.liveEdges = {};  /* edge index -> its path */
      view.region = null;
      view.hotItems = {}; view.hotEdges = {};
      view.steps = viewSteps(view);
      view.mini = null;
      return view;
    }

    var dir = { LR: [1, 0], RL: [-1, 0], TB: [0, 1], BT: [0, -1] }[data.rankdir] || [1, 0];
    function edgePoints(view, j) {
      var e = view.edges[j], a = view.index[e[0]], b = view.index[e[1]];
      var pa = view.centres[a], pb = view.centres[b], sa = view.sizes[a], sb = view.sizes[b];
      var ha = dir[0] ? sa[0] / 2 : sa[1] / 2, hb = dir[0] ? sb[0] / 2 : sb[1] / 2;
      return [[pa[0] + dir[0] * ha, pa[1] + dir[1] * ha]].concat(view.routes[j], [[pb[0] - dir[0] * hb, pb[1] - dir[1] * hb]]);
    }
    function edgePath(view, j) {
      if (view.paths[j]) { return view.paths[j]; }
      var pts = edgePoints(view, j);
      var d = "M" + r1(pts[0][0]) + "," + r1(pts[0][1]);
      for (var i = 1; i < pts.length; i++) {
        var p = pts[i - 1], q = pts[i];
        var dist = Math.abs((q[0] - p[0]) * dir[0] + (q[1] - p[1]) * dir[1]) / 2;
        d += "C" + r1(p[0] + dir[0] * dist) + "," + r1(p[1] + dir[1] * dist) + " " + r1(q[0] - dir[0] * dist) + "," +
          r1(q[1] - dir[1] * dist) + " " + r1(q[0]) + "," + r1(q[1]);
      }
      var tip = pts[pts.length - 1], bx = tip[0] - dir[0] * 7, by = tip[1] - dir[1] * 7;
      d += "M" + r1(bx - dir[1] * 4) + "," + r1(by + dir[0] * 4) + "L" + r1(tip[0]) + "," + r1(tip[1]) + "L" + r1(bx + dir[1] * 4) + "," + r1(by - dir[0] * 4);
      view.paths[j] = d;
      return d;
    }

    function stubPath(view, j, fromSource) {
      var pts = edgePoints(view, j), p = fromSource ? pts[0] : pts[pts.length - 1], q = fromSource ? pts[1] : pts[pts.length - 2];
      var dx = q[0] - p[0], dy = q[1] - p[1], len = Math.sqrt(dx * dx + dy * dy) || 1, k = Math.min(1, 36 / len);
      return "M" + r1(p[0]) + "," + r1(p[1]) + "L" + r1(p[0] + dx * k) + "," + r1(p[1] + dy * k);
    }

    /* a frame around the opened neuron or layer (all its applications and parameters) */
    function frameHTML(view) {
      view.frame = null;
      if (!view.level || view.opened < 0) { return ""; }
      var lo = [Infinity, Infinity], hi = [-Infinity, -Infinity], lv = view.level;
      for (var m = 0; m < nNodes; m++) {
        if (lv.group_of[m] !== view.opened) { continue; }
        [m, -m - 1].forEach(function (ref) {
          var at = view.index[ref];
          if (at === undefined) { return; }
          var c = view.centres[at], s = view.sizes[at];
          lo = [Math.min(lo[0], c[0] - s[0] / 2), Math.min(lo[1], c[1] - s[1] / 2)];
          hi = [Math.max(hi[0], c[0] + s[0] / 2), Math.max(hi[1], c[1] + s[1] / 2)];
        });
      }
      if (!isFinite(lo[0])) { return ""; }
      var x = lo[0] - 10, y = lo[1] - 26, w = hi[0] - lo[0] + 20, h = hi[1] - lo[1] + 36;
      view.frame = [x, y, w, h];
      return '<div class="mg-frame" data-mg-frame="' + view.opened + '" style="left:' + r1(x) + "px;top:" + r1(y) + "px;width:" + r1(w) +
        "px;height:" + r1(h) + 'px"><button type="button" class="mg-frame-close">' +
        esc(fill(ui.collapse_group, { name: lv.groups[view.opened].label })) + " \u00d7<\/button><\/div>";
    }

    function box3(x, y, w, h) { return 'style="left:' + x + "px;top:" + y + "px;width:" + w + "px;height:" + h + 'px"'; }
    function itemSVG(view, j) {
      var ref = view.refs[j], c = view.centres[j], s = view.sizes[j], x = r1(c[0] - s[0] / 2), y = r1(c[1] - s[1] / 2);
      if (ref < 0) {
        var k = -ref - 1;
        return '<div class="mg-op" data-mg-op="' + k + '" ' + box3(x, y, s[0], s[1]) + ">" + esc(nodes[k][1]) + "<\/div>";
      }
      if (ref < nNodes) {
        var f = fields(ref);
        return '<div class="mg-node role-' + esc(nodes[ref][3]) + '" data-mg-node="' + ref + '" ' + box3(x, y, s[0], s[1]) + ">" +
          '<span class="mg-name" style="width:' + f[0] + 'px">' + esc(nodes[ref][0]) + "<\/span>" +
          '<span class="mg-data" style="width:' + f[1] + 'px"><\/span><span class="mg-grad" style="width:' + f[2] + 'px"><\/span><\/div>';
      }
      var info = boxInfo[ref];
      return '<div class="mg-node mg-box" data-mg-box="' + ref + '" data-mg-group="' + info.box.group + '" ' + box3(x, y, s[0], s[1]) + ">" +
        '<span class="mg-name">' + esc(info.box.label) + '<\/span><span class="mg-data"><\/span><span class="mg-grad"><\/span><\/div>';
    }
    /* the steps of a view: scalar steps, with the steps inside a closed box merged into blocks */
    function viewSteps(view) {
      var out = [], l = view.level;
      for (var s = 0; s < steps.length; s++) {
        var b = l ? l.block_of[s] : -1;
        if (b >= 0 && boxInfo[l.blocks[b].box].box.group !== view.opened) {
          var last = out[out.length - 1];
          if (last && last.block === b) { last.last = s; } else { out.push({ block: b, first: s, last: s }); }
        } else {
          out.push({ scalar: s, first: s, last: s });
        }
      }
      return out;
    }

    /* ---- drawing what is near the frame: elements are made when they come near, dropped when
       they are far; a zoomed-out view of a big graph is painted on a canvas instead ---- */
    var DOM_LIMIT = 900, KEEP_ITEMS = 1200, KEEP_EDGES = 3000;
    var canvas = el("canvas", "mg-canvas");
    canvas.hidden = true;
    graph.appendChild(canvas);
    var canvasMode = false;
    var shownState = null;

    function query(view, x0, y0, x1, y1) {
      var items = {}, edges = {}, cell = view.cell;
      for (var gx = Math.floor(x0 / cell); gx <= Math.floor(x1 / cell); gx++) {
        for (var gy = Math.floor(y0 / cell); gy <= Math.floor(y1 / cell); gy++) {
          var list = view.grid[gx + "," + gy];
          if (!list) { continue; }
          for (var i = 0; i < list.length; i++) {
            var w = list[i], c = view.centres[w], s = view.sizes[w];
            if (!items[w] && c[0] + s[0] / 2 >= x0 && c[0] - s[0] / 2 <= x1 && c[1] + s[1] / 2 >= y0 && c[1] - s[1] / 2 <= y1) {
              items[w] = true;
              view.itemEdges[w].forEach(function (j) { edges[j] = true; });
            }
          }
        }
      }
      return { items: items, edges: edges };
    }

    function sync() {
      var b = box(), s = cam.s;
      var x0 = -cam.x / s, y0 = -cam.y / s, x1 = x0 + b.w / s, y1 = y0 + b.h / s;
      var r = view.region;
      if (r && !canvasMode && x0 >= r[0] && y0 >= r[1] && x1 <= r[2] && y1 <= r[3] && r[4] === s) { return; }
      var mx = (x1 - x0) * 0.3, my = (y1 - y0) * 0.3;
      var want = query(view, x0 - mx, y0 - my, x1 + mx, y1 + my);
      var count = Object.keys(want.items).length;
      if (count > DOM_LIMIT) {
        canvasMode = true;
        view.region = null;
        view.g.style.display = "none";
        canvas.hidden = false;
        paintCanvas();
        return;
      }
      if (canvasMode) { canvasMode = false; canvas.hidden = true; view.g.style.display = ""; }
      view.region = [x0 - mx / 2, y0 - my / 2, x1 + mx / 2, y1 + my / 2, s];
      var parts = [], made = [];
      /* what was drawn stays while there is room: stepping back and forth between two places of a
         big graph then draws nothing new */
      var liveItems = Object.keys(view.live), liveEdges = Object.keys(view.liveEdges);
      if (liveItems.length > KEEP_ITEMS || liveEdges.length > KEEP_EDGES) {
        liveItems.forEach(function (j) {
          if (!want.items[j]) { view.itemLayer.removeChild(view.live[j].g); delete view.live[j]; }
        });
        liveEdges.forEach(function (j) {
          if (!want.edges[j]) { view.edgeLayer.removeChild(view.liveEdges[j].p); delete view.liveEdges[j]; }
        });
      }
      Object.keys(want.items).forEach(function (j) {
        if (!view.live[j]) { parts.push(itemSVG(view, +j)); made.push(+j); }
      });
      if (parts.length) {
        view.itemLayer.insertAdjacentHTML("beforeend", parts.join(""));
        var kids = view.itemLayer.children;
        for (var i = 0; i < made.length; i++) {
          var g = kids[kids.length - made.length + i];
          view.live[made[i]] = { g: g, d: g.querySelector(".mg-data"), gr: g.querySelector(".mg-grad"), data: null, grad: null, cls: null, hot: "" };
        }
      }
      /* an edge with both ends near the frame is drawn whole, a highlighted one always; an edge
         to somewhere far away only as a short stub pointing that way */
      var eparts = [], emade = [];
      var stubs = {};
      Object.keys(want.edges).forEach(function (j) {
        var e = view.edges[+j], whole = want.items[view.index[e[0]]] && want.items[view.index[e[1]]];
        if (!whole) {  /* at most a few stubs per box: a parameter used by 16 samples gets 3 */
          var end = want.items[view.index[e[0]]] ? e[0] : e[1];
          stubs[end] = (stubs[end] || 0) + 1;
          if (stubs[end] > 3 && !view.liveEdges[j]) { delete want.edges[j]; return; }
        }
        var kind = whole ? "w" : "s", old = view.liveEdges[j];
        if (old && (old.kind === kind || old.kind === "w")) { return; }  /* a whole edge stays whole */
        if (old) { view.edgeLayer.removeChild(old.p); delete view.liveEdges[j]; }
        eparts.push('<path class="mg-edge' + (whole ? "" : " mg-stub") + '" data-mg-edge="' + e[0] + ">" + e[1] + '" d="' +
          (whole ? edgePath(view, +j) : stubPath(view, +j, !!want.items[view.index[e[0]]])) + '"/>');
        emade.push([+j, kind]);
      });
      if (eparts.length) {
        view.edgeLayer.insertAdjacentHTML("beforeend", eparts.join(""));
        var ekids = view.edgeLayer.children;
        for (var q = 0; q < emade.length; q++) {
          view.liveEdges[emade[q][0]] = { p: ekids[ekids.length - emade.length + q], future: null, hot: "", kind: emade[q][1] };
        }
      }
      if (shownState) { paintLive(shownState); }
    }

    /* texts, states and highlights of the elements that exist */
    function paintLive(state) {
      Object.keys(view.live).forEach(function (j) {
        var e = view.live[j], ref = view.refs[j];
        var hot = view.hotItems[ref] || "";
        if (e.hot !== hot) {
          if (e.hot) { e.hot.split(" ").forEach(function (c) { e.g.classList.remove(c); }); }
          if (hot) { hot.split(" ").forEach(function (c) { e.g.classList.add(c); }); }
          e.hot = hot;
        }
        if (ref < 0) {
          var fut = state.c[-ref - 1].indexOf("mg-future") >= 0;
          if (e.cls !== fut) { setClass(e.g, "mg-future", fut); e.cls = fut; }
          return;
        }
        if (e.data !== state.d[ref]) { e.d.textContent = state.d[ref]; e.data = state.d[ref]; }
        if (e.grad !== state.g[ref]) { e.gr.textContent = state.g[ref]; e.grad = state.g[ref]; }
        if (e.cls !== state.c[ref]) {
          var list = state.c[ref].split(" ");
          CLASSES.forEach(function (c) { setClass(e.g, c, list.indexOf(c) >= 0); });
          e.cls = state.c[ref];
        }
      });
      Object.keys(view.liveEdges).forEach(function (j) {
        var e = view.liveEdges[j], t = view.edges[j][1];
        var fut = (t < 0 ? state.c[-t - 1] : state.c[t]).indexOf("mg-future") >= 0;
        if (e.future !== fut) { setClass(e.p, "mg-future", fut); e.future = fut; }
      });
    }

    /* the highlighted edges live on a layer of their own, so that moving the highlight (and its
       flowing dashes) never repaints the other wires */
    function paintHot() {
      var keys = Object.keys(view.hotEdges).sort(), shown = keys.map(function (j) { return j + view.hotEdges[j]; }).join(",");
      if (shown === view.hotShown) { return; }
      view.hotShown = shown;
      view.hotLayer.innerHTML = keys.map(function (j) {
        return '<path class="mg-edge ' + view.hotEdges[j] + '" d="' + edgePath(view, +j) + '"/>';
      }).join("");
    }

    var colours = {};
    function readColours() {
      var cs = getComputedStyle(root);
      ["--mg-data", "--mg-grad", "--mg-line", "--mg-ink", "--mg-box"].forEach(function (v) { colours[v] = cs.getPropertyValue(v).trim(); });
    }
    function paintCanvas() {
      var b = box(), ratio = global.devicePixelRatio || 1, state = shownState;
      if (canvas.width !== Math.round(b.w * ratio) || canvas.height !== Math.round(b.h * ratio)) {
        canvas.width = Math.round(b.w * ratio); canvas.height = Math.round(b.h * ratio);
        canvas.style.width = b.w + "px"; canvas.style.height = b.h + "px";
      }
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, b.w, b.h);
      ctx.setTransform(ratio * cam.s, 0, 0, ratio * cam.s, ratio * cam.x, ratio * cam.y);
      ctx.lineWidth = 1 / cam.s;
      ctx.strokeStyle = colours["--mg-line"] || "#999";
      ctx.beginPath();
      view.edges.forEach(function (e, j) {
        var pts = edgePoints(view, j);
        ctx.moveTo(pts[0][0], pts[0][1]);
        for (var i = 1; i < pts.length; i++) { ctx.lineTo(pts[i][0], pts[i][1]); }
      });
      ctx.stroke();
      view.refs.forEach(function (ref, j) {
        var c = view.centres[j], s = view.sizes[j], cls = state ? state.c[ref < 0 ? -ref - 1 : ref] : "";
        ctx.globalAlpha = cls.indexOf("mg-future") >= 0 ? 0.35 : 1;
        ctx.fillStyle = ref >= nNodes ? (colours["--mg-box"] || "#eee") : "#ffffff";
        ctx.fillRect(c[0] - s[0] / 2, c[1] - s[1] / 2, s[0], s[1]);
        ctx.strokeStyle = cls.indexOf("mg-final") >= 0 ? (colours["--mg-grad"] || "#c00") : (colours["--mg-line"] || "#999");
        ctx.strokeRect(c[0] - s[0] / 2, c[1] - s[1] / 2, s[0], s[1]);
      });
      ctx.globalAlpha = 1;
      ctx.lineWidth = 4 / cam.s;
      Object.keys(view.hotItems).forEach(function (ref) {
        var at = view.index[+ref];
        if (at === undefined) { return; }
        var c = view.centres[at], s = view.sizes[at];
        ctx.strokeStyle = colours["--mg-grad"] || "#c00";
        ctx.strokeRect(c[0] - s[0] / 2, c[1] - s[1] / 2, s[0], s[1]);
      });
    }

    /* ---- showing a step ---- */
    var view = null, current = 0, hidden = false, timer = null;
    var quiz = !!ui.quiz && !ui.find, outcome = {}, showMore = false;
    var rulesShown = {}, sealed = ui.find && data.exercise ? sealedExercise(data.exercise) : null, slipAnswer = null;
    var CLASSES = ["mg-future", "mg-nograd", "mg-pending", "mg-final"];

    function stepAt(v, i) { return v.steps[i]; }
    function stepData(s) { return s.block !== undefined ? view.level.blocks[s.block] : steps[s.scalar]; }

    function setTokens(e, text) {
      e.textContent = "";
      String(text).split(/( +)/).forEach(function (part) {
        if (!part) { return; }
        if (/^ +$/.test(part)) { e.appendChild(document.createTextNode(part)); return; }
        e.appendChild(el("span", "mg-tok", part));
      });
    }

    function render() {
      var s = stepAt(view, current), st = stepData(s);
      var masked = hidden && s.scalar !== undefined && !!st.masked;
      shownState = stateAt(s.last, masked);
      highlight(st);
      follow(st);
      paintLive(shownState);
      paintHot();
      if (canvasMode) { paintCanvas(); }
      /* the panel */
      var k = current + 1, n = view.steps.length;
      if (counterK.textContent !== String(k)) { counterK.textContent = String(k); }
      if (counterN.textContent !== String(n)) { counterN.textContent = String(n); }
      var phase = ui["phase_" + st.phase_key];
      if (counterPhase.textContent !== phase) { counterPhase.textContent = phase; }
      stepTitle.textContent = st.title;
      var shortLines = masked ? st.masked.short : st.short;
      var lines = shortLines && !showMore ? shortLines : (masked ? st.masked.lines : st.lines);
      setTokens(symEl, lines[0] || "");
      setTokens(numEl, lines[1] || "");
      setTokens(updEl, lines[2] || "");
      setClass(updEl, "mg-fwd", st.phase_key !== "backward");
      setClass(equation, "mg-long", !!(shortLines && showMore));
      moreBtn.hidden = !shortLines;
      moreBtn.textContent = showMore ? ui.less : ui.more;
      moreBtn.setAttribute("aria-expanded", showMore ? "true" : "false");
      renderVector(st);
      var faded = s.scalar !== undefined && !!st.faded;
      if (faded && !rulesShown[s.scalar]) { rule.textContent = ""; rule.appendChild(ruleButton); }
      else { rule.textContent = st.rule || ""; }
      narration.textContent = masked ? st.masked.prompt : st.narration;
      setClass(panel, "mg-faded", faded);
      setClass(panel, "mg-slip-here", !!(slipAnswer && s.scalar === slipAnswer.step - 1));
      quizAsk.hidden = !masked;
      if (masked) { quizForm.querySelector(".mg-quiz-label").textContent = fill(ui.quiz_label, { ask: st.masked.ask }); }
      if (!masked && quiz && s.block !== undefined && !quizFeedback.textContent) { quizFeedback.textContent = ui.quiz_not_here; }
      setClass(quizFeedback, "mg-wrong", false);
      setClass(root, "mg-hidden-result", masked || faded);
      renderLedger(st, masked ? s.last - 1 : s.last);
      slider.max = String(n);
      slider.value = String(k);
      slider.setAttribute("aria-valuetext", fill(ui.slider_text, { k: k, n: n, title: st.title }));
      markList(s.last);
    }

    function renderVector(st) {
      vector.textContent = "";
      if (!st.table) { vector.hidden = true; return; }
      vector.hidden = false;
      var t = st.table;
      var table = el("table", "mg-matrix");
      var cap = el("caption", "", t.title + (t.note ? "  (" + t.note + ")" : ""));
      table.appendChild(cap);
      var tr = el("tr");
      tr.appendChild(el("th", "mg-corner", "δ \\ x"));
      t.cols.forEach(function (c) { var th = el("th", "", c[1]); th.title = c[0]; tr.appendChild(th); });
      table.appendChild(tr);
      t.rows.forEach(function (row) {
        var r = el("tr");
        r.appendChild(el("th", "", row[0]));
        row.slice(1).forEach(function (cell) {
          var td = el("td");
          var a = el("button", "mg-link", cell[0]);
          a.type = "button";
          a.setAttribute("data-step", String(cell[1]));
          a.title = fill(ui.link_title, linkFill(cell[1]));
          td.appendChild(a);
          r.appendChild(td);
        });
        table.appendChild(r);
      });
      vector.appendChild(table);
      if (st.db) { vector.appendChild(el("div", "mg-db", st.db)); }
    }
    function linkFill(s) {
      var e = steps[s];
      var h = e.hot || {};
      return { node: nodes[h.sender] ? nodes[h.sender][0] : "", operand: nodes[h.receiver] ? nodes[h.receiver][0] : "", step: s + 1 };
    }

    function renderLedger(st, upTo) {
      ledgerBox.textContent = "";
      var led = st.ledger !== undefined && st.ledger !== null ? data.ledgers[String(st.ledger)] : null;
      ledgerHead.hidden = !led;
      if (!led) { return; }
      var terms = led.terms, total = terms.length, arrived = 0;
      var parts = terms.map(function (t) {
        var here = t[0] <= upTo;
        if (here) { arrived++; }
        return here ? [t[1], "mg-term"] : [t[2], "mg-wait"];
      });
      if (parts.length > 6) {
        var cut = parts.length - 5;
        parts = parts.slice(0, 3).concat([[fill(ui.more_terms, { k: cut }), "mg-wait"]], parts.slice(-2));
      }
      var div = el("div", "mg-ledger mg-active");
      div.appendChild(document.createTextNode(led.name + ".grad = "));
      parts.forEach(function (p, i) {
        if (i) { div.appendChild(document.createTextNode(" + ")); }
        div.appendChild(el("span", p[1], p[0]));
      });
      div.appendChild(document.createTextNode(" = "));
      div.appendChild(el("span", "mg-total", arrived === total ? led.total + " " + ui.final_mark : fill(ui.waiting, { k: total - arrived })));
      ledgerBox.appendChild(div);
    }

    /* ---- highlighting the step's edges and boxes ---- */
    function edgeKeys(n, k) {
      var child = nodes[n][2][k], keys = [];
      var shown = itemOf(view, n) === n;
      var target = shown ? -n - 1 : itemOf(view, n);
      var source = itemOf(view, child);
      if (source !== null && target !== null && source !== target) { keys.push(source + ">" + target); }
      if (shown) { keys.push((-n - 1) + ">" + n); }
      return keys;
    }
    /* which items and edges the step highlights (by item and edge index of the view) */
    function highlight(st) {
      var hot = st.hot || {}, items = {}, edges = {};
      var edgeClass = st.phase_key === "forward" ? "mg-hot-fwd" : "mg-hot";
      (hot.edges || []).forEach(function (ek) {
        edgeKeys(ek[0], ek[1]).forEach(function (key) {
          var j = view.edgeIndex[key];
          if (j !== undefined) { edges[j] = edgeClass; }
        });
      });
      function mark(ref, c) {
        if (ref === null || ref === undefined || view.index[ref] === undefined) { return; }
        items[ref] = items[ref] ? items[ref] + " " + c : c;
      }
      function item(ref) { return ref === undefined || ref === null ? null : (ref < nNodes ? itemOf(view, ref) : ref); }
      function op(ref) { return ref !== undefined && ref !== null && ref < nNodes && itemOf(view, ref) === ref ? -ref - 1 : null; }
      mark(item(hot.sender), "mg-sender"); mark(op(hot.sender), "mg-sender");
      mark(item(hot.receiver), "mg-receiver");
      mark(item(hot.computing), "mg-computing"); mark(op(hot.computing), "mg-computing");
      view.hotItems = items;
      view.hotEdges = edges;
    }
    function focusRefs(st) {
      var hot = st.hot || {}, refs = [];
      [hot.receiver, hot.sender, hot.computing].forEach(function (r) {
        if (r === undefined || r === null) { return; }
        var it = r < nNodes ? itemOf(view, r) : r;
        if (it !== null && view.index[it] !== undefined) { refs.push(it); }
        if (r < nNodes && view.index[-r - 1] !== undefined) { refs.push(-r - 1); }
      });
      return refs;
    }

    /* ---- zoom and pan: a transform from picture units to the graph's pixels ---- */
    var cam = { s: 1, x: 0, y: 0 }, following = true, userScale = null;
    /* the graph's size in px, read once and then only when it changes (reading it after drawing
       would make the browser lay the whole picture out again) */
    var size = null;
    function measureBox() { size = { w: graph.clientWidth || 1, h: graph.clientHeight || 1 }; }
    function box() { if (!size) { measureBox(); } return size; }
    function minScale() { return (root.classList.contains("mg-projector") ? MIN_PX_PROJECTOR : MIN_PX) / FONT; }
    function fitScale() {
      var b = box();
      return Math.min((b.w - 16) / Math.max(view.width, 1), (b.h - 16) / Math.max(view.height, 1));
    }
    function applyCam() {
      world.style.transform = "translate(" + r1(cam.x) + "px," + r1(cam.y) + "px)";
      var zoom = "scale(" + Math.round(cam.s * 10000) / 10000 + ")";
      if (scaler.style.transform !== zoom) { scaler.style.transform = zoom; }
      sync();
      drawMinimap();
    }
    function clampCam() {
      var b = box(), w = view.width * cam.s, h = view.height * cam.s;
      cam.x = w <= b.w ? (b.w - w) / 2 : Math.min(b.w / 2, Math.max(b.w / 2 - w, cam.x));
      cam.y = h <= b.h ? (b.h - h) / 2 : Math.min(b.h / 2, Math.max(b.h / 2 - h, cam.y));
    }
    function showWhole() {
      cam.s = Math.min(fitScale(), MAX_ZOOM);
      clampCam();
      applyCam();
    }
    function readableWhole() { return Math.min(fitScale(), MAX_ZOOM) >= minScale(); }
    function follow(st) {
      if (!following) { applyCam(); return; }
      if (userScale === null && readableWhole()) { showWhole(); return; }
      cam.s = userScale !== null ? userScale : Math.max(minScale(), Math.min(fitScale(), MAX_ZOOM));
      var refs = focusRefs(st), b = box();
      if (!refs.length) { clampCam(); applyCam(); return; }
      var lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
      refs.forEach(function (ref) {
        var at = view.index[ref], c = view.centres[at], s = view.sizes[at];
        lo = [Math.min(lo[0], c[0] - s[0] / 2), Math.min(lo[1], c[1] - s[1] / 2)];
        hi = [Math.max(hi[0], c[0] + s[0] / 2), Math.max(hi[1], c[1] + s[1] / 2)];
      });
      if ((hi[0] - lo[0]) * cam.s > b.w * 0.9 || (hi[1] - lo[1]) * cam.s > b.h * 0.9) {
        /* a long edge: keep the receiving end (the current node) and its op in view */
        var first = view.index[refs[0]], c0 = view.centres[first], s0 = view.sizes[first];
        lo = [c0[0] - s0[0] / 2, c0[1] - s0[1] / 2];
        hi = [c0[0] + s0[0] / 2, c0[1] + s0[1] / 2];
      }
      /* move only when the focus is near the edge of the picture */
      var sx0 = lo[0] * cam.s + cam.x, sx1 = hi[0] * cam.s + cam.x, sy0 = lo[1] * cam.s + cam.y, sy1 = hi[1] * cam.s + cam.y;
      var mx = b.w * 0.12, my = b.h * 0.12;
      if (sx0 < mx || sx1 > b.w - mx || sy0 < my || sy1 > b.h - my || view.recentre) {
        cam.x = b.w / 2 - (lo[0] + hi[0]) / 2 * cam.s;
        cam.y = b.h / 2 - (lo[1] + hi[1]) / 2 * cam.s;
        view.recentre = false;
      }
      clampCam();
      applyCam();
    }
    function zoomBy(f, px, py) {
      var b = box();
      if (px === undefined) { px = b.w / 2; py = b.h / 2; }
      var s = Math.max(Math.min(fitScale(), 0.02) , Math.min(cam.s * f, 6));
      cam.x = px - (px - cam.x) * (s / cam.s);
      cam.y = py - (py - cam.y) * (s / cam.s);
      cam.s = s;
      userScale = s;
      clampCam();
      applyCam();
    }
    function panBy(dx, dy) { cam.x += dx; cam.y += dy; clampCam(); applyCam(); }
    function setFollow(onOff) {
      following = onOff;
      followButton.setAttribute("aria-pressed", following ? "true" : "false");
      if (following) { userScale = null; view.recentre = true; follow(stepData(stepAt(view, current))); }
    }

    /* the minimap: every box as a dot, the picture's frame as a rectangle */
    function drawMinimap() {
      var b = box(), visibleAll = view.width * cam.s <= b.w + 1 && view.height * cam.s <= b.h + 1;
      minimap.hidden = visibleAll;
      if (visibleAll) { return; }
      var mw = 160, mh = Math.max(36, Math.min(100, Math.round(mw * view.height / Math.max(view.width, 1))));
      var ratio = global.devicePixelRatio || 1;
      if (minimap.width !== mw * ratio || minimap.height !== mh * ratio) {
        minimap.width = mw * ratio; minimap.height = mh * ratio;
        minimap.style.width = mw + "px"; minimap.style.height = mh + "px";
        view.mini = null;
      }
      var sc = Math.min(mw / Math.max(view.width, 1), mh / Math.max(view.height, 1));
      var ctx = minimap.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      if (!view.mini || view.miniFor !== mw + "x" + mh) {
        var off = document.createElement("canvas");
        off.width = mw * ratio; off.height = mh * ratio;
        var o = off.getContext("2d");
        o.setTransform(ratio, 0, 0, ratio, 0, 0);
        o.fillStyle = "#ffffff"; o.fillRect(0, 0, mw, mh);
        o.fillStyle = "#8a8f98";
        view.refs.forEach(function (ref, j) {
          var c = view.centres[j], s = view.sizes[j];
          o.fillRect((c[0] - s[0] / 2) * sc, (c[1] - s[1] / 2) * sc, Math.max(1, s[0] * sc), Math.max(1, s[1] * sc));
        });
        view.mini = off; view.miniFor = mw + "x" + mh;
      }
      ctx.clearRect(0, 0, mw, mh);
      ctx.drawImage(view.mini, 0, 0, mw, mh);
      ctx.fillStyle = colours["--mg-grad"] || "#c0262d";
      Object.keys(view.hotItems).forEach(function (ref) {
        var at = view.index[+ref];
        if (at === undefined) { return; }
        var c = view.centres[at];
        ctx.fillRect(c[0] * sc - 3, c[1] * sc - 3, 6, 6);
      });
      ctx.strokeStyle = "#000"; ctx.lineWidth = 1.5;
      ctx.strokeRect(-cam.x / cam.s * sc, -cam.y / cam.s * sc, b.w / cam.s * sc, b.h / cam.s * sc);
      minimap.mgScale = sc;
    }

    /* ---- moving between steps and views ---- */
    /* the address follows the step; writing it costs several ms, so a burst of steps writes it once */
    var hashTimer = null;
    function writeHash() {
      hashTimer = null;
      var h = "#step=" + (current + 1) + (view.key !== "scalar" ? "&view=" + view.key : "");
      if (location.hash !== h) {
        try { history.replaceState(null, "", h); } catch (e) { location.replace(h); }
      }
    }
    function setHash() {
      if (!standalone) { return; }
      if (hashTimer !== null) { clearTimeout(hashTimer); }
      hashTimer = setTimeout(writeHash, 120);
    }
    /* go to step i of the view; a quiz hides the result only when stepping forward by one */
    function go(i, fromHash, fresh) {
      i = Math.max(0, Math.min(view.steps.length - 1, i));
      var s = stepAt(view, i), moved = fresh || i !== current;
      hidden = quiz && !fresh && i === current + 1 && s.scalar !== undefined && !!steps[s.scalar].masked &&
        !(i in (outcome[view.key] || {}));
      current = i;
      if (moved) { quizFeedback.textContent = ""; quizInput.value = ""; showMore = false; }
      render();
      if (hidden && (standalone || root.contains(document.activeElement))) { quizInput.focus({ preventScroll: true }); }
      else { leaveInput(); }
      if (!fromHash) { setHash(); }
    }
    function setView(key, scalarStep) {
      if (!views[key]) { views[key] = buildView(key); }
      if (view) { view.g.style.display = "none"; }
      view = views[key];
      view.g.style.display = "";
      view.recentre = true;
      var l = view.level ? view.level.level : "scalar";
      Object.keys(levelButtons).forEach(function (name) { levelButtons[name].setAttribute("aria-pressed", name === l ? "true" : "false"); });
      setClass(root, "mg-has-boxes", !!view.level);
      var target = 0;
      for (var i = 0; i < view.steps.length; i++) { if (view.steps[i].first <= scalarStep) { target = i; } else { break; } }
      if (userScale === null && !readableWhole()) { cam.s = Math.max(minScale(), Math.min(fitScale(), MAX_ZOOM)); }
      if (!following || readableWhole()) { showWhole(); }
      go(target, false, true);
    }
    function currentScalar() { return view ? stepAt(view, current).last : 0; }
    function openGroup(level, g, scalarStep) { setView(level + "/" + g, scalarStep === undefined ? currentScalar() : scalarStep); }
    function toggleOpen() {
      var s = stepAt(view, current);
      if (!view.level) { return; }
      if (view.opened >= 0) { setView(view.level.level, currentScalar()); return; }
      if (s.block !== undefined) {
        var blk = view.level.blocks[s.block];
        openGroup(view.level.level, boxInfo[blk.box].box.group, s.first);
      }
    }

    /* ---- quiz ---- */
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
      return typeof y === "number" && Math.abs(x - y) <= Math.max(ui.quiz_rel_tol * Math.abs(y), ui.quiz_abs_tol);
    }
    function outcomes() { return outcome[view.key] || (outcome[view.key] = {}); }
    function showScore() {
      var asked = 0, right = 0;
      Object.keys(outcome).forEach(function (v) {
        Object.keys(outcome[v]).forEach(function (k) { asked++; if (outcome[v][k] === "right") { right++; } });
      });
      quizScore.textContent = asked ? fill(ui.quiz_score, { right: right, asked: asked }) : "";
    }
    function leaveInput() {
      if (document.activeElement !== quizInput) { return; }
      if (standalone) { quizInput.blur(); } else { root.focus({ preventScroll: true }); }
    }
    function reveal(how) {
      var m = steps[stepAt(view, current).scalar].masked;
      if (!(current in outcomes())) { outcomes()[current] = how; }
      hidden = false;
      render();
      if (m && how === "shown") { quizFeedback.textContent = fill(ui.quiz_revealed, { ask: m.ask, answer: m.shown }); }
      showScore();
      leaveInput();
    }
    function check() {
      if (!hidden) { return; }
      var m = steps[stepAt(view, current).scalar].masked, typed = quizInput.value.trim();
      if (!typed) { quizInput.focus(); return; }
      var x = readNumber(typed);
      if (x === null) {
        quizFeedback.textContent = fill(ui.quiz_unreadable, { typed: typed });
        quizInput.select();
        return;
      }
      if (close(x, m.answer)) {
        reveal("right");
        quizFeedback.textContent = fill(ui.quiz_right, { ask: m.ask, answer: m.shown });
        return;
      }
      if (!(current in outcomes())) { outcomes()[current] = "wrong"; }
      var hint = "";
      for (var i = 0; i < m.hints.length; i++) { if (close(x, m.hints[i][0])) { hint = m.hints[i][1]; break; } }
      quizFeedback.textContent = fill(ui.quiz_wrong, { typed: typed, ask: m.ask, hint: hint });
      setClass(quizFeedback, "mg-wrong", true);
      showScore();
      quizInput.select();
    }
    function advance() {
      if (hidden) { reveal("shown"); return; }
      go(current + 1);
    }

    /* ---- find the wrong gradient ---- */
    function say(text, wrong) {
      findStatus.textContent = text;
      setClass(findStatus, "mg-wrong", !!wrong);
    }
    function edgeNames(st) {
      var h = st.hot || {};
      return { node: nodes[h.sender][0], operand: nodes[h.receiver][0] };
    }
    function explain(answer) {
      findExplain.textContent = "";
      findExplain.appendChild(el("p", "mg-find-slip", fill(ui.find_slip, { title: answer.title }) + " " + answer.explanation));
      var right = el("div", "mg-find-right");
      right.appendChild(el("div", "mg-find-right-head", ui.find_correct));
      answer.right.forEach(function (line) { right.appendChild(el("div", "mg-find-line", line)); });
      findExplain.appendChild(right);
      findExplain.hidden = false;
      setClass(root, "mg-find-done", true);
    }
    function mark() {
      if (!sealed) { return; }
      pause();
      var s = stepAt(view, current), st = stepData(s);
      if (s.scalar === undefined || st.kind !== "edge") { say(ui.find_not_edge, true); return; }
      var v = sealed.verdict(st.event), names = edgeNames(st);
      if (v !== "first") { say(fill(v === "right" ? ui.find_right : ui.find_later, names), true); return; }
      slipAnswer = slipAnswer || sealed.open(st.event);
      say(fill(ui.find_found, { node: names.node, operand: names.operand, step: slipAnswer.step }));
      explain(slipAnswer);
      render();
    }
    function showSlip() {
      if (!sealed) { return; }
      pause();
      var first = sealed.first();
      if (first < 0) { return; }
      slipAnswer = slipAnswer || sealed.open(first);
      if (view.level) { setView("scalar", slipAnswer.step - 1); } else { go(slipAnswer.step - 1); }
      say(fill(ui.find_revealed, {
        node: edgeNames(steps[slipAnswer.step - 1]).node, operand: edgeNames(steps[slipAnswer.step - 1]).operand,
        step: slipAnswer.step
      }));
      explain(slipAnswer);
      render();
    }
    /* ---- faded steps: the rule card on demand ---- */
    function showRule() {
      var s = stepAt(view, current);
      if (s.scalar === undefined || !steps[s.scalar].faded || rulesShown[s.scalar]) { return; }
      var hadFocus = document.activeElement === ruleButton;
      rulesShown[s.scalar] = true;
      render();
      if (hadFocus) { if (standalone) { ruleButton.blur(); } else { root.focus({ preventScroll: true }); } }
    }

    /* ---- playing, modes ---- */
    function play() {
      if (timer !== null) { return; }
      if (current >= view.steps.length - 1) { go(0); }
      timer = setInterval(function () {
        if (current >= view.steps.length - 1 && !hidden) { pause(); return; }
        advance();
        if (hidden) { pause(); }
      }, ui.interval_ms);
      playButton.setAttribute("aria-pressed", "true");
      playButton.textContent = ui.pause;
    }
    function pause() {
      if (timer !== null) { clearInterval(timer); timer = null; }
      playButton.setAttribute("aria-pressed", "false");
      playButton.textContent = ui.play;
    }
    function toggleProjector() {
      root.classList.toggle("mg-projector");
      projButton.setAttribute("aria-pressed", root.classList.contains("mg-projector") ? "true" : "false");
      measureBox();
      refit();
    }
    function setTheme(name) {
      root.classList.remove("mg-theme-cs231n", "mg-theme-colorblind");
      root.classList.add("mg-theme-" + name);
      themeSelect.value = name;
      readColours();
      if (view) { view.mini = null; drawMinimap(); if (canvasMode) { paintCanvas(); } }
    }
    function setLevel(name) {
      pause();
      setView(name, currentScalar());
    }
    function refit() {
      if (!view) { return; }
      view.recentre = true;
      if (following) { follow(stepData(stepAt(view, current))); } else { clampCam(); applyCam(); }
    }
    var actions = {
      first: function () { pause(); go(0); },
      prev: function () { pause(); go(current - 1); },
      next: function () { pause(); advance(); },
      last: function () { pause(); go(view.steps.length - 1); },
      play: function () { if (timer === null) { play(); } else { pause(); } },
      projector: toggleProjector,
      follow: function () { setFollow(!following); },
      whole: function () { setFollow(false); showWhole(); },
      quiz: function () {
        if (ui.find) { return; }
        quiz = !quiz;
        quizButton.setAttribute("aria-pressed", quiz ? "true" : "false");
        setClass(root, "mg-quiz-on", quiz);
        quizForm.hidden = !quiz;
        if (!quiz && hidden) { hidden = false; render(); leaveInput(); }
      }
    };
    on(nav, "click", function (e) {
      var b = e.target.closest && e.target.closest("[data-act]");
      if (!b) { return; }
      var act = b.getAttribute("data-act");
      if (act === "level") { setLevel(b.getAttribute("data-level")); } else { actions[act](); }
    });
    on(quizForm, "submit", function (e) { e.preventDefault(); check(); });
    on(markButton, "click", mark);
    on(showSlipButton, "click", showSlip);
    on(ruleButton, "click", showRule);
    on(quizForm.querySelector(".mg-quiz-show"), "click", function () { if (hidden) { reveal("shown"); } });
    on(slider, "input", function () { pause(); go(parseInt(slider.value, 10) - 1); });
    on(themeSelect, "change", function (e) { setTheme(e.target.value); });
    on(moreBtn, "click", function () { showMore = !showMore; render(); });
    on(vector, "click", function (e) {
      var b = e.target.closest && e.target.closest("[data-step]");
      if (!b || !view.level) { return; }
      var s = parseInt(b.getAttribute("data-step"), 10);
      pause();
      var l = view.level, blk = stepData(stepAt(view, current));
      openGroup(l.level, boxInfo[blk.box].box.group, s);
    });
    /* clicking a box opens it, clicking an opened frame closes it */
    on(graph, "click", function (e) {
      if (dragged || !view.level) { return; }
      var group = null, close = false;
      if (canvasMode) {
        var r = graph.getBoundingClientRect(), ux = (e.clientX - r.left - cam.x) / cam.s, uy = (e.clientY - r.top - cam.y) / cam.s;
        var hit = query(view, ux, uy, ux, uy);
        Object.keys(hit.items).forEach(function (j) { var ref = view.refs[j]; if (ref >= nNodes) { group = boxInfo[ref].box.group; } });
      } else {
        var boxEl = e.target.closest && e.target.closest("[data-mg-box]");
        if (boxEl) { group = parseInt(boxEl.getAttribute("data-mg-group"), 10); }
        close = !boxEl && !!(e.target.closest && e.target.closest(".mg-frame-close"));
      }
      if (group !== null) { pause(); openGroup(view.level.level, group); }
      else if (close) { pause(); setView(view.level.level, currentScalar()); }
    });
    /* wheel zooms at the pointer, dragging pans (in a notebook only once the stepper has focus) */
    on(graph, "wheel", function (e) {
      if (!standalone && document.activeElement !== root && !root.contains(document.activeElement)) { return; }
      e.preventDefault();
      var r = graph.getBoundingClientRect();
      zoomBy(Math.pow(1.0015, -e.deltaY), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    var drag = null, dragged = false;
    on(graph, "pointerdown", function (e) {
      if (e.button !== 0) { return; }
      drag = { x: e.clientX, y: e.clientY, cx: cam.x, cy: cam.y };
      dragged = false;
    });
    on(global, "pointermove", function (e) {
      if (!drag) { return; }
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) { return; }
      dragged = true;
      graph.classList.add("mg-dragging");
      cam.x = drag.cx + dx; cam.y = drag.cy + dy;
      clampCam();
      applyCam();
    });
    on(global, "pointerup", function () {
      if (drag && dragged) { setTimeout(function () { dragged = false; }, 0); }
      drag = null;
      graph.classList.remove("mg-dragging");
    });
    on(minimap, "pointerdown", function (e) {
      var r = minimap.getBoundingClientRect(), sc = minimap.mgScale || 1, b = box();
      var ux = (e.clientX - r.left) / sc, uy = (e.clientY - r.top) / sc;
      cam.x = b.w / 2 - ux * cam.s; cam.y = b.h / 2 - uy * cam.s;
      clampCam();
      applyCam();
      e.stopPropagation();
    });

    function onKey(e) {
      var tag = (e.target && e.target.tagName) || "";
      var key = e.key;
      if (e.altKey || e.ctrlKey || e.metaKey) { return; }
      if (tag === "SELECT" || tag === "TEXTAREA") { return; }
      var letters = /^[pPcCzZqQeE]$/;
      if (e.target === quizInput && !(((key === "ArrowRight" || key === "ArrowLeft") && quizInput.value === "") || letters.test(key))) { return; }
      if (tag === "INPUT" && e.target !== quizInput && !(key === " " || key === "Spacebar" || letters.test(key))) { return; }
      var b = box();
      if (e.shiftKey && key.indexOf("Arrow") === 0) {
        var dx = key === "ArrowLeft" ? 1 : key === "ArrowRight" ? -1 : 0, dy = key === "ArrowUp" ? 1 : key === "ArrowDown" ? -1 : 0;
        panBy(dx * b.w * 0.2, dy * b.h * 0.2);
      } else if (key === "ArrowRight") { actions.next(); }
      else if (key === "ArrowLeft") { actions.prev(); }
      else if (key === " " || key === "Spacebar") { actions.play(); }
      else if (key === "Home") { actions.first(); }
      else if (key === "End") { actions.last(); }
      else if (key === "p" || key === "P") { toggleProjector(); }
      else if (key === "z" || key === "Z") { actions.follow(); }
      else if (key === "q" || key === "Q") { actions.quiz(); }
      else if (key === "e" || key === "E") { pause(); toggleOpen(); }
      else if ((key === "m" || key === "M") && sealed) { mark(); }
      else if ((key === "r" || key === "R") && ui.fade) { showRule(); }
      else if (key === "c" || key === "C") { setTheme(root.classList.contains("mg-theme-colorblind") ? "cs231n" : "colorblind"); }
      else if (key === "+" || key === "=") { zoomBy(1.25); }
      else if (key === "-" || key === "_") { zoomBy(0.8); }
      else if (key === "0") { actions.whole(); }
      else if ((key === "1" || key === "2" || key === "3") && levels.length) {
        var names = ["scalar"].concat(levels.map(function (l) { return l.level; }));
        var name = names[parseInt(key, 10) - 1];
        if (name) { setLevel(name); }
      }
      else { return; }
      e.preventDefault();
    }

    function fromHash() {
      var h = location.hash || "";
      var m = /(?:^#|&)step=(\d+)/.exec(h), v = /(?:^#|&)view=([\w\/]+)/.exec(h);
      return { step: m ? parseInt(m[1], 10) - 1 : null, view: v ? v[1] : null };
    }
    function validView(key) {
      if (!key) { return false; }
      var p = parseKey(key);
      if (key === "scalar") { return true; }
      return !!p.level && (p.opened === -1 || (p.opened >= 0 && p.opened < p.level.groups.length));
    }

    /* "All steps": written by Python for short lists, else here when opened or printed */
    function fillList() {
      if (all.querySelector("ol")) { return; }
      var ol = el("ol");
      steps.forEach(function (st) {
        var li = el("li");
        li.appendChild(el("span", "mg-li-title", st.title));
        st.lines.forEach(function (line) {
          if (line.trim()) { li.appendChild(el("br")); li.appendChild(document.createTextNode(line.trim())); }
        });
        ol.appendChild(li);
      });
      all.appendChild(ol);
    }
    var marked = null;
    function markList(k) {
      if (marked) { marked.classList.remove("mg-here"); marked = null; }
      var ol = all.querySelector("ol");
      if (ol && ol.children[k]) { marked = ol.children[k]; marked.classList.add("mg-here"); }
    }
    on(all, "toggle", function () { if (all.open) { fillList(); markList(currentScalar()); } });

    if (standalone) {
      on(document, "keydown", onKey);
      on(global, "hashchange", function () {
        var h = fromHash();
        if (h.view && h.view !== view.key && validView(h.view)) { setView(h.view, 0); }
        if (h.step !== null && h.step !== current) { pause(); go(h.step, true, true); }
      });
      on(global, "beforeprint", function () { fillList(); all.open = true; });
    } else {
      on(root, "keydown", onKey);
      on(root, "click", function (e) {
        var tag = (e.target && e.target.tagName) || "";
        if (tag !== "INPUT" && tag !== "SELECT" && tag !== "BUTTON") { root.focus({ preventScroll: true }); }
      });
    }
    var resizer = null;
    if (global.ResizeObserver) {
      resizer = new ResizeObserver(function (entries) {
        var r = entries[entries.length - 1].contentRect;
        if (size && Math.abs(r.width - size.w) < 0.5 && Math.abs(r.height - size.h) < 0.5) { return; }
        size = { w: r.width || 1, h: r.height || 1 };
        refit();
      });
      resizer.observe(graph);
    } else {
      on(global, "resize", function () { measureBox(); refit(); });
    }

    setClass(root, "mg-quiz-on", quiz);
    quizForm.hidden = !quiz;
    readColours();
    var start = standalone ? fromHash() : { step: null, view: null };
    var firstView = validView(start.view) ? start.view : (ui.collapse && levelByName[ui.collapse] ? ui.collapse : "scalar");
    following = ui.follow !== false;
    followButton.setAttribute("aria-pressed", following ? "true" : "false");
    setView(firstView, 0);
    if (start.step !== null) { go(start.step, true, true); if (start.step !== current) { setHash(); } }
    root.setAttribute("data-ready", "true");

    var handle = {
      destroy: function () {
        pause();
        if (hashTimer !== null) { clearTimeout(hashTimer); }
        listeners.forEach(function (l) { l[0].removeEventListener(l[1], l[2], l[3]); });
        if (resizer) { resizer.disconnect(); }
        if (app.parentNode === root) { root.removeChild(app); }
        root.removeAttribute("data-ready");
        root.mgStepper = null;
      },
      go: function (k) { go(k - 1); },
      view: function (key) { if (validView(key)) { setView(key, currentScalar()); } return view.key; },
      step: function () { return current + 1; },
      steps: function () { return view.steps.length; }
    };
    root.mgStepper = handle;
    return handle;
  }

  /* ---------------------------------------------------------------------------------------------
     reading the data a page embeds (plain JSON, or zlib-compressed and base64-encoded) */
  function readScript(script, done) {
    var text = script.textContent;
    if (script.getAttribute("data-encoding") !== "deflate-base64") { done(JSON.parse(text)); return; }
    var raw = atob(text.trim()), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    new Response(stream).text().then(function (t) { done(JSON.parse(t)); });
  }
  /* done() once the font the data names (ui.font_family: a page in Devanagari) has loaded, or
     failed to: the boxes' text is measured when mounting */
  function whenFont(data, done) {
    var family = data.ui && data.ui.font_family;
    if (!family || !document.fonts || !document.fonts.load) { done(); return; }
    document.fonts.load("14px \"" + family + "\"", "\u0917\u094d\u0930").then(function () { done(); }, function () { done(); });
  }
  function boot(script) {
    var root = (script && script.closest && script.closest(".mg-stepper")) || null;
    if (!root) { return; }
    var source = root.querySelector(":scope > script.mg-steps");
    readScript(source, function (data) {
      whenFont(data, function () { mount(root, data); });
    });
  }

  global.MicrogradnetStepper = { api: API, mount: mount, boot: boot, whenFont: whenFont, layout: layered, sha256: sha256 };
})(window);
