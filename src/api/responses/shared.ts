// What every response module uses: the check that a schema and the service type it describes have
// the same fields, and the small shapes many answers share.
import { z } from 'zod';

/** Compiles only when the two types are assignable to each other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * Compiles only when the schema's output and the type have the same fields, so a field added to one
 * and not the other fails the build rather than vanishing from the answer or the document.
 */
export function exactly<T>() {
  return <S extends z.ZodType>(schema: S, ..._check: Same<z.output<S>, T> extends true ? [] : [never]): S =>
    schema;
}

/** What a service method resolves to, for the answers that have no named type. */
export type Answer<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

export const timestamp = z.string().describe('ISO-8601, UTC');
export const day = z.string().describe('YYYY-MM-DD');
export const id = z.number().int();

/**
 * A ratio that some inputs leave undefined (the AUC of a set with no churner, say): a number, or null
 * on the wire where it is undefined (JSON has no NaN).
 */
export const ratio = z
  .custom<number>((value) => typeof value === 'number')
  .meta({ type: ['number', 'null'], description: 'null where it is undefined for these rows' });

/** `{ items: [...] }`, the shape of every list that is not paged. */
export const listOf = <S extends z.ZodType>(item: S) => z.object({ items: z.array(item) });

/** `{ total, items: [...] }`, one page of a longer list. */
export const pageOf = <S extends z.ZodType>(item: S) =>
  z.object({ total: z.number().int().describe('Rows matching, over all pages'), items: z.array(item) });

/** An answer with no body (204). */
export const noContent = z.undefined().describe('No content');
