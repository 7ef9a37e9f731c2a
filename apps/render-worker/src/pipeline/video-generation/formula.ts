import { mathjax } from 'mathjax-full/js/mathjax.js';
import { TeX } from 'mathjax-full/js/input/tex.js';
import { SVG } from 'mathjax-full/js/output/svg.js';
import { liteAdaptor } from 'mathjax-full/js/adaptors/liteAdaptor.js';
import { RegisterHTMLHandler } from 'mathjax-full/js/handlers/html.js';
import { STATE } from 'mathjax-full/js/core/MathItem.js';
import type { MmlNode } from 'mathjax-full/js/core/MmlTree/MmlNode.js';
import { SerializedMmlVisitor } from 'mathjax-full/js/core/MmlTree/SerializedMmlVisitor.js';
import 'mathjax-full/js/input/tex/base/BaseConfiguration.js';
import 'mathjax-full/js/input/tex/ams/AmsConfiguration.js';
import 'mathjax-full/js/input/tex/newcommand/NewcommandConfiguration.js';
import 'mathjax-full/js/input/tex/boldsymbol/BoldsymbolConfiguration.js';
import 'mathjax-full/js/input/tex/cancel/CancelConfiguration.js';

export interface RenderedFormula {
  /** An `<svg>` element (paths only, no fonts needed) with `currentColor` for ink. */
  svg: string;
  /** viewBox size in MathJax units (1000 per em). */
  width: number;
  height: number;
  /** Top of the viewBox: minus the height above the baseline (y = 0 is the baseline). */
  top: number;
}

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
// No `require`/`autoload`: a formula can never make MathJax load anything. No `noundefined`
// either: an unknown macro is an error (shown as plain text), not red ink in the video.
const tex = new TeX({
  packages: ['base', 'ams', 'newcommand', 'boldsymbol', 'cancel'],
  formatError: (_jax: unknown, err: Error) => {
    throw err;
  },
});
const output = new SVG({ fontCache: 'none' });
const doc = mathjax.document('', { InputJax: tex, OutputJax: output });
// A second document (an input jax serves one) that stops at the MathML, for speech.
const mmlDoc = mathjax.document('', {
  InputJax: new TeX({
    packages: ['base', 'ams', 'newcommand', 'boldsymbol', 'cancel'],
    formatError: (_jax: unknown, err: Error) => {
      throw err;
    },
  }),
});
const mmlVisitor = new SerializedMmlVisitor();

const cache = new Map<string, RenderedFormula | null>();

/**
 * LaTeX to SVG with MathJax. Null when it does not parse (or uses undefined macros): the caller
 * shows the source as plain text instead.
 */
export function renderFormula(latex: string, display = true): RenderedFormula | null {
  const key = `${display ? 'D' : 'I'}${latex}`;
  if (cache.has(key)) return cache.get(key) ?? null;
  let result: RenderedFormula | null = null;
  try {
    const node = doc.convert(latex, { display });
    const html = adaptor.innerHTML(node);
    const vb = /viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/.exec(html);
    if (!html.includes('data-mml-node="merror"') && vb && Number(vb[3]) > 0 && Number(vb[4]) > 0) {
      result = { svg: html, width: Number(vb[3]), height: Number(vb[4]), top: Number(vb[2]) };
    }
  } catch {
    result = null;
  }
  if (cache.size > 200) cache.clear();
  cache.set(key, result);
  return result;
}

/** LaTeX as MathML (for speech); null when it does not parse. */
export function formulaMathml(latex: string): string | null {
  try {
    const node = mmlDoc.convert(latex, { display: true, end: STATE.CONVERT }) as MmlNode;
    const mml = mmlVisitor.visitTree(node);
    return mml.includes('<merror') ? null : mml;
  } catch {
    return null;
  }
}
