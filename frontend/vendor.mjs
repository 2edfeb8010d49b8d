// Copies the browser build of @twilio/voice-sdk into the app's static files, where the console loads
// it from (no CDN, and `pip install` needs no npm). Run `npm ci && npm run vendor` here after changing
// the pinned version in package.json, then commit agents/static/vendor/.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pinned = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).dependencies["@twilio/voice-sdk"];
const sdk = join(here, "node_modules", "@twilio", "voice-sdk");
const installed = JSON.parse(readFileSync(join(sdk, "package.json"), "utf8")).version;
if (installed !== pinned) {
  console.error(`node_modules has @twilio/voice-sdk ${installed}, package.json pins ${pinned}: run npm ci first`);
  process.exit(1);
}
const target = join(here, "..", "agents", "static", "vendor", "twilio-voice-sdk");
mkdirSync(target, { recursive: true });
// dist/twilio.min.js is the package's browser bundle: it defines window.Twilio.Device.
copyFileSync(join(sdk, "dist", "twilio.min.js"), join(target, "twilio.min.js"));
copyFileSync(join(sdk, "LICENSE.md"), join(target, "LICENSE.md"));
console.log(`copied @twilio/voice-sdk ${installed} to ${target}`);
