/**
 * Built-in libp2p bootstrap peers. Data copied from kubo's default bootstrap list (config/bootstrap_peers.go,
 * DefaultBootstrapAddresses), the peers every IPFS node joins the public Amino DHT through.
 *
 * The /dnsaddr/ entries name no address: a dial resolves them first, through the TXT records of
 * _dnsaddr.bootstrap.libp2p.io (each `dnsaddr=/…/p2p/<id>` line is an address; the ones whose /p2p/ part is the
 * entry's peer ID are dialed). js-libp2p's dialer does this with its default dnsaddr resolver, over the
 * system's DNS; without DNS (no internet) those dials fail as `no-addresses` or `other`.
 */

export type Libp2pNetwork = 'ipfs';

export const LIBP2P_NETWORKS: readonly Libp2pNetwork[] = ['ipfs'];

export const LIBP2P_BOOTNODES: Readonly<Record<Libp2pNetwork, readonly string[]>> = {
  ipfs: [
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN',
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmQCU2EcMqAqQPR2i9bChDtGNJchTbq5TbXJJ16u19uLTa',
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmbLHAnMoJPWSCR5Zhtx6BHJX9KiKNN6tpvbUcqanj75Nb',
    '/dnsaddr/bootstrap.libp2p.io/p2p/QmcZf59bWwK5XFi76CZX8cbJ4BhTzzA3gU1ZjYZcYW3dwt',
    // mars.i.ipfs.io, the one bootstrap peer listed by address.
    '/ip4/104.131.131.82/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ',
  ],
};
