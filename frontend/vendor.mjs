// Copies the browser builds of the pinned npm packages into the app's static files, where the pages
// load them from (no CDN, and `pip install` needs no npm): @twilio/voice-sdk for the console's phone,
// uPlot for the wallboard's charts. Run `npm ci && npm run vendor` here after changing a pinned
// version in package.json, then commit agents/static/vendor/.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pins = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).dependencies;
const vendorDir = join(here, "..", "agents", "static", "vendor");

// package name → folder under vendor/, and the files to copy (path in the package → name there).
const packages = {
  // dist/twilio.min.js is the package's browser bundle: it defines window.Twilio.Device.
  "@twilio/voice-sdk": { folder: "twilio-voice-sdk", files: { "dist/twilio.min.js": "twilio.min.js", "LICENSE.md": "LICENSE.md" } },
  // dist/uPlot.iife.min.js defines window.uPlot; the chart needs its stylesheet too.
  uplot: {
    folder: "uplot",
    files: { "dist/uPlot.iife.min.js": "uPlot.iife.min.js", "dist/uPlot.min.css": "uPlot.min.css", LICENSE: "LICENSE" },
  },
};

let stale = false;
for (const [name, { folder, files }] of Object.entries(packages)) {
  const source = join(here, "node_modules", ...name.split("/"));
  const installed = JSON.parse(readFileSync(join(source, "package.json"), "utf8")).version;
  if (installed !== pins[name]) {
    console.error(`node_modules has ${name} ${installed}, package.json pins ${pins[name]}: run npm ci first`);
    stale = true;
    continue;
  }
  const target = join(vendorDir, folder);
  mkdirSync(target, { recursive: true });
  for (const [from, to] of Object.entries(files)) copyFileSync(join(source, ...from.split("/")), join(target, to));
  console.log(`copied ${name} ${installed} to ${target}`);
}
if (stale) process.exit(1);
