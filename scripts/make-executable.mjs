#!/usr/bin/env node
// After a build: the CLI entry point is a program (its shebang is `#!/usr/bin/env node`).
import { chmodSync } from 'node:fs';
chmodSync('dist/src/cli/main.js', 0o755);
