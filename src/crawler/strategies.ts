// The strategy registry: every strategy a crawl can be given by name. It imports each implementation, so
// importing it is all a caller needs (no file has to be imported for its side effect).
import { PrefixStrategy, RandomStrategy, SweepStrategy, type CrawlStrategy, type StrategyName } from './strategy.js';
import { TrieStrategy } from './trie-strategy.js';
import { AdaptiveStrategy } from './adaptive-strategy.js';

const registry: ReadonlyMap<StrategyName, () => CrawlStrategy> = new Map<StrategyName, () => CrawlStrategy>([
  ['prefix', () => new PrefixStrategy()],
  ['sweep', () => new SweepStrategy()],
  ['random', () => new RandomStrategy()],
  ['trie', () => new TrieStrategy()],
  ['adaptive', () => new AdaptiveStrategy()],
]);

export function createStrategy(name: string): CrawlStrategy {
  const f = registry.get(name as StrategyName);
  if (!f) throw new Error(`unknown strategy ${name}`);
  return f();
}

export function strategyNames(): string[] { return [...registry.keys()]; }
