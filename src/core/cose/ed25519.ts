/** Ed25519 (-19), fully specified (RFC 9864): OKP keys on crv 6 only. */
import { ED25519_CURVE, eddsaAlgorithm } from './okp.js';

export const Ed25519 = eddsaAlgorithm({ id: -19, name: 'Ed25519', curves: [ED25519_CURVE] });
