/** ML-DSA-65 (-49): FIPS 204 parameter set ML-DSA-65, AKP key with a 1952-byte public key. */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { mlDsaAlgorithm } from './akp.js';

export const ML_DSA_65 = mlDsaAlgorithm({
  id: -49,
  name: 'ML-DSA-65',
  scheme: ml_dsa65,
  publicKeyLength: 1952,
});
