/** Configuration: read at the edges (server start, CLI) and passed inward. */
export {
  CHALLENGE_TIMEOUT_MS,
  COUNTER_REGRESSION_POLICIES,
  type CounterRegressionAction,
  type CounterRegressionPolicy,
  type CounterRegressionSetting,
  ENVIRONMENT,
  type EnvironmentKey,
  FAILURE_WAIT_DOUBLING_EVERY,
  FAILURE_WAIT_INITIAL_MS,
  FAILURE_WAIT_MAX_MS,
  GROUP_NAME,
  MAX_CONSECUTIVE_FAILURES,
  MAX_PASS_LIFETIME_MS,
  PASS_LIFETIME_MS,
  RATE_LIMITS,
  type RateBudget,
  type RateBudgetName,
  type RateLimits,
  REAUTHENTICATION_WINDOW_MS,
  RP_NAME,
} from './defaults.js';
export { type Config, ConfigError, isValidRpId, loadConfig, type TrustProxy } from './load.js';
