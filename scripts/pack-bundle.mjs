// npm pack: bundle the dependencies whose newest releases need a newer Node than `engines` says
// (package.json "overrides" pin them here, but overrides do not apply where the tarball is
// installed). `prepack` adds "bundleDependencies" for the pack and `postpack` removes it again:
// kept in package.json, it sends npm install (arborist 9) into a loop on this tree.
import { readFileSync, writeFileSync } from 'node:fs';

const BUNDLED = ['@octokit/auth-app', '@octokit/plugin-retry', '@octokit/plugin-throttling', '@octokit/rest', 'fastify'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
if (process.argv[2] === 'add') pkg.bundleDependencies = BUNDLED;
else delete pkg.bundleDependencies;
writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
