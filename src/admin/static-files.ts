// The admin UI's files: the bundle `npm run build` writes to dist/admin-ui
// (scripts/build-ui.mjs), or admin.web_path. Plain files only, resolved
// inside the directory (no traversal, no listing); a directory serves its
// index.html; a missing file is 404, as Centrifugo's file server, with no
// fallback to index.html (the UI routes in the URL's fragment).

import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { send } from '../util/http.js';

/** Where the build puts the bundle, from src/admin or dist/admin alike. */
export const BUILT_UI_DIR = fileURLToPath(new URL('../../dist/admin-ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
};

export class StaticFiles {
  private readonly root: string;

  constructor(dir: string) {
    this.root = path.resolve(dir);
  }

  /** Serves `relative` (the URL path below the admin prefix, still percent-encoded). */
  async serve(relative: string, res: ServerResponse): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(relative);
    } catch {
      return send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
    }
    if (decoded.includes('\0')) return send(res, 400, 'Bad Request\n', 'text/plain; charset=utf-8');
    let file = path.resolve(this.root, '.' + path.posix.normalize('/' + decoded));
    if (file !== this.root && !file.startsWith(this.root + path.sep)) return notFound(res);
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        // Not content-hashed names: revalidate every time (they are small, and an upgrade must show at once).
        'Cache-Control': 'no-cache',
      });
      res.end(body);
    } catch {
      if (relative === '' || relative === 'index.html') {
        return send(res, 503, 'The admin UI is not built: run `npm run build` (or set admin.web_path).\n', 'text/plain; charset=utf-8');
      }
      notFound(res);
    }
  }
}

function notFound(res: ServerResponse): void {
  send(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
}
