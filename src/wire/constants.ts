/** discv5 v5.1 wire sizes (see devp2p discv5-wire.md). */
export const PROTOCOL_ID = new TextEncoder().encode('discv5');
export const PROTOCOL_VERSION = 0x0001;
export const MASKING_IV_SIZE = 16;
export const MASKING_KEY_SIZE = 16;
export const NONCE_SIZE = 12;
/** protocol-id (6) + version (2) + flag (1) + nonce (12) + authdata-size (2). */
export const STATIC_HEADER_SIZE = 23;
export const NODE_ID_SIZE = 32;
export const ID_NONCE_SIZE = 16;
export const ENR_SEQ_SIZE = 8;
/** WHOAREYOU authdata: id-nonce + enr-seq. */
export const WHOAREYOU_AUTHDATA_SIZE = ID_NONCE_SIZE + ENR_SEQ_SIZE;
/** Handshake authdata fixed head: src-id + sig-size + eph-key-size. */
export const HANDSHAKE_AUTHDATA_HEAD_SIZE = NODE_ID_SIZE + 2;
/** masking-iv + static header + WHOAREYOU authdata: the smallest valid packet. */
export const MIN_PACKET_SIZE = MASKING_IV_SIZE + STATIC_HEADER_SIZE + WHOAREYOU_AUTHDATA_SIZE;
/** discv5 keeps every datagram within the IPv6 minimum MTU. */
export const MAX_PACKET_SIZE = 1280;
export const GCM_TAG_SIZE = 16;
/** Spec: a request-id is at most 8 bytes. */
export const MAX_REQUEST_ID_SIZE = 8;
/** Random "message" content of the first packet to an unknown node (a 16+ byte GCM-sized blob). */
export const RANDOM_MESSAGE_SIZE = 20;

export const enum Flag {
  Message = 0,
  WhoAreYou = 1,
  Handshake = 2,
}
