/** One invalid field of a request (spec: Field Error). */
export interface FieldError {
  field: string;
  message: string;
  code: string;
  value?: unknown;
}

/** Error body of the envelope (spec: Error Detail). */
export interface ErrorDetail {
  message: string;
  code: string;
  details?: Record<string, any>;
  field_errors?: FieldError[];
  timestamp: string;
  request_id?: string;
}

export type ResponseStatus = 'success' | 'error' | 'warning' | 'info';

/** The envelope around every JSON response (spec: Standard Response Wrapper). */
export interface APIResponse<T> {
  status: ResponseStatus;
  message: string;
  data?: T;
  error?: ErrorDetail;
  timestamp: string;
  request_id?: string;
}

export interface PaginationInfo {
  page: number;
  items_per_page: number;
  total_items: number;
  total_pages: number;
  has_next: boolean;
  has_previous: boolean;
}

/** A page of items (spec: Paginated Response). */
export interface PaginatedResponse<T> {
  items: T[];
  pagination: PaginationInfo;
}

/** Builds the pagination block from the page asked for and the total count. */
export function paginate<T>(items: T[], page: number, itemsPerPage: number, totalItems: number): PaginatedResponse<T> {
  const totalPages = Math.ceil(totalItems / itemsPerPage);
  return {
    items,
    pagination: {
      page,
      items_per_page: itemsPerPage,
      total_items: totalItems,
      total_pages: totalPages,
      has_next: page < totalPages,
      has_previous: page > 1,
    },
  };
}
