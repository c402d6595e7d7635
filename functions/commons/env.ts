/**
 * Reads configuration from the environment once, with a schema, failing fast with a
 * message naming every missing or malformed variable.
 */
import * as z from 'zod';

export const readEnv = <T extends z.ZodRawShape>(shape: T, source: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<T>> => {
  const result = z.object(shape).safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`invalid configuration: ${problems}`);
};

/** An optional endpoint override (the local cloud); absent in AWS. */
export const optionalUrl = z.url().optional();
