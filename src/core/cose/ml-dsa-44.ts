/** ML-DSA-44 (-48): FIPS 204 parameter set ML-DSA-44, AKP key with a 1312-byte public key. */
import { ml_dsa44 } from '@noble/post-quantum/ml-dsa.js';
import { mlDsaAlgorithm } from './akp.js';

export const ML_DSA_44 = mlDsaAlgorithm({
  id: -48,
  name: 'ML-DSA-44',
  scheme: ml_dsa44,
  publicKeyLength: 1312,
});
