export {
  CreateDriverError,
  type CreatedDriver,
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
  MARKDOWN_NAME_PLACEHOLDER,
  MAX_NAME_LENGTH,
  NAME_PLACEHOLDER,
  pascalCase,
  RESERVED_NAMES,
  substitute,
} from './names.js';
