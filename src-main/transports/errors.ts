/**
 * Maps anything a host method throws onto the wire's ApiError: a code, a one-line message that
 * names the problem and the fix, and the offending field when known. Never a stack trace.
 *
 * - zod validation errors -> `bad-input`, `field` = the first issue's path (`model.swap.init`);
 * - errors carrying `code` `bad-input` | `not-found` | `conflict` (the host's and the store's
 *   error classes) keep their code, and their `field` when they have one;
 * - an error named DataError (the engine's bad dataset, also carrying `bad-input`) -> `bad-input`;
 * - everything else -> `internal`, with its first line.
 */
import { z } from 'zod';
import type { ApiError } from '../contract';
import { describeIssues, type IssueLike } from '../host/issues';

type Code = ApiError['code'];
const PASS_THROUGH: readonly Code[] = ['bad-input', 'not-found', 'conflict'];

/** Longest message sent; anything longer is cut (a message is one line, not a dump). */
export const MAX_MESSAGE_CHARS = 500;

export function toApiError(e: unknown): ApiError {
  const issues = zodIssues(e);
  if (issues) return fromZodIssues(issues);
  if (e instanceof Error) {
    const code = passThroughCode(e);
    if (code) return withField({ code, message: oneLine(e.message, e.name) }, e);
    if (e.name === 'DataError') {
      return withField({ code: 'bad-input', message: oneLine(e.message, e.name) }, e);
    }
    return { code: 'internal', message: oneLine(e.message, `internal error (${e.name})`) };
  }
  return { code: 'internal', message: oneLine(typeof e === 'string' ? e : '', 'internal error') };
}

/** The issues of a zod error, whichever copy of zod threw it (instanceof or duck-typed). */
function zodIssues(e: unknown): IssueLike[] | null {
  const isZod = e instanceof z.core.$ZodError || (e instanceof Error && e.name === 'ZodError');
  if (!isZod) return null;
  const issues = (e as { issues?: unknown }).issues;
  if (!Array.isArray(issues) || issues.length === 0) return null;
  return issues.map((i: Partial<IssueLike>) => ({
    ...i,
    path: Array.isArray(i.path) ? i.path : [],
    keys: Array.isArray(i.keys) ? i.keys : undefined,
    message: typeof i.message === 'string' ? i.message : 'invalid input',
  }));
}

function fromZodIssues(issues: IssueLike[]): ApiError {
  const { field, message } = describeIssues(issues);
  const text = oneLine(message, 'invalid input');
  return field ? { code: 'bad-input', field, message: text } : { code: 'bad-input', message: text };
}

function passThroughCode(e: Error): Code | null {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (PASS_THROUGH as readonly string[]).includes(code) ? (code as Code) : null;
}

function withField(err: ApiError, e: Error): ApiError {
  const field = (e as { field?: unknown }).field;
  return typeof field === 'string' && field ? { ...err, field } : err;
}

/** The first non-empty line, whitespace collapsed and length capped; `fallback` when empty. */
export function oneLine(message: string, fallback: string): string {
  const line =
    message
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? '';
  const text = (line || fallback).replace(/\s+/g, ' ');
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}
