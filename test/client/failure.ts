import { isCopassError, type CopassError } from "../../src/client/errors";

/** The CopassError a call rejects with; throws when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<CopassError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isCopassError(err)) throw new Error(`expected a CopassError, got ${String(err)}`);
  return err;
}
