export { judgeConformance, type VitestCounts } from './conformance-run.js';
export {
  CONTRACT_END,
  CONTRACT_README,
  CONTRACT_SOURCE,
  CONTRACT_START,
  renderContractTable,
  replaceBetween,
  updateContractTable,
} from './contract-table.js';
export {
  checkDriverPackage,
  checkManifest,
  checkReadme,
  DRIVER_SKELETON,
  README_SECTIONS,
  TEMPLATE_DIR,
} from './conventions.js';
export { type DriverMatrixEntry, driverMatrix } from './driver-matrix.js';
export { type DriverSettings, driverSettings, driverSettingsSchema } from './driver-settings.js';
export {
  alignedTable,
  DRIVERS_END,
  DRIVERS_START,
  renderDriversTable,
  replaceDriversTable,
  updateReadme,
} from './drivers-table.js';
export { findCycles, importGraph } from './import-cycles.js';
export { expandGlobs, type OwnRepoGuide, parseOwnRepoGuide } from './own-repo-guide.js';
export { workspaceRoot } from './paths.js';
export {
  declaredReferences,
  expectedReferences,
  type ProjectReferences,
  testProject,
} from './typescript-references.js';
export {
  DRIVER_DIR_PREFIX,
  driverId,
  type Manifest,
  readDriverPackages,
  readPublishedPackages,
  readWorkspacePackages,
  type WorkspacePackage,
  withWorkspaceDependencies,
} from './workspace.js';
export { type CopyOptions, copyWorkspace, ROOT_FILES } from './workspace-copy.js';
