/** `files.v1.passage.search` */
export interface SearchPassagesRequest {
  user_id: string;
  query: string;
  limit: number;
}
