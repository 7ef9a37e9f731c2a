import { describe, expect, it } from '@jest/globals';
import { fileSlug } from './job-runner.service.js';

describe('fileSlug', () => {
  it('makes a download name from the title in its own script', () => {
    expect(fileSlug('Pythagorean Theorem: a² + b² = c²')).toBe('pythagorean-theorem-a2-b2-c2');
    expect(fileSlug('Théorème de Pythagore')).toBe('theoreme-de-pythagore');
    expect(fileSlug('Ο νόμος του Ωμ')).toBe('ο-νόμος-του-ωμ');
    expect(fileSlug('光合作用的基本原理')).toBe('光合作用的基本原理');
    expect(fileSlug('勾股定理 🔺')).toBe('勾股定理');
    expect(fileSlug('Закон Ома')).toBe('закон-ома');
    expect(fileSlug('한국어 제목')).toBe('한국어-제목');
    expect(fileSlug('がくしゅう')).toBe('がくしゅう');
    expect(fileSlug('नमस्ते दुनिया')).toBe('नमस्ते-दुनिया');
    expect(fileSlug('🙂 ?? / \\ "')).toBe('video');
  });

  it('is NFC, at most 60 characters and never a path or a quote', () => {
    for (const title of ['e\u0301te\u0301 ete', 'Ω'.repeat(100), '../../etc/passwd', 'a"b\\c/d\u0000e', `${'𠀀'.repeat(70)}`]) {
      const slug = fileSlug(title);
      expect(slug).toBe(slug.normalize('NFC'));
      expect([...slug].length).toBeLessThanOrEqual(60);
      expect(slug).toMatch(/^[\p{L}\p{N}][\p{L}\p{N}\p{M}-]*$/u);
      expect(slug).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
  });
});
