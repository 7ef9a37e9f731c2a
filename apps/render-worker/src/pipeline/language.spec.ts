import { describe, expect, it } from '@jest/globals';
import { detectLanguage, voiceLanguage, voiceSegments } from './language.js';

const en = voiceLanguage('en-us');

describe('language', () => {
  it('tells the language from the script, Latin text being in the voice language', () => {
    const code = (t: string) => detectLanguage(t, en);
    expect(code('Pythagorean theorem')).toEqual({ code: 'en', name: 'English', voice: 'en-us' });
    expect(code('Ο νόμος του Ωμ')).toEqual({ code: 'el', name: 'Greek', voice: 'el' });
    expect(code('光合作用的基本原理')).toEqual({ code: 'zh', name: 'Chinese', voice: 'cmn' });
    expect(code('光合作用の基本原理です')).toMatchObject({ code: 'ja', voice: 'ja' });
    expect(code('Закон Ома')).toMatchObject({ code: 'ru', voice: 'ru' });
    expect(code('Закон Ома для ділянки кола')).toMatchObject({ code: 'uk', voice: 'uk' });
    expect(code('مرحبا بالعالم')).toMatchObject({ code: 'ar', name: 'Arabic' });
    expect(code('שלום עולם')).toMatchObject({ code: 'he', name: 'Hebrew' });
    expect(code('안녕하세요')).toMatchObject({ code: 'ko', voice: 'ko' });
    // Codes the videos service takes as a subtitle language.
    for (const t of ['Ωμ', '光', 'ひ', 'Ом', 'م', 'ש', 'नमस्ते', 'สวัสดี']) expect(code(t).code).toMatch(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/);
    expect(voiceLanguage('fr-fr')).toMatchObject({ code: 'fr', name: 'French' });
  });

  it('gives each run of a sentence the voice of its script', () => {
    expect(voiceSegments('Welcome! In this video we explore 光合作用的基本原理.', 'en-us')).toEqual([
      { text: 'Welcome! In this video we explore', voice: 'en-us' },
      { text: '光合作用的基本原理.', voice: 'cmn' },
    ]);
    // A short Latin run stays with a voice that reads Latin; one Greek letter in English is a symbol.
    expect(voiceSegments('Ο νόμος του Ohm.', 'en-us')).toEqual([{ text: 'Ο νόμος του Ohm.', voice: 'el' }]);
    expect(voiceSegments('The angle α is 30 degrees.', 'en-us')).toEqual([{ text: 'The angle α is 30 degrees.', voice: 'en-us' }]);
    // Hebrew spells Latin letters out: English words get the English voice.
    expect(voiceSegments('Hello שלום', 'en-us')).toEqual([{ text: 'Hello', voice: 'en-us' }, { text: 'שלום', voice: 'he' }]);
    // Kana by the Japanese voice, kanji (which it cannot read) by the Mandarin one.
    expect(voiceSegments('基本です。', 'en-us')).toEqual([{ text: '基本', voice: 'cmn' }, { text: 'です。', voice: 'ja' }]);
    // A voice espeak-ng lacks: the fallback.
    expect(voiceSegments('Ο νόμος', 'en-us', (v) => v !== 'el')).toEqual([{ text: 'Ο νόμος', voice: 'en-us' }]);
  });
});
