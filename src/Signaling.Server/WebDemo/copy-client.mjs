// Copies the socket.io browser bundle from node_modules into wwwroot/lib (git-ignored), where the page loads it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const libDir = join(here, '..', 'wwwroot', 'lib');
mkdirSync(libDir, { recursive: true });
for (const file of ['socket.io.min.js', 'socket.io.min.js.map']) {
  copyFileSync(join(here, 'node_modules', 'socket.io-client', 'dist', file), join(libDir, file));
}
console.log(`socket.io client copied to ${libDir}`);
