export {
  type CreatedDriver,
  CreateDriverError,
  createDriver,
  nextSteps,
  PACKAGES_DIR,
  REPO_CHECKS_MANIFEST,
  TEMPLATE_DIR,
} from './create-driver.js';
export {
  CLASS_PLACEHOLDER,
  DRIVER_NAME,
  invalidNameReason,
  MAX_NAME_LENGTH,
  NAME_PLACEHOLDER,
  pascalCase,
  RESERVED_NAMES,
  substitute,
} from './names.js';
