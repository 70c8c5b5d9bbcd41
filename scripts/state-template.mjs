// Build step: make the state template (dist/state-template/), an embedded data dir with initdb done,
// so that the first open of a new data dir unpacks it instead of running initdb inside PGlite
// (~670 MB peak). Runs after tsc in build, prepare and prepack; skips when the template fits the
// installed PGlite. `--force` makes it again.
import { TEMPLATE_DIR, writeTemplate } from '../dist/src/state/template.js';

const t0 = performance.now();
const made = await writeTemplate(TEMPLATE_DIR, { force: process.argv.includes('--force') });
if (made) process.stderr.write(`state template written to ${TEMPLATE_DIR} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
