/** How slides look: a template (layout and palette) adjusted by the job's `style_preferences`. */
export interface SlideTheme {
  template: string;
  background: [string, string];
  text: string;
  muted: string;
  accent: string;
  /** DejaVu family used for text. */
  font: string;
  /** Multiplies every text size. */
  fontScale: number;
  headingAlign: 'start' | 'middle';
}

const TEMPLATES: Record<string, Omit<SlideTheme, 'template' | 'fontScale'>> = {
  classic: { background: ['#1e293b', '#0f172a'], text: '#f8fafc', muted: '#94a3b8', accent: '#38bdf8', font: 'DejaVu Sans', headingAlign: 'start' },
  minimal: { background: ['#ffffff', '#f1f5f9'], text: '#0f172a', muted: '#64748b', accent: '#2563eb', font: 'DejaVu Sans', headingAlign: 'middle' },
  chalkboard: { background: ['#1f3b2d', '#16291f'], text: '#f5f5dc', muted: '#b8c4a8', accent: '#fcd34d', font: 'DejaVu Serif', headingAlign: 'start' },
};

const THEMES: Record<string, Partial<SlideTheme>> = {
  dark: { background: ['#111827', '#030712'], text: '#f9fafb', muted: '#9ca3af' },
  light: { background: ['#ffffff', '#eef2f7'], text: '#111827', muted: '#4b5563', accent: '#2563eb' },
  blue: { background: ['#1e3a8a', '#172554'], text: '#eff6ff', muted: '#bfdbfe', accent: '#fbbf24' },
  green: { background: ['#14532d', '#052e16'], text: '#f0fdf4', muted: '#bbf7d0', accent: '#facc15' },
  high_contrast: { background: ['#000000', '#000000'], text: '#ffffff', muted: '#ffff00', accent: '#00ffff' },
};

export const TEMPLATE_IDS = Object.keys(TEMPLATES);
export const THEME_NAMES = Object.keys(THEMES);

const FONT_SIZES: Record<string, number> = { small: 0.85, medium: 1, large: 1.2, xlarge: 1.4 };
const FONTS: Record<string, string> = { sans: 'DejaVu Sans', serif: 'DejaVu Serif', mono: 'DejaVu Sans Mono' };
const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/**
 * The theme for a job. Unknown templates, themes or values fall back to defaults (never to text
 * taken from the input: colours must be hex, fonts come from a fixed list); `notes` says what was ignored.
 */
export function resolveTheme(templateId: string | undefined, prefs: Record<string, string> = {}): { theme: SlideTheme; notes: string[] } {
  const notes: string[] = [];
  let template = (templateId ?? 'classic').toLowerCase();
  if (!TEMPLATES[template]) {
    notes.push(`unknown template_id, using classic`);
    template = 'classic';
  }
  const theme: SlideTheme = { template, fontScale: 1, ...TEMPLATES[template] };
  const p = Object.fromEntries(Object.entries(prefs ?? {}).map(([k, v]) => [k.toLowerCase(), String(v).trim()]));
  if (p.theme) {
    const t = THEMES[p.theme.toLowerCase()];
    if (t) Object.assign(theme, t);
    else notes.push(`unknown theme ignored`);
  }
  if (p.font_size) {
    const named = FONT_SIZES[p.font_size.toLowerCase()];
    const px = Number(p.font_size);
    if (named) theme.fontScale = named;
    else if (Number.isFinite(px) && px >= 12 && px <= 72) theme.fontScale = px / 34;
    else notes.push(`font_size ignored`);
  }
  if (p.font_family) {
    const f = FONTS[p.font_family.toLowerCase()];
    if (f) theme.font = f;
    else notes.push(`font_family ignored`);
  }
  for (const [key, prop] of [
    ['primary_color', 'accent'],
    ['accent_color', 'accent'],
    ['text_color', 'text'],
  ] as const) {
    if (p[key] === undefined) continue;
    if (COLOR.test(p[key])) theme[prop] = p[key];
    else notes.push(`${key} ignored`);
  }
  if (p.background_color !== undefined) {
    if (COLOR.test(p.background_color)) theme.background = [p.background_color, p.background_color];
    else notes.push('background_color ignored');
  }
  return { theme, notes };
}
