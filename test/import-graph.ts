import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

/*
 * The project's import graph as TypeScript's own pre-processor reads it (type
 * imports included), for test/import-cycles.test.ts and test/layering.test.ts.
 */

/** The project file a relative specifier names (`./x.js` is `./x.ts` or `./x.tsx`), or null for a package. */
export function resolveImport(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.js$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, `${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return null;
}

/** Every module specifier a file imports (static, dynamic and type imports, re-exports). */
export function specifiers(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

export function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    graph.set(file, [...new Set(specifiers(file).map((s) => resolveImport(file, s)).filter((f): f is string => f !== null))]);
  }
  return graph;
}
