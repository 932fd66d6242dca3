/**
 * The verbs whose modules load the store and the engine (request, review, init,
 * map) or a web server (serve). `--help` and the other verbs list them from here without loading them;
 * each module registers its verb with the same words when it is asked for.
 */
export const LAZY_VERBS = {
  request: "erasure requests: open, record outcomes, verify, close with proof",
  review: "the review queue: PII found by sweeps where the data map says nothing",
  init: "write a commented straymap.yaml and data-map.yaml to start from",
  map: "the data map",
  serve: "a local web page over the store and data map: the map, the review queue, requests",
} as const;

export type LazyVerb = keyof typeof LAZY_VERBS;
