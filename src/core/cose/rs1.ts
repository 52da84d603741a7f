/**
 * RS1: RSASSA-PKCS1-v1_5 with SHA-1 (RFC 8812 §2). SHA-1 is broken for collision resistance and
 * the identifier is registered as deprecated; it is here only because TPM attestation from
 * Windows Hello and older TPMs signs with it (WebAuthn L3 §8.3), and credential keys of TPM
 * authenticators may carry it too. It is last in the preference order.
 */
import { rsaAlgorithm } from './rsa.js';

export const RS1 = rsaAlgorithm({ id: -65535, name: 'RS1', hash: 'sha1', padding: 'pkcs1' });
