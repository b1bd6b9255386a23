// Exit codes, as MCollective's Application#halt_code, with one deliberate difference: a discovered node that
// never answered makes the run fail (2), where MCollective exited 0. A CI job must not pass on silence.
export const EXIT = {
  OK: 0,
  /** Nothing discovered, or an error before anything was sent. */
  ERROR: 1,
  /** Some nodes failed or did not answer, or a site's registry did not answer discovery. */
  SOME_FAILED: 2,
  /** Nodes were discovered but none answered. */
  NO_RESPONSES: 3,
  /** No discovery was done and nobody answered. */
  NO_DISCOVERY_NO_RESPONSES: 4,
} as const;

/** `unanswered`: sites whose registries did not answer discovery; their nodes went unasked, so the run is not OK. */
export function haltCode(s: { discovered?: number; responses: number; failed: number; noResponse: number; unanswered?: number }): number {
  if (s.discovered === undefined) {
    if (s.responses === 0) return EXIT.NO_DISCOVERY_NO_RESPONSES;
    return s.failed > 0 ? EXIT.SOME_FAILED : EXIT.OK;
  }
  if (s.discovered === 0) return EXIT.ERROR;
  if (s.responses === 0) return EXIT.NO_RESPONSES;
  if (s.failed > 0 || s.noResponse > 0 || (s.unanswered ?? 0) > 0) return EXIT.SOME_FAILED;
  return EXIT.OK;
}
