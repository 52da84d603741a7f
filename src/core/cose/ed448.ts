/** Ed448 (-53), fully specified (RFC 9864): OKP keys on crv 7 only. */
import { ED448_CURVE, eddsaAlgorithm } from './okp.js';

export const Ed448 = eddsaAlgorithm({ id: -53, name: 'Ed448', curves: [ED448_CURVE] });
