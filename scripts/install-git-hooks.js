#!/usr/bin/env node
// npm's `prepare` step: installs the pre-commit hook (husky) in a git checkout. A quiet no-op where husky
// is absent (an install without dev dependencies) or there is no .git (a tarball, an image build), so
// `npm ci` never fails for want of a development tool.
const { existsSync } = require('fs');

let huskyPresent = true;
try {
  require.resolve('husky/package.json');
} catch {
  huskyPresent = false;
}
if (huskyPresent && existsSync('.git')) {
  import('husky')
    .then(({ default: install }) => {
      const problem = install();
      if (problem) console.log(`git hooks not installed: ${problem}`);
    })
    .catch((err) => console.log(`git hooks not installed: ${err.message}`));
}
