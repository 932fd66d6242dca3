import { userInfo } from "node:os";

/** Who is acting: STRAYMAP_ACTOR, or the login name. */
export function actor(): string {
  return process.env.STRAYMAP_ACTOR ?? userInfo().username;
}
