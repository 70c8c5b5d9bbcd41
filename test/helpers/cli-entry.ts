// Runs the CLI from source in a child process (tests that kill or race real processes).
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then((code) => process.exit(code));
