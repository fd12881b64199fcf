// Writes the data files @yowasp/yosys keeps in gen/resources-yosys.js (a tree of file contents,
// with the largest files as URLs of files beside it) into a real directory, so that the plain
// WASI module can read them from a volume: node yosys-share.mjs PACKAGE_DIR OUT_DIR
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [pkg, out] = process.argv.slice(2);
const { filesystem } = await import(pathToFileURL(join(pkg, "gen", "resources-yosys.js")).href);
function write(tree, dir) {
  mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(tree)) {
    const path = join(dir, name);
    if (typeof value === "string" || value instanceof Uint8Array) writeFileSync(path, value);
    else if (value instanceof URL) copyFileSync(fileURLToPath(value), path);
    else write(value, path);
  }
}
write(filesystem, out);
