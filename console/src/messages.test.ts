import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, ISSUE_CODES } from '../../contracts/errors.js';
import { en, zh } from './messages.js';

/*
 * Every code the API can answer with (the one registry in lib/errors.ts) has
 * words in both of the console's languages; a code added without them fails here.
 */
describe('the console speaks every API error code', () => {
  const languages = { 'zh-CN': zh as Record<string, string>, en: en as Record<string, string> };

  for (const [language, words] of Object.entries(languages)) {
    it(`${language}: every answer code (error) has a translation`, () => {
      const missing = Object.keys(API_ERROR_CODES).filter((code) => typeof words[`err_${code}`] !== 'string' || words[`err_${code}`] === '');
      expect(missing).toEqual([]);
    });

    it(`${language}: every field issue code has a translation that uses no param the code lacks`, () => {
      const missing = Object.keys(ISSUE_CODES).filter((code) => typeof words[`issue_${code}`] !== 'string' || words[`issue_${code}`] === '');
      expect(missing).toEqual([]);
      for (const [code, english] of Object.entries(ISSUE_CODES)) {
        const known = new Set([...english.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]));
        // `invalid` carries the English detail; every other code's words only use the params its registry text names.
        if (code === 'invalid') known.add('detail');
        const used = [...words[`issue_${code}`]!.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]);
        expect(used.filter((p) => !known.has(p)), `issue_${code}`).toEqual([]);
      }
    });
  }

  it('both languages have the same keys', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
  });

  it('the Chinese words are Chinese (no English left from a copy)', () => {
    const english = Object.keys(ISSUE_CODES).filter((code) => (zh as Record<string, string>)[`issue_${code}`] === (en as Record<string, string>)[`issue_${code}`]);
    expect(english).toEqual([]);
  });
});
