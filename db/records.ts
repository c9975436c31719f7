import type { Role } from './database.js';

/** A user as the rest of the app sees it: profile included, password hash not. */
export interface UserRecord {
  id: number;
  username: string;
  email: string;
  role: Role;
  displayName: string | null;
  bio: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PostRecord {
  id: number;
  authorId: number;
  title: string;
  content: string;
  published: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A position in a (created_at, id) descending listing. */
export interface Keyset {
  createdAt: Date;
  id: number;
}

export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Writes timestamps the same way on both dialects, so that text comparison on SQLite orders them. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString();
}
