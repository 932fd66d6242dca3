import type { Store } from "../store/store.js";
import { stateOf } from "./requests.js";

export interface Anchor {
  /** The log head a report showed, and how many events it had then. */
  head: string;
  events: number;
}

export interface Verdict {
  ok: boolean;
  events: number;
  head: string;
  problems: string[];
}

/**
 * Check a request's record: its keyed chain holds, the stored tables equal the
 * state replayed from the log, every run the log names still has the digest
 * logged for it, and (given the head a report printed) the log still extends
 * that head, so no event after it was removed or rewritten.
 */
export function verifyRequest(store: Store, id: string, against?: Anchor): Verdict {
  const state = stateOf(store, id);
  const events = store.events.list(id);
  const problems: string[] = [];
  const broken = store.events.verify(id);
  if (broken) problems.push(`event ${broken.seq} does not verify: ${broken.why}`);
  for (const d of store.requests.differences(state)) problems.push(`tables differ from the log: ${d}`);
  for (const r of state.runs) {
    if (!r.digest) continue;
    const now = store.runs.digestOf(r.run);
    if (now === undefined) problems.push(`run ${r.run} named in the log is missing from the store`);
    else if (now !== r.digest) problems.push(`run ${r.run} was changed after it was logged (its findings or coverage differ from their digest)`);
  }
  if (against) {
    if (events.length < against.events) problems.push(`the log has ${events.length} events, but a report showed ${against.events}: events were removed since`);
    else if (events[against.events - 1]?.hash !== against.head) problems.push(`event ${against.events} of the log is not the head the report showed (${against.head.slice(0, 16)}…): the log was rewritten since`);
  }
  const head = events[events.length - 1]?.hash ?? "";
  return { ok: problems.length === 0, events: events.length, head, problems };
}
