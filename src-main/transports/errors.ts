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
import { issueField, type ApiError, type IssueLocation } from '../contract';

type Code = ApiError['code'];
const PASS_THROUGH: readonly Code[] = ['bad-input', 'not-found', 'conflict'];

/** Longest message sent; anything longer is cut (a message is one line, not a dump). */
export const MAX_MESSAGE_CHARS = 500;

export function toApiError(e: unknown): ApiError {
  const issue = firstZodIssue(e);
  if (issue) return fromZodIssue(issue);
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

interface IssueLike extends IssueLocation {
  message: string;
}

/** The first issue of a zod error, whichever copy of zod threw it (instanceof or duck-typed). */
function firstZodIssue(e: unknown): IssueLike | null {
  const isZod = e instanceof z.core.$ZodError || (e instanceof Error && e.name === 'ZodError');
  if (!isZod) return null;
  const issues = (e as { issues?: unknown }).issues;
  if (!Array.isArray(issues) || issues.length === 0) return null;
  const first = issues[0] as Partial<IssueLike>;
  return {
    path: Array.isArray(first.path) ? first.path : [],
    code: typeof first.code === 'string' ? first.code : undefined,
    keys: Array.isArray(first.keys) ? first.keys : undefined,
    message: typeof first.message === 'string' ? first.message : 'invalid input',
  };
}

function fromZodIssue(issue: IssueLike): ApiError {
  const field = issueField(issue);
  const text = oneLine(issue.message, 'invalid input');
  if (!field) return { code: 'bad-input', message: text };
  // A field from another protocol: its message already names it ("initFrom does not apply to ...").
  const named = issue.code === 'unrecognized_keys';
  return { code: 'bad-input', field, message: named ? text : oneLine(`${field}: ${text}`, 'invalid input') };
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
