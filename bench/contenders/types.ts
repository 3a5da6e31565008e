/** What every contender implements, and what the runner gets back from one. */
import type { Problem } from '../data.js';

/** Loss only, or loss and gradient (mean reduction). */
export type Mode = 'loss' | 'grad';

/** What one call returns; floors return no loss. */
export interface Outcome {
  loss: number;
  grad?: ArrayLike<number>;
  /** What a row of `--options` returns besides loss and gradient (statistics), for its own check. */
  extra?: unknown;
}

/** One timed call, made exactly as a user of that library makes it: sync or async as its API is. */
export type Call = () => Outcome | Promise<Outcome>;

/** A prepared contender for one input: the timed call, and what to free afterwards. */
export interface Prepared {
  call: Call;
  release?: () => void | Promise<void>;
}

/**
 * One row of the table. `xent` rows are the product, `peer` rows what a user would otherwise
 * pick, `floor` rows the cost of touching the logits at all (not checked: they compute no loss).
 */
export interface Contender {
  /** The name on the command line and in the tables, e.g. `xent-simd`, `tfjs-wasm`. */
  id: string;
  kind: 'xent' | 'peer' | 'floor';
  /** Threads it computes on (default 1); a row is compared with the fastest peer on as many threads. */
  threads?: number;
  /** How it is run, for the report's notes. */
  note: string;
  modes: readonly Mode[];
  /** Untimed setup for one input (sessions, backends, buffers); the timed part is `call`. */
  prepare(problem: Problem, mode: Mode): Promise<Prepared>;
  /**
   * A row of `--options` (xent with a training extra): run only in that mode, checked by its own
   * `check` against its own float64 reference, and compared with `plain`, the row it extends.
   */
  option?: {
    plain: string;
    /** Relative loss error and (mode 'grad') gradient error as data.ts measures them; throws when a statistic is wrong. */
    check(problem: Problem, mode: Mode, outcome: Outcome): { lossError: number; gradError?: number };
  };
}

/** Contenders that load together (one library); a family that fails to load is reported, not fatal. */
export interface Family {
  name: string;
  load(): Promise<Contender[]>;
}
