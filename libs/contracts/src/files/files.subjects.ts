export const FilesSubjects = {
  register: 'files.v1.file.register',
  get: 'files.v1.file.get',
  list: 'files.v1.file.list',
  delete: 'files.v1.file.delete',
  stats: 'files.v1.stats.get',
  resolve: 'files.v1.file.resolve',
  /** Full-text search over a user's extracted documents (render worker, `use_rag`). */
  searchPassages: 'files.v1.passage.search',
} as const;

export const FilesEvents = {
  uploaded: 'files.v1.file.uploaded',
  deleted: 'files.v1.file.deleted',
} as const;
