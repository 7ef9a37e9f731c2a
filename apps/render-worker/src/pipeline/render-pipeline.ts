import { PipelineStage, VideoFormat, VideoQuality, type JobConfiguration, type RetrievedPassage } from '@vgp/contracts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaToolPaths } from '../media/ffmpeg.js';
import { AbortedError, throwIfAborted } from '../media/process-runner.js';
import { analyzeContent } from './content-analysis/content-analysis.js';
import { detectLanguage, voiceLanguage, type Language } from './language.js';
import { PipelineError } from './pipeline.errors.js';
import type { ContentAnalysis, Script, ScriptOptions } from './script.model.js';
import type { ScriptGenerators } from './script-generation/script-generators.js';
import { toSrt, toVtt } from './subtitles/subtitles.js';
import { generateThumbnails, stillAt, thumbnailMoments, type Thumbnail } from './thumbnails/thumbnails.stage.js';
import { resolveTheme } from './video-generation/slide-theme.js';
import { generateVideo, type RenderedVideo } from './video-generation/video-generation.stage.js';

/** Where each stage sits on the job's 0-100 progress bar (monotone across stages). */
export const STAGE_SPAN: Record<PipelineStage, [number, number]> = {
  [PipelineStage.CONTENT_ANALYSIS]: [0, 5],
  [PipelineStage.SCRIPT_GENERATION]: [5, 12],
  [PipelineStage.VIDEO_GENERATION]: [12, 86],
  [PipelineStage.THUMBNAIL_GENERATION]: [86, 92],
  [PipelineStage.SUBTITLE_GENERATION]: [92, 96],
};

export interface StageProgress {
  stage: PipelineStage;
  percentage: number;
  stagesCompleted: PipelineStage[];
  message: string;
  details?: Record<string, any>;
}

export interface PipelineInput {
  jobId: string;
  userId: string;
  configuration: JobConfiguration;
  dir: string;
  signal?: AbortSignal;
  onProgress?: (p: StageProgress) => void;
  /** Job log lines (warnings such as "passages unavailable"). */
  onLog?: (level: 'info' | 'warning', message: string, details?: Record<string, any>) => void;
  onStageDone?: (stage: PipelineStage, seconds: number) => void;
}

export interface SubtitleFile {
  format: 'srt' | 'vtt';
  path: string;
  filename: string;
}

export interface PipelineResult {
  analysis: ContentAnalysis;
  script: Script;
  video: RenderedVideo;
  thumbnails: Thumbnail[];
  subtitles: SubtitleFile[];
  stagesCompleted: PipelineStage[];
  /** The language of the video (of the topic and context): the subtitle track's language. */
  language: Pick<Language, 'code' | 'name'>;
  /** Passages used, for the record (file, chunk, rank). */
  passagesUsed: Array<Pick<RetrievedPassage, 'file_id' | 'filename' | 'chunk_index' | 'rank'>>;
  notes: string[];
}

export interface PipelineDeps {
  tools: MediaToolPaths;
  voice: string;
  wordsPerMinute: number;
  generators: ScriptGenerators;
  ragLimit: number;
  /** `files.v1.passage.search`; throws when the files service is unavailable. */
  searchPassages: (userId: string, query: string, limit: number) => Promise<RetrievedPassage[]>;
}

/** `custom_config` knobs, taken only when they have the right type and range. */
export function scriptOptions(custom: Record<string, any> | undefined): ScriptOptions {
  const o: ScriptOptions = {};
  const int = (v: unknown, min: number, max: number): number | undefined => (Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : undefined);
  o.sceneCount = int(custom?.scene_count, 1, 8);
  o.sentencesPerScene = int(custom?.sentences_per_scene, 1, 4);
  return o;
}

/** The five stages of one job, in order, with progress inside each. */
export class RenderPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  /** Runs the stages; once `signal` fired, whatever failed reports as AbortedError. */
  async run(i: PipelineInput): Promise<PipelineResult> {
    try {
      return await this.stages(i);
    } catch (err) {
      if (i.signal?.aborted && !(err instanceof AbortedError)) throw new AbortedError(String(i.signal.reason ?? 'Aborted'));
      throw err;
    }
  }

  private async stages(i: PipelineInput): Promise<PipelineResult> {
    const c = i.configuration;
    const done: PipelineStage[] = [];
    const notes: string[] = [];
    const progress = (stage: PipelineStage, fraction: number, message: string, details?: Record<string, any>): void => {
      const [a, b] = STAGE_SPAN[stage];
      i.onProgress?.({ stage, percentage: Math.round((a + (b - a) * Math.max(0, Math.min(1, fraction))) * 10) / 10, stagesCompleted: [...done], message, details });
    };
    // The first report of a stage is a job log line (INFO) at the jobs service: it carries what
    // the stage before found worth keeping (passages used, RAG unavailable, ignored styles).
    const stage = async <T>(s: PipelineStage, fn: () => Promise<T>, startDetails?: Record<string, any>): Promise<T> => {
      throwIfAborted(i.signal);
      const t0 = performance.now();
      progress(s, 0, `Starting ${s.replace(/_/g, ' ')}`, startDetails);
      const r = await fn();
      done.push(s);
      i.onStageDone?.(s, (performance.now() - t0) / 1000);
      progress(s, 1, `Finished ${s.replace(/_/g, ' ')}`);
      return r;
    };

    const analysis = await stage(PipelineStage.CONTENT_ANALYSIS, async () => {
      let passages: RetrievedPassage[] = [];
      let ragNote: string | undefined;
      if (c.use_rag) {
        progress(PipelineStage.CONTENT_ANALYSIS, 0.3, 'Searching your documents');
        try {
          passages = await this.deps.searchPassages(i.userId, `${c.topic} ${c.context ?? ''}`.slice(0, 500), this.deps.ragLimit);
          if (!passages.length) ragNote = 'No matching passages in your documents';
        } catch (err) {
          ragNote = `Document search unavailable, continuing without passages: ${(err as Error).message}`;
          i.onLog?.('warning', ragNote);
        }
      }
      const a = analyzeContent(c.topic, c.context ?? '', passages);
      a.ragNote = ragNote;
      if (ragNote) notes.push(ragNote);
      if (passages.length) i.onLog?.('info', `Using ${passages.length} passages from your documents`, { passages: passages.map((p) => ({ file_id: p.file_id, chunk_index: p.chunk_index, rank: p.rank })) });
      return a;
    });

    const ragDetails = c.use_rag
      ? { passages_used: analysis.passages.map((p) => ({ file_id: p.file_id, filename: p.filename, chunk_index: p.chunk_index, rank: p.rank })), ...(analysis.ragNote ? { rag_note: analysis.ragNote } : {}) }
      : undefined;
    const script = await stage(PipelineStage.SCRIPT_GENERATION, async () => {
      const generator = this.deps.generators.for(c.model);
      progress(PipelineStage.SCRIPT_GENERATION, 0.2, `Writing the script (${c.model ?? 'builtin'})`);
      const s = await generator.generate(analysis, scriptOptions(c.custom_config), i.signal);
      if (!s.scenes.length || s.scenes.every((sc) => !sc.narration.length)) {
        throw new PipelineError('CONTENT_GENERATION_FAILED', 'Failed to generate content for the given topic', { reason: 'The script has no narration', suggestions: ['Provide more context'] });
      }
      return s;
    }, ragDetails);

    const { theme, notes: themeNotes } = resolveTheme(c.template_id, c.style_preferences);
    notes.push(...themeNotes);
    if (themeNotes.length) i.onLog?.('warning', `Style: ${themeNotes.join('; ')}`);
    const quality = (Object.values(VideoQuality) as string[]).includes(c.quality) ? c.quality : VideoQuality.MEDIUM;
    const format = (Object.values(VideoFormat) as string[]).includes(c.output_format) ? (c.output_format as VideoFormat) : VideoFormat.MP4;

    const video = await stage(
      PipelineStage.VIDEO_GENERATION,
      () =>
      generateVideo({
        script,
        theme,
        quality,
        format,
        dir: i.dir,
        tools: this.deps.tools,
        voice: this.deps.voice,
        wordsPerMinute: this.deps.wordsPerMinute,
        signal: i.signal,
        onProgress: (f, m, d) => progress(PipelineStage.VIDEO_GENERATION, f, m, d),
      }),
      { scenes: script.scenes.length, generator: script.generator, quality, format, ...(themeNotes.length ? { style_notes: themeNotes } : {}) },
    );

    let thumbnails: Thumbnail[] = [];
    if (c.enable_thumbnails !== false) {
      const moments = thumbnailMoments(script, video.narration.scenes, video.probe.duration || video.narration.duration);
      thumbnails = await stage(PipelineStage.THUMBNAIL_GENERATION, () =>
        generateThumbnails({
          ffmpeg: this.deps.tools.ffmpeg,
          frames: moments.map((t) => stillAt(video.stills, t)),
          moments,
          videoWidth: video.quality.width,
          videoHeight: video.quality.height,
          dir: i.dir,
          signal: i.signal,
        }),
      );
    }

    // The user's text tells the language (the built-in script adds English phrases around it);
    // Latin script: the configured voice's language.
    const { code, name } = detectLanguage(`${analysis.topic} ${analysis.context}`, voiceLanguage(this.deps.voice));
    const language = { code, name };
    let subtitles: SubtitleFile[] = [];
    if (c.enable_subtitles !== false) {
      subtitles = await stage(PipelineStage.SUBTITLE_GENERATION, async () => {
        const out: SubtitleFile[] = [
          { format: 'srt', path: join(i.dir, `${code}.srt`), filename: `${code}.srt` },
          { format: 'vtt', path: join(i.dir, `${code}.vtt`), filename: `${code}.vtt` },
        ];
        await writeFile(out[0].path, toSrt(video.narration.cues));
        await writeFile(out[1].path, toVtt(video.narration.cues));
        return out;
      });
    }

    return {
      analysis,
      script,
      video,
      thumbnails,
      subtitles,
      stagesCompleted: done,
      language,
      passagesUsed: analysis.passages.map((p) => ({ file_id: p.file_id, filename: p.filename, chunk_index: p.chunk_index, rank: p.rank })),
      notes,
    };
  }
}
