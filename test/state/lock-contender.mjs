// One contender for the data-dir lock in its own process, driven by test/state/datadir-lock.test.ts over
// JSON lines: {op:'lock', dataDir, options} answers {won, overlap} or {won:false, error, message};
// {op:'release'} answers {released:true}. argv[2] is the lock module (transpiled to JavaScript).
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const { lockDataDir } = await import(pathToFileURL(process.argv[2]).href);
const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
let held = null;

createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.op === 'lock') {
    let release;
    try {
      release = lockDataDir(m.dataDir, 'contender', m.options ?? {});
    } catch (err) {
      send({ won: false, error: err.name, message: err.message });
      return;
    }
    // Whoever holds the lock holds this marker too: a second holder at the same time cannot create it.
    let overlap = false;
    try {
      closeSync(openSync(join(m.dataDir, 'holding'), 'wx'));
    } catch {
      overlap = true;
    }
    held = { release, marker: join(m.dataDir, 'holding'), overlap };
    send({ won: true, overlap });
  } else if (m.op === 'release') {
    if (!held.overlap) unlinkSync(held.marker);
    held.release();
    held = null;
    send({ released: true });
  }
});
send({ ready: true, pid: process.pid });
