import { describe, expect, it } from '@jest/globals';
import { checkFileLink, checkLink, signFileLink, signLink, videoScope } from './signed-links.js';

describe('signed file links', () => {
  const secret = 'k'.repeat(32);
  const file = '0b0f6f1e-8f7c-4c8e-9d7e-7d1f2a3b4c5d';
  const now = 1_800_000_000;
  const exp = now + 3600;
  const sig = signFileLink(secret, file, 'alice', exp);

  it('accepts its own signature until it expires', () => {
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(checkFileLink(secret, file, 'alice', String(exp), sig, now)).toBe('ok');
    expect(checkFileLink(secret, file, 'alice', String(exp), sig, exp)).toBe('ok');
    expect(checkFileLink(secret, file, 'alice', String(exp), sig, exp + 1)).toBe('expired');
  });

  it('refuses an altered expiry, file, owner, secret or signature', () => {
    expect(checkFileLink(secret, file, 'alice', String(exp + 1), sig, now)).toBe('bad-signature');
    expect(checkFileLink(secret, file.replace('0b0f', '0b0e'), 'alice', String(exp), sig, now)).toBe('bad-signature');
    expect(checkFileLink(secret, file, 'bob', String(exp), sig, now)).toBe('bad-signature');
    expect(checkFileLink('other'.repeat(8), file, 'alice', String(exp), sig, now)).toBe('bad-signature');
    const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
    expect(checkFileLink(secret, file, 'alice', String(exp), flipped, now)).toBe('bad-signature');
  });

  it('tells only a link it made that it expired: a forged, expired one is a bad signature', () => {
    // What a probe for ids sends: an expiry long gone and any 64 hex digits.
    expect(checkFileLink(secret, file, 'alice', '1', 'a'.repeat(64), now)).toBe('bad-signature');
    expect(checkFileLink(secret, file, 'alice', String(exp), sig, exp + 1)).toBe('expired');
    // Its own signature, for another expiry in the past, or another owner.
    expect(checkFileLink(secret, file, 'alice', String(now - 1), sig, now)).toBe('bad-signature');
    expect(checkFileLink(secret, file, 'bob', String(exp), sig, exp + 1)).toBe('bad-signature');
    const video = signLink(secret, videoScope(file), 'video-media', now - 1);
    expect(checkLink(secret, videoScope(file), 'video-media', String(now - 1), video, now)).toBe('expired');
    expect(checkLink(secret, videoScope(file), 'video-media', '1', video, now)).toBe('bad-signature');
  });

  it('refuses malformed parameters', () => {
    for (const [e, s] of [[undefined, sig], [String(exp), undefined], ['soon', sig], [String(exp), sig.slice(1)], [String(exp), sig.toUpperCase()], ['-1', sig]]) {
      expect(checkFileLink(secret, file, 'alice', e, s, now)).toBe('malformed');
    }
  });
});

describe('signed video links', () => {
  const secret = 'k'.repeat(32);
  const job = '0b0f6f1e-8f7c-4c8e-9d7e-7d1f2a3b4c5d';
  const now = 1_800_000_000;
  const exp = now + 3600;

  it('open the media of their job only, until they expire', () => {
    const sig = signLink(secret, videoScope(job), 'video-media', exp);
    expect(checkLink(secret, videoScope(job), 'video-media', String(exp), sig, now)).toBe('ok');
    expect(checkLink(secret, videoScope(job), 'video-media', String(exp), sig, exp + 1)).toBe('expired');
    expect(checkLink(secret, videoScope(job.replace('0b0f', '0b0e')), 'video-media', String(exp), sig, now)).toBe('bad-signature');
  });

  it('are not file links, nor file links video links, for the same id', () => {
    const fileSig = signFileLink(secret, job, 'video-media', exp);
    expect(checkLink(secret, videoScope(job), 'video-media', String(exp), fileSig, now)).toBe('bad-signature');
    const videoSig = signLink(secret, videoScope(job), 'video-media', exp);
    expect(checkFileLink(secret, job, 'video-media', String(exp), videoSig, now)).toBe('bad-signature');
  });
});
