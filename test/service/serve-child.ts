// Entry of a `driftless serve` child process for the restart test (the CLI, run from source).
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
