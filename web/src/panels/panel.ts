import type { RunEvent } from "../lib/api";
import type { Change } from "../lib/context";

/** A mounted panel: told about workspace changes, destroyed when the page goes. */
export interface Panel {
  update(change: Change, ev?: RunEvent): void;
  destroy(): void;
}
