/* microgradnet playground: the Web Worker that runs Python (Pyodide).

   The page starts it from a blob: URL holding one importScripts() of this file, so the worker
   inherits the page's Content-Security-Policy: student code can reach nothing beyond the page's
   own origin (fetch and XMLHttpRequest to anywhere else are refused by the browser).

   Messages in:  {type: "init", base, config}, then {type: "run", id, request}.
   Messages out: {type: "status", text}, {type: "ready", info, ms (when each start phase ended), snapshot},
                 {type: "phase", id, phase, count}, {type: "result", id, result},
                 {type: "fatal", error}.
   The page enforces the time limit by terminating this worker; nothing here polls for it. */
"use strict";

var runner = null;
var pending = [];
var current = null;

function post(message) { self.postMessage(message); }

/* a gzip file as bytes (the memory snapshot); null when the browser cannot unzip streams */
function fetchGzip(url) {
  if (typeof DecompressionStream === "undefined") { return Promise.resolve(null); }
  return fetch(url).then(function (r) {
    if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
    return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
  }).then(function (buffer) { return new Uint8Array(buffer); });
}

function fetchBytes(url) {
  return fetch(url).then(function (r) {
    if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
    return r.arrayBuffer();
  });
}

async function start(base, config) {
  var t0 = performance.now();
  var phases = {};
  function mark(name) { phases[name] = Math.round(performance.now() - t0); }
  importScripts(base + config.pyodide + "pyodide.js");
  mark("scripts");
  var sources = fetchBytes(base + config.python);
  var snapshot = config.snapshot ? fetchGzip(base + config.snapshot).catch(function () { return null; }) : null;
  var options = { indexURL: base + config.pyodide, stdout: function () {}, stderr: function () {} };
  var pyodide = null, fromSnapshot = false;
  var bytes = snapshot ? await snapshot : null;
  mark("snapshot_fetched");
  if (bytes) {
    try {
      pyodide = await self.loadPyodide(Object.assign({}, options, { _loadSnapshot: bytes }));
      fromSnapshot = true;
    } catch (err) {
      post({ type: "status", text: "snapshot", detail: String(err) });
      pyodide = null;
    }
  }
  if (!pyodide) { pyodide = await self.loadPyodide(options); }
  mark("python");
  pyodide.unpackArchive(await sources, "zip", { extractDir: config.python_dir });
  mark("sources");
  pyodide.globals.set("_mg_python_dir", config.python_dir);
  runner = pyodide.runPython(
    "import sys\n" +
    "if _mg_python_dir not in sys.path: sys.path.insert(0, _mg_python_dir)\n" +
    "import playground_runner\n" +
    "playground_runner"
  );
  function notify(phase, count) { if (current !== null) { post({ type: "phase", id: current, phase: phase, count: count }); } }
  var info = JSON.parse(runner.start(notify));
  mark("ready");
  post({ type: "ready", info: info, ms: phases, snapshot: fromSnapshot });
  pending.splice(0).forEach(handle);
}

function handle(message) {
  current = message.id;
  var result;
  try {
    result = JSON.parse(runner.handle(JSON.stringify(message.request)));
  } catch (err) {
    /* Python itself failed (Pyodide's fatal error, e.g. out of stack): the page restarts this
       worker, since an interpreter that failed this way answers nothing sensible again */
    result = { ok: false, where: "internal", error: String(err && err.message || err) };
  }
  if (!result || typeof result !== "object") {
    result = { ok: false, where: "internal", error: "no answer from Python" };
  }
  current = null;
  post({ type: "result", id: message.id, result: result });
}

self.onmessage = function (event) {
  var message = event.data;
  if (message.type === "init") {
    start(message.base, message.config).catch(function (err) {
      post({ type: "fatal", error: String(err && err.message || err) });
    });
  } else if (message.type === "run") {
    if (runner === null) { pending.push(message); } else { handle(message); }
  }
};
