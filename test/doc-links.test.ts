import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * Every relative link of README.md and docs/*.md reaches a file of the
 * repository, and a link into a Markdown heading (`file.md#heading`) reaches a
 * heading that exists, so moving text between the README and docs/ cannot
 * leave a link pointing at nothing.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const documents = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'workflows/histories/README.md'];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

function links(file: string): { target: string; anchor?: string }[] {
  // Fenced code is not prose: its brackets are not links.
  const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((href) => !/^[a-z]+:/i.test(href))
    .map((href) => {
      const [path, anchor] = href.split('#');
      return { target: path ? normalize(join(dirname(file), path)) : file, anchor };
    });
}

describe('links in README.md and docs/', () => {
  const all = documents.flatMap((file) => links(file).map((link) => ({ file, ...link })));

  it('finds links to check (the extraction works)', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('every relative link reaches a file, and every #anchor a heading of it', () => {
    const broken = all
      .filter(({ target, anchor }) => !existsSync(join(root, target)) || (anchor !== undefined && target.endsWith('.md') && !anchorsOf(target).has(anchor)))
      .map(({ file, target, anchor }) => `${file}: ${target}${anchor ? `#${anchor}` : ''}`);
    expect(broken).toEqual([]);
  });

  it('would notice a heading that is not there', () => {
    expect(anchorsOf('README.md').has('quickstart-story-1-with-curl')).toBe(true);
    expect(anchorsOf('README.md').has('configuration')).toBe(false);
  });
});
