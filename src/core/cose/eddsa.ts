/**
 * EdDSA (-8), the polymorphic identifier WebAuthn has used since Level 1: the key's crv picks
 * Ed25519 (6) or Ed448 (7) (RFC 9053 §2.2). RFC 9864 deprecates it in favour of -19 / -53, but
 * it is what authenticators send, so it stays in the default parameters.
 */
import { ED448_CURVE, ED25519_CURVE, eddsaAlgorithm } from './okp.js';

export const EdDSA = eddsaAlgorithm({ id: -8, name: 'EdDSA', curves: [ED25519_CURVE, ED448_CURVE] });
