import { describe, expect, it, vi } from 'vitest';
import { Progress, fmtDuration } from '../../src/util/progress.js';

describe('Progress', () => {
  it('time left follows the item count, or the item cost when one is given', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(0);
      const byCount = new Progress('x', 100, 'items', { quiet: true });
      const byWork = new Progress('x', 100, 'items', { quiet: true });
      byWork.setWork(1000);
      vi.setSystemTime(10_000);
      // 50 items done in 10 s, but they were the expensive 90% of the cost
      byCount.tick(50);
      byWork.tick(50, '', 900);
      expect(byCount.line()).toContain('50/100 (50.0%) 5.00 items/s, 10.0s elapsed, 10.0s left');
      expect(byWork.line()).toContain('1.1s left');
      // cached work leaves the estimate
      byWork.dropWork(100);
      byWork.tick(50, '', 0);
      expect(byWork.line()).toContain('0.0s left');
      expect(fmtDuration(3725)).toBe('1h02m');
    } finally {
      vi.useRealTimers();
    }
  });
});
