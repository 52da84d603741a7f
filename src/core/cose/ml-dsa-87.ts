/** ML-DSA-87 (-50): FIPS 204 parameter set ML-DSA-87, AKP key with a 2592-byte public key. */
import { ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { mlDsaAlgorithm } from './akp.js';

export const ML_DSA_87 = mlDsaAlgorithm({
  id: -50,
  name: 'ML-DSA-87',
  scheme: ml_dsa87,
  publicKeyLength: 2592,
});
