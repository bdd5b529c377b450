// What a libp2p peer's identify agent version says, as SQL over a `peers.agent_version` expression: the one
// definition the report, `serve` and `stats` group peers by.

/**
 * The agent's family: its first `/` part, trimmed and lowercased (`kubo/0.30.0/846c5c7` → `kubo`,
 * `js-libp2p/2.8.0 UserAgent=v20` → `js-libp2p`, `edgevpn` → `edgevpn`); `empty` for a blank agent, NULL for
 * none (identify did not answer).
 */
export function agentFamilySql(agent: string): string {
  return `(CASE WHEN ${agent} IS NULL THEN NULL ELSE coalesce(nullif(lower(trim(split_part(${agent}, '/', 1))), ''), 'empty') END)`;
}

/** The version after the family, up to the next `/` or space (`kubo/0.30.0/846c5c7` → `0.30.0`); NULL when none is given. */
export function agentVersionSql(agent: string): string {
  return `nullif(split_part(trim(split_part(${agent}, '/', 2)), ' ', 1), '')`;
}

/** Family and version as one label: `kubo/0.30.0`, or the family alone (`edgevpn`). */
export function agentLabelSql(agent: string): string {
  return `(${agentFamilySql(agent)} || coalesce('/' || ${agentVersionSql(agent)}, ''))`;
}
