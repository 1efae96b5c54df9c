// Build step: a memory snapshot of Pyodide with microgradnet already imported.
//
//   node --input-type=module - PYTHON_ZIP PYTHON_DIR OUT.gz < snapshot.mjs
//
// (run from this folder, so that "pyodide" resolves to node_modules/pyodide; read from stdin so
// that no path of the build machine ends up in the snapshot).
// Starting CPython in WebAssembly and importing the stdlib modules microgradnet needs takes
// seconds of CPU; restoring this snapshot takes well under one. The page falls back to a plain
// start when a browser cannot use it. Run by `microgradnet playground` (cli/playground.py),
// with the Pyodide that npm installed from package-lock.json next to this file.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { loadPyodide } from "pyodide";

const [zipPath, pythonDir, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node --input-type=module - PYTHON_ZIP PYTHON_DIR OUT.gz < snapshot.mjs");
  process.exit(2);
}
const pyodide = await loadPyodide({
  _makeSnapshot: true,
  env: { HOME: "/home/pyodide", _: "" },
  stdout: () => {},
  stderr: (s) => console.error(s),
});
pyodide.unpackArchive(new Uint8Array(readFileSync(zipPath)), "zip", { extractDir: pythonDir });
pyodide.globals.set("_mg_python_dir", pythonDir);
pyodide.runPython(
  "import sys\n" +
  "sys.path.insert(0, _mg_python_dir)\n" +
  "import playground_runner\n" +
  "playground_runner.prepare()\n" +
  "del _mg_python_dir\n"
);
const snapshot = pyodide.makeMemorySnapshot();
writeFileSync(outPath, gzipSync(snapshot, { level: 6 }));
console.log(JSON.stringify({ pyodide: pyodide.version, bytes: snapshot.length }));
