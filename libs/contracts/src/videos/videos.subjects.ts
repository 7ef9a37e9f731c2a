export const VideosSubjects = {
  /** The render worker records a finished video (bytes already in blob storage). */
  record: 'videos.v1.video.record',
  getByJob: 'videos.v1.video.get-by-job',
  get: 'videos.v1.video.get',
  list: 'videos.v1.video.list',
  update: 'videos.v1.video.update',
  delete: 'videos.v1.video.delete',
  /** Where the bytes of a video, thumbnail or subtitle are, for the gateway to stream (counting is `count`). */
  resolveAsset: 'videos.v1.asset.resolve',
  /** One view or download, counted by the gateway once it serves bytes from the start. */
  count: 'videos.v1.video.count',
  getPublic: 'videos.v1.public.get',
  stats: 'videos.v1.stats.get',
} as const;

export const VideosEvents = {
  recorded: 'videos.v1.video.recorded',
  deleted: 'videos.v1.video.deleted',
} as const;
