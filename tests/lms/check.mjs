// Independent readers of microgradnet's LMS exports (run by tests/test_lms.py).
//   node check.mjs gift FILE.gift     -> the questions as gift-pegjs parses them
//   node check.mjs moodle FILE.xml    -> the questions as fast-xml-parser reads them (validated first)
//   node check.mjs qti FILE.zip OUTDIR -> upgrades the QTI 2.1 package to QTI 3 with
//                                         @citolab/qti-convert and lists the converted items
// Each prints one JSON document on stdout: [{name, answers: [{value, tolerance, weight, feedback}]}]
import { readFileSync, readdirSync, mkdirSync, copyFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, basename } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [format, file, outdir] = process.argv.slice(2);

function gift(path) {
  const { parse } = require("gift-pegjs");
  const items = parse(readFileSync(path, "utf8"));
  return items
    .filter((q) => q.type === "Numerical")
    .map((q) => ({
      name: q.title,
      text: q.stem.text,
      answers: (Array.isArray(q.choices) ? q.choices : [q.choices]).map((c) => ({
        value: c.text.number,
        tolerance: c.text.range,
        weight: c.weight === null || c.weight === undefined ? (c.isCorrect ? 100 : 0) : c.weight,
        feedback: c.feedback ? c.feedback.text : null,
      })),
      general: q.globalFeedback ? q.globalFeedback.text : null,
    }));
}

function moodle(path) {
  const { XMLParser, XMLValidator } = require("fast-xml-parser");
  const xml = readFileSync(path, "utf8");
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error("not well-formed XML: " + JSON.stringify(valid));
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false,
                                 isArray: (name) => ["question", "answer"].includes(name) });
  const quiz = parser.parse(xml).quiz;
  return quiz.question
    .filter((q) => q["@type"] === "numerical")
    .map((q) => ({
      name: q.name.text,
      text: q.questiontext.text,
      answers: q.answer.map((a) => ({
        value: Number(a.text),
        tolerance: Number(a.tolerance),
        weight: Number(a["@fraction"]),
        feedback: a.feedback.text,
      })),
    }));
}

function qti(path, out) {
  mkdirSync(out, { recursive: true });
  const copy = join(out, basename(path));
  copyFileSync(path, copy);
  const bin = join(process.cwd(), "node_modules", "@citolab", "qti-convert", "dist", "qti-convert-pkg.mjs");
  execFileSync(process.execPath, [bin, copy], { stdio: ["ignore", "ignore", "inherit"] });
  const converted = copy.replace(/\.zip$/, "-qti3.zip");
  const unzipDir = join(out, "qti3");
  mkdirSync(unzipDir, { recursive: true });
  const JSZip = require("jszip");
  return JSZip.loadAsync(readFileSync(converted)).then(async (zip) => {
    const items = [];
    for (const name of Object.keys(zip.files).sort()) {
      if (!name.startsWith("items/") || !name.endsWith(".xml")) continue;
      items.push({ name, xml: await zip.file(name).async("string") });
    }
    return { manifest: await zip.file("imsmanifest.xml").async("string"), items };
  });
}

const readers = { gift, moodle, qti };
if (!readers[format]) {
  console.error("usage: node check.mjs gift|moodle|qti FILE [OUTDIR]");
  process.exit(2);
}
Promise.resolve(readers[format](file, outdir)).then((result) => {
  process.stdout.write(JSON.stringify(result));
});
