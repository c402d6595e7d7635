/** A clock a test sets and advances; `timeScale` as the local cloud would run it, if asked. */
import type { Clock } from '../../../functions/ports';

export class ManualClock implements Clock {
  private current: Date;

  constructor(
    start = new Date('2026-12-01T10:00:00.000Z'),
    readonly timeScale = 1,
  ) {
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date | string): void {
    this.current = new Date(at);
  }

  /** Moves on by cluster seconds (wall seconds x timeScale). */
  advance(clusterSeconds: number): Date {
    this.current = new Date(this.current.getTime() + clusterSeconds * 1000 * this.timeScale);
    return this.now();
  }

  elapsedSeconds(sinceIso: string, at: Date = this.now()): number {
    return (at.getTime() - Date.parse(sinceIso)) / 1000 / this.timeScale;
  }
}
