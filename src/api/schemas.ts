// Request shapes shared by several routes.
import { z } from 'zod';
import { attributeIssues, INPUT_LIMITS } from '../domain/input-limits';
import { ROLES } from '../domain/policy';

export const idParams = z.object({ id: z.coerce.number().int().positive() });
export const keyParams = z.object({ key: z.string().min(1).max(64) });

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
};

/** `true`/`false` in a query string. */
export const queryFlag = z.enum(['true', 'false']).transform((value) => value === 'true');

export const calendarDate = z.iso.date();
export const role = z.enum(ROLES);
export const reasonKey = z.string().regex(/^[a-z0-9_]{1,64}$/, 'use lowercase letters, digits and _');

const ATTRIBUTES = INPUT_LIMITS.attributes;

/** Free-form attributes, held to the shared input limits (documented in the OpenAPI document). */
export const attributes = z
  .record(
    z.string().max(ATTRIBUTES.keyLength),
    z.union([z.string().max(ATTRIBUTES.valueLength), z.number(), z.boolean(), z.null()]),
  )
  .superRefine((value, ctx) => {
    for (const issue of attributeIssues(value)) ctx.addIssue({ code: 'custom', message: issue.message });
  })
  .meta({
    maxProperties: ATTRIBUTES.keys,
    description:
      `At most ${ATTRIBUTES.keys} attributes; names up to ${ATTRIBUTES.keyLength} characters, values up to ` +
      `${ATTRIBUTES.valueLength.toLocaleString('en-US')}, ${ATTRIBUTES.totalLength.toLocaleString('en-US')} characters as JSON in all.`,
  });
